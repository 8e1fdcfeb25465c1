"""Hits per year as bar geometry for an inline SVG (attributes only: the CSP forbids inline styles)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from search.types import FacetValue

WIDTH = 640
HEIGHT = 96
LABEL_HEIGHT = 16
GAP_RATIO = 0.2
MAX_BAR_WIDTH = 56  # a few years should still look like a histogram, not like slabs


@dataclass(frozen=True)
class Bar:
    """One year's bar: position and size in SVG user units."""

    year: int
    count: int
    selected: bool
    x: float
    y: float
    width: float
    height: float

    @property
    def label_x(self) -> float:
        """Centre of the bar, where its year label goes."""
        return round(self.x + self.width / 2, 2)


@dataclass(frozen=True)
class Histogram:
    """Bars for every year from the first to the last with hits (gaps as empty bars)."""

    bars: tuple[Bar, ...]
    width: int = WIDTH
    height: int = HEIGHT
    label_every: int = 1

    @property
    def baseline(self) -> int:
        """y of the bars' common bottom edge (labels go below it)."""
        return self.height - LABEL_HEIGHT


def histogram(values: Iterable[FacetValue], selected: Iterable[str] = ()) -> Histogram:
    """Bar geometry from the year facet's values; non-numeric years are ignored."""
    counts = {int(v.value): v.count for v in values if v.value.isdigit()}
    chosen = {int(year) for year in selected if year.isdigit()}
    if not counts:
        return Histogram(bars=())
    years = range(min(counts), max(counts) + 1)
    slot = WIDTH / len(years)
    bar_width = min(slot * (1 - GAP_RATIO), MAX_BAR_WIDTH)
    top = max(counts.values()) or 1
    usable = HEIGHT - LABEL_HEIGHT - 2
    bars = []
    for i, year in enumerate(years):
        count = counts.get(year, 0)
        # Every year with hits gets at least a sliver, so small counts stay visible and clickable.
        height = 0.0 if count == 0 else max(2.0, usable * count / top)
        bars.append(
            Bar(
                year=year,
                count=count,
                selected=year in chosen,
                x=round(i * slot + (slot - bar_width) / 2, 2),
                y=round(HEIGHT - LABEL_HEIGHT - height, 2),
                width=round(bar_width, 2),
                height=round(height, 2),
            )
        )
    # Labels need about 36 units each; label every n-th year when they would collide.
    label_every = max(1, -(-36 // int(slot))) if slot >= 1 else len(years)
    return Histogram(bars=tuple(bars), label_every=label_every)
