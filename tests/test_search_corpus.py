"""Search on the real corpus: known-item phrase search, facet counts and snippet safety.

Runs only with VERBATIM_CORPUS set. The index is built once per session from the parser's
output, so these tests also check that what the parser attributes is what search returns.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.analysis import STOP_WORDS, WORD_PATTERN
from index.models import SPEECH, Transcript, Utterance
from index.parse import iter_transcripts
from index.reindex import index_transcripts
from search.engine import Engine
from search.types import SearchRequest

pytestmark = [pytest.mark.corpus, pytest.mark.slow]  # indexes the whole corpus first

WINDOWS = 100
WINDOW_WORDS = 6
# A window of stop words only ("and I would like to") names nothing: it must hold
# at least this many searchable words to be a fair known-item query.
MIN_CONTENT_WORDS = 3
SEED = 1917
_WORD = re.compile(WORD_PATTERN)
_TAG = re.compile(r"<[^>]*>")


@pytest.fixture(scope="session")
def corpus_transcripts() -> list[Transcript]:
    """The parsed corpus, once per session (conftest's `corpus_dir` is per test)."""
    value = os.environ.get("VERBATIM_CORPUS")
    if not value or not Path(value).is_dir():
        pytest.skip("set VERBATIM_CORPUS to the kremlin corpus folder to run this test")
    return list(iter_transcripts([Path(value)]))


@pytest.fixture(scope="session")
def corpus_engine(
    tmp_path_factory: pytest.TempPathFactory, corpus_transcripts: list[Transcript]
) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("corpus") / "index"
    index_transcripts(path, corpus_transcripts)
    with Engine(path) as engine:
        yield engine


def content_words(words: list[str]) -> int:
    return sum(1 for word in words if word.lower() not in STOP_WORDS and len(word) > 1)


def known_items(transcripts: list[Transcript], count: int, seed: int) -> list[tuple[Utterance, str]]:
    """`count` random 6-word windows from labelled turns, as phrase queries, reproducible by seed.

    A window that occurs word for word in more than one transcript ("the Direct Line with
    Vladimir Putin") names no single item, so it is not drawn.
    """
    rng = random.Random(seed)
    word_streams = [
        " " + " ".join(w.lower() for u in t.utterances for w in _WORD.findall(u.text)) + " "
        for t in transcripts
    ]
    turns = [
        u
        for t in transcripts
        for u in t.utterances
        if u.kind == SPEECH and u.speaker and len(_WORD.findall(u.text)) >= WINDOW_WORDS
    ]
    chosen: list[tuple[Utterance, str]] = []
    while len(chosen) < count:
        utterance = rng.choice(turns)
        words = _WORD.findall(utterance.text)
        start = rng.randrange(len(words) - WINDOW_WORDS + 1)
        window = words[start : start + WINDOW_WORDS]
        needle = " " + " ".join(window).lower() + " "
        if (
            content_words(window) >= MIN_CONTENT_WORDS
            and sum(needle in stream for stream in word_streams) == 1
        ):
            chosen.append((utterance, '"' + " ".join(window) + '"'))
    return chosen


def test_known_items_are_found_in_the_top_three(
    corpus_transcripts: list[Transcript], corpus_engine: Engine
) -> None:
    items = known_items(corpus_transcripts, WINDOWS, SEED)
    assert len({u.transcript_id for u, _ in items}) > 30
    misses = []
    for utterance, phrase in items:
        hits = corpus_engine.search(SearchRequest(q=phrase, per_page=3)).hits
        if not any(
            hit.transcript_id == utterance.transcript_id and hit.speaker == utterance.speaker
            for hit in hits
        ):
            misses.append(f"{phrase} → {utterance.id} ({utterance.speaker}); got {[h.id for h in hits]}")
    assert misses == []


@pytest.mark.parametrize(
    "params",
    [
        {"q": "sanctions"},
        {"q": "economic growth", "year": ["2016", "2017", "2018"]},
        {"q": "", "speaker": ["Vladimir Putin"], "topic": ["Foreign policy"]},
        {"q": '"United States" OR China', "from": "2014-01-01"},
    ],
)
def test_facet_counts_are_totals_of_filtered_searches(corpus_engine: Engine, params: dict[str, object]) -> None:
    request = SearchRequest.from_params({**params, "facet_limit": "5"})  # type: ignore[arg-type]
    response = corpus_engine.search(request)
    assert response.total > 0
    for facet in response.facets:
        for value in facet.values:
            narrowed = dataclasses.replace(request, filters={**request.filters, facet.name: (value.value,)})
            assert corpus_engine.search(narrowed).total == value.count, (facet.name, value.value)


@pytest.mark.parametrize("q", ["russia", "terror* OR security", '"united states"~3', "question"])
def test_real_snippets_hold_only_marks(corpus_engine: Engine, q: str) -> None:
    response = corpus_engine.search(SearchRequest(q=q, per_page=50))
    assert response.hits
    for hit in response.hits:
        assert set(_TAG.findall(hit.snippet)) <= {"<mark>", "</mark>"}
        assert "<mark>" in hit.snippet
        assert hit.snippet.count(" … ") <= 2
