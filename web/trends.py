"""The trend page (`/trend`): up to three terms, or one term said by up to three speakers, per
10,000 words per year, as a server-drawn SVG line chart with the numbers in a table below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for

from search.errors import BadQuery, SemanticUnavailable
from search.engine import Engine
from search.trends import MAX_SERIES, Series, WordCounts, compare, distinct
from search.types import SearchRequest
from web import current_engine
from web.urls import query_string

bp = Blueprint("trends", __name__)

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
EXTENSION = "verbatim-word-counts"


@dataclass(frozen=True)
class Line:
    """One series as SVG geometry: the polyline's points and a dot per year."""

    series: Series
    index: int
    points: str
    dots: tuple[tuple[float, float, int, float], ...]  # x, y, year, rate


@dataclass(frozen=True)
class Chart:
    """Axes and lines of the chart, in SVG user units."""

    lines: tuple[Line, ...]
    years: tuple[tuple[int, float], ...]  # year, x of its tick
    ticks: tuple[tuple[float, float], ...]  # rate, y of its gridline
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: float = HEIGHT - BOTTOM


def _nice_top(value: float) -> float:
    """A round upper bound for the y axis (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    scale = 10 ** len(str(int(value))) / 10 if value >= 1 else 0.1
    while scale > value * 10:
        scale /= 10
    for step in (1, 2, 5, 10):
        if value <= step * scale:
            return step * scale
    return 10 * scale


def chart(series: Sequence[Series]) -> Chart:
    """Line geometry for the series over the union of their years (0 where a year has words but no use)."""
    years = sorted({year.year for s in series for year in s.years if year.words or year.matches})
    if not years:
        return Chart(lines=(), years=(), ticks=())
    top = _nice_top(max((y.per_10k_words for s in series for y in s.years), default=0.0))
    span = max(1, years[-1] - years[0])
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(year: int) -> float:
        return round(LEFT + inner_w * ((year - years[0]) / span if len(years) > 1 else 0.5), 2)

    def y(rate: float) -> float:
        return round(TOP + inner_h * (1 - rate / top), 2)

    lines = []
    for index, s in enumerate(series):
        dots = tuple((x(u.year), y(u.per_10k_words), u.year, u.per_10k_words) for u in s.years if u.words)
        lines.append(Line(s, index, " ".join(f"{dx},{dy}" for dx, dy, _, _ in dots), dots))
    every = max(1, -(-len(range(years[0], years[-1] + 1)) // 12))
    ticks_x = tuple((year, x(year)) for year in range(years[0], years[-1] + 1, every))
    ticks_y = tuple((round(top * i / 4, 2), y(top * i / 4)) for i in range(5))
    return Chart(lines=tuple(lines), years=ticks_x, ticks=ticks_y)


def index_version(engine: Engine) -> Hashable:
    """Changes whenever a reindex publishes a generation (the pointer file is replaced)."""
    pointer = engine.index_dir / "current.json"
    try:
        return (str(engine.index_dir), pointer.stat().st_mtime_ns)
    except OSError:
        return (str(engine.index_dir), 0)


def word_counts(engine: Engine, search_request: SearchRequest) -> dict[tuple[int, str], int]:
    """Words per (year, speaker) under the request's filters, from the app's cache."""
    cache = current_app.extensions.setdefault(EXTENSION, WordCounts())
    return cache.get(engine, search_request, index_version(engine))


def trend_series(args: Any) -> tuple[SearchRequest, list[str], list[str], list[Series]]:
    """Parse the page/API parameters and count: (request, terms, speakers, series). Raises BadQuery."""
    terms = distinct(args.getlist("q"))[:MAX_SERIES]
    speakers = distinct(args.getlist("speaker"))
    if not terms:
        raise BadQuery("a trend needs a term: /trend?q=sanctions (up to three q's, or one q and up to three speakers)")
    if len(speakers) > MAX_SERIES:
        raise BadQuery(f"at most {MAX_SERIES} speakers side by side, got {len(speakers)}")
    raw = {name: args.getlist(name) for name in args if name not in ("q", "by")}
    search_request = dataclasses.replace(SearchRequest.from_params({**raw, "q": terms[0]}), mode="keyword")
    engine = current_engine()
    words = word_counts(engine, search_request)
    by_speaker = len(terms) == 1 and (len(speakers) > 1 or args.get("by") == "speaker")
    found = compare(engine, search_request, words, terms=terms, speakers=speakers if by_speaker else ())
    return search_request, terms, speakers, found


@bp.get("/trend")
def trend_page() -> Any:
    """A term's use over time per 10,000 words: up to three terms, or three speakers, side by side."""
    terms = distinct(request.args.getlist("q"))
    speakers = distinct(request.args.getlist("speaker"))
    context: dict[str, Any] = {
        "q": terms[0] if terms else "",
        "terms": (terms + ["", "", ""])[:MAX_SERIES],
        "speakers": (speakers + ["", "", ""])[:MAX_SERIES],
        "series": [],
        "chart": None,
        "error": None,
    }
    if not terms:
        return render_template("trend.html", **context)
    try:
        _, terms, speakers, found = trend_series(request.args)
    except (BadQuery, SemanticUnavailable) as error:
        context["error"] = getattr(error, "message", str(error))
        return render_template("trend.html", **context), 400
    context.update(series=found, chart=chart(found))
    context["search_url"] = url_for("pages.search") + query_string([("q", terms[0])] + [("speaker", s) for s in speakers])
    return render_template("trend.html", **context)


def merge_years(years: list[dict[str, Any]], per_word: Series | None) -> list[dict[str, Any]]:
    """The utterance-based years of /api/trend with the word-based figures of the same years added."""
    if per_word is None:
        return years
    by_year = {use.year: use for use in per_word.years}
    merged = []
    for year in years:
        use = by_year.get(year["year"])
        extra = use.to_dict() if use else {"matches": 0, "words": 0, "per_10k_words": 0.0}
        merged.append({**year, **{k: v for k, v in extra.items() if k not in ("year", "hits")}})
    return merged
