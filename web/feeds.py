"""`/feed.atom?q=…&<filters>`: any search as an Atom feed (RFC 4287), newest utterances first.

A feed reader polls it and shows the entries whose ids it has not seen: after a reindex
adds transcripts, those are exactly the new utterances that match.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, request, url_for
from markupsafe import escape

from search.errors import BadQuery, SemanticUnavailable
from index.sources import web_address
from search.types import Hit, SearchRequest
from web import current_engine
from web.links import hit_citation, permalink, public_base
from web.modes import public_message
from web.urls import params_of, query_string

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 50
# Parameters of the page that do not change what a feed holds.
NOT_FEED_PARAMS = ("page", "per_page", "sort", "view", "kwic_sort", "format", "facet_limit")


def feed_params(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The search parameters a feed keeps (query, filters, mode), in order."""
    return [(n, v) for n, v in params_of(pairs) if n not in NOT_FEED_PARAMS]


def feed_request(pairs: list[tuple[str, str]]) -> SearchRequest:
    """The newest FEED_ENTRIES hits of the search, no facets; raises BadQuery."""
    raw: dict[str, list[str]] = {}
    for name, value in feed_params(pairs):
        raw.setdefault(name, []).append(value)
    raw.update(sort=["-date"], per_page=[str(FEED_ENTRIES)], facet_limit=["0"])
    return SearchRequest.from_params(raw)


def feed_title(search_request: SearchRequest) -> str:
    """`Verbatim: “sanctions” (speaker: Vladimir Putin)`."""
    what = f"“{search_request.q}”" if search_request.q else "everything"
    filters = [f"{name}: {', '.join(values)}" for name, values in search_request.filters.items()]
    if search_request.date_from:
        filters.append(f"from {search_request.date_from.isoformat()}")
    if search_request.date_to:
        filters.append(f"to {search_request.date_to.isoformat()}")
    return f"Verbatim: {what}" + (f" ({'; '.join(filters)})" if filters else "")


def _timestamp(date: dt.date) -> str:
    return dt.datetime.combine(date, dt.time(), dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _entry_id(hit: Hit) -> str:
    """A permanent id of the utterance, the same whatever address the feed is read at."""
    return f"urn:verbatim:utterance:{hit.id}"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def atom_feed(search_request: SearchRequest, hits: list[Hit], *, feed_id: str, self_url: str, page_url: str) -> bytes:
    """The Atom document: one entry per utterance, newest first."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "title", feed_title(search_request))
    _add(feed, "id", feed_id)
    newest = max((hit.date for hit in hits), default=dt.date(1970, 1, 1))
    _add(feed, "updated", _timestamp(newest))
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = _add(feed, "author")
    _add(author, "name", "Verbatim")
    _add(feed, "generator", "Verbatim")
    for hit in hits:
        entry = _add(feed, "entry")
        who = hit.speaker or hit.label or "Narration"
        _add(entry, "title", f"{who}: {hit.title}")
        _add(entry, "id", _entry_id(hit))
        _add(entry, "updated", _timestamp(hit.date))
        _add(entry, "published", _timestamp(hit.date))
        entry_author = _add(entry, "author")
        _add(entry_author, "name", who)
        passage = permalink(hit.transcript_id, hit.seq) or url_for(
            "pages.transcript", transcript_id=hit.transcript_id, _anchor=f"u{hit.seq}"
        )
        _add(entry, "link", rel="alternate", type="text/html", href=passage)
        original = web_address(hit.url)
        if original:
            _add(entry, "link", rel="related", type="text/html", href=original, title="Original page")
        if hit.role:
            _add(entry, "category", term=hit.role, label=hit.role)
        # type="html": the snippet is escaped HTML with <mark>s; the XML writer escapes it once more.
        _add(entry, "summary", hit.snippet, type="html")
        cited = escape(hit_citation(hit).plain)
        _add(entry, "content", f"<p>{hit.snippet}</p><p><small>{cited}</small></p>", type="html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


@bp.get("/feed.atom")
def feed() -> Any:
    """An Atom feed of a search (`q` and any filters), newest first: "Follow this search"."""
    pairs = list(request.args.items(multi=True))
    try:
        search_request = feed_request(pairs)
        response = current_engine().search(search_request)
    except BadQuery as error:
        return Response(f"Cannot make a feed of this search: {error.message}\n", 400, mimetype="text/plain")
    except SemanticUnavailable as error:
        index_dir = current_engine().index_dir
        message = public_message(str(error), (index_dir, index_dir.resolve()))
        return Response(f"Cannot make a feed of this search: {message}\n", 400, mimetype="text/plain")
    kept = query_string(feed_params(pairs))
    base = public_base() or ""
    body = atom_feed(
        search_request,
        list(response.hits),
        feed_id="urn:verbatim:feed:" + kept[1:],
        self_url=base + url_for("feeds.feed") + kept,
        page_url=base + url_for("pages.search") + kept,
    )
    return Response(body, mimetype="application/atom+xml")
