"""Semantic and hybrid modes, and "more like this", on top of the keyword engine's arrays.

Semantic mode ranks the utterances the filters admit by the cosine similarity of their
best passage to the query and keeps the top `SemanticIndex.limit`; facet counts cover
those hits (each facet with the other facets' filters, as in keyword mode). Hybrid mode
fuses a keyword ranking and the semantic one by weighted reciprocal rank fusion. Its keyword
side ranks by *any* of the query's words (BM25 over OR, `any_words`): with the words ANDed, a
paraphrase gave it nothing and hybrid equalled semantic. The weights were calibrated on the
paraphrase set and on known-item phrases (BENCHMARKS.md, "Hybrid").
Filters are applied before ranking, so every filter works the same in every mode.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import query as wq

from index.schema import DEFAULT_FIELD
from index.stored import stored_text
from search import highlight, pipeline
from search.columns import Columns
from search.errors import NotFound, SemanticUnavailable
from search.facets import combine
from search.pipeline import Ranked, View
from search.query import ParsedQuery, plain_text
from search.semantic import Embedder, MiniLMEmbedder, require_semantic
from search.types import FacetResult, Hit, SearchRequest
from search.vectors import (
    ANN_THRESHOLD,
    STORE_FILE,
    NeighbourSearch,
    hnsw_file,
    load_store,
    stale_documents,
    vectors_dir,
)

log = logging.getLogger(__name__)

# Semantic hits per query: every utterance is *somewhat* similar, so the list is cut here
# and facet counts cover these hits (the UI says so).
SEMANTIC_LIMIT = 200
RRF_K = 60
# Hybrid fusion, calibrated on the paraphrase set and 100 known-item phrases (BENCHMARKS.md,
# "Hybrid"): Σ weight/(HYBRID_K + rank) over three rankings — documents with all the words
# (the keyword query as written), documents with any of them (BM25 over OR), and by meaning
# (weight 1). All words count for much, any word for a little: a paraphrase shares few words,
# a remembered phrase all of them.
HYBRID_K = 10
HYBRID_ALL_WORDS_WEIGHT = 2.0
HYBRID_ANY_WORDS_WEIGHT = 0.25
# A semantic snippet is the best passage, cut to about this many characters.
PASSAGE_SNIPPET_CHARS = 480
_QUERY_CACHE_SIZE = 256

SEMANTIC = "semantic"
KEYWORD = "keyword"
BOTH = "both"


@dataclass(frozen=True)
class Ranking:
    """Documents best first, with their similarity and the character span of their best passage."""

    docs: np.ndarray
    scores: np.ndarray
    spans: list[tuple[int, int]]


class SemanticIndex:
    """The vectors beside one index and the embedder for queries; reloads when `embed` rewrites them.

    Cheap to create: the model loads on the first query and the vectors on the first search.
    """

    def __init__(
        self,
        index_dir: Path | str,
        embedder: Embedder | None = None,
        *,
        limit: int = SEMANTIC_LIMIT,
        ann_threshold: int = ANN_THRESHOLD,
        floor: float | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.limit = limit
        self.ann_threshold = ann_threshold
        self._needs_extra = embedder is None
        # One thread per query: a short text gains nothing from more, and requests share the cores.
        self._embedder: Embedder = embedder if embedder is not None else MiniLMEmbedder(threads=1)
        # The similarity below which a neighbour is no hit: calibrated per model (its
        # `similarity_floor`); an embedder without one has no floor.
        self.floor: float = floor if floor is not None else float(getattr(self._embedder, "similarity_floor", 0.0))
        self._lock = threading.RLock()
        self._neighbours: NeighbourSearch | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._doc_map: tuple[Columns, NeighbourSearch, np.ndarray, np.ndarray] | None = None
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def embedder(self) -> Embedder:
        """The embedder of queries (the one the vectors were made with)."""
        return self._embedder

    def neighbours(self) -> NeighbourSearch:
        """Nearest-neighbour search over the current vectors; raises SemanticUnavailable with what to do."""
        if self._needs_extra:
            require_semantic()
            self._needs_extra = False  # installed packages do not go away while we run
        path = vectors_dir(self.index_dir) / STORE_FILE
        try:
            info = path.stat()
        except FileNotFoundError:
            raise SemanticUnavailable(
                f"no embedding vectors for the index at {self.index_dir}: "
                "compute them with `python manage.py embed`"
            ) from None
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        with self._lock:
            if self._neighbours is None or stamp != self._stamp:
                store = load_store(self.index_dir)
                if store is None:
                    raise SemanticUnavailable(
                        f"the vectors at {path} are unreadable: run `python manage.py embed`"
                    )
                if store.model != self._embedder.name:
                    raise SemanticUnavailable(
                        f"the vectors were computed with {store.model}, not {self._embedder.name}: "
                        "run `python manage.py embed`"
                    )
                folder = vectors_dir(self.index_dir)
                self._neighbours = NeighbourSearch(
                    store, self.ann_threshold, folder / hnsw_file(store.generation)
                )
                self._stamp = stamp
            return self._neighbours

    def encode_query(self, text: str) -> np.ndarray:
        """The unit vector of a query text (recent ones cached)."""
        with self._lock:
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return cached
        vector = self._embedder.encode([text])[0]
        with self._lock:
            self._queries[text] = vector
            if len(self._queries) > _QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector

    def doc_map(
        self, columns: Columns, neighbours: NeighbourSearch, reader: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """(document → utterance number in the store or -1, utterance number → live document or -1).

        Utterance ids are `transcript_id:seq` (DESIGN §1), so the map is built from the
        engine's columns; once per index and vectors generation. A document whose text changed
        since its vectors were computed maps to -1, like one without vectors (`stale_documents`).
        """
        with self._lock:
            cached = self._doc_map
            if cached is not None and cached[0] is columns and cached[1] is neighbours:
                return cached[2], cached[3]
            ordinals = {uid: i for i, uid in enumerate(neighbours.store.utterances().tolist())}
            names = columns.transcript_ids
            doc_utterance = np.full(columns.size, -1, dtype=np.int64)
            for doc in np.flatnonzero(columns.live & (columns.transcript >= 0)):
                doc_utterance[doc] = ordinals.get(
                    f"{names[columns.transcript[doc]]}:{columns.seq[doc]}", -1
                )
            stale = stale_documents(neighbours.store, reader, doc_utterance)
            doc_utterance[stale] = -1
            utterance_doc = np.full(len(ordinals), -1, dtype=np.int64)
            mapped = np.flatnonzero(doc_utterance >= 0)
            utterance_doc[doc_utterance[mapped]] = mapped
            missing = int(np.count_nonzero(columns.live)) - mapped.size
            if missing:
                log.warning(
                    "%d utterances of %s have no vectors yet (%d of them changed since `embed`): "
                    "run `python manage.py embed`",
                    missing,
                    self.index_dir,
                    int(np.count_nonzero(stale)),
                )
            self._doc_map = (columns, neighbours, doc_utterance, utterance_doc)
            return doc_utterance, utterance_doc

    def rank(
        self, vector: np.ndarray, columns: Columns, admitted: np.ndarray, limit: int, reader: Any
    ) -> Ranking:
        """The `limit` admitted documents most similar to `vector`, best first, none below the floor (never by a stale vector)."""
        neighbours = self.neighbours()
        doc_utterance, utterance_doc = self.doc_map(columns, neighbours, reader)
        mapped = doc_utterance >= 0
        allowed: np.ndarray | None = None
        if not admitted[mapped].all():
            allowed = np.zeros(utterance_doc.size, dtype=bool)
            allowed[doc_utterance[admitted & mapped]] = True
        else:
            # Unrestricted: vectors of utterances no longer indexed must not come back.
            allowed = None if (utterance_doc >= 0).all() else utterance_doc >= 0
        found = [
            hit
            for hit in neighbours.top_utterances(vector, limit, allowed)
            if utterance_doc[hit[0]] >= 0 and hit[2] >= self.floor
        ]
        store = neighbours.store
        return Ranking(
            docs=np.array([utterance_doc[u] for u, _, _ in found], dtype=np.int64),
            scores=np.array([score for _, _, score in found], dtype=np.float64),
            spans=[(int(store.starts[row]), int(store.ends[row])) for _, row, _ in found],
        )

    def utterance_vector(self, utterance_id: str, columns: Columns, doc: int, reader: Any) -> np.ndarray | None:
        """The mean of an utterance's passage vectors, normalised; None if it has none or they are stale."""
        neighbours = self.neighbours()
        if self.doc_map(columns, neighbours, reader)[0][doc] < 0:
            return None
        store = neighbours.store
        rows = store.rows_of(utterance_id)
        if not rows.size:
            return None
        mean = store.vectors[rows].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return (mean / norm).astype(np.float32) if norm > 0 else None


def reciprocal_rank_fusion(
    rankings: Sequence[np.ndarray], k: float = RRF_K, weights: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Documents of several rankings by Σ weight/(k + rank) over the rankings they are in (rank from 1)."""
    scores: dict[int, float] = {}
    for number, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else weights[number]
        for rank, doc in enumerate(ranking.tolist(), start=1):
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank)
    docs = np.fromiter(scores, dtype=np.int64, count=len(scores))
    values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
    order = np.argsort(-values, kind="stable")
    return docs[order], values[order]


def any_words(q: wq.Query) -> wq.Query:
    """The query for hybrid's keyword side: its ANDed text clauses ORed, so a document with any of the words ranks (BM25).

    Field clauses and NOTs still restrict (`speaker:"…" sanctions banks` keeps the speaker);
    phrases, ORs and single words are unchanged.
    """
    if isinstance(q, wq.AndNot):
        return wq.AndNot(any_words(q.a), q.b)
    if not isinstance(q, wq.And):
        return q
    text = [part for part in q.subqueries if _has_text(part) and not isinstance(part, wq.Not)]
    others = [part for part in q.subqueries if part not in text]
    if len(text) < 2:
        return q
    return wq.And([wq.Or(text), *others]) if others else wq.Or(text)


def _has_text(q: wq.Query) -> bool:
    return any(leaf.field() == DEFAULT_FIELD for leaf in q.leaves())


def field_filter(q: wq.Query) -> wq.Query | None:
    """The part of a parsed query that restricts by field (`speaker:`, `year:`…): a filter in semantic mode.

    Clauses on the text field are what gets embedded; everything that must hold whatever
    the words mean (ANDed field clauses, NOT on a field) is kept. None if nothing restricts.
    """
    if isinstance(q, wq.Not):
        return None if _has_text(q.query) else q
    if isinstance(q, wq.AndNot):
        parts = [field_filter(q.a), None if _has_text(q.b) else wq.Not(q.b)]
        kept = [part for part in parts if part is not None]
        return wq.And(kept) if kept else None
    if isinstance(q, wq.AndMaybe):
        return field_filter(q.a)
    if isinstance(q, wq.And):
        kept = [part for part in map(field_filter, q.subqueries) if part is not None]
        return wq.And(kept) if kept else None
    return None if _has_text(q) else q


def ready(semantic: SemanticIndex, mode: str) -> SemanticIndex:
    """The semantic component with its vectors loaded; SemanticUnavailable says what to do."""
    try:
        semantic.neighbours()
    except SemanticUnavailable as error:
        raise SemanticUnavailable(f"mode {mode!r} is unavailable: {error}") from None
    return semantic


def unavailable_reason(semantic: SemanticIndex) -> str | None:
    """Why semantic and hybrid modes cannot run here (for the UI to switch them off), or None."""
    try:
        ready(semantic, SEMANTIC)
    except SemanticUnavailable as error:
        return str(error)
    return None


def query_vector(semantic: SemanticIndex, query_text: str | ParsedQuery) -> np.ndarray | None:
    """The vector of the query's words; None if it has none (a browse, or only field clauses)."""
    text = plain_text(query_text)
    return semantic.encode_query(text) if text else None


def rank(
    semantic: SemanticIndex,
    view: View,
    q: wq.Query,
    request: SearchRequest,
    vector: np.ndarray,
    terms: frozenset[str],
) -> Ranked:
    """Semantic or hybrid ranking: the filters' documents by meaning, fused with the keyword ranking in hybrid."""
    columns = view.columns
    restriction = field_filter(q)
    restricted = None
    if restriction is not None:
        restricted = pipeline.match_documents(view.searcher, restriction, columns.size)[0]
    base, masks = pipeline.filter_masks(columns, request, restricted)
    # (base mask, scores, weight) of the keyword rankings hybrid fuses: all words, any word.
    keyword_sides: list[tuple[np.ndarray, np.ndarray, float]] = []
    if request.mode == "hybrid":
        for query, weight in ((q, HYBRID_ALL_WORDS_WEIGHT), (any_words(q), HYBRID_ANY_WORDS_WEIGHT)):
            matched, word_scores = pipeline.match_documents(
                view.searcher, query, columns.size, scored=True, lengths=view.lengths
            )
            side_base = pipeline.filter_masks(columns, request, matched)[0]
            keyword_sides.append((side_base, word_scores, weight))

    Passages = dict[int, tuple[int, int]]

    def ranked(skip: str | None) -> tuple[np.ndarray, dict[int, float], Passages, set[int]]:
        """The result docs with the filters but `skip`'s: (docs, scores, best passages, keyword docs)."""
        found = semantic.rank(
            vector, columns, combine(base, masks, skip=skip), semantic.limit, view.searcher.reader()
        )
        passages = dict(zip(found.docs.tolist(), found.spans))
        if not keyword_sides:
            return found.docs, dict(zip(found.docs.tolist(), found.scores.tolist())), passages, set()
        rankings, weights = [], []
        for side_base, word_scores, weight in keyword_sides:
            words = np.flatnonzero(combine(side_base, masks, skip=skip))
            rankings.append(pipeline.order_documents(columns, words, "relevance", word_scores[words]))
            weights.append(weight)
        docs, fused = reciprocal_rank_fusion([*rankings, found.docs], HYBRID_K, [*weights, 1.0])
        keyword_docs = set(rankings[-1].tolist())  # any word: a superset of all words
        return docs, dict(zip(docs.tolist(), fused.tolist())), passages, keyword_docs

    docs, scores, passages, keyword_docs = ranked(None)
    matched_by = {
        doc: (BOTH if doc in passages else KEYWORD) if doc in keyword_docs else SEMANTIC
        for doc in docs.tolist()
    }

    def facets() -> tuple[FacetResult, ...]:
        """Each facet over the hits ranked with the other facets' filters (the top N of that ranking)."""

        def counted(name: str) -> np.ndarray:
            return pipeline.as_mask(columns.size, ranked(name)[0] if name in masks else docs)

        return pipeline.count_facets(columns, counted, request.filters, request.facet_limit)

    order = pipeline.order_documents(columns, docs, request.sort, -np.arange(docs.size, dtype=np.float64))
    return Ranked(order, facets, _hit_maker(scores, matched_by, passages, terms))


def _hit_maker(
    scores: Mapping[int, float],
    matched_by: Mapping[int, str],
    passages: Mapping[int, tuple[int, int]],
    terms: frozenset[str],
) -> Callable[[View, int, bool], Hit]:
    """Hits of a semantic ranking: a semantic one shows its best passage, a keyword-only one the keyword snippet."""

    def hit(view: View, doc: int, with_snippet: bool) -> Hit:
        why = matched_by[doc]
        if why == KEYWORD:
            found = pipeline.keyword_hit(view, doc, scores[doc], terms, with_snippet)
            return dataclasses.replace(found, matched_by=KEYWORD)
        stored = view.stored(doc)
        start, end = passages[doc]
        marked = terms if why == BOTH else frozenset()
        snippet = passage_snippet(stored_text(stored), start, end, marked, view.tokens)
        found = pipeline.make_hit(stored, score=scores[doc], snippet=snippet, matched_by=why)
        return dataclasses.replace(found, passage=(start, end))

    return hit


def passage_snippet(
    text: str, start: int, end: int, terms: frozenset[str], tokens: highlight.Analyzer
) -> str:
    """HTML-safe snippet of one passage of `text`, keyword terms marked, '…' where it is cut."""
    passage = text[start:end]
    if terms:
        body = highlight.snippet(passage, terms, tokens, short_chars=PASSAGE_SNIPPET_CHARS)
    else:
        body = highlight.lead(passage, PASSAGE_SNIPPET_CHARS)
    cut_before = bool(text[:start].strip()) and not body.startswith(highlight.ELLIPSIS)
    cut_after = bool(text[end:].strip()) and not body.endswith(highlight.ELLIPSIS)
    return (highlight.ELLIPSIS if cut_before else "") + body + (highlight.ELLIPSIS if cut_after else "")


def similar(semantic: SemanticIndex, view: View, utterance_id: str, limit: int = 10) -> list[Hit]:
    """The utterances of *other* transcripts nearest in meaning to one utterance ("more like this")."""
    columns = view.columns
    docs = pipeline.utterance_docs(columns, utterance_id)
    if not docs.size:
        raise NotFound(f"no utterance with id {utterance_id!r}")
    vector = semantic.utterance_vector(utterance_id, columns, int(docs[0]), view.searcher.reader())
    if vector is None:
        raise SemanticUnavailable(
            f"utterance {utterance_id!r} has no vectors yet: run `python manage.py embed`"
        )
    admitted = columns.live & (columns.transcript != columns.transcript[docs[0]])
    found = semantic.rank(vector, columns, admitted, limit, view.searcher.reader())
    hit = _hit_maker(
        dict(zip(found.docs.tolist(), found.scores.tolist())),
        {doc: SEMANTIC for doc in found.docs.tolist()},
        dict(zip(found.docs.tolist(), found.spans)),
        frozenset(),
    )
    return [hit(view, int(doc), True) for doc in found.docs]
