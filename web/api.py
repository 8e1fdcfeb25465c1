"""The JSON API under /api (DESIGN §5); errors are JSON `{"error": …}` with a 4xx status."""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import re
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, jsonify, request, stream_with_context, url_for

from index.dates import format_partial
from search.errors import BadQuery, NotFound, SemanticUnavailable
from search.types import FACET_NAMES, Hit, SearchRequest
from web import absolute_url, current_engine, public_source
from web.modes import public_message
from web.openapi import openapi_document
from web.people import current_people, person_details
from web.trend import year_trend

bp = Blueprint("api", __name__)

FORMATS = ("json", "csv")
CSV_COLUMNS = ("id", "date", "speaker", "role", "title", "place", "text", "link")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_SIMILAR = 50


@bp.errorhandler(BadQuery)
def _bad_query(error: BadQuery) -> Any:
    body: dict[str, Any] = {"error": error.message}
    if error.position is not None:
        body["position"] = error.position
    return jsonify(body), 400


@bp.errorhandler(SemanticUnavailable)
def _semantic_unavailable(error: SemanticUnavailable) -> Any:
    index_dir = current_engine().index_dir
    message = public_message(str(error), (index_dir, index_dir.resolve()))
    return jsonify({"error": message or "semantic search is not available on this server"}), 400


@bp.errorhandler(NotFound)
def _not_found(error: NotFound) -> Any:
    return jsonify({"error": str(error) or "not found"}), 404


@bp.get("/search")
def search() -> Any:
    """Search utterances: the DESIGN §5 JSON, or every hit as CSV with `format=csv`."""
    output = request.args.get("format", "json")
    if output not in FORMATS:
        raise BadQuery(f"unknown format {output!r}: use json or csv")
    search_request = SearchRequest.from_params(request.args.to_dict(flat=False))
    engine = current_engine()
    if output == "csv":
        return _csv_response(search_request)
    response = engine.search(search_request)
    result = jsonify(response.to_dict())
    result.headers["Server-Timing"] = f"search;dur={response.elapsed_ms:.1f}"
    return result


@bp.get("/transcripts/<transcript_id>")
def transcript(transcript_id: str) -> Any:
    """One transcript with all its utterances."""
    try:
        document = current_engine().get_transcript(transcript_id)
    except NotFound:
        raise NotFound(f"no transcript with id {transcript_id!r}") from None
    body = document.to_dict()
    body["source"] = public_source(document.source)  # a file name or the page's URL, never a server path
    return jsonify(body)


@bp.get("/trend")
def trend() -> Any:
    """Hits per year for `q` (with optional filters), absolute and per 10,000 utterances."""
    search_request = SearchRequest.from_params(request.args.to_dict(flat=False))
    if not search_request.q:
        raise BadQuery("trend needs a query: /api/trend?q=…")
    years = year_trend(current_engine(), search_request)
    names = (*FACET_NAMES, *sorted(set(search_request.filters) - set(FACET_NAMES)))  # then a corpus's own
    return jsonify(
        {
            "query": search_request.q,
            "filters": {name: list(search_request.filters.get(name, ())) for name in names},
            "from": search_request.date_from.isoformat() if search_request.date_from else None,
            "to": search_request.date_to.isoformat() if search_request.date_to else None,
            "total": sum(year.hits for year in years),
            "years": [year.to_dict() for year in years],
        }
    )


@bp.get("/similar/<utterance_id>")
def similar(utterance_id: str) -> Any:
    """Utterances of other transcripts nearest in meaning to one utterance (semantic; `limit`, default 10)."""
    raw = request.args.get("limit", "10")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SIMILAR:
        raise BadQuery(f"limit must be a whole number between 1 and {MAX_SIMILAR}, got {raw!r}")
    hits = current_engine().similar(utterance_id, int(raw))
    return jsonify({"id": utterance_id, "hits": [hit.to_dict() for hit in hits]})


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document(absolute_url("/")))


@bp.route("/", defaults={"rest": ""})
@bp.route("/<path:rest>")
def unknown(rest: str) -> Any:
    """Anything else under /api: a JSON 404 that points to the description."""
    return jsonify({"error": f"no API endpoint /api/{rest}; see /api/openapi.json"}), 404


def _csv_response(search_request: SearchRequest) -> Response:
    """Every hit as CSV, streamed; a malformed query fails before the first byte is sent."""
    engine = current_engine()
    facets = engine.meta_facets()
    hits = engine.iter_texts(search_request)
    first = next(hits, None)
    all_hits = itertools.chain([first], hits) if first is not None else iter(())

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow((*CSV_COLUMNS, *facets))  # then a column per metadata facet (DESIGN §6)
        with contextlib.closing(hits):  # gives the engine its searcher back, even if the client leaves
            for hit, text in all_hits:
                row = [*_csv_row(hit, text, search_request.q), *(hit.meta.get(name, "") for name in facets)]
                writer.writerow([spreadsheet_safe(cell) for cell in row])
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = _slug(search_request.q) or "browse"
    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="verbatim-{filename}.csv"'},
    )


def _csv_row(hit: Hit, text: str, q: str) -> list[str]:
    link = absolute_url(url_for("pages.transcript", transcript_id=hit.transcript_id, q=q or None, _anchor=f"u{hit.seq}"))
    return [hit.id, format_partial(hit.date, hit.date_precision), hit.speaker, hit.role, hit.title, hit.place, text, link]


def spreadsheet_safe(cell: str) -> str:
    """A cell that spreadsheets show as text: one starting like a formula gets a leading apostrophe.

    Excel, LibreOffice and Google Sheets run a cell starting with = + - @ (or a tab or
    carriage return before one) as a formula, and transcripts are text from elsewhere
    (OWASP "CSV injection"). The apostrophe is what a spreadsheet user types for the same.
    """
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _slug(text: str) -> str:
    """A file-name-safe short form of the query."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


MAX_SPEAKERS = 10_000


@bp.get("/speakers")
def speakers() -> Any:
    """People A–Z whose name or alias contains the words of `q`: turns (= the speaker facet count),
    first and last dates, roles over time, aliases."""
    raw = request.args.get("limit", "")
    if raw and not (raw.isdigit() and 1 <= int(raw) <= MAX_SPEAKERS):
        raise BadQuery(f"limit must be a whole number between 1 and {MAX_SPEAKERS}, got {raw!r}")
    people = current_people()
    found = people.matching(request.args.get("q", ""), int(raw) if raw else None)
    return jsonify({"speakers": [person.to_dict() for person in found]})


@bp.get("/speakers/<slug>")
def speaker(slug: str) -> Any:
    """One person: the /api/speakers fields and the places, topics and words they speak most."""
    people = current_people()
    person = people.by_slug.get(slug)
    if person is None:
        raise NotFound(f"no speaker {slug!r}")
    return jsonify(person_details(people, person))
