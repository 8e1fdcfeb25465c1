"""Per-document arrays read once per index generation: dates, order keys and facet value ordinals.

Filtering, sorting and facet counting then become numpy operations over document
numbers instead of Whoosh queries, which is what keeps a request with six facet
counts as cheap as one search.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np
from whoosh.columns import NumericColumn
from whoosh.reading import IndexReader

from index.schema import DAY_END_FIELD, DAY_FIELD, FACETS, META_FACET_PREFIX, FacetField
from index.stored import SEQ_FIELD, TRANSCRIPT_FIELD


@dataclass(frozen=True)
class FacetColumn:
    """Document → value ordinals of one facet; `values` are in lexicon (sorted) order.

    Single-valued facets keep one ordinal per document (-1 for none); multi-valued
    ones keep (document, ordinal) pairs, one per value of a document.
    """

    facet: FacetField
    values: tuple[str, ...]
    ordinals: dict[str, int]
    doc_ordinal: np.ndarray | None = None
    entry_doc: np.ndarray | None = None
    entry_ordinal: np.ndarray | None = None

    @property
    def name(self) -> str:
        """The facet's API name."""
        return self.facet.name

    def selected_ordinals(self, selected: tuple[str, ...]) -> np.ndarray:
        """Ordinals of the selected values that exist in the index."""
        return np.array(
            [self.ordinals[v] for v in selected if v in self.ordinals], dtype=np.int64
        )

    def mask(self, selected: tuple[str, ...], size: int) -> np.ndarray:
        """Boolean per document: has at least one of the `selected` values (OR within a facet)."""
        wanted = np.zeros(len(self.values) + 1, dtype=bool)
        wanted[self.selected_ordinals(selected) + 1] = True
        if self.doc_ordinal is not None:
            return wanted[self.doc_ordinal + 1]
        assert self.entry_doc is not None and self.entry_ordinal is not None
        result = np.zeros(size, dtype=bool)
        result[self.entry_doc[wanted[self.entry_ordinal + 1]]] = True
        return result

    def count(self, docs: np.ndarray) -> np.ndarray:
        """Documents per value among `docs` (a boolean mask over all document numbers)."""
        if self.doc_ordinal is not None:
            chosen = self.doc_ordinal[docs]
            return np.bincount(chosen + 1, minlength=len(self.values) + 1)[1:]
        assert self.entry_doc is not None and self.entry_ordinal is not None
        chosen = self.entry_ordinal[docs[self.entry_doc]]
        return np.bincount(chosen, minlength=len(self.values))


@dataclass(frozen=True)
class Columns:
    """Everything per document that search needs besides the inverted index itself."""

    size: int
    live: np.ndarray
    day: np.ndarray
    transcript: np.ndarray
    transcript_ids: tuple[str, ...]
    seq: np.ndarray
    facets: dict[str, FacetColumn]
    # The last day of each document's period (a partial date `2011` runs to 2011-12-31).
    day_end: np.ndarray | None = None

    @property
    def meta_facets(self) -> tuple[str, ...]:
        """The metadata facets an own corpus declared (DESIGN §6), by name."""
        return tuple(name for name, column in self.facets.items() if column.facet.field.startswith(META_FACET_PREFIX))

    def transcript_ordinal(self, transcript_id: str) -> int:
        """The ordinal of a transcript id in `transcript_ids` (lexicon order, so sorted), -1 if absent."""
        at = bisect_left(self.transcript_ids, transcript_id)
        found = at < len(self.transcript_ids) and self.transcript_ids[at] == transcript_id
        return at if found else -1


def meta_facet_fields(reader: IndexReader) -> list[FacetField]:
    """The metadata facets present in an index: one `meta_<name>` column each, sorted by name."""
    return [
        FacetField(name[len(META_FACET_PREFIX) :], name)
        for name in sorted(reader.indexed_field_names())
        if name.startswith(META_FACET_PREFIX)
    ]


def _postings_by_term(reader: IndexReader, field: str) -> list[tuple[str, np.ndarray]]:
    """(term, live document numbers) for every term of an exact-valued field, in lexicon order.

    Read segment by segment: asking the whole reader for a term's postings looks the term up in
    every segment (at 100 copies of the corpus, 34k terms × 30 segments of lookups, most of them
    misses, were most of an engine's start)."""
    parts: dict[str, list[np.ndarray]] = {}
    for leaf, offset in reader.leaf_readers():
        if field not in leaf.indexed_field_names():
            continue
        for term in leaf.field_terms(field):
            text = term.decode("utf-8") if isinstance(term, bytes) else str(term)
            docs = np.fromiter(leaf.postings(field, term).all_ids(), dtype=np.int64)
            # A value whose documents are all deleted is kept too, as the whole reader listed it.
            parts.setdefault(text, []).append(docs + offset)
    return [(text, np.concatenate(parts[text])) for text in sorted(parts)]


def _single_valued(reader: IndexReader, facet: FacetField, size: int) -> FacetColumn:
    """Ordinal per document from the postings of each value."""
    postings = _postings_by_term(reader, facet.field)
    doc_ordinal = np.full(size, -1, dtype=np.int64)
    for ordinal, (_, docs) in enumerate(postings):
        doc_ordinal[docs] = ordinal
    values = tuple(term for term, _ in postings)
    return FacetColumn(facet, values, {v: i for i, v in enumerate(values)}, doc_ordinal=doc_ordinal)


def _multi_valued(reader: IndexReader, facet: FacetField) -> FacetColumn:
    """(document, ordinal) pairs from the postings of each value."""
    postings = _postings_by_term(reader, facet.field)
    values = tuple(term for term, _ in postings)
    if postings:
        entry_doc = np.concatenate([docs for _, docs in postings])
        entry_ordinal = np.concatenate(
            [np.full(len(docs), i, dtype=np.int64) for i, (_, docs) in enumerate(postings)]
        )
    else:
        entry_doc = entry_ordinal = np.zeros(0, dtype=np.int64)
    return FacetColumn(
        facet,
        values,
        {v: i for i, v in enumerate(values)},
        entry_doc=entry_doc,
        entry_ordinal=entry_ordinal,
    )


def _numeric_column(reader: IndexReader, field: str, size: int) -> np.ndarray:
    """A sortable numeric column as an int64 array, segment by segment."""
    if size == 0 or not reader.has_column(field):
        return np.zeros(size, dtype=np.int64)
    values = np.empty(size, dtype=np.int64)
    for leaf, offset in reader.leaf_readers():
        count = leaf.doc_count_all()
        values[offset : offset + count] = _leaf_numbers(leaf, field, count)
    return values


# struct typecodes of Whoosh's numeric columns → numpy's (big-endian, as Whoosh packs them with "!").
_NUMPY_TYPES = {"b": ">i1", "B": ">u1", "h": ">i2", "H": ">u2", "i": ">i4", "I": ">u4", "l": ">i4", "L": ">u4", "q": ">i8", "Q": ">u8"}


def _leaf_numbers(leaf: IndexReader, field: str, count: int) -> np.ndarray:
    """One segment's numeric column: its bytes read at once when it is a plain integer column
    (a value per document was 1.7M Python calls at 100 copies of the corpus), else value by value."""
    raw = leaf.column_reader(field, translate=False)
    to_value = getattr(leaf.schema[field], "from_column_value", None)
    if type(raw) is not NumericColumn.Reader or raw._typecode not in _NUMPY_TYPES or to_value is None:
        return np.fromiter(leaf.column_reader(field), dtype=np.int64, count=count)
    shift = to_value(0)
    if not isinstance(shift, int) or to_value(1) != shift + 1:  # an int field's translation is a shift (signed)
        return np.fromiter(leaf.column_reader(field), dtype=np.int64, count=count)
    stored = min(raw._count, count)
    data = raw._dbfile.get(raw._basepos, stored * raw._fixedlen)
    numbers = np.full(count, raw._default, dtype=np.int64)  # documents past the column's end: the default
    numbers[:stored] = np.frombuffer(data, dtype=np.dtype(_NUMPY_TYPES[raw._typecode])).astype(np.int64)
    return numbers + shift


def load_columns(reader: IndexReader) -> Columns:
    """Read the per-document arrays of one reader (one index generation)."""
    size = reader.doc_count_all()
    live = np.zeros(size, dtype=bool)
    live[np.fromiter(reader.all_doc_ids(), dtype=np.int64)] = True
    transcripts = _postings_by_term(reader, TRANSCRIPT_FIELD)
    transcript = np.full(size, -1, dtype=np.int64)
    for ordinal, (_, docs) in enumerate(transcripts):
        transcript[docs] = ordinal
    facets = {
        facet.name: (
            _multi_valued(reader, facet)
            if facet.multi_valued
            else _single_valued(reader, facet, size)
        )
        for facet in FACETS
    }
    for facet in meta_facet_fields(reader):
        facets.setdefault(facet.name, _single_valued(reader, facet, size))
    day = _numeric_column(reader, DAY_FIELD, size)
    day_end = _numeric_column(reader, DAY_END_FIELD, size) if reader.has_column(DAY_END_FIELD) else day
    return Columns(
        size=size,
        live=live,
        day=day,
        day_end=np.maximum(day_end, day),
        transcript=transcript,
        transcript_ids=tuple(term for term, _ in transcripts),
        seq=_numeric_column(reader, SEQ_FIELD, size),
        facets=facets,
    )
