"""Matches and BM25 scores of word and phrase queries computed a posting block at a time with numpy.

Scoring every match of a common word through Whoosh's matcher costs three Python calls
per document (id, score, next): 20 ms for 13,000 matches. Here the matcher tree Whoosh
builds for a query is read instead of iterated: its leaves (one term each) give their
document numbers and weights a block at a time, scored with Whoosh's own BM25F formula
(its idf, average length and per-document lengths, operation for operation); its
and / or / not / and-not / and-maybe nodes combine them exactly as their `score()`
methods add; a phrase keeps the documents whose decoded positions line up. The results
are therefore the same documents with the same floats. A tree with anything else in it
(boosts, proximity of more than two words, another scorer) returns None and is iterated by Whoosh.

Deleted documents are dropped where Whoosh drops them: a segment with deletions wraps each
term's postings in a FilterMatcher excluding the reader's deleted set, and NOT (InverseMatcher)
skips the documents its `missing` test (the reader's `is_deleted`) names. Whoosh's BM25
statistics (document frequency, average and per-document lengths) still count deleted
documents, and so do the scores here, since they use the same scorer and length column.

This reads a few private attributes of whoosh3 3.54 (the pinned version): W3LeafMatcher's
block data and the per-document reader's length column; tests/test_scoring.py compares
every shortcut with Whoosh's own answers.
"""

from __future__ import annotations

import logging
import pickle
import weakref
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
from whoosh import formats
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import mcore
from whoosh.matching.binary import AndMaybeMatcher, AndNotMatcher, IntersectionMatcher, UnionMatcher
from whoosh.matching.wrappers import FilterMatcher, InverseMatcher
from whoosh.query.spans import SpanNear2
from whoosh.reading import IndexReader
from whoosh.scoring import BM25FScorer
from whoosh.searching import Searcher
from whoosh.util.numeric import _length_byte_cache

log = logging.getLogger(__name__)

# Field length byte → length, as `byte_to_length` decodes it.
_BYTE_LENGTH = np.asarray(_length_byte_cache, dtype=np.float64)
_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
_PHRASE = SpanNear2.SpanNear2Matcher

Postings = tuple[np.ndarray, np.ndarray]

# Per segment reader: (the deleted set Whoosh filters postings by, the same as a boolean mask).
# Keyed by the reader object itself (weakly), so a new reader never sees another's mask.
_DELETED: weakref.WeakKeyDictionary[IndexReader, tuple[frozenset[int], np.ndarray]] = weakref.WeakKeyDictionary()


class FieldLengths:
    """Per-document field lengths of one searcher's segments, read once per field and segment."""

    def __init__(self) -> None:
        self._lengths: dict[tuple[int, str], np.ndarray] = {}

    def of(self, leaf: Searcher, fieldname: str) -> np.ndarray | None:
        """Lengths of `fieldname` for every document of the leaf, as BM25F sees them; None if unreadable."""
        key = (id(leaf.reader()), fieldname)
        found = self._lengths.get(key)
        if found is None:
            found = _read_lengths(leaf, fieldname)
            if found is None:
                return None
            self._lengths[key] = found
        return found


def _read_lengths(leaf: Searcher, fieldname: str) -> np.ndarray | None:
    """The length column of one segment decoded in one pass (1 where a field has none, like Whoosh)."""
    reader = leaf.reader()
    size = reader.doc_count_all()
    try:
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    except AttributeError:
        log.debug("no per-document reader to read %s lengths from", fieldname)
        return None
    if column is None:
        return np.ones(size, dtype=np.float64)
    try:
        codes = np.fromiter(iter(column), dtype=np.int64, count=size)
    except ValueError:  # a column shorter than the segment: let Whoosh score it
        log.debug("the %s length column does not cover every document", fieldname)
        return None
    return _BYTE_LENGTH[codes]


def tree_scores(matcher: Any, leaf: Searcher, lengths: FieldLengths) -> Postings | None:
    """(sorted leaf document numbers, scores) of a tree of scored terms; None when it has anything else."""
    if not _knows_deletions(leaf.reader()):
        return None
    return _evaluate(matcher, leaf, lengths)


def tree_ids(matcher: Any, leaf: Searcher) -> np.ndarray | None:
    """Sorted leaf document numbers a tree of terms matches; None when it has anything else."""
    if not _knows_deletions(leaf.reader()):
        return None
    found = _evaluate(matcher, leaf, None)
    return None if found is None else found[0]


def _knows_deletions(reader: IndexReader) -> bool:
    """Whether the reader's deleted documents can be told: a segment reader's set, or none at all."""
    return hasattr(reader, "deleted_docs_set") or not reader.has_deletions()


def _deleted_set(reader: IndexReader) -> frozenset[int] | None:
    """The set `reader.postings` wraps every term's postings to exclude (Whoosh's own, cached on the
    reader); None when it excludes nothing."""
    return getattr(reader, "deleted_docs_set", None) or None


def _deleted_mask(reader: IndexReader) -> np.ndarray | None:
    """Boolean mask of the segment's deleted documents, built once per reader; None without deletions.

    Built from the very set Whoosh's FilterMatchers hold, and rebuilt if the reader ever
    holds another one, so it always says what Whoosh's filtering says.
    """
    deleted = _deleted_set(reader)
    if deleted is None:
        return None
    cached = _DELETED.get(reader)
    if cached is not None and cached[0] is deleted:
        return cached[1]
    mask = np.zeros(reader.doc_count_all(), dtype=bool)
    mask[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = True
    _DELETED[reader] = (deleted, mask)
    return mask


def _without_deleted(found: Postings, mask: np.ndarray, scored: bool) -> Postings:
    """The documents (and scores) of `found` that are not deleted."""
    keep = ~mask[found[0]]
    return found[0][keep], found[1][keep] if scored else _EMPTY[1]


def _deletion_filter(matcher: Any, reader: IndexReader) -> bool:
    """Whether a FilterMatcher is the one `reader.postings` wraps a term in: drop the deleted, score as is."""
    return matcher._exclude and matcher.boost == 1.0 and matcher._ids is _deleted_set(reader)


def _unwrapped(matcher: Any, reader: IndexReader) -> Any:
    """A term matcher without the deletion filter around it (its postings are filtered when read)."""
    if type(matcher) is FilterMatcher and _deletion_filter(matcher, reader):
        return matcher.child
    return matcher


def _evaluate(
    matcher: Any,
    leaf: Searcher,
    lengths: FieldLengths | None,
    within: np.ndarray | None = None,
    known: dict[int, Postings] | None = None,
) -> Postings | None:
    """Documents and (with `lengths`) scores of one node, its children first.

    `within`: only these documents matter (the other side of an intersection), so a phrase
    decodes positions for no others; results outside it may or may not be returned.
    `known`: results already read for some nodes (by id), used instead of reading again.
    """
    if known is not None and id(matcher) in known:
        return known[id(matcher)]
    kind = type(matcher)
    if kind is mcore.NullMatcherClass:
        return _EMPTY
    if kind is W3LeafMatcher or kind is mcore.ListMatcher:
        return _leaf(matcher, leaf, lengths, within)
    if kind is FilterMatcher:
        if not _deletion_filter(matcher, leaf.reader()):
            return None
        found = _evaluate(matcher.child, leaf, lengths, within, known)
        if found is None or type(matcher.child) in (W3LeafMatcher, mcore.ListMatcher):
            return found  # a term's postings are read without the deleted documents already
        mask = _deleted_mask(leaf.reader())
        assert mask is not None
        return _without_deleted(found, mask, lengths is not None)
    if kind is InverseMatcher:
        # NOT: every document but the child's and those `missing` names, each scoring a constant weight.
        missing = _missing(matcher, leaf.reader())
        if missing is False:
            return None
        child = _evaluate(matcher.child, leaf, None)
        if child is None:
            return None
        ids = np.setdiff1d(np.arange(matcher.limit, dtype=np.int64), child[0], assume_unique=True)
        if missing is not None:
            ids = ids[~missing[ids]]
        return ids, np.full(ids.size, matcher._weight, dtype=np.float64) if lengths is not None else _EMPTY[1]
    if kind is _PHRASE:
        return _phrase(matcher, leaf, lengths, within)
    if kind not in (IntersectionMatcher, UnionMatcher, AndNotMatcher, AndMaybeMatcher):
        return None
    if kind is IntersectionMatcher and _has_phrase(matcher.a) and not _has_phrase(matcher.b):
        # The cheap side first: its documents are all the phrase side needs to look at.
        b = _evaluate(matcher.b, leaf, lengths, within, known)
        a = _evaluate(matcher.a, leaf, lengths, b[0], known) if b is not None else None
    else:
        a = _evaluate(matcher.a, leaf, lengths, within, known)
        narrowed = a[0] if a is not None and kind is IntersectionMatcher else within
        b = _evaluate(matcher.b, leaf, lengths, narrowed, known) if a is not None else None
    if a is None or b is None:
        return None
    return _combine(kind, a, b, scored=lengths is not None)


def _missing(matcher: InverseMatcher, reader: IndexReader) -> np.ndarray | None | Literal[False]:
    """The documents an InverseMatcher skips as a mask (None: none of them); False if not known.

    Whoosh's Not gives it the reader's `is_deleted`; InverseMatcher's own default skips nothing.
    """
    missing = matcher.missing
    if missing == reader.is_deleted:
        return _deleted_mask(reader)
    if getattr(missing, "__qualname__", "") == "InverseMatcher.__init__.<locals>.<lambda>":
        return None
    return False


def _has_phrase(matcher: Any) -> bool:
    """Whether a phrase is anywhere under this node (it is the costly part to evaluate)."""
    if type(matcher) is _PHRASE:
        return True
    if type(matcher) is FilterMatcher:
        return _has_phrase(matcher.child)
    return any(_has_phrase(child) for child in (getattr(matcher, "a", None), getattr(matcher, "b", None)) if child is not None)


def _combine(kind: type, a: Postings, b: Postings, *, scored: bool) -> Postings:
    """Two children joined as the Whoosh node would: a + b where both match, one score where one does."""
    (a_ids, a_scores), (b_ids, b_scores) = a, b
    if kind is IntersectionMatcher:
        ids, in_a, in_b = np.intersect1d(a_ids, b_ids, assume_unique=True, return_indices=True)
        return ids, (a_scores[in_a] + b_scores[in_b]) if scored else _EMPTY[1]
    if kind is AndNotMatcher:
        keep = ~np.isin(a_ids, b_ids, assume_unique=True)
        return a_ids[keep], a_scores[keep] if scored else _EMPTY[1]
    if kind is AndMaybeMatcher:
        if not scored:
            return a_ids, _EMPTY[1]
        scores = a_scores.copy()
        _, in_a, in_b = np.intersect1d(a_ids, b_ids, assume_unique=True, return_indices=True)
        scores[in_a] = a_scores[in_a] + b_scores[in_b]
        return a_ids, scores
    ids = np.union1d(a_ids, b_ids)
    if not scored:
        return ids, _EMPTY[1]
    at_a = np.searchsorted(ids, a_ids)
    at_b = np.searchsorted(ids, b_ids)
    in_a = np.zeros(ids.size, dtype=bool)
    in_a[at_a] = True
    scores = np.zeros(ids.size, dtype=np.float64)
    scores[at_a] = a_scores
    scores[at_b] = np.where(in_a[at_b], scores[at_b] + b_scores, b_scores)
    return ids, scores


def _phrase(
    matcher: Any, leaf: Searcher, lengths: FieldLengths | None, within: np.ndarray | None
) -> Postings | None:
    """A phrase: the documents with all its words (scored as Whoosh's intersection of them) where
    the words stand in a row, or for two words `"a b"~n`, b 1 to n words after a.

    Whoosh checks each candidate's positions through a chain of span objects; here every
    candidate's positions are decoded into arrays and compared at once. Each word's postings
    are read once, for its scores and its positions.
    """
    words = matcher.ms
    if not matcher.ordered or matcher.mindist != 1 or (matcher.slop != 1 and len(words) != 2):
        return None
    terms = [_unwrapped(word, leaf.reader()).term() for word in words]
    if any(term is None for term in terms) or len({term[0] for term in terms}) != 1:
        return None
    fieldname = terms[0][0]
    if not isinstance(leaf.schema[fieldname].format, formats.Positions):
        return None
    read: dict[int, tuple[np.ndarray, list[bytes]]] = {}
    known: dict[int, Postings] = {}
    for word, (_, text) in zip(words, terms):
        postings = _read_term(leaf, fieldname, text, weights=lengths is not None, values=True, within=within)
        if postings is None:
            return None
        ids, weights, values = postings
        scored = _bm25(_unwrapped(word, leaf.reader()), leaf, lengths, fieldname, ids, weights)
        if scored is None:
            return None
        read[id(word)] = (ids, values)
        known[id(word)] = scored
    together = _evaluate(matcher.child, leaf, lengths, within, known)
    if together is None:
        return None
    if within is not None:
        inside = np.isin(together[0], within, assume_unique=True)
        together = (together[0][inside], together[1][inside] if lengths is not None else _EMPTY[1])
    docs = together[0]
    keys = []
    for offset, word in enumerate(words):
        doc, position = _positions(*read[id(word)], docs)
        if matcher.slop == 1:
            # Word k of a phrase starting at p stands at p + k: key every occurrence by (doc, p).
            start = position - offset
            valid = start >= 0
            keys.append((doc[valid] << 32) | start[valid])
        else:
            keys.append((doc << 32) | position)
    if matcher.slop == 1:
        starts = keys[0]
        for other in keys[1:]:
            starts = np.intersect1d(starts, other, assume_unique=True)
        hits = starts >> 32
    else:
        after = np.searchsorted(keys[1], keys[0] + 1)
        near = after < keys[1].size
        near[near] = keys[1][after[near]] <= keys[0][near] + matcher.slop
        hits = keys[0][near] >> 32
    keep = np.zeros(docs.size, dtype=bool)
    keep[np.unique(hits)] = True
    scores = together[1][keep] * matcher.boost if lengths is not None else _EMPTY[1]
    return docs[keep], scores


def _positions(ids: np.ndarray, values: list[bytes], docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index into `docs`, position) of every occurrence of a term in those documents, sorted."""
    counts: list[int] = []
    deltas: list[int] = []
    loads = pickle.loads
    for at in np.searchsorted(ids, docs).tolist():
        # Whoosh's Positions encoding: a 4-byte count, then the pickled position deltas.
        found = loads(values[at][4:])
        counts.append(len(found))
        deltas.extend(found)
    steps = np.asarray(deltas, dtype=np.int64)
    sizes = np.asarray(counts, dtype=np.int64)
    running = np.cumsum(steps)
    firsts = np.cumsum(sizes) - sizes
    position = running - np.repeat(running[firsts] - steps[firsts], sizes) if steps.size else steps
    return np.repeat(np.arange(docs.size, dtype=np.int64), sizes), position


def _leaf(
    matcher: Any, leaf: Searcher, lengths: FieldLengths | None, within: np.ndarray | None = None
) -> Postings | None:
    """Every posting of one term from the start (the tree may have moved its matcher), scored with its scorer."""
    term = matcher.term()
    if term is None:
        return None
    postings = _read_term(leaf, term[0], term[1], weights=lengths is not None, values=False, within=within)
    if postings is None:
        return None
    ids, weights, _ = postings
    return _bm25(matcher, leaf, lengths, term[0], ids, weights)


def _bm25(
    matcher: Any, leaf: Searcher, lengths: FieldLengths | None, fieldname: str, ids: np.ndarray, weights: np.ndarray
) -> Postings | None:
    """The postings scored as the term matcher's scorer would (unscored without `lengths`)."""
    if lengths is None:
        return ids, _EMPTY[1]
    scorer = getattr(matcher, "scorer", None) or getattr(matcher, "_scorer", None)
    if type(scorer) is not BM25FScorer:
        return None
    field_lengths = lengths.of(leaf, fieldname)
    if field_lengths is None:
        return None
    B, K1 = scorer.B, scorer.K1
    fl = field_lengths[ids]
    # Whoosh's bm25(idf, tf, fl, avgfl, B, K1), operation for operation.
    return ids, scorer.idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / scorer.avgfl)))


def _read_term(
    leaf: Searcher, fieldname: str, text: bytes, *, weights: bool, values: bool, within: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, list[bytes]] | None:
    """(document numbers, weights, encoded values) of a term's postings from the start; None if unreadable.

    Weights are float32 values as doubles (empty unless asked for), values empty unless asked
    for; with `within`, blocks holding none of those documents may be skipped. Deleted
    documents are left out, as the FilterMatcher `postings` wraps them in leaves them out.
    """
    reader = leaf.reader()
    wrapped = reader.postings(fieldname, text)
    matcher = _unwrapped(wrapped, reader)
    if type(matcher) is W3LeafMatcher:
        found = _block_postings(matcher, weights=weights, values=values, within=within)
    elif type(matcher) is mcore.ListMatcher:
        found = _list_postings(matcher, values=values)
    else:
        return None
    if found is None or matcher is wrapped:
        return found
    mask = _deleted_mask(reader)
    assert mask is not None
    ids, found_weights, found_values = found
    keep = ~mask[ids]
    if values:
        found_values = [value for value, kept in zip(found_values, keep.tolist()) if kept]
    return ids[keep], found_weights[keep] if found_weights.size else found_weights, found_values


def _list_postings(matcher: mcore.ListMatcher, *, values: bool) -> tuple[np.ndarray, np.ndarray, list[bytes]] | None:
    """`_read_term` for a short posting list inlined in the term index: read posting by posting."""
    ids: list[int] = []
    found_weights: list[float] = []
    found_values: list[bytes] = []
    while matcher.is_active():
        ids.append(matcher.id())
        found_weights.append(matcher.weight())
        if values:
            value = matcher.value()
            if not isinstance(value, bytes):
                return None
            found_values.append(value)
        matcher.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(found_weights, dtype=np.float64), found_values


def _blocks(matcher: W3LeafMatcher, within: np.ndarray | None) -> Iterator[None]:
    """Step through the blocks of a fresh matcher, skipping (unread) those holding none of `within`."""
    previous_max = -1
    while matcher.is_active():
        block_max = matcher.block_max_id()
        if within is None or np.searchsorted(within, previous_max, "right") < np.searchsorted(within, block_max, "right"):
            yield
        previous_max = block_max
        matcher._next_block()


def _block_postings(
    matcher: W3LeafMatcher, *, weights: bool, values: bool, within: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """`_read_term` for a posting list stored in blocks: each block's arrays taken whole."""
    id_blocks: list[np.ndarray] = []
    weight_blocks: list[np.ndarray] = []
    found_values: list[bytes] = []
    for _ in _blocks(matcher, within):
        if values:
            matcher._read_values()
            found_values.extend(matcher._values)
        elif matcher._data is None:
            matcher._read_data()
        # A block holds (document number deltas, weights, values).
        deltas, block_weights = matcher._data[0], matcher._data[1]
        ids = np.cumsum(np.asarray(deltas, dtype=np.int64))
        id_blocks.append(ids)
        if not weights:
            pass
        elif block_weights is None:
            weight_blocks.append(np.ones(ids.size, dtype=np.float64))
        elif isinstance(block_weights, float):
            weight_blocks.append(np.full(ids.size, np.float32(block_weights), dtype=np.float64))
        else:
            weight_blocks.append(np.asarray(block_weights, dtype=np.float32).astype(np.float64))
    found_ids = np.concatenate(id_blocks) if id_blocks else _EMPTY[0]
    found_weights = np.concatenate(weight_blocks) if weight_blocks else _EMPTY[1]
    return found_ids, found_weights, found_values
