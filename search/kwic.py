"""Keyword in context: one line per match, the keyword between its left and right context.

Pure functions over hits, utterance texts and match spans, so the concordance can be
tested without an index; the web view passes in `Engine.match_spans` and the texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from search.types import Hit

DEFAULT_WIDTH = 70
DEFAULT_MAX_LINES = 2_000
SORTS = ("", "left", "right")
ELLIPSIS = "…"

Span = tuple[int, int]

_WORD = re.compile(r"\w+(?:['’.]\w+)*")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class KwicLine:
    """One match in one utterance: context to the left, the keyword, context to the right."""

    hit: Hit
    left: str
    keyword: str
    right: str
    start: int

    @property
    def left_words(self) -> tuple[str, ...]:
        """Words of the left context, nearest first, case-folded (the left sort key)."""
        return tuple(reversed(words(self.left)))

    @property
    def right_words(self) -> tuple[str, ...]:
        """Words of the right context, nearest first, case-folded (the right sort key)."""
        return words(self.right)


def words(text: str) -> tuple[str, ...]:
    """Case-folded words of `text`, in order, so sorting ignores case and punctuation."""
    return tuple(match.group().casefold() for match in _WORD.finditer(text))


def merge_spans(text: str, spans: Iterable[Span]) -> list[Span]:
    """Sorted spans, with spans separated only by white space joined, so a phrase is one keyword."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or not text[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def left_context(text: str, start: int, width: int = DEFAULT_WIDTH) -> str:
    """About `width` characters before `start`, without a cut-off first word, on one line."""
    begin = max(0, start - width)
    chunk = text[begin:start]
    if begin > 0:
        if not text[begin - 1].isspace():
            space = _SPACE.search(chunk)
            if space is not None and space.end() < len(chunk):
                chunk = chunk[space.end() :]
        chunk = ELLIPSIS + chunk
    return _one_line(chunk, keep_trailing=True)


def right_context(text: str, end: int, width: int = DEFAULT_WIDTH) -> str:
    """About `width` characters after `end`, without a cut-off last word, on one line."""
    stop = min(len(text), end + width)
    chunk = text[end:stop]
    if stop < len(text):
        if not text[stop].isspace():
            spaces = [m.start() for m in _SPACE.finditer(chunk)]
            if spaces and spaces[-1] > 0:
                chunk = chunk[: spaces[-1]]
        chunk = chunk.rstrip() + ELLIPSIS
    return _one_line(chunk, keep_leading=True)


def _one_line(text: str, *, keep_leading: bool = False, keep_trailing: bool = False) -> str:
    """White space (paragraph breaks included) collapsed to single spaces."""
    collapsed = _SPACE.sub(" ", text)
    if not keep_leading:
        collapsed = collapsed.lstrip()
    if not keep_trailing:
        collapsed = collapsed.rstrip()
    return collapsed


def lines_for_hit(
    hit: Hit, text: str, spans: Iterable[Span], width: int = DEFAULT_WIDTH
) -> list[KwicLine]:
    """The KWIC lines of one utterance: one per (merged) match span."""
    return [
        KwicLine(
            hit=hit,
            left=left_context(text, start, width),
            keyword=_one_line(text[start:end]),
            right=right_context(text, end, width),
            start=start,
        )
        for start, end in merge_spans(text, spans)
        if 0 <= start < end <= len(text)
    ]


def kwic_lines(
    hits: Iterable[Hit],
    text_of: Callable[[Hit], str],
    spans_of: Callable[[str], list[Span]],
    *,
    width: int = DEFAULT_WIDTH,
    max_lines: int = DEFAULT_MAX_LINES,
) -> tuple[list[KwicLine], bool]:
    """KWIC lines of `hits` in hit order, at most `max_lines`; True if more were left out."""
    lines: list[KwicLine] = []
    for hit in hits:
        text = text_of(hit)
        for line in lines_for_hit(hit, text, spans_of(text), width):
            if len(lines) == max_lines:
                return lines, True
            lines.append(line)
    return lines, False


def sort_lines(lines: Iterable[KwicLine], by: str = "") -> list[KwicLine]:
    """Lines sorted by the words left or right of the keyword ("" keeps hit order); stable."""
    if by not in SORTS:
        raise ValueError(f"unknown KWIC sort {by!r}: use one of left, right")
    if by == "left":
        return sorted(lines, key=lambda line: (line.left_words, line.keyword.casefold()))
    if by == "right":
        return sorted(lines, key=lambda line: (line.right_words, line.keyword.casefold()))
    return list(lines)
