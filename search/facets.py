"""Facet counts (DESIGN §5): each facet counted over the hits with the *other* facets' filters applied.

A facet is counted with `np.bincount` over the value ordinals of the hit documents
(see `search.columns`), so six facets cost about as much as one pass over the hits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np

from index.schema import FACETS
from search.columns import Columns, FacetColumn
from search.types import FacetResult, FacetValue

log = logging.getLogger(__name__)


def facet_masks(columns: Columns, filters: Mapping[str, tuple[str, ...]]) -> dict[str, np.ndarray]:
    """One boolean mask per filtered facet: documents having any selected value."""
    return {
        name: columns.facets[name].mask(selected, columns.size)
        for name, selected in filters.items()
        if selected and name in columns.facets
    }


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


def count_facets(
    columns: Columns,
    base: np.ndarray,
    masks: Mapping[str, np.ndarray],
    filters: Mapping[str, tuple[str, ...]],
    limit: int,
) -> tuple[FacetResult, ...]:
    """Every facet of FACETS, each over `base` AND the masks of the other facets."""
    results = []
    for facet in FACETS:
        try:
            column = columns.facets[facet.name]
            counts = column.count(combine(base, masks, skip=facet.name))
            results.append(facet_result(column, counts, filters.get(facet.name, ()), limit))
        except Exception as error:  # one broken facet must not take the page down
            log.exception("facet %s failed", facet.name)
            results.append(FacetResult(facet.name, error=str(error)))
    return tuple(results)
