"""The one search entry point: `Engine(index_dir).search(SearchRequest) -> SearchResponse`.

An Engine keeps the open index, the per-document arrays of its latest generation
(`search.columns`), a pool of searchers over that generation and the caches of parsed
queries, highlight terms and suggestions. It picks the mode; the stages themselves
are in `search.pipeline` (keyword) and `search.hybrid` (semantic, hybrid).

Threads do not wait on each other: a lock guards only the cheap check for a new commit
and the taking or giving back of a searcher; each request then reads with a searcher
of its own (Whoosh searchers are not safe to share), over the same arrays.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from whoosh import query as wq
from whoosh.searching import Searcher

from index.analysis import WORD_PATTERN
from index.models import Transcript
from index.generations import current_generation_dir
from index.schema import DEFAULT_FIELD, FACET_BY_NAME
from index.stored import stored_text, transcript_from_stored
from index.reader import open_index
from search import highlight, hybrid, kwic, people, pipeline
from search.columns import Columns, load_columns
from search.errors import BadQuery, NotFound
from search.pipeline import Ranked, View
from search.scoring import FieldLengths
from search import query as query_language
from search.query import ParsedQuery, make_parser
from search.suggest import suggest
from search.types import Hit, SearchRequest, SearchResponse

if TYPE_CHECKING:
    from search.quote import QuoteResult

log = logging.getLogger(__name__)

_CACHE_SIZE = 512
# Idle searchers kept per generation: about one per server thread.
_POOL_SIZE = 8


class _Cache:
    """A small LRU map safe to share between threads."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._size = size
        self._lock = threading.RLock()

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        """The cached value of `key`, made (outside the lock) if missing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass
class _Generation:
    """One index generation: its arrays, and searchers over it not in use by a request."""

    number: int
    columns: Columns
    idle: list[tuple[Searcher, FieldLengths]]
    current: bool = True


class Engine:
    """Searches one index directory; safe to share between threads, which do not serialise."""

    def __init__(
        self,
        index_dir: Path | str,
        semantic: hybrid.SemanticIndex | None = None,
        *,
        snippet: pipeline.SnippetStage = highlight.snippet,
    ) -> None:
        self.index_dir = Path(index_dir)
        # Semantic/hybrid modes and `similar` (search/hybrid.py); made with the default model on first use.
        self.semantic = semantic
        self._snippet = snippet
        # Re-entrant: a Texts left unread gives its searcher back when collected, and the
        # collector may run while this thread holds the lock.
        self._lock = threading.RLock()
        self._index = open_index(self.index_dir)
        self._terms = _Cache()
        self._suggestions = _Cache()
        # The people of the current generation (search.people), built on first use.
        self._people: people.People | None = None
        self._people_lock = threading.Lock()
        searcher = self._index.searcher()
        self._use_schema(searcher.schema)
        # The analyser loads nltk's stemmers on first use (most of a second): pay it
        # here rather than in the first request.
        list(self.tokens("warming up"))
        self._generation = _Generation(_generation(searcher), load_columns(searcher.reader()), [])
        self._generation.idle.append((searcher, FieldLengths()))

    # --- lifecycle

    def close(self) -> None:
        """Release the idle searchers' files (searchers in use are closed when given back)."""
        with self._lock:
            self._generation.current = False
            idle, self._generation.idle = self._generation.idle, []
        for searcher, _ in idle:
            searcher.close()

    def __del__(self) -> None:
        # An Engine dropped without close() (an app in a test, a script) releases its files when
        # collected: each open segment holds a file (the index is read, not memory-mapped).
        try:
            self.close()
        except Exception:  # noqa: BLE001 — half-built, or the interpreter is shutting down
            pass

    def __enter__(self) -> "Engine":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def view(self) -> Iterator[View]:
        """A searcher of the caller's own over the latest commit, with that generation's arrays.

        The check for a commit reads current.json and the TOC generation, a few tens of
        microseconds, and is the only thing done under the lock. A changed index gets
        fresh searchers rather than `Searcher.refresh()`: reindex publishes each generation
        in a new directory and deletes the one before the previous, and segment readers
        reused across directories could then find the files they open lazily gone.
        """
        searcher, generation, lengths = self._take()
        try:
            yield View(searcher, generation.columns, generation.number, self.tokens, lengths, self._snippet)
        finally:
            self._give_back(searcher, generation, lengths)

    def _take(self) -> tuple[Searcher, _Generation, FieldLengths]:
        """An idle searcher of the latest generation, or a new one (new arrays too if the index changed)."""
        with self._lock:
            generation = self._generation
            if generation.idle:
                searcher, lengths = generation.idle.pop()
            else:
                searcher, lengths = self._index.searcher(), FieldLengths()
            try:
                fresh = searcher.up_to_date()
            except (OSError, ValueError):
                log.info("index at %s was replaced; reopening", self.index_dir)
                self._index = open_index(self.index_dir)
                fresh = False
            if fresh and _generation(searcher) == generation.number:
                return searcher, generation, lengths
            searcher.close()
            searcher = self._index.searcher()
            log.debug("index changed; new searcher for %s", self.index_dir)
            schema = searcher.schema
            if schema[DEFAULT_FIELD].analyzer != self._analyzer or set(schema.names()) != self._fields:
                # A rebuild with another schema: the parser and the snippet analyser follow it.
                self._use_schema(schema)
            stale, self._generation = generation, _Generation(
                _generation(searcher), load_columns(searcher.reader()), []
            )
            stale.current = False
            idle, stale.idle = stale.idle, []
            generation = self._generation
        # Outside the lock: the caches' locks are never taken while holding the engine's.
        self._terms.clear()
        self._suggestions.clear()
        for old, _ in idle:
            old.close()
        return searcher, generation, FieldLengths()

    def _give_back(self, searcher: Searcher, generation: _Generation, lengths: FieldLengths) -> None:
        """Keep the searcher for the next request if its generation is still the latest, else close it."""
        with self._lock:
            keep = generation.current and len(generation.idle) < _POOL_SIZE
            if keep:
                generation.idle.append((searcher, lengths))
        if not keep:
            searcher.close()

    def _use_schema(self, schema: Any) -> None:
        """Parser and snippet analyser for the index's schema (parsed queries depend on it)."""
        self._analyzer = schema[DEFAULT_FIELD].analyzer
        self._fields = set(schema.names())
        self._parser = make_parser(schema)
        self.tokens: highlight.Analyzer = highlight.fast_tokens(self._analyzer)
        self._parsed = _Cache()  # a fresh cache rather than clearing: no cache lock under the engine's

    # --- query text

    def read(self, text: str) -> tuple[ParsedQuery, wq.Query | None]:
        """The query's tree and Whoosh query, cached by text (neither depends on the index contents).

        Raises BadQuery (refusals are cached too).
        """
        key = text.strip()
        return self._parsed.get(key, lambda: _parsed_or_error(key, self._parser)).result()

    def parse(self, text: str) -> wq.Query | None:
        """The Whoosh query of a query string (None: browse). Raises BadQuery."""
        return self.read(text)[1]

    def _text_terms(self, text: str, view: View) -> frozenset[str]:
        """Stems to mark in snippets, wildcards expanded (cached per generation)."""
        key = (view.generation, text.strip())
        parsed = self.read(text)[0]
        return self._terms.get(
            key, lambda: query_language.highlight_terms(parsed, self._parser, view.searcher.reader())
        )

    def _suggest(self, text: str, view: View) -> str | None:
        """A corrected query if some word is rare and the correction finds more; cached per generation."""
        key = text.strip()
        if not key:
            return None

        def make() -> str | None:
            corrected = suggest(self.read(key)[0], view.searcher.reader())
            if corrected is not None and self._count(corrected, view) <= self._count(key, view):
                return None
            return corrected

        return self._suggestions.get((view.generation, key), make)

    def _count(self, text: str, view: View) -> int:
        """Live documents matching a query string, without filters (0 if it does not parse)."""
        try:
            return pipeline.count_matches(view, self.parse(text))
        except BadQuery:
            return 0

    # --- searching

    def semantic_index(self) -> hybrid.SemanticIndex:
        """The semantic component, made with the default model on first use."""
        if self.semantic is None:
            self.semantic = hybrid.SemanticIndex(self.index_dir)
        return self.semantic

    def _rank(self, request: SearchRequest, view: View, vector: Any) -> tuple[Ranked, str | None]:
        """The request's ranking in its mode, and the spelling suggestion (keyword and hybrid modes)."""
        q = self.parse(request.q)
        terms = self._text_terms(request.q, view)
        if request.mode == "keyword" or q is None or vector is None:
            return pipeline.rank_keyword(view, q, request, terms), self._suggest(request.q, view)
        if request.mode == "hybrid":
            return hybrid.rank(self.semantic_index(), view, q, request, vector, terms), self._suggest(request.q, view)
        return hybrid.rank(self.semantic_index(), view, q, request, vector, frozenset()), None

    def _vector(self, request: SearchRequest) -> Any:
        """The query's vector in semantic and hybrid modes (None in keyword mode).

        Computed before taking a searcher: the first one loads the model (seconds).
        """
        if request.mode == "keyword":
            return None
        semantic = hybrid.ready(self.semantic_index(), request.mode)
        return hybrid.query_vector(semantic, self.read(request.q)[0])

    def resolve_people(self, request: SearchRequest) -> SearchRequest:
        """The request with `speaker=Putin` resolved to the one person it names (search.people);
        raises BadQuery listing the candidates, or the closest names when there is none."""
        values = request.filters.get("speaker", ())
        if not values:
            return request
        field = FACET_BY_NAME["speaker"].field
        with self.view() as view:
            reader = view.searcher.reader()
            known = {value for value in values if reader.doc_frequency(field, value)}
        return people.resolve_request(request, self.people, known.__contains__)

    def people(self) -> people.People:
        """The people of the current index generation, built once per generation (about a second)."""
        generation = current_generation_dir(self.index_dir)
        # Its own lock: building reads every stored document (30 s at 100 copies of the corpus),
        # and under the engine's lock every search would wait for it.
        with self._people_lock:
            if self._people is None or self._people.generation != generation:
                self._people = people.people_of(generation)
            return self._people

    def search(self, request: SearchRequest) -> SearchResponse:
        """One page of hits with facet counts, snippets and a spelling suggestion."""
        started = time.perf_counter()
        request = self.resolve_people(request)
        vector = self._vector(request)
        with self.view() as view:
            ranked, suggestion = self._rank(request, view, vector)
            return pipeline.respond(request, view, ranked, suggestion, started)

    def iter_hits(self, request: SearchRequest) -> Iterator[Hit]:
        """Every hit in result order, with snippets (CSV export); ignores paging.

        Holds a searcher of its own while it runs, so a commit during a long export
        cannot close the files it reads.
        """
        request = self.resolve_people(request)
        vector = self._vector(request)
        with self.view() as view:
            ranked, _ = self._rank(request, view, vector)
            for docnum in ranked.order:
                yield ranked.hit(view, int(docnum), True)

    def iter_texts(self, request: SearchRequest) -> "Texts":
        """Every hit in result order with its full text (KWIC, CSV export); close it when done.

        Snippets are most of the cost of `iter_hits`, and these callers need the whole
        text instead: keyword hits come without a snippet.
        """
        return self._texts(request, respond=False)[1]

    def concordance(self, request: SearchRequest) -> tuple[SearchResponse, "Texts"]:
        """The response for `request` and every hit's full text in result order, from one match (KWIC)."""
        response, texts = self._texts(request, respond=True)
        assert response is not None
        return response, texts

    def _texts(self, request: SearchRequest, *, respond: bool) -> tuple[SearchResponse | None, "Texts"]:
        """Rank once; the searcher stays taken until the texts are read or closed."""
        started = time.perf_counter()
        request = self.resolve_people(request)
        vector = self._vector(request)
        stack = contextlib.ExitStack()
        view = stack.enter_context(self.view())
        try:
            ranked, suggestion = self._rank(request, view, vector)
            response = pipeline.respond(request, view, ranked, suggestion, started) if respond else None
        except BaseException:
            stack.close()
            raise
        return response, Texts(view, ranked, stack)

    def span_finder(self, q: str) -> Callable[[str], list[tuple[int, int]]]:
        """`match_spans` for one query over many texts (KWIC of every hit): terms looked up once."""
        with self.view() as view:
            terms = self._text_terms(q, view)
        tokens = self.tokens
        items = getattr(self._analyzer, "items", ())
        fast = bool(items) and getattr(items[0], "pattern", None) == WORD_PATTERN
        if not fast or getattr(terms, "phrases", ()):  # another tokenizer, or exact phrases to mark as runs
            return lambda text: highlight.match_spans(text, terms, tokens)
        return kwic.span_finder(terms, tokens)

    def find_quote(self, text: str, limit: int = 10) -> "QuoteResult":
        """The sources of a quote (search.quote); paraphrases too where semantic search is ready."""
        from search.quote import embedder_similarity, find_quote

        semantic = self.semantic_index()
        similarity = None if hybrid.unavailable_reason(semantic) else embedder_similarity(semantic.embedder)
        with self.view() as view:
            return find_quote(view.searcher, text, limit=limit, similarity=similarity)

    def similar(self, utterance_id: str, limit: int = 10) -> list[Hit]:
        """Utterances of other transcripts nearest in meaning to one utterance ("more like this")."""
        semantic = hybrid.ready(self.semantic_index(), hybrid.SEMANTIC)
        with self.view() as view:
            return hybrid.similar(semantic, view, utterance_id, limit)

    # --- transcripts

    def meta_facets(self) -> tuple[str, ...]:
        """The metadata facets the index's corpus declared (DESIGN §6), e.g. ("country", "session")."""
        with self.view() as view:
            return view.columns.meta_facets

    def get_transcript(self, transcript_id: str) -> Transcript:
        """The transcript reassembled from its utterances' stored fields; raises NotFound."""
        with self.view() as view:
            stored = [view.stored(int(d)) for d in pipeline.transcript_docs(view.columns, transcript_id)]
        if not stored:
            raise NotFound(f"no transcript with id {transcript_id!r}")
        return transcript_from_stored(stored)

    def transcript_matches(self, transcript_id: str, q: str) -> dict[int, str]:
        """seq → full text as escaped HTML with matches marked, for the utterances matching `q`."""
        parsed = self.parse(q)
        if parsed is None:
            return {}
        with self.view() as view:
            terms = self._text_terms(q, view)
            matched, _ = pipeline.match_documents(view.searcher, parsed, view.columns.size)
            docs = pipeline.transcript_docs(view.columns, transcript_id)
            stored = [view.stored(int(d)) for d in docs[matched[docs]]]
        return {
            int(fields["seq"]): highlight.highlight_all(stored_text(fields), terms, self.tokens)
            for fields in stored
        }

    def match_spans(self, text: str, q: str) -> list[tuple[int, int]]:
        """Character spans of the words of `text` that match the query's text terms (for KWIC)."""
        self.parse(q)
        with self.view() as view:
            terms = self._text_terms(q, view)
        return highlight.match_spans(text, terms, self.tokens)


class Texts:
    """Every hit of a ranking with its full text, read with the searcher it was ranked with.

    Close it (or read it to the end) to give the searcher back.
    """

    def __init__(self, view: View, ranked: Ranked, stack: contextlib.ExitStack) -> None:
        self._view = view
        self._ranked = ranked
        self._stack = stack
        self._items = self._read()

    def __iter__(self) -> "Texts":
        return self

    def __next__(self) -> tuple[Hit, str]:
        return next(self._items)

    def _read(self) -> Iterator[tuple[Hit, str]]:
        try:
            for docnum in self._ranked.order:
                hit = self._ranked.hit(self._view, int(docnum), False)
                yield hit, stored_text(self._view.stored(int(docnum)))
        finally:
            self._stack.close()

    def close(self) -> None:
        """Give the searcher back."""
        self._items.close()
        self._stack.close()


@dataclass(frozen=True)
class _Parsed:
    """A read query or the BadQuery it raised (both cached: a bad query is as cheap to refuse again)."""

    parsed: ParsedQuery | None
    query: wq.Query | None
    error: BadQuery | None

    def result(self) -> tuple[ParsedQuery, wq.Query | None]:
        if self.error is not None:
            raise self.error
        assert self.parsed is not None
        return self.parsed, self.query


def _parsed_or_error(text: str, parser: Any) -> _Parsed:
    try:
        parsed = query_language.parse(text)
        return _Parsed(parsed, query_language.whoosh_query(parsed, parser), None)
    except BadQuery as error:
        return _Parsed(None, None, error)


def search(index_dir: Path | str, request: SearchRequest) -> SearchResponse:
    """One search on a freshly opened index (for scripts; servers keep an Engine)."""
    with Engine(index_dir) as engine:
        return engine.search(request)


def _generation(searcher: Searcher) -> int:
    generation = searcher.reader().generation()
    return -1 if generation is None else int(generation)
