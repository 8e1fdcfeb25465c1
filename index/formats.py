"""Whoosh posting formats that take their terms straight from a CachedAnalyzer.

Whoosh's formats pull a Token through a chain of generators for every word of every
field of every document, most of an index build's analysis time. With our per-word
analysers (index.analysis.CachedAnalyzer) a field value's terms and positions come
from one pass over its words; the postings written are byte for byte the same, and
the encoding and decoding stay Whoosh's own. Other analysers or options take
Whoosh's path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from whoosh import formats
from whoosh.system import emptybytes

from index.analysis import CachedAnalyzer

Posting = tuple[Any, int, float, bytes]


def _term_positions(value: Any, analyzer: Any, options: dict[str, Any]) -> dict[str, list[int]] | None:
    """term → positions of a field value, or None when the shortcut does not apply."""
    if type(analyzer) is not CachedAnalyzer or not isinstance(value, str) or set(options) - {"mode"}:
        return None
    return analyzer.term_positions(value)


class CachedPositions(formats.Positions):
    """Positions (for phrases), with terms from a CachedAnalyzer in one pass."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterable[Posting]:
        found = _term_positions(value, analyzer, kwargs)
        if found is None:
            return super().word_values(value, analyzer, **kwargs)
        boost = self.field_boost
        # Whoosh sums a boost of 1.0 per occurrence: float(n) exactly.
        return ((term, len(poslist), float(len(poslist)) * boost, self.encode(poslist)) for term, poslist in found.items())


class CachedExistence(formats.Existence):
    """Existence only, with terms from a CachedAnalyzer in one pass.

    No field uses it since schema version 9 (the `spell` field is gone); indexes of earlier
    versions pickled it in their schema, and must still open so that `reindex` can rebuild them."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterable[Posting]:
        found = _term_positions(value, analyzer, kwargs)
        if found is None:
            return super().word_values(value, analyzer, **kwargs)
        boost = self.field_boost
        return ((term, 1, boost, emptybytes) for term in found)
