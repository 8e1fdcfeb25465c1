"""Snippets: the stored text analysed with offsets, query terms marked as written, the rest escaped.

Pure functions of (text, terms, analyser). The analyser is the index's own text
analyser, so a token matches exactly when the index would match it, while `<mark>`
wraps the characters of the original word (never the stem). HTML escaping happens
only in the formatters, and `<mark>` is the only tag they ever add.
"""

from __future__ import annotations

import functools
import html
import re
from itertools import accumulate
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

from index.analysis import CASE_MARK, WORD_PATTERN, NltkTokenizer, case_term, exact_word

# (analysed term, start char, end char) of one token of a text.
Token = tuple[str, int, int]
Span = tuple[int, int]
Analyzer = Callable[[str], Iterable[Token]]

ELLIPSIS = "…"
# Utterances up to this many characters are shown whole.
SHORT_TEXT_CHARS = 320
# Context kept on each side of the matches of one fragment.
CONTEXT_CHARS = 70
# Fragments longer than this are split (several matches far apart in one window).
MAX_FRAGMENT_CHARS = 240
MAX_FRAGMENTS = 3
# A browse snippet (no query terms): the start of a long text.
LEAD_CHARS = 240
# Bounds that keep a snippet's cost and size independent of the text's length (a 15 MB
# utterance with dense matches took 268 s and made a 6 MB snippet when the whole text was
# scanned and overlapping windows were joined). The text is analysed in chunks until the
# first match, then up to SCAN_CHARS past it; nothing beyond MAX_SCAN_CHARS is looked at
# (the longest page of the site is about 250 KB), and at most MAX_SPANS matches are kept.
CHUNK_CHARS = 16_384
SCAN_CHARS = 20_000
MAX_SCAN_CHARS = 1_000_000
MAX_SPANS = 1_000
# How far a fragment edge or a chunk cut looks for a space (a word longer than this is cut).
SNAP_CHARS = 80
# A text longer than this with no match at its start is searched for the first match with one
# regular expression (C speed: a 15 MB text in tens of milliseconds) before anything is analysed.
FIRST_SCAN_CHARS = 65_536
# Words that begin like a term but are not one (`important` for `impos`), checked at most.
MAX_CANDIDATES = 2_000
# Snowball stems differ from the lower-cased word in at most their last two letters (search/kwic.py).
_STEM_SLACK = 2

_SPACES = re.compile(r"\s+")
# Written words whose analysed form is remembered (a corpus vocabulary is far smaller).
_TERM_CACHE_LIMIT = 500_000


def whoosh_tokens(analyzer: Any) -> Analyzer:
    """Adapt a Whoosh analyser to the `Analyzer` shape used here (offsets, stop words removed)."""

    def tokens(text: str) -> Iterator[Token]:
        for token in analyzer(text, chars=True, removestops=True):
            yield token.text, token.startchar, token.endchar

    return tokens


def fast_tokens(analyzer: Any) -> Analyzer:
    """The same tokens as `whoosh_tokens(analyzer)`, about ten times faster for our analysers.

    Whoosh runs every token through a chain of generators, and nltk's tokenizer adds
    a timeout guard per match; snippets for a page of long utterances then cost more
    than the search. Our filters look at one word at a time, so the analysed form of
    each written word is computed once by the analyser itself and cached; only the
    splitting into words is redone here, with the tokenizer's own pattern. A word the
    analyser does not map to at most one token sends that text down the slow path.
    """
    items = getattr(analyzer, "items", ())
    if not items or type(items[0]) is not NltkTokenizer:
        return whoosh_tokens(analyzer)
    # nltk compiles the tokenizer's pattern with the `regex` engine and these flags.
    return _CachedTokens(analyzer, regex.compile(items[0].pattern, regex.UNICODE | regex.MULTILINE | regex.DOTALL))


class _CachedTokens:
    """`fast_tokens` of one analyser: its tokens, and the spans of given terms without making the others."""

    def __init__(self, analyzer: Any, pattern: Any) -> None:
        self.analyzer = analyzer
        self.pattern = pattern
        # Splitting on the pattern with a group gives [gap, word, gap, word, …, gap] in one C call.
        self.splitter = regex.compile(f"({pattern.pattern})", pattern.flags)
        self.slow = whoosh_tokens(analyzer)
        self.analysed: dict[str, str | None] = {}

    def term_of(self, word: str) -> str | None:
        """The word's analysed form, "" if it is a stop word, None if it is not one token (cached)."""
        analysed = self.analysed
        if word in analysed:
            return analysed[word]
        found = [token.text for token in self.analyzer(word, removestops=True)]
        if len(analysed) >= _TERM_CACHE_LIMIT:
            analysed.clear()
        term = analysed[word] = None if len(found) > 1 else (found[0] if found else "")
        return term

    def __call__(self, text: str) -> Iterator[Token]:
        found: list[Token] = []
        for match in self.pattern.finditer(text):
            term = self.term_of(match.group())
            if term is None:
                yield from self.slow(text)
                return
            if term:
                found.append((term, match.start(), match.end()))
        yield from found

    def spans(self, text: str, terms: Collection[str]) -> list[Span]:
        """What `match_spans` finds, looking up each distinct word once and locating only the matching ones.

        Snippets are made for long utterances on every request: this is most of a request's time.
        """
        pieces = self.splitter.split(text)
        words = set(pieces[1::2])
        known = self.analysed
        unknown = words.difference(known)
        for word in unknown:
            self.term_of(word)
        if None in map(known.get, words):
            return [(start, end) for term, start, end in self.slow(text) if term in terms]
        hits = {word for word in words if known[word] in terms}
        if not hits:
            return []
        ends = list(accumulate(map(len, pieces)))
        return [(ends[i - 1], ends[i]) for i in range(1, len(pieces), 2) if pieces[i] in hits]


def match_spans(text: str, terms: Collection[str], analyzer: Analyzer) -> list[Span]:
    """Character spans of the tokens of `text` whose analysed form is one of `terms`,
    and of the exact phrases `terms` carries (HighlightTerms), sorted."""
    phrases = getattr(terms, "phrases", ())
    if phrases and text:
        return sorted(phrase_spans(text, phrases) + match_spans(text, frozenset(terms), analyzer))
    if not terms or not text:
        return []
    if isinstance(analyzer, _CachedTokens):
        return analyzer.spans(text, terms)
    return [(start, end) for term, start, end in analyzer(text) if term in terms]


class HighlightTerms(frozenset):  # type: ignore[type-arg]
    """Stemmed terms to mark word by word, plus exact phrases to mark as one run each.

    A frozenset of the stems, so every stage that passes terms along keeps working; the
    phrases (tuples of exact-field terms) ride along for match_spans.
    """

    phrases: tuple[tuple[str, ...], ...]

    def __new__(cls, terms: Iterable[str] = (), phrases: Iterable[tuple[str, ...]] = ()) -> "HighlightTerms":
        made = super().__new__(cls, terms)
        made.phrases = tuple(dict.fromkeys(phrases))
        return made

    def __bool__(self) -> bool:
        return bool(self.phrases) or len(self) > 0


def merge_spans(text: str, spans: Iterable[Span]) -> list[Span]:
    """Sorted spans, joining neighbours separated only by spaces (not a line break): one mark per phrase."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        gap = text[merged[-1][1] : start] if merged else ""
        if merged and (start <= merged[-1][1] or (not gap.strip() and "\n" not in gap)):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class Fragment:
    """A window [start, end) of the text and the matched words' spans inside it."""

    start: int
    end: int
    spans: tuple[Span, ...]

    def score(self, text: str) -> tuple[int, int]:
        """Distinct matched words first, then number of matches: what makes a fragment useful."""
        distinct = {text[s:e].casefold() for s, e in self.spans}
        return len(distinct), len(self.spans)


def _snap_start(text: str, position: int) -> int:
    """Move a fragment start forward to the beginning of a word."""
    if position <= 0:
        return 0
    if text[position - 1].isspace():
        return position
    space = _SPACES.search(text, position, position + SNAP_CHARS)
    return space.end() if space else position


def _snap_end(text: str, position: int) -> int:
    """Move a fragment end back to the end of a word."""
    if position >= len(text):
        return len(text)
    if text[position].isspace():
        return position
    floor = max(0, position - SNAP_CHARS)
    cut = max(text.rfind(" ", floor, position), text.rfind("\n", floor, position))
    return cut if cut > 0 else position


def fragments(
    text: str,
    spans: list[Span],
    *,
    context: int = CONTEXT_CHARS,
    max_chars: int = MAX_FRAGMENT_CHARS,
) -> list[Fragment]:
    """Windows around the matches: nearby matches share a window, each window cut at word edges."""
    windows: list[Fragment] = []
    group: list[Span] = []

    def close() -> None:
        start = _snap_start(text, group[0][0] - context)
        end = _snap_end(text, group[-1][1] + context)
        # Snapping never cuts into a match.
        start = min(start, group[0][0])
        end = max(end, group[-1][1])
        windows.append(Fragment(start, end, tuple(group)))

    for span in spans:
        if group and span[1] - group[0][0] > max_chars - 2 * context:
            close()
            group = []
        group.append(span)
    if group:
        close()
    # Windows grown by context may overlap. Joining them made one window of the whole text
    # when matches were dense (and joining their spans tuple by tuple was quadratic); instead
    # two overlapping windows meet where the second one's first match begins.
    placed: list[Fragment] = []
    for window in windows:
        if placed and window.start < placed[-1].end:
            last = placed[-1]
            meet = window.spans[0][0]
            placed[-1] = Fragment(last.start, meet, last.spans)
            window = Fragment(meet, window.end, window.spans)
        placed.append(window)
    return placed


def best_fragments(text: str, found: list[Fragment], limit: int = MAX_FRAGMENTS) -> list[Fragment]:
    """The `limit` best fragments, back in text order."""
    def key(fragment: Fragment) -> tuple[int, int, int]:
        distinct, count = fragment.score(text)
        return -distinct, -count, fragment.start

    ranked = sorted(found, key=key)
    return sorted(ranked[:limit], key=lambda f: f.start)


def mark(text: str, spans: Iterable[Span], start: int = 0, end: int | None = None) -> str:
    """`text[start:end]` escaped, with `<mark>` around the spans (which must lie inside)."""
    end = len(text) if end is None else end
    parts: list[str] = []
    position = start
    for span_start, span_end in spans:
        parts.append(html.escape(text[position:span_start]))
        parts.append("<mark>" + html.escape(text[span_start:span_end]) + "</mark>")
        position = span_end
    parts.append(html.escape(text[position:end]))
    return "".join(parts)


def _flatten(fragment_html: str) -> str:
    """One line per snippet: paragraph breaks become single spaces."""
    return _SPACES.sub(" ", fragment_html)


def bounded_spans(
    text: str,
    terms: Collection[str],
    analyzer: Analyzer,
    *,
    chunk: int = CHUNK_CHARS,
    window: int = SCAN_CHARS,
    limit: int = MAX_SCAN_CHARS,
    max_spans: int = MAX_SPANS,
    first_scan: int = FIRST_SCAN_CHARS,
) -> list[Span]:
    """`match_spans` over a bounded part of the text: from its first match (found by `locate_match`
    in a long text) chunk by chunk, `window` characters past that match; never more than `limit`
    characters analysed, never more than `max_spans` matches."""
    begin = 0
    if len(text) > first_scan and not match_spans(text[: chunk_end(text, 0, first_scan)], terms, analyzer):
        located = locate_match(text, terms, analyzer, chunk_end(text, 0, first_scan))
        if located is None:
            return []
        begin = located
    found: list[Span] = []
    start, stop = begin, min(len(text), begin + limit)
    while start < stop and len(found) < max_spans:
        end = chunk_end(text, start, min(start + chunk, stop))
        found.extend((start + s, start + e) for s, e in match_spans(text[start:end], terms, analyzer))
        if found:
            stop = min(stop, found[0][0] + window)
        start = end
    return found[:max_spans]


def locate_match(text: str, terms: Collection[str], analyzer: Analyzer, start: int = 0) -> int | None:
    """A word-edge position shortly before the first match at or after `start`, None if there is none
    (or the terms are not ASCII: then only the start of a long text is searched).

    Words that begin like a term's stem are found with `str.find` on the lower-cased text (a 15 MB
    text in tens of milliseconds; a case-insensitive regular expression took a second); each is
    confirmed by analysing a few words around it, at most MAX_CANDIDATES times."""
    prefixes = _stem_prefixes(frozenset(terms))
    if not prefixes:
        return None
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer: offsets would not match
        return None
    following = {prefix: lowered.find(prefix, start) for prefix in prefixes}
    checked = 0
    for _ in range(MAX_CANDIDATES * 50):  # occurrences inside words are skipped, but not without end
        live = [(at, prefix) for prefix, at in following.items() if at >= 0]
        if not live:
            return None
        at, prefix = min(live)
        following[prefix] = lowered.find(prefix, at + 1)
        if at > 0 and (lowered[at - 1].isalnum() or lowered[at - 1] == "_"):
            continue  # not the start of a word
        checked += 1
        if checked > MAX_CANDIDATES:
            return None
        around = min(_snap_start(text, max(start, at - SNAP_CHARS)), at)
        end = chunk_end(text, around, at + len(prefix) + SNAP_CHARS)
        if match_spans(text[around:end], terms, analyzer):
            return around
    return None


@functools.lru_cache(maxsize=256)
def _stem_prefixes(terms: frozenset[str]) -> tuple[str, ...]:
    """The shortest distinct beginnings that every word analysed to one of the terms has (none for
    non-ASCII terms, whose case rules are not checked here)."""
    if not terms or not all(term.isascii() for term in terms):
        return ()
    kept: list[str] = []
    for prefix in sorted({term[: max(1, len(term) - _STEM_SLACK)].lower() for term in terms}, key=len):
        if not any(prefix.startswith(shorter) for shorter in kept):
            kept.append(prefix)
    return tuple(kept)


def chunk_end(text: str, start: int, position: int) -> int:
    """A place to cut the text at or before `position` that splits no word (within SNAP_CHARS)."""
    if position >= len(text):
        return len(text)
    cut = _snap_end(text, position)
    return cut if cut > start else position


def snippet(
    text: str,
    terms: Collection[str],
    analyzer: Analyzer,
    *,
    short_chars: int = SHORT_TEXT_CHARS,
    max_fragments: int = MAX_FRAGMENTS,
) -> str:
    """An HTML-safe snippet: the whole text if short, else up to `max_fragments` marked windows.

    Its size and cost are bounded whatever the text: at most `max_fragments` windows of about
    MAX_FRAGMENT_CHARS each, found in a bounded stretch around the first matches."""
    if len(text) <= short_chars:
        return _flatten(mark(text, merge_spans(text, match_spans(text, terms, analyzer))))
    spans = bounded_spans(text, terms, analyzer) if terms else []
    if not spans:
        return lead(text)
    chosen = _coalesce(best_fragments(text, fragments(text, spans), max_fragments))
    parts = []
    for fragment in chosen:
        marked = mark(text, merge_spans(text, fragment.spans), fragment.start, fragment.end)
        parts.append(_flatten(marked).strip())
    prefix = ELLIPSIS if chosen[0].start > 0 else ""
    suffix = ELLIPSIS if chosen[-1].end < len(text) else ""
    return prefix + f" {ELLIPSIS} ".join(parts) + suffix


def _coalesce(chosen: list[Fragment]) -> list[Fragment]:
    """Chosen fragments in text order, those that meet made one (no '…' where nothing is left out)."""
    result: list[Fragment] = []
    for fragment in chosen:
        if result and fragment.start == result[-1].end:
            result[-1] = Fragment(result[-1].start, fragment.end, result[-1].spans + fragment.spans)
        else:
            result.append(fragment)
    return result


def lead(text: str, chars: int = LEAD_CHARS) -> str:
    """The escaped start of a text, cut at a word edge, for hits without marked words."""
    if len(text) <= chars:
        return _flatten(html.escape(text))
    end = _snap_end(text, chars)
    return _flatten(html.escape(text[:end])).rstrip() + ELLIPSIS


def highlight_all(text: str, terms: Collection[str], analyzer: Analyzer) -> str:
    """The whole text escaped, matches marked, line breaks kept (the transcript page)."""
    return mark(text, merge_spans(text, match_spans(text, terms, analyzer)))


def phrase_spans(text: str, phrases: Collection[tuple[str, ...]]) -> list[Span]:
    """One span per occurrence of each exact phrase, from its first word to its last: a quoted
    phrase is marked as one run, its stop words included, punctuation between its words ignored.

    Phrases hold exact-field terms (index.analysis.exact_word, or case_term for `case:` words),
    so a phrase matches here exactly where the index matched it.
    """
    phrases = [phrase for phrase in phrases if phrase]
    if not phrases or not text:
        return []
    words = [(match.group(), match.start(), match.end()) for match in _EXACT_WORD.finditer(text)]
    folded = [_exact_term(word) for word, _, _ in words]
    # Phrases by their first term: a wildcard expands into thousands of phrases, and trying
    # each of them at every word took a minute for 100 snippets (`th* OR co* OR pr*`).
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        by_first.setdefault(phrase[0], []).append(phrase)
    spans: list[Span] = []
    for i, (word, start, _) in enumerate(words):
        case = _case_term(word)
        candidates = by_first.get(folded[i], []) + (by_first.get(case, []) if case != folded[i] else [])
        for phrase in candidates:
            end = i + len(phrase)
            if end <= len(words) and all(
                (folded[i + k] == term) or (term.startswith(CASE_MARK) and _case_term(words[i + k][0]) == term)
                for k, term in enumerate(phrase)
            ):
                spans.append((start, words[end - 1][2]))
    return spans


_EXACT_WORD = regex.compile(WORD_PATTERN, regex.UNICODE | regex.MULTILINE | regex.DOTALL)


@lru_cache(maxsize=100_000)
def _exact_term(word: str) -> str:
    return exact_word(word)


@lru_cache(maxsize=100_000)
def _case_term(word: str) -> str | None:
    return case_term(word)
