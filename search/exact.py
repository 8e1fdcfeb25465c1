"""Exact wording in queries, and the cost limits of terms that expand (DESIGN §4).

Quoted words and phrases match the words as written (the `text_exact` field: case- and
accent-folded, stop words kept, no stemming); unquoted words stay stemmed; `word*`
expands over the words as written; `case:` makes the capitals typed count (`case:US` is
the country, not the pronoun "us"; a word typed in lower case matches any case).

Wildcards and ranges expand into the terms of the index before they match. Each expansion
is bounded in terms and time, and the query string in nesting, proximity and boosts, so
that one request cannot take seconds from everyone else (issue 15). Fuzzy words (`word~2`)
are not in the language: they are refused rather than silently read as `word`.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Iterator

from whoosh import query as wq
from whoosh.reading import IndexReader

from index.analysis import CASE_MARK, WORD_PATTERN, case_term, exact_word, fold_accents
from index.schema import EXACT_FIELD
from search.errors import BadQuery

# The query language's name for case-sensitive words and phrases: `case:US`, `case:"the West"`.
CASE_FIELD = "case"
# Deepest nesting of parentheses: far beyond any real query, far below Python's recursion limit.
MAX_DEPTH = 32
# Terms one wildcard or range may expand to, and the time its expansion may take.
MAX_EXPANSION = 2_000
EXPANSION_SECONDS = 0.25


_WORD = re.compile(WORD_PATTERN)
_NEGATIVE_SLOP = re.compile(r'(?<=["\w*])~\s*-')
_QUOTED = re.compile(r'"[^"]*"')
_BOOST = re.compile(r"\^([^\s()\"]*)")
_FUZZY = re.compile(r'(?:^|(?<=[\s(]))(?:\w+:)?([^\s()"~^:]+)~([^\s()^]*)')


# --- the query string


def check_limits(text: str) -> None:
    """Refuse nesting, proximity, boosts and fuzzy words that would fail deep inside, mean nothing or cost seconds."""
    depth = deepest = 0
    deepest_at = 0
    in_quote = False
    for position, char in enumerate(text):
        if char == '"':
            in_quote = not in_quote
        elif not in_quote and char == "(":
            depth += 1
            if depth > deepest:
                deepest, deepest_at = depth, position
        elif not in_quote and char == ")":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise BadQuery(
            f"parentheses nested {deepest} deep at position {deepest_at} (at most {MAX_DEPTH}): "
            "remove the extra parentheses",
            deepest_at,
        )
    # Inside quotes, ^ and ~ are just characters of the phrase: only the syntax around phrases counts.
    text = _QUOTED.sub(lambda match: '"' + " " * (len(match.group()) - 2) + '"', text)
    negative = _NEGATIVE_SLOP.search(text)
    if negative:
        raise BadQuery(
            f"proximity at position {negative.start()} is negative: write a number of words, "
            'such as "sanctions economy"~5',
            negative.start(),
        )
    for boost in _BOOST.finditer(text):
        _check_boost(boost.group(1), boost.start())
    for fuzzy in _FUZZY.finditer(text):
        _check_fuzzy(fuzzy.group(1), fuzzy.group(2), fuzzy.start())


def _check_boost(value: str, position: int) -> None:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise BadQuery(
            f"boost ^{value} at position {position} is not a positive number: write, for example, ^2",
            position,
        )


def _check_fuzzy(word: str, edits: str, position: int) -> None:
    """`word~N` is not in the language (DESIGN §4): say so instead of silently searching `word`.

    Whoosh's fuzzy expansion walks the whole vocabulary with a Python automaton (sanction~1:
    400 ms on the shared corpus); misspellings get "did you mean" suggestions instead.
    """
    raise BadQuery(
        f"{word}~{edits} at position {position}: fuzzy words are not supported; "
        f"write {word}* for words beginning with it, or check the spelling suggestion",
        position,
    )


# --- exact leaves


def exact_terms(core: str, *, case: bool = False) -> list[str]:
    """The exact-field terms of the words of `core`; with `case`, words with capitals keep them."""
    return [(case_term(word) if case else None) or exact_word(word) for word in _WORD.findall(core)]


def exact_phrase(core: str, slop: int = 1, *, case: bool = False) -> wq.Query:
    """A quoted phrase (or word) on the exact field: the words as written, in order."""
    terms = exact_terms(core, case=case)
    if not terms:
        return wq.NullQuery
    if len(terms) == 1:
        return wq.Term(EXACT_FIELD, terms[0])
    return wq.Phrase(EXACT_FIELD, terms, slop=max(1, slop))


def exact_wildcard(core: str, *, case: bool = False) -> wq.Query:
    """`word*` over the words as written: the pattern folded as the exact field folds its words."""
    pattern = fold_accents(core)
    pattern = CASE_MARK + pattern if case and pattern != pattern.lower() else pattern.lower()
    if pattern.endswith("*") and "*" not in pattern[:-1]:
        return wq.Prefix(EXACT_FIELD, pattern[:-1])
    return wq.Wildcard(EXACT_FIELD, pattern)


# --- expansion


_EXPANDING = (wq.Wildcard, wq.Prefix, wq.FuzzyTerm, wq.TermRange, wq.Regex)


def check_expansion(
    q: wq.Query | None, reader: IndexReader, *, limit: int | None = None, seconds: float | None = None
) -> None:
    """Raise BadQuery if a wildcard or range of `q` expands to too many terms or takes too long.

    Counting stops at the limit, so the check costs at most what a refused query would have.
    """
    if q is None:
        return
    limit = MAX_EXPANSION if limit is None else limit
    seconds = EXPANSION_SECONDS if seconds is None else seconds
    for leaf in _expanding(q):
        deadline = time.perf_counter() + seconds
        count = 0
        for count, _ in enumerate(_terms_of(leaf, reader), 1):
            if count > limit:
                raise BadQuery(f"{_shown(leaf)} matches more than {limit:,} different words: make it more specific")
            if count % 256 == 0 and time.perf_counter() > deadline:
                raise BadQuery(f"{_shown(leaf)} takes too long to expand: make it more specific")
        if time.perf_counter() > deadline:
            raise BadQuery(f"{_shown(leaf)} takes too long to expand: make it more specific")


def _expanding(q: wq.Query) -> Iterator[wq.Query]:
    if isinstance(q, _EXPANDING):
        yield q
        return
    for child in q.children():
        yield from _expanding(child)


def _terms_of(leaf: wq.Query, reader: IndexReader) -> Iterable[bytes]:
    if leaf.field() not in reader.schema:
        return ()
    return leaf._btexts(reader)  # the expansion itself, as the matcher would run it


def _shown(leaf: wq.Query) -> str:
    text = getattr(leaf, "text", None)
    if isinstance(leaf, wq.TermRange):
        return f"the range [{leaf.start} TO {leaf.end}]"
    if isinstance(leaf, wq.Prefix):
        return f"{str(text).lstrip('=')}*"
    return str(text).lstrip("=")
