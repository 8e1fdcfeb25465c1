"""Links that leave the page (exports, citations, feeds): our public address, never a loopback one.

A CSV or a citation is read elsewhere, so `http://127.0.0.1:5000/…` would lead nowhere. The
configured base URL (`serve --base-url`, `VERBATIM_BASE_URL`) is used; without one the link
stays a path (never built from the request's Host header).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request, url_for

from index.sources import web_address
from search.citations import Citation, CitationSource, citation
from search.types import Hit

LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def is_loopback(url: str) -> bool:
    """True for an address of this machine only (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_base() -> str | None:
    """This server's public address without a trailing slash, None when only a loopback one is known."""
    configured = getattr(current_app.config["VERBATIM_SETTINGS"], "base_url", None)
    # Never the request's Host header: a client could plant any address in exports and feeds.
    return configured.rstrip("/") if configured else None


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link to one of our pages when a public address is known, else its path."""
    path = url_for(endpoint, **values)
    base = public_base()
    return base + path if base else path


def permalink(transcript_id: str, seq: int) -> str | None:
    """The public link to one utterance in its transcript; None without a public address."""
    base = public_base()
    if base is None:
        return None
    return base + url_for("pages.transcript", transcript_id=transcript_id, _anchor=f"u{seq}")


def hit_citation(hit: Hit) -> Citation:
    """The citation of a hit of the result list."""
    return citation(
        CitationSource(
            speaker=hit.speaker or "",
            role=hit.role or "",
            title=hit.title,
            date=hit.date,
            place=hit.place or "",
            seq=hit.seq,
            original_url=web_address(hit.url),
            permalink=permalink(hit.transcript_id, hit.seq),
            label=getattr(hit, "label", "") or "",
        )
    )


def utterance_citation(transcript: Any, utterance: Any) -> Citation:
    """The citation of one turn of a transcript page."""
    return citation(
        CitationSource(
            speaker=utterance.speaker or "",
            role=utterance.role or "",
            title=transcript.title,
            date=transcript.date,
            place=transcript.place or "",
            seq=utterance.seq,
            original_url=web_address(getattr(transcript, "url", None)) or web_address(transcript.source),
            permalink=permalink(transcript.id, utterance.seq),
            label=getattr(utterance, "label", "") or "",
        )
    )


def turn_citation(speaker: str, turn: Any) -> Citation:
    """The citation of one of a person's latest turns (person pages)."""
    return citation(
        CitationSource(
            speaker=speaker,
            role=turn.role or "",
            title=turn.title,
            date=turn.date,
            place=turn.place or "",
            seq=turn.seq,
            original_url=web_address(turn.url),
            permalink=permalink(turn.transcript_id, turn.seq),
        )
    )


def init_app(app: Any) -> None:
    """Make the citation helpers available to every template (results, transcript, people pages)."""
    app.add_template_global(hit_citation, "hit_citation")
    app.add_template_global(utterance_citation, "utterance_citation")
    app.add_template_global(turn_citation, "turn_citation")
