"""The JSON API under /api (DESIGN §5); errors are JSON `{"error": …}` with a 4xx status."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from search.errors import BadQuery, NotFound, SemanticUnavailable
from search.types import FACET_NAMES, SearchRequest
from web import absolute_url, current_engine, public_source
from web.exports import hits_csv, spreadsheet_safe  # noqa: F401  (spreadsheet_safe: tests import it here)
from web.modes import public_message
from web.openapi import openapi_document
from web.people import current_people, person_details
from web.trend import year_trend
from web.trends import merge_years, trend_series

bp = Blueprint("api", __name__)

FORMATS = ("json", "csv")
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
        return hits_csv(search_request)
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
    """Hits per year for `q` (with filters): per 10,000 utterances and per 10,000 words; `series` per term or speaker.

    Several `q`s give a series per term; one `q` with several `speaker`s (or `by=speaker`) a series per speaker.
    """
    search_request = SearchRequest.from_params(request.args.to_dict(flat=False))
    if not search_request.q:
        raise BadQuery("trend needs a query: /api/trend?q=…")
    years = year_trend(current_engine(), search_request)
    names = (*FACET_NAMES, *sorted(set(search_request.filters) - set(FACET_NAMES)))  # then a corpus's own
    per_word = trend_series(request.args)[3]
    return jsonify(
        {
            "query": search_request.q,
            "filters": {name: list(search_request.filters.get(name, ())) for name in names},
            "from": search_request.date_from.isoformat() if search_request.date_from else None,
            "to": search_request.date_to.isoformat() if search_request.date_to else None,
            "total": sum(year.hits for year in years),
            "years": merge_years([year.to_dict() for year in years], per_word[0] if len(per_word) == 1 else None),
            "series": [s.to_dict() for s in per_word],
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
