"""Hits per year for a query, absolute and per 10,000 utterances of the same year and filters."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from search.engine import Engine
from search.types import SearchRequest, SearchResponse

PER = 10_000


@dataclass(frozen=True)
class YearCount:
    """One year of a trend: hits, the utterances they are counted against, and the rate."""

    year: int
    hits: int
    utterances: int

    @property
    def per_10k(self) -> float:
        """Hits per 10,000 utterances of the year (0 when the year has none)."""
        return round(PER * self.hits / self.utterances, 2) if self.utterances else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON form for /api/trend."""
        return {"year": self.year, "hits": self.hits, "utterances": self.utterances, "per_10k": self.per_10k}


def year_counts(response: SearchResponse) -> dict[int, int]:
    """The year facet of a response as {year: count}."""
    values = next((f.values for f in response.facets if f.name == "year"), ())
    return {int(v.value): v.count for v in values if v.value.isdigit()}


def year_trend(engine: Engine, request: SearchRequest) -> list[YearCount]:
    """Every year the filters admit utterances in, oldest first, with the query's hits in it.

    The base is the utterances that the same filters (speaker, dates, …) admit without the
    query, so `speaker=X` gives the share of X's turns that match, not of all turns.
    """
    counting = dataclasses.replace(request, page=1, per_page=1, facet_limit=0, sort="relevance")
    hits = year_counts(engine.search(counting))
    base = year_counts(engine.search(dataclasses.replace(counting, q="")))
    years = sorted(set(base) | set(hits))
    return [YearCount(year, hits.get(year, 0), base.get(year, 0)) for year in years]
