"""The search pipeline every mode runs, as stages over one index view:

match → filter masks → facet counts → order → page → hits with snippets → response.

Keyword mode is `rank_keyword`; semantic and hybrid modes (search.hybrid) build their
own ranking but use the same masks, facet counting, ordering, paging, hits and
response. The Engine (search.engine) only finds a `View` for a request and picks the mode.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from index.schema import FACETS, day_number
from index.stored import hit_fields, stored_text
from search import exact, highlight
from search.columns import Columns
from search.facets import check_named, combine, facet_masks, facet_result
from search.scoring import FieldLengths, tree_ids, tree_scores
from search.types import FacetResult, Hit, SearchRequest, SearchResponse

log = logging.getLogger(__name__)

# The snippet stage: (full text, terms to mark, analyser) → HTML; `highlight.snippet` unless replaced.
SnippetStage = Callable[[str, Collection[str], highlight.Analyzer], str]


@dataclass(frozen=True)
class View:
    """What one request reads: a searcher of its own and its generation's arrays (docnums agree)."""

    searcher: Searcher
    columns: Columns
    generation: int
    tokens: highlight.Analyzer
    # Field lengths of this searcher's segments for vectorised scoring (search.scoring).
    lengths: FieldLengths = field(default_factory=FieldLengths)
    snippet: SnippetStage = highlight.snippet

    def stored(self, docnum: int) -> dict[str, Any]:
        """The stored fields of one document."""
        return self.searcher.reader().stored_fields(docnum)


@dataclass(frozen=True)
class Ranked:
    """A request's documents in result order, how to count facets over them and how to show one."""

    order: np.ndarray
    facets: Callable[[], tuple[FacetResult, ...]]
    # (view, docnum, with snippet?) → Hit; keyword hits skip the snippet when it is not wanted.
    hit: Callable[[View, int, bool], Hit]


# --- match


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
    exact.check_expansion(q, searcher.reader())  # wildcards and ranges bounded before they expand
    matched = np.zeros(size, dtype=bool)
    scores = np.zeros(size, dtype=np.float64) if scored else None
    context = searcher.context(needs_current=scored)
    for leaf, offset in searcher.leaf_searchers():
        matcher = q.matcher(leaf, context)
        fast = tree_scores(matcher, leaf, lengths) if scored and lengths is not None else None
        if fast is not None:
            assert scores is not None
            scores[fast[0] + offset] = fast[1]
            found = fast[0] + offset
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


def count_matches(view: View, q: wq.Query | None) -> int:
    """Live documents matching `q`, without filters (0 for no query)."""
    if q is None:
        return 0
    matched, _ = match_documents(view.searcher, q, view.columns.size)
    return int(np.count_nonzero(matched & view.columns.live))


# --- filter masks


def date_mask(columns: Columns, date_from: dt.date | None, date_to: dt.date | None) -> np.ndarray:
    """Documents whose period overlaps [from, to] (whole days, both ends included; a partial
    date such as `2011` is the whole year, DESIGN §6)."""
    mask = np.ones(columns.size, dtype=bool)
    if date_from is not None:
        mask &= (columns.day if columns.day_end is None else columns.day_end) >= day_number(date_from)
    if date_to is not None:
        mask &= columns.day <= day_number(date_to)
    return mask


def filter_masks(
    columns: Columns, request: SearchRequest, matched: np.ndarray | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(live, matched and dated documents; one mask per filtered facet): what every mode filters by."""
    check_named(columns, request.named, request.filters)
    base = columns.live & date_mask(columns, request.date_from, request.date_to)
    if matched is not None:
        base = base & matched
    return base, facet_masks(columns, request.filters)


# --- facet counts


def as_mask(size: int, docs: np.ndarray) -> np.ndarray:
    """A boolean mask over all document numbers with `docs` set."""
    mask = np.zeros(size, dtype=bool)
    mask[docs] = True
    return mask


def count_facets(
    columns: Columns,
    counted: Callable[[str], np.ndarray],
    filters: Mapping[str, tuple[str, ...]],
    limit: int,
) -> tuple[FacetResult, ...]:
    """Every facet of FACETS, then the corpus's metadata facets (DESIGN §6), over `counted(facet name)`:
    the hits with the *other* facets' filters."""
    results = []
    for name in (*(facet.name for facet in FACETS), *columns.meta_facets):
        try:
            column = columns.facets[name]
            counts = column.count(counted(name))
            results.append(facet_result(column, counts, filters.get(name, ()), limit))
        except Exception as error:  # one broken facet must not take the page down
            log.exception("facet %s failed", name)
            results.append(FacetResult(name, error=str(error)))
    return tuple(results)


# --- order and page


def order_documents(
    columns: Columns, docs: np.ndarray, sort: str, rank: np.ndarray | None = None
) -> np.ndarray:
    """`docs` in result order; every order ends in (newest day, transcript, seq) so ties are stable.

    `rank` (one value per doc, higher first) orders by relevance; without it relevance means newest first.
    """
    if not docs.size:
        return docs
    day = columns.day[docs]
    transcript = columns.transcript[docs]
    seq = columns.seq[docs]
    if sort == "date":
        return docs[np.lexsort((seq, transcript, day))]
    if sort == "-date" or rank is None:
        return docs[np.lexsort((seq, transcript, -day))]
    return docs[np.lexsort((seq, transcript, -day, -rank))]


def page_of(order: np.ndarray, request: SearchRequest) -> np.ndarray:
    """The documents of the request's page."""
    first = (request.page - 1) * request.per_page
    return order[first : first + request.per_page]


# --- hits


def make_hit(stored: dict[str, Any], *, score: float, snippet: str, matched_by: str = "keyword") -> Hit:
    """A Hit from one document's stored fields."""
    return Hit(**hit_fields(stored), score=score, snippet=snippet, matched_by=matched_by)


def keyword_hit(view: View, docnum: int, score: float, terms: frozenset[str], with_snippet: bool = True) -> Hit:
    """The result-list view of one document, its snippet made from the query's text terms."""
    stored = view.stored(docnum)
    snippet = view.snippet(stored_text(stored), terms, view.tokens) if with_snippet else ""
    return make_hit(stored, score=score, snippet=snippet)


# --- keyword mode


def rank_keyword(
    view: View, q: wq.Query | None, request: SearchRequest, terms: frozenset[str]
) -> Ranked:
    """Keyword mode: match the query once, filter, order; facets and hits from the same arrays."""
    columns = view.columns
    scored = q is not None and request.sort == "relevance"
    matched, scores = (None, None) if q is None else match_documents(
        view.searcher, q, columns.size, scored=scored, lengths=view.lengths
    )
    base, masks = filter_masks(columns, request, matched)
    docs = np.flatnonzero(combine(base, masks))
    order = order_documents(columns, docs, request.sort, None if scores is None else scores[docs])

    def facets() -> tuple[FacetResult, ...]:
        counted = lambda name: combine(base, masks, skip=name)  # noqa: E731
        return count_facets(columns, counted, request.filters, request.facet_limit)

    def hit(view: View, docnum: int, with_snippet: bool) -> Hit:
        score = float(scores[docnum]) if scores is not None else 0.0
        return keyword_hit(view, docnum, score, terms, with_snippet)

    return Ranked(order, facets, hit)


# --- response


def respond(
    request: SearchRequest,
    view: View,
    ranked: Ranked,
    suggestion: str | None,
    started: float,
) -> SearchResponse:
    """The response for one page of `ranked`: hits with snippets, facet counts, totals."""
    hits = tuple(ranked.hit(view, int(doc), True) for doc in page_of(ranked.order, request))
    return SearchResponse(
        request=request,
        total=int(ranked.order.size),
        hits=hits,
        facets=ranked.facets(),
        suggestion=suggestion,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        transcripts=int(np.unique(view.columns.transcript[ranked.order]).size),
    )


# --- documents by id


def transcript_docs(columns: Columns, transcript_id: str) -> np.ndarray:
    """Live document numbers of one transcript, in seq order."""
    ordinal = columns.transcript_ordinal(transcript_id)
    if ordinal < 0:
        return np.zeros(0, dtype=np.int64)
    docs = np.flatnonzero(columns.live & (columns.transcript == ordinal))
    return docs[np.argsort(columns.seq[docs], kind="stable")]


def utterance_docs(columns: Columns, utterance_id: str) -> np.ndarray:
    """Live documents of one utterance id `transcript_id:seq` (at most one)."""
    transcript_id, _, seq = utterance_id.rpartition(":")
    if not seq.isdigit():
        return np.zeros(0, dtype=np.int64)
    docs = transcript_docs(columns, transcript_id)
    return docs[columns.seq[docs] == int(seq)]
