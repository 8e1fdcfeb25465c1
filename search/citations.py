"""Ready-to-paste citations of one utterance: a plain attribution and a Chicago-style note.

Pure functions of the utterance's metadata and two addresses (the original page and our
permalink), so the page, the feed and the tests build the same text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

# Publisher names of known sites, as their licence asks to be attributed (CC BY 4.0).
PUBLISHERS = {"kremlin.ru": "President of Russia, en.kremlin.ru"}
NARRATION = "Narration"


@dataclass(frozen=True)
class CitationSource:
    """What a citation names: who, in what document, when, where, and the two addresses."""

    speaker: str
    role: str
    title: str
    date: dt.date
    place: str
    seq: int
    original_url: str | None
    permalink: str | None
    # The label as written, for a turn with no person to name ("Question", "Remark").
    label: str = ""


@dataclass(frozen=True)
class Citation:
    """The same citation in two styles, each a single line of plain text."""

    plain: str
    chicago: str


def publisher(url: str | None) -> str | None:
    """The site's name for attribution: a known publisher, else the host name; None without a URL."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    for domain, name in PUBLISHERS.items():
        if host == domain or host.endswith("." + domain):
            return name
    return host or None


def _long_date(date: dt.date) -> str:
    return f"{date.day} {date:%B %Y}"


def _us_date(date: dt.date) -> str:
    return f"{date:%B} {date.day}, {date.year}"


def _who(source: CitationSource) -> str:
    """The speaker with their role; an anonymous voice by its label; else narration."""
    if source.speaker:
        return f"{source.speaker} ({source.role})" if source.role else source.speaker
    return source.label or NARRATION


def plain_citation(source: CitationSource) -> str:
    """Speaker (role), “Title”, place, date, turn N. Publisher, URL. Permalink."""
    parts = [_who(source), f"“{source.title}”"]
    if source.place:
        parts.append(source.place)
    parts.append(_long_date(source.date))
    parts.append(f"turn {source.seq}")
    text = ", ".join(parts) + "."
    site = publisher(source.original_url)
    if source.original_url:
        text += f" {site}: {source.original_url}." if site else f" {source.original_url}."
    if source.permalink:
        text += f" Passage: {source.permalink}"
    return text


def chicago_citation(source: CitationSource) -> str:
    """Chicago notes style for a web page: Speaker, “Title,” Publisher, Month D, YYYY, URL. Passage: permalink."""
    title = f"“{source.title},”"
    author = source.speaker or source.label
    pieces = [f"{author}, {title}" if author else title]
    site = publisher(source.original_url)
    if site:
        pieces.append(f"{site},")
    date = _us_date(source.date)
    link = source.original_url or source.permalink
    pieces.append(f"{date}, {link}." if link else f"{date}.")
    if source.permalink and source.original_url:
        pieces.append(f"Passage: {source.permalink}.")
    return " ".join(pieces)


def citation(source: CitationSource) -> Citation:
    """Both styles of one utterance's citation."""
    return Citation(plain=plain_citation(source), chicago=chicago_citation(source))
