"""Keyword in context: one line per match, the keyword between its left and right context.

Pure functions over hits, utterance texts and match spans, so the concordance can be
tested without an index; the web view passes in `Engine.iter_texts` and `Engine.span_finder`.
A page sorts every match but builds the context strings only of the lines it shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import regex

from search import highlight
from search.highlight import Analyzer
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
    return [match.line() for match in matches_in(hit, text, spans, width)]


@dataclass(frozen=True)
class KwicMatch:
    """Where one line's keyword is; the line's text is only built for the page that shows it."""

    hit: Hit
    text: str = field(repr=False)
    start: int
    end: int
    width: int = DEFAULT_WIDTH

    @property
    def keyword(self) -> str:
        """The matched words on one line."""
        return _one_line(self.text[self.start : self.end])

    @property
    def left_words(self) -> tuple[str, ...]:
        """The left sort key, the same as the finished line's."""
        return tuple(reversed(words(left_context(self.text, self.start, self.width))))

    @property
    def right_words(self) -> tuple[str, ...]:
        """The right sort key, the same as the finished line's."""
        return words(right_context(self.text, self.end, self.width))

    def line(self) -> KwicLine:
        """The KWIC line: context left and right cut at word boundaries."""
        return KwicLine(
            hit=self.hit,
            left=left_context(self.text, self.start, self.width),
            keyword=self.keyword,
            right=right_context(self.text, self.end, self.width),
            start=self.start,
        )


def matches_in(hit: Hit, text: str, spans: Iterable[Span], width: int = DEFAULT_WIDTH) -> list[KwicMatch]:
    """One match per (merged) span of an utterance, spans outside the text left out."""
    return [
        KwicMatch(hit, text, start, end, width)
        for start, end in merge_spans(text, spans)
        if 0 <= start < end <= len(text)
    ]


def kwic_matches(
    hits: Iterable[tuple[Hit, str]],
    spans_of: Callable[[str], list[Span]],
    *,
    width: int = DEFAULT_WIDTH,
    max_lines: int = DEFAULT_MAX_LINES,
) -> tuple[list[KwicMatch], bool]:
    """The matches of (hit, full text) pairs in hit order, at most `max_lines`; True if more were left out."""
    found: list[KwicMatch] = []
    for hit, text in hits:
        for match in matches_in(hit, text, spans_up_to(text, spans_of, max_lines - len(found) + 1), width):
            if len(found) == max_lines:
                return found, True
            found.append(match)
    return found, False


# A long utterance is searched for matches this many characters at a time, until there are enough.
SPAN_CHUNK_CHARS = 65_536


def spans_up_to(text: str, spans_of: Callable[[str], list[Span]], wanted: int) -> list[Span]:
    """`spans_of(text)`, but a long text is scanned chunk by chunk only until `wanted` spans are found
    (a 15 MB utterance with dense matches took 6 s for lines that were never shown)."""
    if len(text) <= SPAN_CHUNK_CHARS:
        return spans_of(text)
    found: list[Span] = []
    start = 0
    while start < len(text) and len(found) < wanted:
        end = highlight.chunk_end(text, start, start + SPAN_CHUNK_CHARS)
        found.extend((start + s, start + e) for s, e in spans_of(text[start:end]))
        start = end
    return found


def kwic_lines(
    hits: Iterable[tuple[Hit, str]],
    spans_of: Callable[[str], list[Span]],
    *,
    width: int = DEFAULT_WIDTH,
    max_lines: int = DEFAULT_MAX_LINES,
) -> tuple[list[KwicLine], bool]:
    """KWIC lines of (hit, full text) pairs in hit order, at most `max_lines`; True if more were left out."""
    found, truncated = kwic_matches(hits, spans_of, width=width, max_lines=max_lines)
    return [match.line() for match in found], truncated


class Sortable(Protocol):
    """A KWIC line or match: what sorting needs."""

    @property
    def keyword(self) -> str: ...

    @property
    def left_words(self) -> tuple[str, ...]: ...

    @property
    def right_words(self) -> tuple[str, ...]: ...


S = TypeVar("S", bound=Sortable)


def sort_lines(lines: Iterable[S], by: str = "") -> list[S]:
    """Lines (or matches) sorted by the words left or right of the keyword ("" keeps hit order); stable."""
    if by not in SORTS:
        raise ValueError(f"unknown KWIC sort {by!r}: use one of left, right")
    if by == "left":
        return sorted(lines, key=lambda line: (line.left_words, line.keyword.casefold()))
    if by == "right":
        return sorted(lines, key=lambda line: (line.right_words, line.keyword.casefold()))
    return list(lines)


# --- finding the matches fast


# A word starts where the tokenizer would start one (index.analysis.WORD_PATTERN): not after a
# word character, nor after an apostrophe or dot that follows one (those continue a word).
_WORD_START = r"(?<!\w)(?<!\w['’.])"
_WORD_REST = r"\w*(?:['’.]\w+)*"
# Snowball stems differ from the lower-cased word in at most their last two letters
# ("dying" → "die", "happy" → "happi"), checked on every word of the Kremlin corpus.
_STEM_SLACK = 2


def span_finder(terms: Collection[str], tokens: Analyzer) -> Callable[[str], list[Span]]:
    """`highlight.match_spans(text, terms, tokens)` for many texts, twenty times faster.

    Analysing every word of every hit was most of a KWIC page's time. Instead a regex
    finds the words that begin like a term's stem (dots allowed between letters, for
    "U.S."), and only those are analysed, so the spans are the same. Terms that are not
    ASCII (Russian stems) take the exact slow path rather than trust case-folding rules.
    """
    wanted = frozenset(terms)
    if not wanted:
        return lambda text: []
    if not all(term.isascii() for term in wanted):
        return lambda text: highlight.match_spans(text, wanted, tokens)
    prefixes = sorted({term[: max(1, len(term) - _STEM_SLACK)] for term in wanted}, key=len, reverse=True)
    alternatives = "|".join(r"\.?".join(_letter(c) for c in prefix) for prefix in prefixes)
    pattern = regex.compile(f"{_WORD_START}(?:{alternatives}){_WORD_REST}", regex.IGNORECASE | regex.UNICODE)
    verdicts: dict[str, bool] = {}

    def matches(word: str) -> bool:
        verdict = verdicts.get(word)
        if verdict is None:
            analysed = list(tokens(word))
            verdict = verdicts[word] = len(analysed) == 1 and analysed[0][0] in wanted
        return verdict

    def spans(text: str) -> list[Span]:
        return [found.span() for found in pattern.finditer(text) if matches(found.group())]

    return spans


def _letter(char: str) -> str:
    """One character of a stem prefix as a pattern (the tokenizer reads ’ as ')."""
    return "['’]" if char == "'" else regex.escape(char)
