"""search.scoring: one-word queries scored a block at a time give exactly Whoosh's matches and scores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from helpers import make_transcript
from index.models import Transcript
from index.schema import utterance_document
from index.reader import open_index
from index.reindex import index_transcripts
from search.pipeline import match_documents
from search.query import make_parser, parse_query
from search.scoring import FieldLengths, tree_scores

WORDS = ("sanctions", "growth", "talk", "moscow", "cooperation", "missing", "speaker:putin", "title:talks")
# Queries whose matcher tree is terms joined by and / or / not: scored by search.scoring.
TREES = (
    "talks sanctions", "talks OR growth", "sanctions OR growth OR moscow OR inflation", "talks NOT growth",
    "(sanctions OR growth) AND moscow", "talks ANDMAYBE growth", "talk*", "growth missing", "missing OR growth",
    "speaker:putin sanctions", "geneva OR inflation OR cooperation",
    '"talks in Moscow"', '"talks talks"', '"sanctions talks"~3', '"talks sanctions"~2', '"sanctions sanctions"~4',
    '"moscow talks"', 'speaker:"Vladimir Putin" sanctions', '"talks moscow" OR growth', '"filler3 filler10"',
)  # fmt: skip
# Boosts and proximity of more than two words: Whoosh's own path.
OTHERS = ("talks^2 growth", '"talks sanctions moscow"~3', '"talks in Moscow"^2')


def _crowd(transcript_id: str, count: int, day: int) -> Transcript:
    """Many utterances of different lengths and term frequencies: posting lists span several blocks."""
    turns = []
    for n in range(count):
        words = ["talks"] * (1 + n % 4) + ["sanctions"] * (n % 3) + ["growth"] * (n % 5 == 0)
        filler = " ".join(f"filler{(n * 7 + k) % 50}" for k in range(n % 17))
        turns.append(("Vladimir Putin", "President of Russia", f"{' '.join(words)} in Moscow {filler}."))
    return make_transcript(transcript_id, "Talks", dt.date(2015, 1, day), turns, place="Moscow")


def _both(index_dir: Path, text: str) -> tuple[tuple[np.ndarray, np.ndarray | None], ...]:
    """(vectorised, Whoosh's own) matches and scores of one query."""
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        q = parse_query(text, make_parser(searcher.schema))
        assert q is not None
        size = searcher.reader().doc_count_all()
        return tuple(
            match_documents(searcher, q, size, scored=scored, lengths=lengths)
            for scored in (True, False)
            for lengths in (FieldLengths(), None)
        )


def _assert_same(index_dir: Path, text: str) -> None:
    fast, slow, fast_ids, slow_ids = _both(index_dir, text)
    assert np.array_equal(fast[0], slow[0])
    assert fast[1] is not None and slow[1] is not None
    assert np.array_equal(fast[1], slow[1])  # the same floats, not merely close ones
    assert np.array_equal(fast_ids[0], slow[0]) and np.array_equal(slow_ids[0], slow[0])


@pytest.fixture
def crowded_index(tmp_path: Path, transcripts: list[Transcript]) -> Path:
    path = tmp_path / "index"
    index_transcripts(path, [*transcripts, _crowd("t-crowd", 400, 5)])
    return path


@pytest.mark.parametrize("word", WORDS)
def test_one_word_scores_are_whooshs(crowded_index: Path, word: str) -> None:
    _assert_same(crowded_index, word)


def _shortcut(index_dir: Path, text: str) -> tuple[np.ndarray, np.ndarray] | None:
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        q = parse_query(text, make_parser(searcher.schema))
        assert q is not None
        ((leaf, _),) = searcher.leaf_searchers()
        return tree_scores(q.matcher(leaf, searcher.context(needs_current=True)), leaf, FieldLengths())


def test_the_shortcut_reads_a_long_posting_list_whole(crowded_index: Path) -> None:
    found = _shortcut(crowded_index, "talks")
    with open_index(crowded_index).searcher() as searcher:
        frequency = searcher.doc_frequency("text", "talk")
    assert found is not None
    assert found[0].size == frequency > 128


@pytest.mark.parametrize("text", TREES)
def test_word_trees_are_scored_like_whoosh(crowded_index: Path, text: str) -> None:
    assert _shortcut(crowded_index, text) is not None
    _assert_same(crowded_index, text)


@pytest.mark.parametrize("text", OTHERS)
def test_other_queries_take_whooshs_path(crowded_index: Path, text: str) -> None:
    assert _shortcut(crowded_index, text) is None
    _assert_same(crowded_index, text)


def test_several_segments_and_deletions(tmp_path: Path, transcripts: list[Transcript]) -> None:
    path = tmp_path / "index"
    index_transcripts(path, [_crowd("t-a", 300, 1)])  # the first segment
    # A second segment through Whoosh's writer, unmerged: the shortcut must handle several.
    writer = open_index(path).writer()
    for transcript in [_crowd("t-b", 200, 2), *transcripts]:
        for utterance in transcript.utterances:
            writer.add_document(**utterance_document(transcript, utterance))
    writer.commit(merge=False)
    with open_index(path).searcher() as searcher:
        assert len(searcher.leaf_searchers()) == 2
    for text in (*WORDS, *TREES):
        _assert_same(path, text)
    # Deleted documents: Whoosh's own path (and the same answers).
    with open_index(path).writer() as writer:
        writer.delete_by_term("transcript_id", "t-a")
    for text in (*WORDS, *TREES):
        _assert_same(path, text)
