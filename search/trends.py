"""A term's use over time, per 10,000 words spoken, overall or per speaker (Capitol Words' chart).

Counts are occurrences of the query (the spans the KWIC view marks) in the utterances it
matches, against the words of every utterance the same filters admit in that year, so a
year with many long speeches does not look like a year of interest. Word counts come
from the stored texts of the admitted utterances; they are cached per index generation
and filters, so a page of three series reads the corpus once.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from search.types import Hit, SearchRequest

PER_WORDS = 10_000
MAX_SERIES = 3
_WORD = re.compile(r"\w+(?:['’]\w+)*")
_CACHE_SIZE = 32

Span = tuple[int, int]


class TextSource(Protocol):
    """What the counts need of the engine."""

    def iter_texts(self, request: SearchRequest) -> Iterator[tuple[Hit, str]]: ...

    def span_finder(self, q: str) -> Callable[[str], list[Span]]: ...


def word_count(text: str) -> int:
    """Words in a text as a reader counts them (`don't` is one word, punctuation none)."""
    return sum(1 for _ in _WORD.finditer(text))


@dataclass(frozen=True)
class YearUse:
    """One year of a series: occurrences of the query, utterances with it, words spoken."""

    year: int
    matches: int
    hits: int
    words: int

    @property
    def per_10k_words(self) -> float:
        """Occurrences per 10,000 words of the year (0 when nothing was said)."""
        return round(PER_WORDS * self.matches / self.words, 2) if self.words else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON form for /api/trend."""
        return {
            "year": self.year,
            "matches": self.matches,
            "hits": self.hits,
            "words": self.words,
            "per_10k_words": self.per_10k_words,
        }


@dataclass(frozen=True)
class Series:
    """One line of the chart: a query, optionally one speaker's turns only."""

    label: str
    q: str
    speaker: str | None
    years: tuple[YearUse, ...]

    @property
    def total(self) -> int:
        """Occurrences over all years."""
        return sum(year.matches for year in self.years)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for /api/trend."""
        return {
            "label": self.label,
            "q": self.q,
            "speaker": self.speaker,
            "total": self.total,
            "years": [year.to_dict() for year in self.years],
        }


class WordCounts:
    """Words per (year, speaker) of the utterances a set of filters admits, cached by a version key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[Hashable, dict[tuple[int, str], int]] = {}

    def get(self, engine: TextSource, request: SearchRequest, version: Hashable) -> dict[tuple[int, str], int]:
        """{(year, speaker): words} for the request's filters, without its query."""
        base = dataclasses.replace(request, q="", mode="keyword", page=1, sort="relevance")
        key = (version, _filter_key(base))
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        counts: Counter[tuple[int, str]] = Counter()
        for hit, text in engine.iter_texts(base):
            counts[(hit.date.year, hit.speaker or "")] += word_count(text)
        result = dict(counts)
        with self._lock:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = result
        return result


def _filter_key(request: SearchRequest) -> Hashable:
    return (
        tuple(sorted((name, tuple(values)) for name, values in request.filters.items())),
        request.date_from,
        request.date_to,
    )


def series(
    engine: TextSource,
    request: SearchRequest,
    words: dict[tuple[int, str], int],
    *,
    speaker: str | None = None,
    label: str | None = None,
) -> Series:
    """The use of `request.q` per year (one speaker's turns only, if given)."""
    if speaker is not None:
        filters = {**request.filters, "speaker": (speaker,)}
        request = dataclasses.replace(request, filters=filters)
    find = engine.span_finder(request.q)
    matches: Counter[int] = Counter()
    hits: Counter[int] = Counter()
    for hit, text in engine.iter_texts(dataclasses.replace(request, mode="keyword")):
        found = len(find(text))
        hits[hit.date.year] += 1
        matches[hit.date.year] += max(found, 1)  # a hit the spans miss (e.g. a field query) counts once
    spoken: Counter[int] = Counter()
    for (year, who), count in words.items():
        if speaker is None or who == speaker:
            spoken[year] += count
    years = sorted(set(spoken) | set(matches))
    return Series(
        label=label or (f"{request.q} ({speaker})" if speaker else request.q),
        q=request.q,
        speaker=speaker,
        years=tuple(YearUse(y, matches.get(y, 0), hits.get(y, 0), spoken.get(y, 0)) for y in years),
    )


def compare(
    engine: TextSource,
    request: SearchRequest,
    words: dict[tuple[int, str], int],
    *,
    terms: Sequence[str] = (),
    speakers: Sequence[str] = (),
) -> list[Series]:
    """Up to three series: several terms (same filters), or one term said by several speakers."""
    if len(terms) > 1:
        return [series(engine, dataclasses.replace(request, q=term), words) for term in terms[:MAX_SERIES]]
    if speakers:
        base = dataclasses.replace(request, filters={k: v for k, v in request.filters.items() if k != "speaker"})
        return [series(engine, base, words, speaker=name, label=name) for name in speakers[:MAX_SERIES]]
    return [series(engine, request, words)]


def distinct(values: Iterable[str]) -> list[str]:
    """Non-empty values, stripped, first occurrence kept."""
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
