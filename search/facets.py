"""Facet counts (DESIGN §5): each facet counted over the hits with the *other* facets' filters applied.

A facet is counted with `np.bincount` over the value ordinals of the hit documents
(see `search.columns`), so six facets cost about as much as one pass over the hits.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

import numpy as np

from search.errors import BadQuery
from search.columns import Columns, FacetColumn
from search.types import FacetResult, FacetValue


def facet_masks(columns: Columns, filters: Mapping[str, tuple[str, ...]]) -> dict[str, np.ndarray]:
    """One boolean mask per filtered facet: documents having any selected value."""
    return {
        name: columns.facets[name].mask(selected, columns.size)
        for name, selected in filters.items()
        if selected and name in columns.facets
    }


def check_named(columns: Columns, named: tuple[str, ...], filters: Iterable[str] = ()) -> None:
    """Raise BadQuery for a facet named with --filter / filter= that the index does not have, and
    for an API `NAME=VALUE` whose name is a misspelt facet (`contry=NOR` filtered nothing, in
    silence); other unknown parameters (`utm_source=…`) are let be."""
    known = ", ".join(columns.facets)
    for name in named:
        if name not in columns.facets:
            raise BadQuery(f"unknown facet {name!r}: this index has {known}")
    for name in filters:
        close = difflib.get_close_matches(name, [f for f in columns.facets if f != name], n=1, cutoff=0.75)
        if name not in columns.facets and close:
            raise BadQuery(f"unknown facet {name!r} (did you mean {close[0]}?): this index has {known}")


def combine(base: np.ndarray, masks: Mapping[str, np.ndarray], skip: str | None = None) -> np.ndarray:
    """`base` AND every mask except the one named `skip`."""
    result = base
    for name, mask in masks.items():
        if name != skip:
            result = result & mask
    return result


def facet_result(
    column: FacetColumn, counts: np.ndarray, selected: tuple[str, ...], limit: int
) -> FacetResult:
    """Values with a count, by descending count then value; at most `limit` (0 for all)."""
    present = np.flatnonzero(counts)
    # Ordinals follow the sorted lexicon, so a stable sort on -count breaks ties by value.
    ordered = present[np.argsort(-counts[present], kind="stable")]
    if limit:
        ordered = ordered[:limit]
    chosen = set(selected)
    return FacetResult(
        column.name,
        tuple(
            FacetValue(column.values[i], int(counts[i]), column.values[i] in chosen)
            for i in ordered
        ),
    )
