"""Pages for people: the search page (results or KWIC), a transcript in context, query help."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from markupsafe import Markup

from search.errors import BadQuery, NotFound, SemanticUnavailable
from index.dates import last_day, parse_partial_date
from index.models import Transcript, Utterance
from search import hybrid, kwic
from search.engine import Engine
from search.query import only_stop_words
from search.types import MAX_QUERY_CHARS, FacetResult, FacetValue, Hit, SearchRequest, SearchResponse
from web import current_engine
from web.histogram import histogram
from web.modes import KEYWORD, MATCHED_BY_HINTS, MATCHED_BY_LABELS, mode_links, mode_of, public_message
from web.embedding import progress_note
from web.feeds import feed_params
from web.state import context_params, transcript_arrival
from web.urls import Params, is_filter, params_of, query_string, replace, toggle, without

bp = Blueprint("pages", __name__)

VIEWS = ("results", "kwic")
KWIC_PER_PAGE = 100
# Caps of the concordance (sorting by a context word reads every hit up to them).
KWIC_MAX_HITS = 3_000
KWIC_MAX_LINES = 5_000
FACET_VISIBLE = 8
FACET_LABELS = {
    "speaker": "Speaker",
    "role": "Role",
    "year": "Year",
    "place": "Place",
    "topic": "Topic",
    "geography": "Geography",
    "from": "From",
    "to": "To",
}


def facet_label(name: str) -> str:
    """A facet's heading: ours by name, a corpus's own (`party_group`) as "Party group"."""
    return FACET_LABELS.get(name) or name.replace("_", " ").capitalize()


SORT_LABELS = {"relevance": "Best match", "-date": "Newest", "date": "Oldest"}
SIMILAR_LIMIT = 10
# The similar page shows this much of the utterance it starts from (the rest is a click away).
SOURCE_PREVIEW_CHARS = 600
KWIC_SORT_LABELS = {"": "Hit order", "left": "Left word", "right": "Right word"}


def date_input(text: str, *, end: bool = False) -> str:
    """A range bound for `<input type=date>`: `from=2012` (allowed in the URL) as its first day, `to=2012-09`
    as its last; the browser shows a partial value as empty and "Apply dates" then dropped the bound."""
    try:
        first, precision = parse_partial_date(text)
    except ValueError:
        return text
    return (last_day(first, precision) if end else first).isoformat()


@dataclass(frozen=True)
class Link:
    """A labelled link of the search page (chip, toggle, facet value, pager entry)."""

    label: str
    href: str
    current: bool = False
    count: int | None = None


@dataclass(frozen=True)
class FacetView:
    """A facet as the sidebar shows it: the first values, the rest behind "more"."""

    name: str
    label: str
    shown: tuple[Link, ...]
    more: tuple[Link, ...]
    error: str | None = None


@bp.get("/")
def search() -> Any:
    """The search page; every state is a plain URL, an empty query browses the newest first."""
    raw = list(request.args.items(multi=True))
    params = params_of(raw)
    if len(params) != len(raw):  # drop the empty fields a submitted form leaves behind
        return redirect(_search_url(params))
    engine = current_engine()
    page = _PageState.of(params, semantic_reason(engine), engine.semantic_index().limit)
    try:
        view = _choice("view", VIEWS)
        kwic_sort = _choice("kwic_sort", kwic.SORTS)
        search_request = SearchRequest.from_params(request.args.to_dict(flat=False))
        if search_request.mode != KEYWORD and page.semantic_reason is not None:
            raise SemanticUnavailable(page.semantic_reason)
        if view == "kwic":
            return _render_kwic(engine, page, search_request, kwic_sort)
        response = engine.search(search_request)
    except BadQuery as error:
        return _render_error(page, error)
    except SemanticUnavailable as error:
        return _render_error(page, SemanticUnavailable(_public_reason(engine, str(error))))
    floor = engine.semantic_index().floor if search_request.mode != KEYWORD else None
    return render_template("search.html", **page.context(response), semantic_floor=floor)


@bp.get("/t/<transcript_id>")
def transcript(transcript_id: str) -> Any:
    """One transcript as published, every turn anchored `#u<seq>`, query words highlighted."""
    engine = current_engine()
    try:
        document = engine.get_transcript(transcript_id)
    except NotFound:
        abort(404, f"There is no transcript with the id “{transcript_id}”.")
    q = request.args.get("q", "").strip()
    matches: dict[int, str] = {}
    error: BadQuery | None = None
    if len(q) > MAX_QUERY_CHARS:
        error = BadQuery(f"query too long: {len(q)} characters (at most {MAX_QUERY_CHARS})")
    elif q:
        try:
            matches = engine.transcript_matches(transcript_id, q)
        except BadQuery as bad:
            error = bad
    hit_seqs = sorted(matches)
    neighbours = {
        seq: (hit_seqs[i - 1] if i > 0 else None, hit_seqs[i + 1] if i + 1 < len(hit_seqs) else None)
        for i, seq in enumerate(hit_seqs)
    }
    texts = {seq: Markup(html) for seq, html in matches.items()}  # escaped by the engine, <mark> only
    arrived = transcript_arrival(document, request.args.items(multi=True), texts)
    status = 400 if error else 200
    return (
        render_template(
            "transcript.html",
            transcript=document,
            q=q,
            error=error,
            texts=texts,
            hit_seqs=hit_seqs,
            neighbours=neighbours,
            **arrived,
        ),
        status,
    )


@bp.get("/similar/<utterance_id>")
def similar(utterance_id: str) -> Any:
    """The utterances of other transcripts closest in meaning to one utterance, each linked in context."""
    engine = current_engine()
    transcript_id, _, seq = utterance_id.rpartition(":")
    source = _find_utterance(engine, transcript_id, seq)
    if source is None:
        abort(404, f"There is no utterance with the id “{utterance_id}”.")
    document, utterance = source
    context = {
        "q": "",
        "transcript": document,
        "utterance": utterance,
        "preview": _preview(utterance.text),
        "source_url": url_for("pages.transcript", transcript_id=document.id, _anchor=f"u{utterance.seq}"),
    }
    reason = semantic_reason(engine)
    error = None
    hits: list[Hit] = []
    if reason is None:
        try:
            hits = engine.similar(utterance.id, SIMILAR_LIMIT)
        except (NotFound, SemanticUnavailable) as failure:  # e.g. an utterance embedded since the last `embed`
            error = _public_reason(engine, str(failure))
    else:
        error = f"Similar utterances need semantic search, which is unavailable here: {reason}"
    groups = [(group[0], group) for group in _groups(hits)]
    return (
        render_template(
            "similar.html",
            **context,
            error=error,
            hits=hits,
            groups=groups,
            context_url=lambda hit: url_for("pages.transcript", transcript_id=hit.transcript_id, _anchor=f"u{hit.seq}"),
            speaker_url=lambda hit: url_for("pages.search", speaker=hit.speaker),
            similar_url=lambda hit: url_for("pages.similar", utterance_id=hit.id),
            badges=False,
            show_scores=True,
        ),
        400 if error else 200,
    )


@bp.get("/help")
def help_page() -> Any:
    """How to write queries, use filters and the API."""
    return render_template("help.html", q="", semantic_limit=hybrid.SEMANTIC_LIMIT)


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    """A single-valued parameter that must be one of `allowed` (the first is the default)."""
    value = request.args.get(name, allowed[0])
    if value not in allowed:
        shown = ", ".join(v for v in allowed if v)
        raise BadQuery(f"unknown {name} {value!r}: use one of {shown}")
    return value


def _search_url(params: Params) -> str:
    return url_for("pages.search") + (query_string(params) if params else "")


def semantic_reason(engine: Engine) -> str | None:
    """Why semantic and hybrid modes cannot run here, fit for the page (no server paths); None if they can."""
    preparing = progress_note()
    if preparing is not None:  # vectors half-written in the background: not a full meaning search yet
        return preparing
    reason = hybrid.unavailable_reason(engine.semantic_index())
    return None if reason is None else _public_reason(engine, reason)


def _public_reason(engine: Engine, reason: str) -> str:
    """A SemanticUnavailable message for the page: no server paths, no "mode '…' is unavailable" prefix."""
    # hybrid prefixes its reason with the mode asked for; the page offers both modes at once.
    return public_message(re.sub(r"^mode '\w+' is unavailable: ", "", reason), _paths(engine))


def _paths(engine: Engine) -> tuple[Path, ...]:
    """The server's folders that messages must not show."""
    return (engine.index_dir, engine.index_dir.resolve())


def _find_utterance(engine: Engine, transcript_id: str, seq: str) -> tuple[Transcript, Utterance] | None:
    """The transcript and utterance of an utterance id's parts, None if there is none."""
    if not seq.isdigit():
        return None
    try:
        document = engine.get_transcript(transcript_id)
    except NotFound:
        return None
    found = next((u for u in document.utterances if u.seq == int(seq)), None)
    return None if found is None else (document, found)


def _preview(text: str) -> str:
    """The start of a long text, cut at a word boundary."""
    if len(text) <= SOURCE_PREVIEW_CHARS:
        return text
    cut = text.rfind(" ", 0, SOURCE_PREVIEW_CHARS)
    return text[: cut if cut > 0 else SOURCE_PREVIEW_CHARS].rstrip() + "…"


def _groups(hits: Any) -> list[list[Hit]]:
    """Consecutive hits of the same transcript, together (one heading each)."""
    return [list(group) for _, group in itertools.groupby(hits, key=lambda h: h.transcript_id)]


@dataclass(frozen=True)
class _PageState:
    """What the search page derives from its URL, whatever the engine says."""

    params: Params
    q: str
    semantic_reason: str | None = None
    semantic_limit: int = hybrid.SEMANTIC_LIMIT

    @classmethod
    def of(
        cls, params: Params, semantic_reason: str | None = None, semantic_limit: int = hybrid.SEMANTIC_LIMIT
    ) -> "_PageState":
        q = next((v.strip() for n, v in reversed(params) if n == "q"), "")
        return cls(params=params, q=q, semantic_reason=semantic_reason, semantic_limit=semantic_limit)

    def url(self, params: Params) -> str:
        return _search_url(params)

    def values(self, name: str) -> list[str]:
        return [v for n, v in self.params if n == name]

    def chips(self) -> list[Link]:
        """Active filters, each a link that removes it."""
        return [
            Link(f"{facet_label(name)}: {value}", self.url(toggle(self.params, name, value)))
            for name, value in self.params
            if is_filter(name)
        ]

    def hidden_fields(self) -> list[tuple[str, str]]:
        """State the search box form carries along (not q, page, or the dates it shows itself)."""
        return [(n, v) for n, v in self.params if n not in ("q", "page", "from", "to")]

    def base_context(self) -> dict[str, Any]:
        """Template variables every state of the search page has, even a failed search."""
        chips = self.chips()
        view = (self.values("view") or ["results"])[-1]
        return {
            "q": self.q,
            "params": self.params,
            "mode": mode_of(self.params),
            "mode_links": mode_links(self.params, self.url, self.semantic_reason),
            "semantic_reason": self.semantic_reason,
            "chips": chips,
            "clear_filters": self.url(without(self.params, *{n for n, _ in self.params if is_filter(n)})) if chips else None,
            "hidden_fields": self.hidden_fields(),
            "date_from": date_input((self.values("from") or [""])[-1]),
            "date_to": date_input((self.values("to") or [""])[-1], end=True),
            "view": view,
            "view_links": [
                Link("Results", self.url(replace(self.params, view=None, kwic_sort=None)), view != "kwic"),
                Link("KWIC", self.url(replace(self.params, view="kwic")), view == "kwic"),
            ],
            "feed_url": url_for("feeds.feed") + query_string(feed_params(self.params)),
            "kwic_csv_url": url_for("exports.kwic_csv") + query_string(without(self.params, "view")),
            "semantic_url": None if self.semantic_reason else self.url(replace(self.params, mode="semantic")),
            "quote_url": url_for("pages.quote_page", q=self.q or None),
            "csv_url": url_for("api.search") + query_string(replace(without(self.params, "view", "kwic_sort"), format="csv")),
        }

    def context(self, response: SearchResponse) -> dict[str, Any]:
        """Template variables for a successful search."""
        request_ = response.request
        return {
            **self.base_context(),
            "response": response,
            "facets": [self.facet_view(facet) for facet in response.facets],
            "histogram": histogram(_facet(response, "year"), self.values("year")),
            "year_links": {
                str(v.value): self.url(toggle(self.params, "year", v.value)) for v in _facet(response, "year")
            },
            "groups": [(hits[0], hits) for hits in _groups(response.hits)],
            "context_url": self.context_url,
            "similar_url": self.similar_url,
            "badges": response.request.mode != KEYWORD,
            "show_scores": response.request.mode != KEYWORD,
            "matched_by_labels": MATCHED_BY_LABELS,
            "matched_by_hints": MATCHED_BY_HINTS,
            "semantic_limit": self.semantic_limit,
            "speaker_url": lambda hit: self.url(toggle(self.params, "speaker", hit.speaker))
            if hit.speaker not in self.values("speaker")
            else None,
            "suggestion_url": self.url(replace(self.params, q=response.suggestion)) if response.suggestion else None,
            "sort_links": self.sort_links(request_),
            "pager": self.pager(request_.page, response.pages),
            "first_page_url": self.url(replace(self.params, page=None)),
            "browsing": not request_.q,
            "only_stop_words": only_stop_words(request_.q),
        }

    def sort_links(self, request_: SearchRequest) -> list[Link]:
        """Sort choices; without a query there is nothing to rank, so "newest" is the default."""
        if not request_.q:
            newest = request_.sort in ("relevance", "-date")
            return [
                Link(SORT_LABELS["-date"], self.url(replace(self.params, sort=None)), newest),
                Link(SORT_LABELS["date"], self.url(replace(self.params, sort="date")), not newest),
            ]
        return [
            Link(label, self.url(replace(self.params, sort=None if key == "relevance" else key)), key == request_.sort)
            for key, label in SORT_LABELS.items()
        ]

    def similar_url(self, hit: Hit) -> str | None:
        """The "similar" page of a hit, when semantic search can run here."""
        return None if self.semantic_reason else url_for("pages.similar", utterance_id=hit.id)

    def context_url(self, hit: Hit) -> str:
        """The hit's utterance in its transcript, query words highlighted; the whole search rides along."""
        path = url_for("pages.transcript", transcript_id=hit.transcript_id)
        return path + query_string(context_params(self.params, hit.seq, hit.passage)) + f"#u{hit.seq}"

    def facet_view(self, facet: FacetResult) -> FacetView:
        """Sidebar entries of a facet: selected values always shown, links toggle them."""
        selected = self.values(facet.name)
        values = list(facet.values)
        listed = {v.value for v in values}
        values += [FacetValue(value, 0, True) for value in selected if value not in listed]
        if facet.name == "year":
            values.sort(key=lambda v: v.value, reverse=True)
        links = [
            Link(v.value, self.url(toggle(self.params, facet.name, v.value)), v.value in selected, v.count)
            for v in values
        ]
        shown = [link for i, link in enumerate(links) if i < FACET_VISIBLE or link.current]
        more = [link for i, link in enumerate(links) if not (i < FACET_VISIBLE or link.current)]
        return FacetView(facet.name, facet_label(facet.name), tuple(shown), tuple(more), facet.error)

    def pager(self, page: int, pages: int, *, open_ended: bool = False) -> list[Link]:
        """Previous, first, a window around the current page, last, next ('…' where pages are skipped).

        `open_ended`: `pages` is only known to be at least that (KWIC in hit order), so
        the last number shown is not called the last page.
        """
        if pages <= 1 and page <= 1:
            return []
        wanted = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
        links: list[Link] = []
        if page > 1:
            links.append(Link("‹ Previous", self.url(replace(self.params, page=str(min(page - 1, pages))))))
        previous = 0
        for number in wanted:
            if number - previous > 1:
                links.append(Link("…", ""))
            links.append(Link(str(number), self.url(replace(self.params, page=str(number))), number == page))
            previous = number
        if open_ended:
            links.append(Link("…", ""))
        if page < pages:
            links.append(Link("Next ›", self.url(replace(self.params, page=str(page + 1)))))
        return links


def _facet(response: SearchResponse, name: str) -> tuple[FacetValue, ...]:
    return next((f.values for f in response.facets if f.name == name), ())


def _render_kwic(engine: Engine, page: _PageState, search_request: SearchRequest, kwic_sort: str) -> Any:
    """The concordance: facets and counts as for results, then one line per match.

    In hit order only the hits up to the page shown are read, so any page costs about
    the same whatever the number of hits; sorting by a context word needs every match
    (up to a cap). Either way only the page's lines get their context strings.
    """
    # One match serves the counts, the facets and every line.
    summary, texts = engine.concordance(dataclasses.replace(search_request, page=1, per_page=1))
    number = search_request.page
    first = (number - 1) * KWIC_PER_PAGE
    # Hit order: one line past the page tells whether there is a next page.
    wanted = KWIC_MAX_LINES if kwic_sort else min(KWIC_MAX_LINES, first + KWIC_PER_PAGE + 1)
    matches: list[kwic.KwicMatch] = []
    more = False
    with contextlib.closing(texts):
        if search_request.q:
            hits = itertools.islice(texts, KWIC_MAX_HITS)
            matches, more = kwic.kwic_matches(hits, engine.span_finder(search_request.q), max_lines=wanted)
            matches = kwic.sort_lines(matches, kwic_sort)
    context = page.context(summary)
    counted = not more or wanted == KWIC_MAX_LINES  # every line (up to the caps) was found
    if more and wanted == KWIC_MAX_LINES:
        cut = f"only the first {KWIC_MAX_LINES:,} lines are lined up"
    elif not more and summary.total > KWIC_MAX_HITS:
        cut = f"only the lines of the first {KWIC_MAX_HITS:,} hits are lined up"
    else:
        cut = None
    pages = max(1, -(-len(matches) // KWIC_PER_PAGE)) if counted else number + 1
    shown = matches[first : first + KWIC_PER_PAGE]
    return render_template(
        "search.html",
        **{**context, "pager": page.pager(number, pages, open_ended=not counted)},
        kwic_lines=[match.line() for match in shown],
        kwic_total=len(matches) if counted else None,
        kwic_first=first + 1,
        kwic_cut=cut,
        kwic_sort_links=[
            Link(label, page.url(replace(page.params, kwic_sort=key or None)), key == kwic_sort)
            for key, label in KWIC_SORT_LABELS.items()
        ],
    )


def _render_error(page: _PageState, error: BadQuery | SemanticUnavailable) -> Any:
    """The search page with the message (and where in the query it went wrong), status 400."""
    position = getattr(error, "position", None)
    message = getattr(error, "message", str(error))
    query_parts = None
    if position is not None and 0 <= position <= len(page.q):
        query_parts = (page.q[:position], page.q[position:])
    keyword_url = None
    if isinstance(error, SemanticUnavailable):
        message = f"{mode_of(page.params).capitalize()} search is unavailable here: {message}"
        keyword_url = page.url(replace(page.params, mode=None))
    return (
        render_template(
            "search.html",
            **page.base_context(),
            error=message,
            query_parts=query_parts,
            keyword_url=keyword_url,
            response=None,
        ),
        400,
    )
