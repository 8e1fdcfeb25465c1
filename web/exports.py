"""CSV exports: every hit (`/api/search?format=csv`) and the concordance lines (`/kwic.csv`).

Both start with a UTF-8 byte-order mark, without which Excel reads the file as the local
code page and garbles curly quotes and accents; links are public addresses or paths,
never the loopback address the server was reached at.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import Blueprint, Response, request, stream_with_context

from search.errors import BadQuery, SemanticUnavailable
from index.dates import format_partial
from index.sources import web_address
from search import kwic
from search.types import Hit, SearchRequest
from web import current_engine
from web.links import public_url

bp = Blueprint("exports", __name__)

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HIT_COLUMNS = ("id", "date", "speaker", "role", "title", "place", "text", "link", "url")
KWIC_COLUMNS = ("left", "match", "right", "speaker", "date", "title", "link", "url")
# The concordance export has the page's caps: every line of the first hits, at most this many lines.
KWIC_MAX_HITS = 3_000
KWIC_MAX_LINES = 5_000


def spreadsheet_safe(cell: str) -> str:
    """A cell that spreadsheets show as text: one starting like a formula gets a leading apostrophe.

    Excel, LibreOffice and Google Sheets run a cell starting with = + - @ (or a tab or
    carriage return before one) as a formula, and transcripts are text from elsewhere
    (OWASP "CSV injection"). The apostrophe is what a spreadsheet user types for the same.
    """
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[str]], source: Any = None) -> Iterator[str]:
    """The CSV text in pieces, byte-order mark first, one piece per row (for streaming).

    `source` (an engine iterator) is closed at the end, or when the client leaves, which
    gives the engine its searcher back.
    """
    with contextlib.closing(source) if source is not None else contextlib.nullcontext():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        yield BOM + buffer.getvalue()
        for row in rows:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([spreadsheet_safe(cell or "") for cell in row])
            yield buffer.getvalue()


def csv_response(header: Sequence[str], rows: Iterable[Sequence[str]], name: str, source: Any = None) -> Response:
    """A streamed CSV download called `verbatim-<name>.csv`."""
    return Response(
        stream_with_context(csv_lines(header, rows, source)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="verbatim-{name}.csv"'},
    )


def slug(text: str) -> str:
    """A file-name-safe short form of the query."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def passage_link(hit: Hit, q: str) -> str:
    """The hit's turn on our transcript page, public address when known."""
    return public_url("pages.transcript", transcript_id=hit.transcript_id, q=q or None, _anchor=f"u{hit.seq}")


def speaker_of(hit: Hit) -> str:
    """The speaker column: the person, or an anonymous turn's label (`Question`)."""
    return hit.speaker if hit.speaker is not None else hit.label


def hit_row(hit: Hit, text: str, q: str, facets: Sequence[str] = ()) -> list[str]:
    """One row of the hits export: the hit, its links, then its metadata facets (DESIGN §6)."""
    return [
        hit.id, format_partial(hit.date, hit.date_precision), speaker_of(hit), hit.role, hit.title, hit.place, text,
        passage_link(hit, q), web_address(hit.url) or "", *(hit.meta.get(name, "") for name in facets),
    ]  # fmt: skip


def hits_csv(search_request: SearchRequest) -> Response:
    """Every hit as CSV, streamed; a malformed query fails before the first byte is sent."""
    engine = current_engine()
    facets = engine.meta_facets()
    hits = engine.iter_texts(search_request)
    first = next(hits, None)
    all_hits = itertools.chain([first], hits) if first is not None else iter(())
    rows = (hit_row(hit, text, search_request.q, facets) for hit, text in all_hits)
    return csv_response((*HIT_COLUMNS, *facets), rows, slug(search_request.q) or "browse", source=hits)


def kwic_rows(search_request: SearchRequest, sort: str) -> list[list[str]]:
    """The concordance lines of a search (the page's caps), sorted as on the page."""
    if not search_request.q:
        return []
    engine = current_engine()
    with contextlib.closing(engine.iter_texts(search_request)) as all_hits:
        hits = itertools.islice(all_hits, KWIC_MAX_HITS)
        matches, _ = kwic.kwic_matches(hits, engine.span_finder(search_request.q), max_lines=KWIC_MAX_LINES)
    rows = []
    for match in kwic.sort_lines(matches, sort):
        line = match.line()
        hit = line.hit
        rows.append(
            [
                line.left, line.keyword, line.right, speaker_of(hit), format_partial(hit.date, hit.date_precision), hit.title,
                passage_link(hit, search_request.q), web_address(hit.url) or "",
            ]  # fmt: skip
        )
    return rows


@bp.get("/kwic.csv")
def kwic_csv() -> Any:
    """The KWIC view's lines as CSV: left context, match, right context, speaker, date, links."""
    sort = request.args.get("kwic_sort", "")
    try:
        if sort not in kwic.SORTS:
            raise BadQuery(f"unknown kwic_sort {sort!r}: use left or right")
        search_request = SearchRequest.from_params(request.args.to_dict(flat=False))
        rows = kwic_rows(search_request, sort)
    except BadQuery as error:
        return Response(f"Cannot export these lines: {error.message}\n", 400, mimetype="text/plain")
    except SemanticUnavailable:
        return Response("Cannot export these lines: meaning search is unavailable here\n", 400, mimetype="text/plain")
    return csv_response(KWIC_COLUMNS, rows, "kwic-" + (slug(search_request.q) or "browse"))
