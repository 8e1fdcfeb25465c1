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
from search.scoring import FieldLengths, tree_ids, tree_scores

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
    # Deleted documents: the shortcut leaves them out where Whoosh does (the same answers).
    with open_index(path).writer() as writer:
        writer.delete_by_term("transcript_id", "t-a")
    for text in (*WORDS, *TREES):
        _assert_same(path, text)


# --- segments with deletions: the shortcut drops deleted documents where Whoosh does

# NOT at the top (an InverseMatcher skipping deleted documents) and words every deleted crowd matches.
DELETION_TREES = ("NOT growth", "NOT talks", "NOT (growth OR sanctions)", "growth NOT sanctions", "filler3")


def _add_segment(path: Path, transcripts: list[Transcript]) -> None:
    """One more segment through Whoosh's writer, left unmerged."""
    writer = open_index(path).writer()
    for transcript in transcripts:
        for utterance in transcript.utterances:
            writer.add_document(**utterance_document(transcript, utterance))
    writer.commit(merge=False)


def _delete(path: Path, docnums: list[int]) -> None:
    """Mark documents deleted without merging segments (the deletions stay in them)."""
    writer = open_index(path).writer()
    for docnum in docnums:
        writer.delete_document(docnum)
    writer.commit(merge=False)


def _segment_docnums(path: Path) -> list[range]:
    """Each segment's global document numbers, in order."""
    with open_index(path).searcher() as searcher:
        leaves = searcher.leaf_searchers()
        return [range(offset, offset + leaf.reader().doc_count_all()) for leaf, offset in leaves]


def _assert_shortcut_drops_deleted(path: Path, text: str) -> None:
    """The shortcut scores every segment (none left to Whoosh) and returns no deleted document.

    (Unscored, a small segment's OR of three words or more is Whoosh's ArrayUnionMatcher,
    which the shortcut leaves to Whoosh: `tree_ids` may say None.)
    """
    with open_index(path).searcher() as searcher:
        q = parse_query(text, make_parser(searcher.schema))
        assert q is not None
        for leaf, _ in searcher.leaf_searchers():
            reader = leaf.reader()
            found = tree_scores(q.matcher(leaf, searcher.context(needs_current=True)), leaf, FieldLengths())
            ids = tree_ids(q.matcher(leaf, searcher.context(needs_current=False)), leaf)
            assert found is not None
            assert not any(reader.is_deleted(docnum) for docnum in found[0].tolist())
            assert ids is None or np.array_equal(found[0], ids)


@pytest.fixture
def deleted_index(tmp_path: Path, transcripts: list[Transcript]) -> Path:
    """Three segments: one wholly deleted, one missing every third document, one missing every
    document with "growth" (so that word matches nothing alive there, but still counts in BM25)."""
    path = tmp_path / "index"
    index_transcripts(path, [_crowd("t-a", 300, 1)])
    _add_segment(path, [_crowd("t-b", 200, 2), *transcripts])
    _add_segment(path, [_crowd("t-c", 150, 3)])
    first, second, third = _segment_docnums(path)
    with open_index(path).searcher() as searcher:
        growth = set(searcher.docs_for_query(parse_query("growth", make_parser(searcher.schema))))
    _delete(path, [*first, *second[::3], *(n for n in third if n in growth)])
    return path


def test_the_deletions_stay_in_their_segments(deleted_index: Path) -> None:
    segments = open_index(deleted_index)._segments()
    assert len(segments) == 3
    assert [s.deleted_count() for s in segments][0] == segments[0].doc_count_all()
    assert all(0 < s.deleted_count() < s.doc_count_all() for s in segments[1:])


@pytest.mark.parametrize("text", (*WORDS, *TREES, *DELETION_TREES))
def test_deleted_documents_are_left_out_like_whoosh(deleted_index: Path, text: str) -> None:
    _assert_shortcut_drops_deleted(deleted_index, text)
    _assert_same(deleted_index, text)


@pytest.mark.parametrize("text", OTHERS)
def test_other_queries_with_deletions_take_whooshs_path(deleted_index: Path, text: str) -> None:
    _assert_same(deleted_index, text)


def test_deleted_documents_still_count_in_bm25(deleted_index: Path) -> None:
    """Scores as Whoosh's own search gives them: idf and lengths include the deleted documents."""
    ix = open_index(deleted_index)
    with ix.searcher() as searcher:
        q = parse_query("talks OR growth", make_parser(searcher.schema))
        assert q is not None
        results = searcher.search(q, limit=None)
        expected = {hit.docnum: hit.score for hit in results}
        growth = parse_query("growth", make_parser(searcher.schema))
        assert growth is not None
        alive = len(list(searcher.docs_for_query(growth)))
        assert searcher.doc_frequency("text", "growth") > alive  # deleted documents counted
        matched, scores = match_documents(
            searcher, q, searcher.reader().doc_count_all(), scored=True, lengths=FieldLengths()
        )
    assert scores is not None
    assert set(np.flatnonzero(matched).tolist()) == set(expected)
    assert all(scores[docnum] == score for docnum, score in expected.items())


def test_a_new_reader_sees_new_deletions(deleted_index: Path) -> None:
    """A reader opened before more deletions keeps its own; one opened after sees them."""
    ix = open_index(deleted_index)
    with ix.searcher() as before:
        q = parse_query("talks", make_parser(before.schema))
        assert q is not None
        size = before.reader().doc_count_all()
        first = match_documents(before, q, size, scored=True, lengths=FieldLengths())[0]
        alive = np.flatnonzero(first)
        _delete(deleted_index, alive[::2].tolist())
        again = match_documents(before, q, size, scored=True, lengths=FieldLengths())[0]
        assert np.array_equal(first, again)
    with open_index(deleted_index).searcher() as after:
        now = match_documents(after, q, size, scored=True, lengths=FieldLengths())[0]
        ids_only = match_documents(after, q, size)[0]
    assert np.array_equal(np.flatnonzero(now), alive[1::2])
    assert np.array_equal(now, ids_only)
    _assert_same(deleted_index, "talks")
