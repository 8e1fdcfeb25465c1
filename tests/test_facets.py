"""Facet counts (DESIGN §5): each facet counted with the other facets' filters applied.

Checked two ways on a generated index: against the totals of the corresponding
filtered searches, and against a plain-Python count over the transcripts themselves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import KERRY, LAVROV, PUTIN, make_transcript
from index.analysis import text_analyzer
from index.models import Transcript, Utterance
from index.reindex import index_transcripts
from search.engine import Engine
from search.types import FacetResult, SearchRequest, SearchResponse

MERKEL = ("Angela Merkel", "Federal Chancellor of Germany")
NARRATOR = ("", "")
SPEAKERS = (PUTIN, KERRY, LAVROV, MERKEL, NARRATOR)
PLACES = ("The Kremlin, Moscow", "Sochi", None)
TOPICS = ("Economy and finance", "Foreign policy", "National security", "Healthcare")
GEOGRAPHY = ("Syria", "China", "United States")
WORDS = (
    "gas oil pipeline pipelines sanctions growth trade security peace talks energy market "
    "investment border treaty summit weapons vaccine hospital budget"
).split()
QUERIES = ("", "gas", "pipelines", "trade", "peace", "vaccine")


def generated_transcripts(seed: int = 20240501, count: int = 16) -> list[Transcript]:
    """Transcripts with random speakers, dates, places and tags, reproducible by seed."""
    rng = random.Random(seed)
    found = []
    for number in range(count):
        turns = [
            (*rng.choice(SPEAKERS), " ".join(rng.choices(WORDS, k=rng.randint(4, 14))))
            for _ in range(rng.randint(1, 6))
        ]
        found.append(
            make_transcript(
                f"g-{number:02d}",
                f"Generated meeting {number}",
                dt.date(2011, 1, 1) + dt.timedelta(days=rng.randint(0, 6 * 365)),
                turns,
                place=rng.choice(PLACES),
                topics=tuple(rng.sample(TOPICS, rng.randint(0, 3))),
                geography=tuple(rng.sample(GEOGRAPHY, rng.randint(0, 2))),
            )
        )
    return found


@pytest.fixture(scope="module")
def corpus() -> list[Transcript]:
    return generated_transcripts()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, corpus: list[Transcript]) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("facets") / "index"
    index_transcripts(path, corpus)
    with Engine(path) as opened:
        yield opened


# --- the oracle: the same question answered by reading the transcripts

ANALYZER = text_analyzer()


def stems(text: str) -> set[str]:
    return {token.text for token in ANALYZER(text)}


def facet_values(transcript: Transcript, utterance: Utterance, name: str) -> tuple[str, ...]:
    """The values an utterance has for a facet, as the schema indexes them."""
    single = {
        "speaker": utterance.speaker,
        "role": utterance.role,
        "year": str(transcript.date.year),
        "place": transcript.place or "",
    }
    if name in single:
        return (single[name],) if single[name] else ()
    return transcript.topics if name == "topic" else transcript.geography


def oracle(corpus: list[Transcript], request: SearchRequest, skip: str | None = None) -> list[tuple[Transcript, Utterance]]:
    """Utterances the request admits (ignoring the facet `skip`), computed without the index."""
    wanted = stems(request.q)
    admitted = []
    for transcript in corpus:
        if request.date_from and transcript.date < request.date_from:
            continue
        if request.date_to and transcript.date > request.date_to:
            continue
        for utterance in transcript.utterances:
            if wanted and not wanted <= stems(utterance.text):
                continue
            if all(
                set(selected) & set(facet_values(transcript, utterance, name))
                for name, selected in request.filters.items()
                if name != skip and selected
            ):
                admitted.append((transcript, utterance))
    return admitted


def oracle_facet(corpus: list[Transcript], request: SearchRequest, name: str) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for transcript, utterance in oracle(corpus, request, skip=name):
        counts.update(facet_values(transcript, utterance, name))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def random_requests(corpus: list[Transcript], seed: int = 7, count: int = 50) -> list[SearchRequest]:
    """Queries with random filters on every facet, some values absent, some date ranges."""
    rng = random.Random(seed)
    universe = {
        # An absent speaker is an error (search.people resolves speaker filters); an absent role is not.
        "speaker": [s for s, _ in SPEAKERS if s],
        "role": [r for _, r in SPEAKERS if r] + ["Nobody"],
        "year": sorted({str(t.date.year) for t in corpus}),
        "place": [p for p in PLACES if p],
        "topic": list(TOPICS),
        "geography": list(GEOGRAPHY),
    }
    requests = []
    for _ in range(count):
        params: dict[str, object] = {"q": rng.choice(QUERIES), "facet_limit": "0"}
        for name, values in universe.items():
            if rng.random() < 0.2:
                params[name] = rng.sample(values, rng.randint(1, 2))
        if rng.random() < 0.3:
            params["from"] = f"{rng.randint(2011, 2014)}-06-01"
        if rng.random() < 0.3:
            params["to"] = f"{rng.randint(2015, 2017)}-03-31"  # after every `from`: a reversed range is a 400
        requests.append(SearchRequest.from_params(params))  # type: ignore[arg-type]
    return requests


def as_pairs(facet: FacetResult) -> list[tuple[str, int]]:
    return [(value.value, value.count) for value in facet.values]


REQUESTS = random_requests(generated_transcripts())


def test_generated_index_is_varied(corpus: list[Transcript], engine: Engine) -> None:
    response = engine.search(SearchRequest(facet_limit=0))
    assert response.total == sum(len(t.utterances) for t in corpus) > 40
    assert all(len(facet.values) >= 2 for facet in response.facets)


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r.q or 'browse'}-{sorted(r.filters)}")
def test_totals_and_facets_match_the_oracle(
    corpus: list[Transcript], engine: Engine, request_: SearchRequest
) -> None:
    response = engine.search(request_)
    assert response.total == len(oracle(corpus, request_))
    assert [facet.name for facet in response.facets] == [
        "speaker", "role", "year", "place", "topic", "geography",
    ]  # fmt: skip
    for facet in response.facets:
        assert facet.error is None
        assert as_pairs(facet) == oracle_facet(corpus, request_, facet.name)


@pytest.mark.parametrize("request_", REQUESTS[:15], ids=lambda r: f"{r.q or 'browse'}-{sorted(r.filters)}")
def test_each_count_is_the_total_of_selecting_that_value(engine: Engine, request_: SearchRequest) -> None:
    response = engine.search(request_)
    for facet in response.facets:
        for value in facet.values:
            filters = {**request_.filters, facet.name: (value.value,)}
            narrowed = engine.search(dataclasses.replace(request_, filters=filters, per_page=1))
            assert narrowed.total == value.count, (facet.name, value.value)
            assert value.selected == (value.value in request_.filters.get(facet.name, ()))


def test_or_within_a_facet_adds_up_for_single_valued_facets(engine: Engine) -> None:
    both = engine.search(SearchRequest(filters={"speaker": ("Vladimir Putin", "John Kerry")}))
    putin = engine.search(SearchRequest(filters={"speaker": ("Vladimir Putin",)}))
    kerry = engine.search(SearchRequest(filters={"speaker": ("John Kerry",)}))
    assert both.total == putin.total + kerry.total > 0


def test_facet_limit_keeps_the_largest_values(engine: Engine) -> None:
    everything = engine.search(SearchRequest(facet_limit=0))
    limited = engine.search(SearchRequest(facet_limit=2))
    for full, short in zip(everything.facets, limited.facets):
        assert short.values == full.values[:2]
        counts = [value.count for value in full.values]
        assert counts == sorted(counts, reverse=True)


def test_facets_of_no_hits_are_empty(engine: Engine) -> None:
    response = engine.search(SearchRequest(q="nonexistentword"))
    assert response.total == 0
    assert all(facet.values == () for facet in response.facets)


def test_facet_json_shape(engine: Engine) -> None:
    response: SearchResponse = engine.search(SearchRequest(q="gas", facet_limit=1))
    facets = response.to_dict()["facets"]
    assert list(facets) == ["speaker", "role", "year", "place", "topic", "geography"]
    for name, values in facets.items():
        assert len(values) <= 1
        assert all(set(v) == {"value", "count"} for v in values)


def test_fixture_index_facets(index_dir: Path) -> None:
    """The shared fixture, counted by hand: speaker filtered to Putin, year counted without it."""
    with Engine(index_dir) as engine:
        response = engine.search(SearchRequest(filters={"speaker": ("Vladimir Putin",), "year": ("2013",)}))
    facets = {facet.name: as_pairs(facet) for facet in response.facets}
    assert response.total == 3
    assert facets == {
        "speaker": [("Vladimir Putin", 3), ("John Kerry", 2), ("Sergei Lavrov", 2)],
        "role": [("President of Russia", 3)],
        "year": [("2013", 3), ("2014", 2)],
        "place": [("The Kremlin, Moscow", 2), ("Novo-Ogaryovo, Moscow Region", 1)],
        "topic": [("Foreign policy", 3), ("National security", 1)],
        "geography": [("United States", 2), ("Syria", 1)],
    }
