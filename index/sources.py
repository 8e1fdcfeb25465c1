"""Where a transcript came from on the web: the original page's address, for links and citations."""

from __future__ import annotations

import re

# The site's page address for a page id (the id in `kremlin-<id>.txt` and `<id>.html`).
SITE_PAGE_URL = "https://en.kremlin.ru/events/president/news/{page_id}"
_SITE_ID = re.compile(r"kremlin-(\d+)")


def site_url(transcript_id: str) -> str | None:
    """The en.kremlin.ru address of a transcript in the site layout (`kremlin-<page id>`), else None."""
    found = _SITE_ID.fullmatch(transcript_id)
    return SITE_PAGE_URL.format(page_id=found.group(1)) if found else None


def web_address(text: str | None) -> str | None:
    """`text` if it is an http(s) address, else None (a file path is no address to link to)."""
    if text and text.strip().lower().startswith(("http://", "https://")) and len(text.strip()) > len("https://"):
        return text.strip()
    return None
