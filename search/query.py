"""The query language (DESIGN §4) → Whoosh query objects, with errors that say where and how to fix.

Whoosh's parser never fails: it quietly drops an unclosed quote or a dangling AND.
A user who typed them meant something else, so those are checked here first and
reported as `BadQuery(message, position)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from whoosh import fields, qparser, query
from whoosh.reading import IndexReader

from search.errors import BadQuery
from index.schema import DEFAULT_FIELD, QUERY_FIELDS

BINARY_OPERATORS = ("AND", "OR", "ANDNOT", "ANDMAYBE")
NOT_OPERATOR = "NOT"
_TOKEN = re.compile(r'"[^"]*"|[()]|[^\s()"]+')
# Words and phrases in one query: enough for any real question, and each costs a posting list walk.
MAX_QUERY_TERMS = 100
# Letters a wildcard needs before its first `*`: `a*` or `*ion` expand to much of the vocabulary,
# and a few of them ANDed take seconds (Lucene refuses leading wildcards by default too).
MIN_WILDCARD_PREFIX = 2
_FIELD_PREFIX = re.compile(r"^\w+:")


def make_parser(schema: fields.Schema) -> qparser.QueryParser:
    """A parser on the text field where only the QUERY_FIELDS may be named (`speaker:`, `year:`…).

    The parser sees a schema of just those fields, so `content_hash:x` or `note:` is read
    as plain words rather than reaching into internal fields.
    """
    visible = fields.Schema(**{name: schema[name] for name in QUERY_FIELDS if name in schema})
    return qparser.QueryParser(DEFAULT_FIELD, visible, group=qparser.AndGroup)


def check_syntax(text: str) -> None:
    """Reject what Whoosh would silently misread: unclosed quotes or parentheses, dangling operators."""
    quote = _unclosed_quote(text)
    if quote is not None:
        raise BadQuery(
            f'unclosed quote at position {quote}: end the phrase with another " or remove the quote', quote
        )
    opened: list[int] = []
    for match in _TOKEN.finditer(text):
        if match.group() == "(":
            opened.append(match.start())
        elif match.group() == ")":
            if not opened:
                raise BadQuery(
                    f"')' at position {match.start()} closes nothing: remove it or add a '(' before it",
                    match.start(),
                )
            opened.pop()
    if opened:
        raise BadQuery(
            f"'(' at position {opened[-1]} is never closed: add a ')' after the group", opened[-1]
        )
    _check_operators(text)
    _check_cost(text)


def _check_cost(text: str) -> None:
    """Refuse what would cost seconds for nothing a person needs: too many terms, near-empty wildcards."""
    terms = [m for m in _TOKEN.finditer(text) if m.group() not in ("(", ")", NOT_OPERATOR, *BINARY_OPERATORS)]
    if len(terms) > MAX_QUERY_TERMS:
        raise BadQuery(
            f"too many terms: {len(terms):,} words or phrases (at most {MAX_QUERY_TERMS}): shorten the query",
            terms[MAX_QUERY_TERMS].start(),
        )
    for match in terms:
        token = match.group()
        if token.startswith('"') or "*" not in token:
            continue
        word = _FIELD_PREFIX.sub("", token)
        literal = re.split(r"[*?]", word, maxsplit=1)[0]
        if len(literal) < MIN_WILDCARD_PREFIX:
            raise BadQuery(
                f"{token!r} at position {match.start()}: a wildcard needs at least {MIN_WILDCARD_PREFIX} letters "
                "before the * (such as terr*); leave the query empty to browse everything",
                match.start(),
            )


def _unclosed_quote(text: str) -> int | None:
    """Position of a double quote that has no partner, if any."""
    positions = [i for i, char in enumerate(text) if char == '"']
    return positions[-1] if len(positions) % 2 else None


def _check_operators(text: str) -> None:
    """Every AND/OR needs a term on both sides, and NOT a term after it."""
    tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(text)]
    for index, (token, position) in enumerate(tokens):
        before = tokens[index - 1][0] if index > 0 else None
        after = tokens[index + 1][0] if index + 1 < len(tokens) else None
        if token in BINARY_OPERATORS:
            if before is None or before == "(" or before in BINARY_OPERATORS or before == NOT_OPERATOR:
                raise BadQuery(
                    f"{token} at position {position} has no term before it: put a word or phrase on both sides",
                    position,
                )
            if after is None or after == ")" or after in BINARY_OPERATORS:
                raise BadQuery(
                    f"{token} at position {position} has no term after it: put a word or phrase on both sides",
                    position,
                )
        elif token == NOT_OPERATOR and (after is None or after == ")" or after in BINARY_OPERATORS):
            raise BadQuery(
                f"NOT at position {position} has no term after it: write NOT before the word to exclude",
                position,
            )


def _errors(q: query.Query) -> Iterator[query.Query]:
    """Nodes the Whoosh parser marked as errors."""
    if getattr(q, "error", None):
        yield q
    for child in q.children():
        yield from _errors(child)


def parse_query(text: str, parser: qparser.QueryParser) -> query.Query | None:
    """The Whoosh query for `text`; None for an empty query (browse). Raises BadQuery."""
    # People type questions: "…in Syria?" must find Syria, so `?` is punctuation, not
    # Whoosh's one-letter wildcard (same length, so error positions still line up).
    text = text.replace("?", " ").strip()
    if not text:
        return None
    check_syntax(text)
    try:
        parsed = parser.parse(text)
    except Exception as error:  # Whoosh raises assorted types on odd input
        raise BadQuery(f"cannot read the query: {error}") from None
    for node in _errors(parsed):
        position = getattr(node, "startchar", None)
        where = "" if position is None else f" at position {position}"
        raise BadQuery(f"cannot read the query{where}: {node.error}", position)
    return parsed


def _positive_leaves(q: query.Query) -> Iterator[query.Query]:
    """Leaf queries whose terms can appear in a matching document (not under NOT)."""
    if isinstance(q, query.Not):
        return
    if isinstance(q, query.AndNot):
        yield from _positive_leaves(q.a)
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from _positive_leaves(child)


def text_terms(q: query.Query | None, reader: IndexReader) -> frozenset[str]:
    """Analysed text-field terms a hit may contain, wildcards expanded against the index."""
    if q is None:
        return frozenset()
    found: set[str] = set()
    for leaf in _positive_leaves(q):
        if leaf.field() != DEFAULT_FIELD:
            continue
        for field, term in leaf.expanded_terms(reader, phrases=True):
            if field == DEFAULT_FIELD:
                found.add(term.decode("utf-8") if isinstance(term, bytes) else term)
    return frozenset(found)


@dataclass(frozen=True)
class QueryWord:
    """A plain word of the query string that searches the text field, where it was written."""

    word: str
    start: int
    end: int


_WORD_WITH_FIELD = re.compile(r'(?:(\w+):)?("[^"]*"|[^\s()"]+)')
_INNER_WORD = re.compile(r"\w+(?:['’.]\w+)*")


def text_words(text: str) -> list[QueryWord]:
    """Words of the query string that search the text field (for spelling suggestions).

    Operators, wildcards, other fields' values and `~N` slops are skipped.
    """
    words: list[QueryWord] = []
    for match in _WORD_WITH_FIELD.finditer(text):
        field, body = match.group(1), match.group(2)
        if field is not None and field in QUERY_FIELDS and field != DEFAULT_FIELD:
            continue
        if body in BINARY_OPERATORS or body == NOT_OPERATOR:
            continue
        offset = match.start(2)
        for inner in _INNER_WORD.finditer(body):
            word = inner.group()
            tail = body[inner.end() : inner.end() + 1]
            before = body[inner.start() - 1 : inner.start()] if inner.start() else ""
            if tail in ("*", "?") or before in ("~", "^"):
                continue
            words.append(QueryWord(word, offset + inner.start(), offset + inner.end()))
    return words
