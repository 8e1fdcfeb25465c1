"""Request and response types of the search API (DESIGN §5), shared by CLI, web and tests."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from index.dates import DAY, format_partial, last_day, parse_partial_date
from index.schema import FACETS
from search.errors import BadQuery

SORTS = ("relevance", "date", "-date")
MODES = ("keyword", "semantic", "hybrid")
MAX_PER_PAGE = 200
MAX_PAGE = 10_000
MAX_QUERY_CHARS = 2_000
DEFAULT_FACET_LIMIT = 50
FACET_NAMES = tuple(facet.name for facet in FACETS)
# Parameters that are not metadata facets (DESIGN §6: any other `NAME=VALUE` filters a corpus's facet).
NOT_FACETS = frozenset(
    ("q", "from", "to", "sort", "page", "per_page", "mode", "facet_limit", "format", "filter", "view",
     "kwic_sort", "limit", "by", "speakers", "semantic", "hl", "id", "date", "title", "text", "kind", "meta")
)
_FACET_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class SearchRequest:
    """Everything a search needs; build it with `from_params` to get validation."""

    q: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    mode: str = "keyword"
    facet_limit: int = DEFAULT_FACET_LIMIT
    # Facets named with `filter=NAME=VALUE`: the engine says so when the index has no such facet.
    named: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, Sequence[str] | str]) -> "SearchRequest":
        """Validate raw parameters (API query string or CLI options); raises BadQuery."""

        def values(name: str) -> tuple[str, ...]:
            raw = params.get(name, ())
            items = (raw,) if isinstance(raw, str) else tuple(raw)
            return tuple(dict.fromkeys(v.strip() for v in items if v and v.strip()))

        def single(name: str, default: str = "") -> str:
            found = values(name)
            return found[-1] if found else default

        q = single_raw(params, "q")
        if len(q) > MAX_QUERY_CHARS:
            raise BadQuery(f"query too long: {len(q)} characters (at most {MAX_QUERY_CHARS})")
        filters = {name: values(name) for name in FACET_NAMES if values(name)}
        named = _named_filters(values("filter"), filters)
        for name in params:  # a metadata facet in the API's `NAME=VALUE` form
            if name not in filters and name not in NOT_FACETS and _FACET_NAME.fullmatch(name) and values(name):
                filters[name] = values(name)
        for year in filters.get("year", ()):
            if not (year.isdigit() and len(year) == 4):
                raise BadQuery(f"year must be four digits like 2013, got {year!r}")
        sort = single("sort", "relevance")
        if sort not in SORTS:
            raise BadQuery(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
        mode = single("mode", "keyword")
        if mode not in MODES:
            raise BadQuery(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
        date_from, date_to = _date(single("from"), "from"), _date(single("to"), "to", end=True)
        if date_from and date_to and date_from > date_to:
            raise BadQuery(
                f"the date range is reversed: from {date_from.isoformat()} is after to {date_to.isoformat()};"
                " swap the two dates"
            )
        return cls(
            q=q,
            filters=filters,
            date_from=date_from,
            date_to=date_to,
            sort=sort,
            page=_int(single("page", "1"), "page", 1, MAX_PAGE),
            per_page=_int(single("per_page", "20"), "per_page", 1, MAX_PER_PAGE),
            mode=mode,
            facet_limit=_int(single("facet_limit", str(DEFAULT_FACET_LIMIT)), "facet_limit", 0, 10_000),
            named=named,
        )


def _named_filters(items: tuple[str, ...], filters: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Add `NAME=VALUE` filters (CLI --filter, API filter=) to `filters`; the names given."""
    named: list[str] = []
    for item in items:
        name, equals, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name or not value:
            raise BadQuery(f"a filter is NAME=VALUE, e.g. country=NOR; got {item!r}")
        if not _FACET_NAME.fullmatch(name) or name in NOT_FACETS:
            raise BadQuery(f"{name!r} is not a facet name (lower-case letters, digits and _)")
        filters[name] = tuple(dict.fromkeys((*filters.get(name, ()), value)))
        named.append(name)
    return tuple(dict.fromkeys(named))


def single_raw(params: Mapping[str, Sequence[str] | str], name: str) -> str:
    """The last value of a parameter, unstripped inside but trimmed at the ends."""
    raw = params.get(name, "")
    if not isinstance(raw, str):
        raw = raw[-1] if raw else ""
    return raw.strip()


def _date(text: str, name: str, *, end: bool = False) -> dt.date | None:
    """A range bound: a day, or `1980` / `1980-10` (as partial dates are written in a corpus)
    standing for their first day, or their last as the upper bound (`to=2019` is 2019-12-31)."""
    if not text:
        return None
    try:
        first, precision = parse_partial_date(text)
    except ValueError:
        raise BadQuery(f"{name} must be a date like 2013-05-07 or a year like 2013, got {text!r}") from None
    return last_day(first, precision) if end else first


def _int(text: str, name: str, low: int, high: int) -> int:
    try:
        number = int(text)
    except ValueError:
        raise BadQuery(f"{name} must be a whole number, got {text!r}") from None
    if not low <= number <= high:
        raise BadQuery(f"{name} must be between {low} and {high}, got {number}")
    return number


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with its count; `selected` if it is an active filter."""

    value: str
    count: int
    selected: bool = False


@dataclass(frozen=True)
class FacetResult:
    """The counted values of one facet, by descending count."""

    name: str
    values: tuple[FacetValue, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Hit:
    """One matching utterance as the result list shows it."""

    id: str
    transcript_id: str
    seq: int
    speaker: str | None  # None: an anonymous turn (its label says whose: "Question")
    role: str
    kind: str
    date: dt.date
    title: str
    place: str
    score: float
    snippet: str
    # Why it is a hit: "keyword", "semantic" or "both" (semantic and hybrid modes).
    matched_by: str = "keyword"
    # A partial date (`2011`, `2011-09`) is shown as written; `date` is its first day.
    date_precision: str = DAY
    # An own corpus's metadata of the hit's transcript (DESIGN §6).
    meta: Mapping[str, str] = field(default_factory=dict, hash=False)
    label: str = ""  # the speaker label as written ("" for narration and address)
    # The original page's address (None when unknown).
    url: str | None = None
    # A semantic hit's best passage: its character span in the utterance's text.
    passage: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The hit as in DESIGN §5."""
        return {
            "id": self.id,
            "transcript_id": self.transcript_id,
            "seq": self.seq,
            "speaker": self.speaker,
            "label": self.label,
            "role": self.role,
            "kind": self.kind,
            "date": format_partial(self.date, self.date_precision),
            "title": self.title,
            "place": self.place,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "matched_by": self.matched_by,
            "url": self.url,
            "meta": dict(self.meta),
        }


@dataclass(frozen=True)
class SearchResponse:
    """The answer to a SearchRequest; `to_dict` is exactly the JSON of DESIGN §5."""

    request: SearchRequest
    total: int
    hits: tuple[Hit, ...]
    facets: tuple[FacetResult, ...]
    suggestion: str | None = None
    elapsed_ms: float = 0.0
    transcripts: int = 0

    @property
    def pages(self) -> int:
        """Number of result pages."""
        return max(1, -(-self.total // self.request.per_page))

    def to_dict(self) -> dict[str, Any]:
        """The API JSON."""
        return {
            "query": self.request.q,
            "mode": self.request.mode,
            "total": self.total,
            "page": self.request.page,
            "per_page": self.request.per_page,
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": {
                facet.name: [{"value": v.value, "count": v.count} for v in facet.values]
                for facet in self.facets
            },
            "suggestion": self.suggestion,
            "transcripts": self.transcripts,
        }
