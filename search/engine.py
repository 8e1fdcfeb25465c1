"""The one search entry point: `Engine(index_dir).search(SearchRequest) -> SearchResponse`.

An Engine holds the open index, one searcher and the per-document arrays of that
searcher's generation (`search.columns`). Each call checks cheaply whether a commit
happened and refreshes them if so, so a long-running web app and a one-off CLI call
share the same code and a request never reopens the index.

A request runs as: match the query once (Whoosh) → boolean masks for dates and
facet filters (numpy) → facet counts, sort and page over those masks → stored
fields and snippets for the page's hits only.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from index.analysis import WORD_PATTERN
from index.errors import BadQuery, NotFound
from index.models import Transcript, Utterance
from index.schema import DEFAULT_FIELD, FACET_BY_NAME, MULTI_VALUE_SEPARATOR, day_number
from index.reader import open_index
from search import highlight, hybrid, kwic
from search.columns import TRANSCRIPT_FIELD, Columns, load_columns
from search.facets import combine, count_facets, facet_masks
from search.query import make_parser, parse_query, text_terms
from search.scoring import FieldLengths, tree_ids, tree_scores
from search.suggest import suggest
from search.types import FacetResult, Hit, SearchRequest, SearchResponse

log = logging.getLogger(__name__)

_PARSE_CACHE_SIZE = 512
# Stored fields are read in batches of this size when exporting every hit.
_EXPORT_BATCH = 200


@dataclass(frozen=True)
class _Snapshot:
    """A searcher and the arrays of its index generation; docnums mean the same in both."""

    searcher: Searcher
    columns: Columns
    generation: int
    # Field lengths for vectorised one-word scoring, read on first use (search.scoring).
    lengths: FieldLengths = field(default_factory=FieldLengths)


@dataclass(frozen=True)
class _Matches:
    """The documents a request admits, in result order, plus the masks facets need."""

    order: np.ndarray
    scores: np.ndarray | None
    base: np.ndarray
    masks: dict[str, np.ndarray]
    terms: frozenset[str]


class Engine:
    """Searches one index directory; safe to share between threads (requests are serialised)."""

    def __init__(self, index_dir: Path | str, semantic: hybrid.SemanticIndex | None = None) -> None:
        self.index_dir = Path(index_dir)
        # Semantic/hybrid modes and `similar` (search/hybrid.py); made with the default model on first use.
        self.semantic = semantic
        self._lock = threading.RLock()
        self._index = open_index(self.index_dir)
        self._parsed: OrderedDict[str, wq.Query | None] = OrderedDict()
        self._terms: dict[str, frozenset[str]] = {}
        self._suggestions: dict[str, str | None] = {}
        searcher = self._index.searcher()
        self._use_schema(searcher.schema)
        # The analyser loads nltk's stemmers on first use (most of a second): pay it
        # here rather than in the first request.
        list(self._tokens("warming up"))
        self._snapshot = _Snapshot(searcher, load_columns(searcher.reader()), _generation(searcher))

    # --- lifecycle

    def close(self) -> None:
        """Release the searcher's files."""
        with self._lock:
            self._snapshot.searcher.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _current(self) -> _Snapshot:
        """The snapshot of the latest commit; a new searcher (and arrays) only if the index changed.

        The check reads current.json and the TOC generation, a few tens of microseconds.
        A changed index gets a fresh searcher rather than `Searcher.refresh()`: reindex
        publishes each generation in a new directory and deletes the one before the
        previous, and segment readers reused across directories could then find the
        files they open lazily gone.
        """
        snapshot = self._snapshot
        try:
            if snapshot.searcher.up_to_date():
                return snapshot
        except (OSError, ValueError):
            log.info("index at %s was replaced; reopening", self.index_dir)
            self._index = open_index(self.index_dir)
        fresh = self._index.searcher()
        log.debug("index changed; new searcher for %s", self.index_dir)
        schema = fresh.schema
        if schema[DEFAULT_FIELD].analyzer != self._analyzer or set(schema.names()) != self._fields:
            # A rebuild with another schema: the parser and the snippet analyser follow it.
            self._use_schema(schema)
        self._snapshot = _Snapshot(fresh, load_columns(fresh.reader()), _generation(fresh))
        snapshot.searcher.close()
        self._terms.clear()
        self._suggestions.clear()
        return self._snapshot

    def _use_schema(self, schema: Any) -> None:
        """Parser and snippet analyser for the index's schema (parsed queries depend on it)."""
        self._analyzer = schema[DEFAULT_FIELD].analyzer
        self._fields = set(schema.names())
        self._parser = make_parser(schema)
        self._tokens = highlight.fast_tokens(self._analyzer)
        self._parsed.clear()

    # --- query text

    def _parse(self, text: str) -> wq.Query | None:
        """Parsed query, cached by text (parsing does not depend on the index contents)."""
        key = text.strip()
        if key in self._parsed:
            self._parsed.move_to_end(key)
            return self._parsed[key]
        parsed = parse_query(key, self._parser)
        self._parsed[key] = parsed
        if len(self._parsed) > _PARSE_CACHE_SIZE:
            self._parsed.popitem(last=False)
        return parsed

    def _text_terms(self, text: str, q: wq.Query | None, snapshot: _Snapshot) -> frozenset[str]:
        """Stems to mark in snippets, wildcards expanded (cached per generation)."""
        key = text.strip()
        found = self._terms.get(key)
        if found is None:
            found = text_terms(q, snapshot.searcher.reader())
            if len(self._terms) > _PARSE_CACHE_SIZE:
                self._terms.clear()
            self._terms[key] = found
        return found

    # --- the search pipeline

    def _match(self, request: SearchRequest, snapshot: _Snapshot) -> _Matches:
        """Run the query once and turn filters, sort and facets' inputs into arrays."""
        columns = snapshot.columns
        q = self._parse(request.q)
        scored = q is not None and request.sort == "relevance"
        if q is None:
            matched, scores = columns.live, None
        else:
            matched, scores = match_documents(
                snapshot.searcher, q, columns.size, scored=scored, lengths=snapshot.lengths
            )
        base = matched & columns.live & _date_mask(columns, request.date_from, request.date_to)
        masks = facet_masks(columns, request.filters)
        docs = np.flatnonzero(combine(base, masks))
        order = docs[_sort_keys(columns, docs, scores, request.sort, browse=q is None)]
        return _Matches(order, scores, base, masks, self._text_terms(request.q, q, snapshot))

    def search(self, request: SearchRequest) -> SearchResponse:
        """One page of hits with facet counts, snippets and a spelling suggestion."""
        if request.mode != "keyword":
            return hybrid.search(self, request)
        started = time.perf_counter()
        with self._lock:
            snapshot = self._current()
            matches = self._match(request, snapshot)
            columns = snapshot.columns
            first = (request.page - 1) * request.per_page
            page = matches.order[first : first + request.per_page]
            hits = tuple(
                self._hit(snapshot.searcher, int(docnum), matches.scores, matches.terms)
                for docnum in page
            )
            facets: tuple[FacetResult, ...] = count_facets(
                columns, matches.base, matches.masks, request.filters, request.facet_limit
            )
            total = int(matches.order.size)
            transcripts = int(np.unique(columns.transcript[matches.order]).size)
            suggestion = self._suggest(request.q, snapshot)
        return SearchResponse(
            request=request,
            total=total,
            hits=hits,
            facets=facets,
            suggestion=suggestion,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            transcripts=transcripts,
        )

    def iter_hits(self, request: SearchRequest) -> Iterator[Hit]:
        """Every hit in result order, with snippets (CSV export); ignores paging.

        Uses a searcher of its own, so a commit or another request during a long
        export cannot close the files it reads.
        """
        if request.mode != "keyword":
            yield from hybrid.iter_hits(self, request)
            return
        searcher, matches = self._export_matches(request)
        try:
            for start in range(0, matches.order.size, _EXPORT_BATCH):
                for docnum in matches.order[start : start + _EXPORT_BATCH]:
                    yield self._hit(searcher, int(docnum), matches.scores, matches.terms)
        finally:
            searcher.close()

    def _export_matches(self, request: SearchRequest) -> tuple[Searcher, _Matches]:
        """A searcher of the caller's own (to close) and every match of `request` in it."""
        with self._lock:
            snapshot = self._current()
            searcher = self._index.searcher()
            if _generation(searcher) != snapshot.generation:
                snapshot = _Snapshot(searcher, load_columns(searcher.reader()), _generation(searcher))
            else:
                snapshot = _Snapshot(searcher, snapshot.columns, snapshot.generation)
            try:
                return searcher, self._match(request, snapshot)
            except BaseException:
                searcher.close()
                raise

    def iter_texts(self, request: SearchRequest) -> Iterator[tuple[Hit, str]]:
        """Every hit in result order with its full text and no snippet (KWIC, CSV export).

        Snippets are most of the cost of `iter_hits`, and these callers need the whole
        text instead; like `iter_hits`, it reads from a searcher of its own.
        """
        if request.mode != "keyword":
            for hit in hybrid.iter_hits(self, request):
                yield hit, self._utterance_text(hit.transcript_id, hit.seq)
            return
        searcher, matches = self._export_matches(request)
        try:
            reader = searcher.reader()
            for docnum in matches.order:
                stored = reader.stored_fields(int(docnum))
                score = float(matches.scores[docnum]) if matches.scores is not None else 0.0
                yield hit_from_stored(stored, score=score, snippet=""), stored.get("text", "")
        finally:
            searcher.close()

    def _utterance_text(self, transcript_id: str, seq: int) -> str:
        """The stored text of one utterance ("" if a reindex removed it)."""
        with self._lock:
            snapshot = self._current()
            docs = _transcript_docs(snapshot, transcript_id)
            docs = docs[snapshot.columns.seq[docs] == seq]
            if not docs.size:
                return ""
            return snapshot.searcher.reader().stored_fields(int(docs[0])).get("text", "")

    def span_finder(self, q: str) -> Callable[[str], list[tuple[int, int]]]:
        """`match_spans` for one query over many texts (KWIC of every hit): terms looked up once."""
        with self._lock:
            snapshot = self._current()
            terms = self._text_terms(q, self._parse(q), snapshot)
            tokens = self._tokens
            items = getattr(self._analyzer, "items", ())
            fast = bool(items) and getattr(items[0], "pattern", None) == WORD_PATTERN
        if not fast:  # another tokenizer: kwic's word-start rules might not hold
            return lambda text: highlight.match_spans(text, terms, tokens)
        return kwic.span_finder(terms, tokens)

    def similar(self, utterance_id: str, limit: int = 10) -> list[Hit]:
        """Utterances of other transcripts nearest in meaning to one utterance ("more like this")."""
        return hybrid.similar(self, utterance_id, limit)

    def _hit(
        self,
        searcher: Searcher,
        docnum: int,
        scores: np.ndarray | None,
        terms: frozenset[str],
    ) -> Hit:
        """The result-list view of one document, its snippet made from the query's text terms."""
        stored = searcher.reader().stored_fields(docnum)
        text = stored.get("text", "")
        return hit_from_stored(
            stored,
            score=float(scores[docnum]) if scores is not None else 0.0,
            snippet=highlight.snippet(text, terms, self._tokens),
        )

    def _suggest(self, text: str, snapshot: _Snapshot) -> str | None:
        """A corrected query if some word is rare and the correction finds more; cached per generation."""
        key = text.strip()
        if not key:
            return None
        if key not in self._suggestions:
            corrected = suggest(key, snapshot.searcher.reader())
            if corrected is not None and self._count(corrected, snapshot) <= self._count(key, snapshot):
                corrected = None
            if len(self._suggestions) > _PARSE_CACHE_SIZE:
                self._suggestions.clear()
            self._suggestions[key] = corrected
        return self._suggestions[key]

    def _count(self, text: str, snapshot: _Snapshot) -> int:
        """Live documents matching a query string, without filters (0 if it does not parse)."""
        try:
            parsed = self._parse(text)
        except BadQuery:
            return 0
        if parsed is None:
            return 0
        matched, _ = match_documents(snapshot.searcher, parsed, snapshot.columns.size)
        return int(np.count_nonzero(matched & snapshot.columns.live))

    # --- transcripts

    def get_transcript(self, transcript_id: str) -> Transcript:
        """The transcript reassembled from its utterances' stored fields; raises NotFound."""
        with self._lock:
            snapshot = self._current()
            docs = _transcript_docs(snapshot, transcript_id)
            stored = [snapshot.searcher.reader().stored_fields(int(d)) for d in docs]
        if not stored:
            raise NotFound(f"no transcript with id {transcript_id!r}")
        return transcript_from_stored(stored)

    def transcript_matches(self, transcript_id: str, q: str) -> dict[int, str]:
        """seq → full text as escaped HTML with matches marked, for the utterances matching `q`."""
        with self._lock:
            snapshot = self._current()
            parsed = self._parse(q)
            if parsed is None:
                return {}
            terms = self._text_terms(q, parsed, snapshot)
            matched, _ = match_documents(snapshot.searcher, parsed, snapshot.columns.size)
            docs = _transcript_docs(snapshot, transcript_id)
            docs = docs[matched[docs]]
            stored = [snapshot.searcher.reader().stored_fields(int(d)) for d in docs]
        return {
            int(fields["seq"]): highlight.highlight_all(fields.get("text", ""), terms, self._tokens)
            for fields in stored
        }

    def match_spans(self, text: str, q: str) -> list[tuple[int, int]]:
        """Character spans of the words of `text` that match the query's text terms (for KWIC)."""
        with self._lock:
            snapshot = self._current()
            parsed = self._parse(q)
            terms = self._text_terms(q, parsed, snapshot)
        return highlight.match_spans(text, terms, self._tokens)


def search(index_dir: Path | str, request: SearchRequest) -> SearchResponse:
    """One search on a freshly opened index (for scripts; servers keep an Engine)."""
    with Engine(index_dir) as engine:
        return engine.search(request)


# --- helpers (pure or nearly)


def _generation(searcher: Searcher) -> int:
    generation = searcher.reader().generation()
    return -1 if generation is None else int(generation)


def match_documents(
    searcher: Searcher,
    q: wq.Query,
    size: int,
    *,
    scored: bool = False,
    lengths: FieldLengths | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Boolean mask of the documents matching `q`, and their scores if `scored`.

    With `lengths`, word queries (and/or/not) are scored a block at a time (search.scoring): same scores.
    """
    matched = np.zeros(size, dtype=bool)
    scores = np.zeros(size, dtype=np.float64) if scored else None
    context = searcher.context(needs_current=scored)
    for leaf, offset in searcher.leaf_searchers():
        matcher = q.matcher(leaf, context)
        fast = tree_scores(matcher, leaf, lengths) if scored and lengths is not None else None
        if fast is not None:
            assert scores is not None
            found = fast[0] + offset
            scores[found] = fast[1]
        elif scored:
            assert scores is not None
            ids: list[int] = []
            values: list[float] = []
            while matcher.is_active():
                ids.append(matcher.id())
                values.append(matcher.score())
                matcher.next()
            found = np.asarray(ids, dtype=np.int64) + offset
            scores[found] = values
        else:
            ids_only = tree_ids(matcher, leaf)
            if ids_only is None:
                ids_only = np.fromiter(matcher.all_ids(), dtype=np.int64)
            found = ids_only + offset
        matched[found] = True
    return matched, scores


def _date_mask(columns: Columns, date_from: dt.date | None, date_to: dt.date | None) -> np.ndarray:
    """Documents dated within [from, to] (whole days, both ends included)."""
    mask = np.ones(columns.size, dtype=bool)
    if date_from is not None:
        mask &= columns.day >= day_number(date_from)
    if date_to is not None:
        mask &= columns.day <= day_number(date_to)
    return mask


def _sort_keys(
    columns: Columns, docs: np.ndarray, scores: np.ndarray | None, sort: str, *, browse: bool
) -> np.ndarray:
    """Positions of `docs` in result order; every order ends in (transcript, seq) so ties are stable."""
    day = columns.day[docs]
    transcript = columns.transcript[docs]
    seq = columns.seq[docs]
    if sort == "date":
        return np.lexsort((seq, transcript, day))
    if sort == "-date" or browse or scores is None:
        return np.lexsort((seq, transcript, -day))
    return np.lexsort((seq, transcript, -day, -scores[docs]))


def _transcript_docs(snapshot: _Snapshot, transcript_id: str) -> np.ndarray:
    """Live document numbers of one transcript, in seq order."""
    reader = snapshot.searcher.reader()
    columns = snapshot.columns
    if not reader.doc_frequency(TRANSCRIPT_FIELD, transcript_id):
        return np.zeros(0, dtype=np.int64)
    docs = np.fromiter(reader.postings(TRANSCRIPT_FIELD, transcript_id).all_ids(), dtype=np.int64)
    docs = docs[columns.live[docs]]
    return docs[np.argsort(columns.seq[docs], kind="stable")]


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split(MULTI_VALUE_SEPARATOR) if v)


def hit_from_stored(stored: dict[str, Any], *, score: float, snippet: str) -> Hit:
    """A Hit from one document's stored fields."""
    return Hit(
        id=stored["id"],
        transcript_id=stored["transcript_id"],
        seq=int(stored["seq"]),
        speaker=stored.get(FACET_BY_NAME["speaker"].field, ""),
        role=stored.get(FACET_BY_NAME["role"].field, ""),
        kind=stored.get("kind", ""),
        date=_as_date(stored["date"]),
        title=stored.get("title", ""),
        place=stored.get(FACET_BY_NAME["place"].field, ""),
        score=score,
        snippet=snippet,
    )


def transcript_from_stored(documents: list[dict[str, Any]]) -> Transcript:
    """A Transcript from the stored fields of its utterances (already in seq order)."""
    first = documents[0]
    utterances = tuple(
        Utterance(
            id=d["id"],
            transcript_id=d["transcript_id"],
            seq=int(d["seq"]),
            speaker=d.get(FACET_BY_NAME["speaker"].field, ""),
            role=d.get(FACET_BY_NAME["role"].field, ""),
            kind=d.get("kind", ""),
            text=d.get("text", ""),
        )
        for d in documents
    )
    return Transcript(
        id=first["transcript_id"],
        title=first.get("title", ""),
        date=_as_date(first["date"]),
        summary=first.get("summary") or "",
        time=first.get("time"),
        place=first.get(FACET_BY_NAME["place"].field) or None,
        section=first.get("section"),
        topics=_split(first.get(FACET_BY_NAME["topic"].field)),
        geography=_split(first.get(FACET_BY_NAME["geography"].field)),
        persons=tuple(first.get("persons") or ()),
        source=first.get("url") or first.get("source", ""),
        utterances=utterances,
    )
