"""People pages: `/people` (everyone A–Z, a filter box, counts) and `/people/<slug>` (one person).
The people logic is in search.people; this module only finds the current index's People and renders."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from search.errors import BadQuery
from search.people import People, Person
from search.types import SearchRequest
from web import current_engine
from web.trend import year_trend

bp = Blueprint("people", __name__)

TOP = 10
LATEST = 10
MAX_TREND_CHARS = 500


def current_people() -> People:
    """The People of the index generation the app's engine reads."""
    return current_engine().people()


def person_details(people: People, person: Person) -> dict[str, Any]:
    """The JSON of /api/speakers/<slug>: the summary plus places, topics, keywords and latest turns."""
    return {
        **person.to_dict(),
        "places": [{"value": v, "count": c} for v, c in person.places.most_common(TOP)],
        "topics": [{"value": v, "count": c} for v, c in person.topics.most_common(TOP)],
        "keywords": [{"word": w, "g2": g2, "count": n} for w, g2, n in people.keywords(person, 20)],
        "latest": [
            {"id": t.id, "transcript_id": t.transcript_id, "seq": t.seq, "date": t.date.isoformat(), "title": t.title,
             "role": t.role, "text": t.text}
            for t in people.latest_turns(person, LATEST)
        ],
    }  # fmt: skip


@bp.get("/people")
def people_page() -> Any:
    """Everyone who speaks, A–Z by name, with turn counts; `q` filters by name or alias."""
    people = current_people()
    q = request.args.get("q", "").strip()
    found = people.matching(q)
    letters: dict[str, list[Person]] = {}
    for person in found:
        letters.setdefault(person.name[:1].upper(), []).append(person)
    return render_template(
        "people.html", q="", filter_q=q, letters=letters, total=len(people.people), shown=len(found),
        anonymous=people.anonymous.most_common(),
    )  # fmt: skip


@bp.get("/people/<slug>")
def person_page(slug: str) -> Any:
    """One person: aliases, roles over time, turns, years, places, topics, keywords, latest turns,
    a search box scoped to them and the trend of a query in their turns."""
    people = current_people()
    person = people.by_slug.get(slug)
    if person is None:
        abort(404, f"There is no person “{slug}”.")
    trend_q = request.args.get("trend", "").strip()[:MAX_TREND_CHARS]
    trend, trend_error = [], None
    if trend_q:
        try:
            trend = year_trend(current_engine(), SearchRequest(q=trend_q, filters={"speaker": (person.name,)}))
        except BadQuery as error:
            trend_error = error.message
    return render_template(
        "person.html", q="", person=person, places=person.places.most_common(TOP),
        topics=person.topics.most_common(TOP), keywords=people.keywords(person, 20),
        latest=people.latest_turns(person, LATEST), trend_q=trend_q, trend=trend,
        trend_max=max((y.per_10k for y in trend), default=0), trend_error=trend_error,
    ), (400 if trend_error else 200)  # fmt: skip
