"""Evaluation of search by meaning: paraphrase queries over the shared corpus, recall@10 per mode.

Each line of `data/paraphrases.jsonl` says in other words what one passage of the corpus
means (`passage`, quoted from the transcript `transcript`), sharing at most one content
word with it. The recall test needs the real corpus ($VERBATIM_CORPUS) and the [semantic]
extra; it indexes and embeds the corpus once per session (a few minutes on 2 cores), or
reuses the index in $VERBATIM_EVAL_INDEX if set (embedding there is incremental).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.analysis import text_analyzer
from index.models import Utterance
from index.parse import iter_transcripts, parse_file
from search.engine import Engine
from search.semantic import INSTALL_COMMAND, semantic_available
from search.types import SearchRequest

PARAPHRASES = Path(__file__).parent / "data" / "paraphrases.jsonl"
MODES = ("keyword", "semantic", "hybrid")
K = 10
MIN_SEMANTIC_RECALL = 0.7


def _paraphrases() -> list[dict[str, str]]:
    with PARAPHRASES.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _content_words(text: str) -> set[str]:
    """Stems of the words that are not stop words, as the index analyses them."""
    return {token.text for token in text_analyzer()(text)}


def _corpus() -> Path:
    value = os.environ.get("VERBATIM_CORPUS")
    if not value or not Path(value).is_dir():
        pytest.skip("set VERBATIM_CORPUS to the kremlin corpus folder to run this test")
    return Path(value)


def test_there_are_enough_distinct_paraphrases() -> None:
    rows = _paraphrases()
    assert len(rows) >= 30
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({row["query"] for row in rows}) == len(rows)


@pytest.mark.parametrize("row", _paraphrases(), ids=lambda row: row["id"])
def test_a_paraphrase_shares_at_most_one_content_word_with_its_passage(row: dict[str, str]) -> None:
    shared = _content_words(row["query"]) & _content_words(row["passage"])
    assert len(shared) <= 1, f"{row['id']} shares {sorted(shared)}"
    assert len(_content_words(row["query"])) >= 4


@pytest.mark.corpus
def test_every_passage_is_in_its_transcript() -> None:
    corpus = _corpus()
    for row in _paraphrases():
        (transcript,) = parse_file(corpus / f"{row['transcript']}.txt")
        assert transcript.id == row["transcript"]
        quoted = " ".join(row["passage"].split())
        assert any(quoted in " ".join(u.text.split()) for u in transcript.utterances), row["id"]


@pytest.fixture(scope="session")
def eval_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus indexed and embedded once per session."""
    if not semantic_available():
        pytest.skip(f"the [semantic] extra is not installed ({INSTALL_COMMAND})")
    corpus = _corpus()
    from index.reindex import reindex
    from search.semantic import PassageEmbedder
    from search.vectors import sync_vectors

    path = Path(os.environ.get("VERBATIM_EVAL_INDEX") or tmp_path_factory.mktemp("eval") / "index")
    reindex(path, [corpus])
    sync_vectors(path, PassageEmbedder())
    return path


@pytest.fixture(scope="session")
def eval_engine(eval_index: Path) -> Iterator[Engine]:
    with Engine(eval_index) as engine:
        yield engine


def _found_at(engine: Engine, row: dict[str, str], mode: str) -> bool:
    response = engine.search(SearchRequest(q=row["query"], mode=mode, per_page=K))
    return row["transcript"] in {hit.transcript_id for hit in response.hits}


@pytest.mark.slow
@pytest.mark.corpus
def test_recall_at_10_per_mode(eval_engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _paraphrases()
    recall: dict[str, float] = {}
    latency: dict[str, float] = {}
    misses: dict[str, list[str]] = {}
    for mode in MODES:
        eval_engine.search(SearchRequest(q="warm up", mode=mode))  # model and vectors load here
        started = time.perf_counter()
        found = [_found_at(eval_engine, row, mode) for row in rows]
        latency[mode] = (time.perf_counter() - started) * 1000 / len(rows)
        recall[mode] = sum(found) / len(rows)
        misses[mode] = [row["id"] for row, ok in zip(rows, found) if not ok]
    with capsys.disabled():
        print(f"\nrecall@{K} over {len(rows)} paraphrase queries:")
        for mode in MODES:
            print(f"  {mode:<8} {recall[mode]:.3f}  ({latency[mode]:.0f} ms/query; missed: {', '.join(misses[mode]) or '-'})")
    assert recall["semantic"] >= MIN_SEMANTIC_RECALL
    assert recall["hybrid"] >= recall["semantic"]  # the keyword side over any word helps, never hurts


KNOWN_ITEMS = 100
KNOWN_TOP = 3


def _known_item_found(engine: Engine, utterance: Utterance, query: str, mode: str) -> bool:
    hits = engine.search(SearchRequest(q=query, mode=mode, per_page=KNOWN_TOP)).hits
    return any(hit.transcript_id == utterance.transcript_id and hit.speaker == utterance.speaker for hit in hits)


@pytest.mark.slow
@pytest.mark.corpus
def test_hybrid_is_as_good_as_keyword_on_known_items_and_as_semantic_on_paraphrases(
    eval_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """Known items: 6-word windows of the corpus (tests/test_search_corpus.py), quoted and bare, found in the top 3."""
    from test_search_corpus import SEED, known_items

    transcripts = list(iter_transcripts([_corpus()]))
    items = known_items(transcripts, KNOWN_ITEMS, SEED)
    found: dict[tuple[str, str], float] = {}
    for form in ("quoted", "bare"):
        for mode in MODES:
            hits = [
                _known_item_found(eval_engine, u, phrase if form == "quoted" else phrase.strip('"'), mode)
                for u, phrase in items
            ]
            found[form, mode] = sum(hits) / len(items)
    rows = _paraphrases()
    for mode in ("semantic", "hybrid"):
        found["paraphrase", mode] = sum(_found_at(eval_engine, row, mode) for row in rows) / len(rows)
    with capsys.disabled():
        print(f"\nknown items in the top {KNOWN_TOP} ({len(items)} phrases) and paraphrases in the top {K}:")
        for form in ("quoted", "bare"):
            print(f"  known {form:<7}" + "".join(f"  {mode} {found[form, mode]:.3f}" for mode in MODES))
        print("  paraphrases   " + "".join(f"  {mode} {found['paraphrase', mode]:.3f}" for mode in ("semantic", "hybrid")))
    assert found["quoted", "hybrid"] >= found["quoted", "keyword"]
    assert found["bare", "hybrid"] >= found["bare", "keyword"]
    assert found["paraphrase", "hybrid"] >= found["paraphrase", "semantic"]


# Queries about nothing the corpus speaks of (scripts/semantic_floor.py measures twelve).
OFF_TOPIC = ("purple elephant trombone waffle", "asdf qwerty zxcv uiop", "xyzzy plugh frobozz", "knitting patterns for a wool scarf")


@pytest.mark.slow
@pytest.mark.corpus
def test_the_similarity_floor_keeps_what_paraphrases_mean_and_drops_nonsense(eval_engine: Engine) -> None:
    rows = _paraphrases()
    kept, totals = [], []
    for row in rows:
        response = eval_engine.search(SearchRequest(q=row["query"], mode="semantic", per_page=200))
        kept.append(row["transcript"] in {hit.transcript_id for hit in response.hits})
        totals.append(response.total)
        years = next(f for f in response.facets if f.name == "year")
        assert sum(v.count for v in years.values) == response.total  # the chart counts what is returned
    assert sum(kept) == len(rows)  # every passage a paraphrase means is above the floor
    assert sorted(totals)[len(totals) // 2] < 100  # and the tail of 200 is gone
    for query in OFF_TOPIC:
        assert eval_engine.search(SearchRequest(q=query, mode="semantic")).total <= 2, query
