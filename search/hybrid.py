"""Semantic and hybrid modes, and "more like this", on top of the keyword engine's arrays.

Semantic mode ranks the utterances the filters admit by the cosine similarity of their
best passage to the query and keeps the top `SemanticIndex.limit`; facet counts cover
those hits (each facet with the other facets' filters, as in keyword mode). Hybrid mode
fuses the keyword ranking and the semantic one by reciprocal rank fusion (k = 60).
Filters are applied before ranking, so every filter works the same in every mode.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq

from index.errors import NotFound, SemanticUnavailable
from index.schema import DEFAULT_FIELD, FACETS, QUERY_FIELDS
from search import highlight
from search.columns import Columns
from search.facets import combine, facet_masks, facet_result
from search.query import BINARY_OPERATORS, NOT_OPERATOR
from search.semantic import Embedder, MiniLMEmbedder, require_semantic
from search.types import FacetResult, Hit, SearchRequest, SearchResponse
from search.vectors import (
    ANN_THRESHOLD,
    STORE_FILE,
    NeighbourSearch,
    hnsw_file,
    load_store,
    vectors_dir,
)

if TYPE_CHECKING:
    from search.engine import Engine

log = logging.getLogger(__name__)

# Semantic hits per query: every utterance is *somewhat* similar, so the list is cut here
# and facet counts cover these hits (the UI says so).
SEMANTIC_LIMIT = 200
RRF_K = 60
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
    ) -> None:
        self.index_dir = Path(index_dir)
        self.limit = limit
        self.ann_threshold = ann_threshold
        self._needs_extra = embedder is None
        self._embedder: Embedder = embedder if embedder is not None else MiniLMEmbedder()
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
        self, columns: Columns, neighbours: NeighbourSearch
    ) -> tuple[np.ndarray, np.ndarray]:
        """(document → utterance number in the store or -1, utterance number → live document or -1).

        Utterance ids are `transcript_id:seq` (DESIGN §1), so the map is built from the
        engine's columns without reading stored fields; once per index and vectors generation.
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
            utterance_doc = np.full(len(ordinals), -1, dtype=np.int64)
            mapped = np.flatnonzero(doc_utterance >= 0)
            utterance_doc[doc_utterance[mapped]] = mapped
            missing = int(np.count_nonzero(columns.live)) - mapped.size
            if missing:
                log.warning(
                    "%d utterances of %s have no vectors yet: run `python manage.py embed`",
                    missing,
                    self.index_dir,
                )
            self._doc_map = (columns, neighbours, doc_utterance, utterance_doc)
            return doc_utterance, utterance_doc

    def rank(
        self, vector: np.ndarray, columns: Columns, admitted: np.ndarray, limit: int
    ) -> Ranking:
        """The `limit` admitted documents most similar to `vector`, best first."""
        neighbours = self.neighbours()
        doc_utterance, utterance_doc = self.doc_map(columns, neighbours)
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
            if utterance_doc[hit[0]] >= 0
        ]
        store = neighbours.store
        return Ranking(
            docs=np.array([utterance_doc[u] for u, _, _ in found], dtype=np.int64),
            scores=np.array([score for _, _, score in found], dtype=np.float64),
            spans=[(int(store.starts[row]), int(store.ends[row])) for _, row, _ in found],
        )

    def utterance_vector(self, utterance_id: str) -> np.ndarray | None:
        """The mean of an utterance's passage vectors, normalised; None if it has none."""
        store = self.neighbours().store
        rows = store.rows_of(utterance_id)
        if not rows.size:
            return None
        mean = store.vectors[rows].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        return (mean / norm).astype(np.float32) if norm > 0 else None


def reciprocal_rank_fusion(
    rankings: Sequence[np.ndarray], k: int = RRF_K
) -> tuple[np.ndarray, np.ndarray]:
    """Documents of several rankings by Σ 1/(k + rank) over the rankings they are in (rank from 1)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking.tolist(), start=1):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank)
    docs = np.fromiter(scores, dtype=np.int64, count=len(scores))
    values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
    order = np.argsort(-values, kind="stable")
    return docs[order], values[order]


_TOKEN = re.compile(r'"[^"]*"|[()]|[^\s()"]+')
_FIELD_PREFIX = re.compile(r"^(\w+):")
_SYNTAX_TAIL = re.compile(r"[~^][\d.]*$")


def plain_text(query_text: str) -> str:
    """The words a query means, for the embedder: no operators, field clauses, excluded terms or syntax."""
    tokens = [m.group() for m in _TOKEN.finditer(query_text)]
    words: list[str] = []
    skip_depth = 0
    skip_next = False
    for token in tokens:
        if skip_depth:
            skip_depth += {"(": 1, ")": -1}.get(token, 0)
            continue
        if skip_next:
            skip_next = False
            if token == "(":
                skip_depth = 1
            continue
        if token in BINARY_OPERATORS or token in ("(", ")"):
            continue
        if token == NOT_OPERATOR:
            skip_next = True
            continue
        field = _FIELD_PREFIX.match(token)
        if field and field.group(1) in QUERY_FIELDS:
            if field.group(1) != DEFAULT_FIELD:
                skip_next = token.endswith(":")
                continue
            token = token[field.end() :]
        token = _SYNTAX_TAIL.sub("", token).strip('"').replace("*", "").replace("?", "")
        if token:
            words.append(token)
    return " ".join(words)


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


@dataclass(frozen=True)
class _Result:
    """A semantic or hybrid result set: documents in order with scores and why each matched."""

    order: np.ndarray
    scores: dict[int, float]
    matched_by: dict[int, str]
    passages: dict[int, tuple[int, int]]
    facets: tuple[FacetResult, ...]
    keyword_scores: np.ndarray | None
    terms: frozenset[str]
    suggestion: str | None


def semantic_index(engine: "Engine") -> SemanticIndex:
    """The engine's semantic component, made with the default model on first use."""
    if engine.semantic is None:
        engine.semantic = SemanticIndex(engine.index_dir)
    return engine.semantic


def ready(engine: "Engine", mode: str) -> SemanticIndex:
    """The engine's semantic component with its vectors loaded; SemanticUnavailable says what to do."""
    semantic = semantic_index(engine)
    try:
        semantic.neighbours()
    except SemanticUnavailable as error:
        raise SemanticUnavailable(f"mode {mode!r} is unavailable: {error}") from None
    return semantic


def unavailable_reason(engine: "Engine") -> str | None:
    """Why semantic and hybrid modes cannot run here (for the UI to switch them off), or None."""
    try:
        ready(engine, SEMANTIC)
    except SemanticUnavailable as error:
        return str(error)
    return None


def search(engine: "Engine", request: SearchRequest) -> SearchResponse:
    """A semantic or hybrid search: same filters, paging and JSON as keyword mode."""
    started = time.perf_counter()
    vector = _query_vector(ready(engine, request.mode), request)
    with engine._lock:
        snapshot = engine._current()
        result = _run(engine, request, snapshot, vector)
        if result is None:
            keyword = engine.search(dataclasses.replace(request, mode=KEYWORD))
            return dataclasses.replace(keyword, request=request)
        first = (request.page - 1) * request.per_page
        page = result.order[first : first + request.per_page]
        hits = tuple(_hit(engine, snapshot.searcher, int(doc), result) for doc in page)
        transcripts = int(np.unique(snapshot.columns.transcript[result.order]).size)
    return SearchResponse(
        request=request,
        total=int(result.order.size),
        hits=hits,
        facets=result.facets,
        suggestion=result.suggestion,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        transcripts=transcripts,
    )


def iter_hits(engine: "Engine", request: SearchRequest) -> Iterator[Hit]:
    """Every hit of a semantic or hybrid search in result order (CSV export)."""
    vector = _query_vector(ready(engine, request.mode), request)
    with engine._lock:
        snapshot = engine._current()
        result = _run(engine, request, snapshot, vector)
        if result is None:
            hits = list(engine.iter_hits(dataclasses.replace(request, mode=KEYWORD)))
        else:
            hits = [_hit(engine, snapshot.searcher, int(doc), result) for doc in result.order]
    yield from hits


def _query_vector(semantic: SemanticIndex, request: SearchRequest) -> np.ndarray | None:
    """The vector of the query's words; None if it has none (a browse, or only field clauses).

    Computed before taking the engine's lock: the first one loads the model (seconds),
    and keyword requests should not wait for that.
    """
    text = plain_text(request.q)
    return semantic.encode_query(text) if text else None


def _run(
    engine: "Engine", request: SearchRequest, snapshot: Any, vector: np.ndarray | None
) -> _Result | None:
    """Rank, fuse and count facets; None when there is nothing to rank by meaning."""
    from search.engine import _date_mask, match_documents

    q = engine._parse(request.q)
    if q is None or vector is None:
        return None
    semantic = semantic_index(engine)
    columns = snapshot.columns
    base = columns.live & _date_mask(columns, request.date_from, request.date_to)
    restriction = field_filter(q)
    if restriction is not None:
        base = base & match_documents(snapshot.searcher, restriction, columns.size)[0]
    masks = facet_masks(columns, request.filters)
    hybrid = request.mode == "hybrid"
    keyword = (
        engine._match(dataclasses.replace(request, sort="relevance"), snapshot) if hybrid else None
    )

    Passages = dict[int, tuple[int, int]]

    def ranked(skip: str | None) -> tuple[np.ndarray, dict[int, float], Passages, set[int]]:
        """The result docs with the filters but `skip`'s: (docs, scores, best passages, keyword docs)."""
        found = semantic.rank(vector, columns, combine(base, masks, skip=skip), semantic.limit)
        passages = dict(zip(found.docs.tolist(), found.spans))
        if keyword is None:
            return found.docs, dict(zip(found.docs.tolist(), found.scores.tolist())), passages, set()
        if skip is None:
            words = keyword.order
        else:
            words = np.flatnonzero(combine(keyword.base, keyword.masks, skip=skip))
            if keyword.scores is not None:
                words = words[np.argsort(-keyword.scores[words], kind="stable")]
        docs, fused = reciprocal_rank_fusion([words, found.docs])
        return docs, dict(zip(docs.tolist(), fused.tolist())), passages, set(words.tolist())

    docs, scores, passages, keyword_docs = ranked(None)
    matched_by = {
        doc: (BOTH if doc in passages else KEYWORD) if doc in keyword_docs else SEMANTIC
        for doc in docs.tolist()
    }
    facets = _count_facets(columns, request, masks, docs, ranked)
    return _Result(
        order=_sorted(columns, docs, request.sort),
        scores=scores,
        matched_by=matched_by,
        passages=passages,
        facets=facets,
        keyword_scores=keyword.scores if keyword is not None else None,
        terms=keyword.terms if keyword is not None else frozenset(),
        suggestion=engine._suggest(request.q, snapshot) if hybrid else None,
    )


def _count_facets(
    columns: Columns,
    request: SearchRequest,
    masks: Mapping[str, np.ndarray],
    docs: np.ndarray,
    ranked: Any,
) -> tuple[FacetResult, ...]:
    """Each facet over the hits ranked with the other facets' filters (the top N of that ranking)."""
    results = []
    for facet in FACETS:
        try:
            column = columns.facets[facet.name]
            counted = ranked(facet.name)[0] if facet.name in masks else docs
            chosen = np.zeros(columns.size, dtype=bool)
            chosen[counted] = True
            counts = column.count(chosen)
            selected = request.filters.get(facet.name, ())
            results.append(facet_result(column, counts, selected, request.facet_limit))
        except Exception as error:  # one broken facet must not take the page down
            log.exception("facet %s failed", facet.name)
            results.append(FacetResult(facet.name, error=str(error)))
    return tuple(results)


def _sorted(columns: Columns, docs: np.ndarray, sort: str) -> np.ndarray:
    """Relevance keeps the ranking; the date sorts order it by day, then transcript and seq."""
    if sort == "relevance" or not docs.size:
        return docs
    day = columns.day[docs] if sort == "date" else -columns.day[docs]
    return docs[np.lexsort((columns.seq[docs], columns.transcript[docs], day))]


def _hit(engine: "Engine", searcher: Any, doc: int, result: _Result) -> Hit:
    """A hit: a semantic one shows its best passage, a keyword-only one the keyword snippet."""
    matched_by = result.matched_by[doc]
    score = result.scores[doc]
    if matched_by == KEYWORD:
        hit = engine._hit(searcher, doc, result.keyword_scores, result.terms)
        return dataclasses.replace(hit, score=score, matched_by=KEYWORD)
    stored = searcher.stored_fields(doc)
    start, end = result.passages[doc]
    terms = result.terms if matched_by == BOTH else frozenset()
    snippet = passage_snippet(stored.get("text", ""), start, end, terms, engine._tokens)
    from search.engine import hit_from_stored

    hit = hit_from_stored(stored, score=score, snippet=snippet)
    return dataclasses.replace(hit, matched_by=matched_by)


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


def similar(engine: "Engine", utterance_id: str, limit: int = 10) -> list[Hit]:
    """The utterances of *other* transcripts nearest in meaning to one utterance ("more like this")."""
    semantic = ready(engine, SEMANTIC)
    with engine._lock:
        snapshot = engine._current()
        columns = snapshot.columns
        transcript_id, _, seq = utterance_id.rpartition(":")
        docs = _utterance_docs(columns, transcript_id, seq)
        if not docs.size:
            raise NotFound(f"no utterance with id {utterance_id!r}")
        vector = semantic.utterance_vector(utterance_id)
        if vector is None:
            raise SemanticUnavailable(
                f"utterance {utterance_id!r} has no vectors yet: run `python manage.py embed`"
            )
        admitted = columns.live & (columns.transcript != columns.transcript[docs[0]])
        found = semantic.rank(vector, columns, admitted, limit)
        result = _Result(
            order=found.docs,
            scores=dict(zip(found.docs.tolist(), found.scores.tolist())),
            matched_by={doc: SEMANTIC for doc in found.docs.tolist()},
            passages=dict(zip(found.docs.tolist(), found.spans)),
            facets=(),
            keyword_scores=None,
            terms=frozenset(),
            suggestion=None,
        )
        return [_hit(engine, snapshot.searcher, int(doc), result) for doc in found.docs]


def _utterance_docs(columns: Columns, transcript_id: str, seq: str) -> np.ndarray:
    """Live documents of one utterance id (at most one)."""
    if not seq.isdigit() or transcript_id not in columns.transcript_ids:
        return np.zeros(0, dtype=np.int64)
    ordinal = columns.transcript_ids.index(transcript_id)
    same = (columns.transcript == ordinal) & (columns.seq == int(seq))
    return np.flatnonzero(columns.live & same)
