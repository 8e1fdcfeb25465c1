"""The quote finder on the real corpus: our own press-style quotes (tests/data/quotes.jsonl).

Each line is a quote as the press might print it, its kind (ellipsis, edited, fragment,
retranslation, fabricated) and the utterance it comes from (none for fabricated ones).
Prints top-1 accuracy per kind and latency; asserts ≥ 0.9 for ellipsis/edited/fragment and
that no fabricated quote gets a verbatim or altered source. Runs only with VERBATIM_CORPUS.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from whoosh.searching import Searcher

from index.reindex import reindex
from index.reader import open_index
from search.quote import ALTERED, VERBATIM, Similarity, embedder_similarity, find_quote
from search.semantic import MiniLMEmbedder, semantic_available

pytestmark = [pytest.mark.corpus, pytest.mark.slow]  # indexes the whole corpus (≈ 40 s)
log = logging.getLogger(__name__)

QUOTES = Path(__file__).parent / "data" / "quotes.jsonl"
REQUIRED = {"ellipsis": 0.9, "edited": 0.9, "fragment": 0.9}


def load_quotes() -> list[dict]:
    return [json.loads(line) for line in QUOTES.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def corpus_searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searcher]:
    """A searcher on the real corpus, indexed once for this module by the reindex path."""
    value = os.environ.get("VERBATIM_CORPUS")
    if not value or not Path(value).is_dir():
        pytest.skip("set VERBATIM_CORPUS to the kremlin corpus folder to run this test")
    path = tmp_path_factory.mktemp("quotes") / "index"
    reindex(path, [Path(value)], full=True, processes=1)
    with open_index(path).searcher() as searcher:
        yield searcher


@pytest.fixture(scope="module")
def similarity() -> Similarity | None:
    """The real embedding model when the [semantic] extra is installed (paraphrases), else words only."""
    if not semantic_available():
        return None
    similarity = embedder_similarity(MiniLMEmbedder())
    similarity("warm up", ["the model loads once"])  # not part of any quote's latency
    return similarity


def test_the_evaluation_is_big_enough_and_names_real_utterances(corpus_searcher: Searcher):
    quotes = load_quotes()
    kinds = defaultdict(int)
    for item in quotes:
        kinds[item["kind"]] += 1
        if item["kind"] != "fabricated":
            found = corpus_searcher.document(id=f"{item['transcript_id']}:{item['seq']}")
            assert found is not None, item
    assert sum(n for kind, n in kinds.items() if kind != "fabricated") >= 40
    assert kinds["fabricated"] >= 8


def test_quote_finder_accuracy_per_kind(
    corpus_searcher: Searcher, similarity: Similarity | None, capsys: pytest.CaptureFixture[str]
):
    hits: dict[str, list[bool]] = defaultdict(list)
    misses: list[str] = []
    wrong_sources: list[str] = []
    latencies: list[float] = []
    by_words: list[float] = []  # quotes the words alone answered (verbatim or altered): no model call
    for item in load_quotes():
        started = time.perf_counter()
        result = find_quote(corpus_searcher, item["quote"], similarity=similarity)
        latencies.append(time.perf_counter() - started)
        if result.matches and result.matches[0].verdict in (VERBATIM, ALTERED):
            by_words.append(latencies[-1])
        if item["kind"] == "fabricated":
            strong = [m for m in result.matches if m.verdict in (VERBATIM, ALTERED)]
            verdicts = ", ".join(f"{m.verdict} {m.score:.2f}" for m in result.matches[:3]) or "no match"
            misses.append(f"fabricated: {item['quote'][:60]!r} → {verdicts}")
            if strong:
                wrong_sources.append(f"{item['quote']!r} → {strong[0].transcript_id}:{strong[0].seq} {strong[0].verdict}")
            continue
        top = result.matches[0] if result.matches else None
        ok = top is not None and (top.transcript_id, top.seq) == (item["transcript_id"], item["seq"])
        hits[item["kind"]].append(ok)
        if not ok:
            got = "nothing" if top is None else f"{top.transcript_id}:{top.seq} {top.verdict} {top.score:.2f}"
            misses.append(f"{item['kind']}: {item['quote'][:60]!r} → {got}")
    p50, p95 = np.percentile(np.array(latencies) * 1000, [50, 95])
    w50, w95 = np.percentile(np.array(by_words) * 1000, [50, 95])
    with capsys.disabled():
        print(f"\nquote finder ({'words and all-MiniLM-L6-v2' if similarity else 'words only'}):", end="")
        for kind, found in sorted(hits.items()):
            print(f"\nquote finder top-1 {kind}: {sum(found)}/{len(found)} = {sum(found) / len(found):.2f}", end="")
        print(f"\nquote finder latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(latencies)} quotes; "
              f"p50 {w50:.1f} ms, p95 {w95:.1f} ms over the {len(by_words)} answered by words alone")
        for line in misses:
            print("  ", line)
    assert not wrong_sources, wrong_sources
    for kind, required in REQUIRED.items():
        assert sum(hits[kind]) / len(hits[kind]) >= required, (kind, misses)
