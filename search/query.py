"""The query language (DESIGN §4): the query string read once into a small syntax tree.

`parse(text)` tokenises the string once and checks it, raising `BadQuery(message,
position)` for what Whoosh's own parser would silently misread (an unclosed quote, a
dangling AND). The tree then serves every reader of the query:

- `whoosh_query` / `to_whoosh`: the Whoosh query to run (the one place a node becomes one);
- `text_words`: the written words of the text field, with positions (spelling suggestions);
- `plain_text`: the words a query means, for the embedder (semantic and hybrid modes);
- `only_stop_words`: the "every word is too common" hint;
- `highlight_terms`: the analysed terms to mark in snippets and KWIC.

Operators bind as in Whoosh: NOT tightest, then AND, then OR, then ANDNOT/ANDMAYBE,
and words side by side are ANDed loosest of all: `war OR oil gas` is `(war OR oil) AND gas`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Union

from whoosh import fields, qparser, query
from whoosh.reading import IndexReader

from index.analysis import STOP_WORDS
from index.schema import DEFAULT_FIELD, EXACT_FIELD, QUERY_FIELDS
from search import exact
from search.errors import BadQuery
from search.highlight import HighlightTerms

BINARY_OPERATORS = ("AND", "OR", "ANDNOT", "ANDMAYBE")
NOT_OPERATOR = "NOT"
# Words and phrases in one query: enough for any real question, and each costs a posting list walk.
MAX_QUERY_TERMS = 100
# Letters a wildcard needs before its first `*`: `a*` or `*ion` expand to much of the vocabulary,
# and a few of them ANDed take seconds (Lucene refuses leading wildcards by default too).
MIN_WILDCARD_PREFIX = 2

_LEX = re.compile(
    r"""
    (?:(?P<gfield>\w+):)?(?P<open>\()
  | (?P<close>\))
  | (?P<range>(?:(?P<rfield>\w+):)?[\[{][^\]}\s]*\s+TO\s+[^\]}\s]*[\]}])
  | (?P<phrase>(?:(?P<pfield>\w+):)?"(?P<ptext>[^"]*)"(?P<ptail>(?:[~^][\d.]*)*))
  | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)
_FIELD = re.compile(r"^(\w+):")
_TAIL = re.compile(r"(?:[~^][\d.]*)+$")
_INNER_WORD = re.compile(r"\w+(?:['’.]\w+)*")
_SLOP = re.compile(r"~(\d+)")


# --- the tree


@dataclass(frozen=True)
class Word:
    """A word or wildcard as written: `field:core~tail`; `quoted` is False (see Phrase)."""

    field: str
    core: str
    syntax: str  # the leaf as Whoosh syntax, field included (what `to_whoosh` parses)
    start: int  # where the token starts in the query string
    end: int
    core_start: int  # where `core` starts
    quoted: bool = False

    @property
    def wildcard(self) -> bool:
        return "*" in self.core or "?" in self.core


@dataclass(frozen=True)
class Phrase:
    """A quoted phrase, `"war on terror"~2`; a quoted single word is a Phrase of one word."""

    field: str
    core: str  # the text between the quotes
    slop: int
    syntax: str
    start: int
    end: int
    core_start: int
    quoted: bool = True


@dataclass(frozen=True)
class Range:
    """A range of values, `year:[2010 TO 2013]`."""

    field: str
    syntax: str
    start: int
    end: int


@dataclass(frozen=True)
class Not:
    """Documents without the child."""

    child: "Node"
    start: int


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class AndNot:
    """`a ANDNOT b` (b excluded) or `a ANDMAYBE b` (b only raises the score)."""

    positive: "Node"
    other: "Node"
    maybe: bool


Leaf = Union[Word, Phrase, Range]
Node = Union[Word, Phrase, Range, Not, And, Or, AndNot]


@dataclass(frozen=True)
class QueryWord:
    """A plain word of the query string that searches the text field, where it was written."""

    word: str
    start: int
    end: int


@dataclass(frozen=True)
class ParsedQuery:
    """A checked query string and its tree (None: nothing to search for, browse)."""

    text: str
    tree: Node | None


# --- tokens


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "op" or "term"
    text: str
    start: int
    end: int
    field: str | None = None  # a field group's field: `speaker:(`
    match: re.Match[str] | None = None


def _tokens(text: str) -> list[_Token]:
    """The query string as tokens, each with its position."""
    found: list[_Token] = []
    for match in _LEX.finditer(text):
        if match.group("open") is not None:
            gfield = match.group("gfield")
            if gfield is not None and gfield not in QUERY_FIELDS:
                found.append(_Token("term", f"{gfield}:", match.start(), match.start("open"), match=None))
                gfield = None
            found.append(_Token("(", "(", match.start("open"), match.end(), field=gfield))
        elif match.group("close") is not None:
            found.append(_Token(")", ")", match.start(), match.end()))
        else:
            token = match.group()
            kind = "op" if token in BINARY_OPERATORS or token == NOT_OPERATOR else "term"
            found.append(_Token(kind, token, match.start(), match.end(), match=match))
    return found


# --- checks


def _unclosed_quote(text: str) -> int | None:
    """Position of a double quote that has no partner, if any."""
    positions = [i for i, char in enumerate(text) if char == '"']
    return positions[-1] if len(positions) % 2 else None


def _check_parentheses(tokens: list[_Token]) -> None:
    opened: list[int] = []
    for token in tokens:
        if token.kind == "(":
            opened.append(token.start)
        elif token.kind == ")":
            if not opened:
                raise BadQuery(
                    f"')' at position {token.start} closes nothing: remove it or add a '(' before it",
                    token.start,
                )
            opened.pop()
    if opened:
        raise BadQuery(
            f"'(' at position {opened[-1]} is never closed: add a ')' after the group", opened[-1]
        )


def _check_operators(tokens: list[_Token]) -> None:
    """Every AND/OR needs a term on both sides, and NOT a term after it."""
    for index, token in enumerate(tokens):
        if token.kind != "op":
            continue
        before = tokens[index - 1] if index > 0 else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        after_ends = after is None or after.kind == ")" or after.text in BINARY_OPERATORS
        if token.text in BINARY_OPERATORS:
            if before is None or before.kind in ("(", "op"):
                raise BadQuery(
                    f"{token.text} at position {token.start} has no term before it: "
                    "put a word or phrase on both sides",
                    token.start,
                )
            if after_ends:
                raise BadQuery(
                    f"{token.text} at position {token.start} has no term after it: "
                    "put a word or phrase on both sides",
                    token.start,
                )
        elif after_ends:
            raise BadQuery(
                f"NOT at position {token.start} has no term after it: write NOT before the word to exclude",
                token.start,
            )


def _check_cost(tokens: list[_Token]) -> None:
    """Refuse what would cost seconds for nothing a person needs: too many terms, near-empty wildcards."""
    terms = [token for token in tokens if token.kind == "term"]
    if len(terms) > MAX_QUERY_TERMS:
        raise BadQuery(
            f"too many terms: {len(terms):,} words or phrases (at most {MAX_QUERY_TERMS}): shorten the query",
            terms[MAX_QUERY_TERMS].start,
        )
    for token in terms:
        if token.text.startswith('"') or "*" not in token.text or _is_phrase(token):
            continue
        literal = re.split(r"[*?]", _FIELD.sub("", token.text), maxsplit=1)[0]
        if len(literal) < MIN_WILDCARD_PREFIX:
            raise BadQuery(
                f"{token.text!r} at position {token.start}: a wildcard needs at least {MIN_WILDCARD_PREFIX} "
                "letters before the * (such as terr*); leave the query empty to browse everything",
                token.start,
            )


def _is_phrase(token: _Token) -> bool:
    return token.match is not None and token.match.group("phrase") is not None


# --- building the tree


def _leaf(token: _Token, group_field: str | None) -> Leaf:
    """A term token as a leaf; inside `field:( … )` a leaf without its own field takes the group's."""
    match = token.match
    prefix = f"{group_field}:" if group_field else ""
    if match is not None and match.group("range") is not None:
        own = match.group("rfield")
        field = own if own in QUERY_FIELDS else (group_field or DEFAULT_FIELD)
        syntax = token.text if own in QUERY_FIELDS else prefix + token.text
        return Range(field, syntax, token.start, token.end)
    if match is not None and match.group("phrase") is not None:
        own = match.group("pfield")
        field = own if own in QUERY_FIELDS else (group_field or DEFAULT_FIELD)
        slop = _SLOP.search(match.group("ptail") or "")
        syntax = token.text if own in QUERY_FIELDS else prefix + token.text
        return Phrase(
            field, match.group("ptext"), int(slop.group(1)) if slop else 1, syntax, token.start, token.end,
            match.start("ptext"),
        )  # fmt: skip
    own_field = _FIELD.match(token.text)
    if own_field and own_field.group(1) in QUERY_FIELDS and len(token.text) > own_field.end():
        field, body, body_start, syntax = own_field.group(1), token.text[own_field.end() :], own_field.end(), token.text
    else:
        field, body, body_start, syntax = group_field or DEFAULT_FIELD, token.text, 0, prefix + token.text
    core = _TAIL.sub("", body)
    return Word(field, core, syntax, token.start, token.end, token.start + body_start)


class _Reader:
    """Recursive descent over checked tokens: sequence > ANDNOT > OR > AND > NOT > group or leaf."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def sequence(self, field: str | None) -> Node | None:
        items: list[Node] = []
        while (token := self.peek()) is not None and token.kind != ")":
            items.append(self.and_not(field))
        return _joined(And, items)

    def and_not(self, field: str | None) -> Node:
        node = self.either(field)
        while (token := self.peek()) is not None and token.text in ("ANDNOT", "ANDMAYBE"):
            self.at += 1
            node = AndNot(node, self.either(field), maybe=token.text == "ANDMAYBE")
        return node

    def either(self, field: str | None) -> Node:
        return self.infix("OR", Or, self.both, field)

    def both(self, field: str | None) -> Node:
        return self.infix("AND", And, self.unary, field)

    def infix(
        self, operator: str, kind: type[And] | type[Or], operand: Callable[[str | None], Node], field: str | None
    ) -> Node:
        """`operand (operator operand)*` as one node of `kind` (the operand alone if there is one)."""
        items = [operand(field)]
        while (token := self.peek()) is not None and token.text == operator:
            self.at += 1
            items.append(operand(field))
        return _joined(kind, items) or items[0]

    def unary(self, field: str | None) -> Node:
        token = self.tokens[self.at]
        self.at += 1
        if token.text == NOT_OPERATOR and token.kind == "op":
            child = self.unary(field)
            return child.child if isinstance(child, Not) else Not(child, token.start)  # NOT NOT x is x
        if token.kind == "(":
            inner = self.sequence(token.field or field)
            self.at += 1  # the ")" the parenthesis check guarantees
            return inner if inner is not None else And(())
        return _leaf(token, field)


def _joined(kind: type[And] | type[Or], items: list[Node]) -> Node | None:
    if not items:
        return None
    return items[0] if len(items) == 1 else kind(tuple(items))


_TYPOGRAPHIC_QUOTES = str.maketrans(dict.fromkeys("“”„‟«»″", '"'))


def parse(text: str) -> ParsedQuery:
    """Check and read a query string; positions refer to `text`. Raises BadQuery."""
    # People type questions: "…in Syria?" must find Syria, so `?` is punctuation, not
    # Whoosh's one-letter wildcard (same length, so positions still line up).
    text = text.replace("?", " ")
    # A quote pasted from the press or a word processor has typographic quotation marks:
    # “we do not want” is the exact phrase, not four stemmed words (one character each, too).
    text = text.translate(_TYPOGRAPHIC_QUOTES)
    if not text.strip():
        return ParsedQuery(text, None)
    quote = _unclosed_quote(text)
    if quote is not None:
        raise BadQuery(
            f'unclosed quote at position {quote}: end the phrase with another " or remove the quote', quote
        )
    exact.check_limits(text)  # before reading the tree: 990 nested parentheses must not recurse
    tokens = _tokens(text)
    _check_parentheses(tokens)
    _check_operators(tokens)
    _check_cost(tokens)
    return ParsedQuery(text, _Reader(tokens).sequence(None))


def check_syntax(text: str) -> None:
    """Reject what Whoosh would silently misread: unclosed quotes or parentheses, dangling operators."""
    parse(text)


# --- walking the tree


def leaves(node: Node | None, *, positive: bool = False) -> Iterator[Leaf]:
    """The leaves in written order; with `positive`, only those a matching document may contain."""
    if node is None:
        return
    if isinstance(node, (Word, Phrase, Range)):
        yield node
    elif isinstance(node, Not):
        if not positive:
            yield from leaves(node.child)
    elif isinstance(node, AndNot):
        yield from leaves(node.positive, positive=positive)
        if not positive or node.maybe:
            yield from leaves(node.other, positive=positive)
    else:
        for child in node.children:
            yield from leaves(child, positive=positive)


def _leaf_words(leaf: Leaf) -> Iterator[QueryWord]:
    """The written words of a text-field leaf, wildcard words left out."""
    if isinstance(leaf, Range) or leaf.field != DEFAULT_FIELD:
        return
    core = leaf.core
    for inner in _INNER_WORD.finditer(core):
        if core[inner.end() : inner.end() + 1] in ("*", "?"):
            continue
        yield QueryWord(inner.group(), leaf.core_start + inner.start(), leaf.core_start + inner.end())


def words_of(parsed: ParsedQuery, *, positive: bool = False) -> list[QueryWord]:
    """Words of the query that search the text field, with where they were written."""
    return [word for leaf in leaves(parsed.tree, positive=positive) for word in _leaf_words(leaf)]


def _read(text: str | ParsedQuery) -> ParsedQuery:
    return text if isinstance(text, ParsedQuery) else parse(text)


def text_words(text: str | ParsedQuery) -> list[QueryWord]:
    """Words of the query string that search the text field (for spelling suggestions).

    Operators, wildcards, other fields' values and `~N` slops are skipped.
    """
    return words_of(_read(text))


def plain_text(text: str | ParsedQuery) -> str:
    """The words a query means, for the embedder: no operators, field clauses, excluded terms or syntax."""
    kept = []
    for leaf in leaves(_read(text).tree, positive=True):
        if isinstance(leaf, Range) or leaf.field != DEFAULT_FIELD:
            continue
        core = leaf.core.replace("*", "").replace("?", "")
        if core:
            kept.append(core)
    return " ".join(kept)


def leaf_is_quoted(leaf: Leaf) -> bool:
    """Whether a leaf is a quoted word or phrase (matched as written, search.exact)."""
    return isinstance(leaf, Phrase)


def only_stop_words(text: str | ParsedQuery) -> bool:
    """True if every word of the query is too common to be indexed ("the", "and" …)."""
    try:
        tree = _read(text).tree
    except BadQuery:
        return False
    # Quoted words match as written, stop words included ("the" in quotes is searchable).
    found = [word.word.casefold() for leaf in leaves(tree) if not leaf_is_quoted(leaf) for word in _leaf_words(leaf)]
    return bool(found) and all(word in STOP_WORDS for word in found)


# --- Whoosh


def make_parser(schema: fields.Schema) -> qparser.QueryParser:
    """A parser on the text field where only the QUERY_FIELDS may be named (`speaker:`, `year:`…).

    The parser sees a schema of just those fields, so `content_hash:x` or `note:` is read
    as plain words rather than reaching into internal fields.
    """
    visible = fields.Schema(**{name: schema[name] for name in QUERY_FIELDS if name in schema})
    return qparser.QueryParser(DEFAULT_FIELD, visible, group=qparser.AndGroup)


def _errors(q: query.Query) -> Iterator[query.Query]:
    """Nodes the Whoosh parser marked as errors."""
    if getattr(q, "error", None):
        yield q
    for child in q.children():
        yield from _errors(child)


def exact_leaf(leaf: Leaf) -> query.Query | None:
    """The exact-field query of a text leaf that wants words as written, else None (stemmed).

    Quoted words and phrases, wildcards and every `case:` leaf go to the exact field
    (search.exact); a plain unquoted word stays stemmed.
    """
    if isinstance(leaf, Range) or leaf.field not in (DEFAULT_FIELD, exact.CASE_FIELD):
        return None
    case = leaf.field == exact.CASE_FIELD
    if isinstance(leaf, Phrase):
        made = exact.exact_phrase(leaf.core, leaf.slop, case=case)
    elif leaf.wildcard:
        made = exact.exact_wildcard(leaf.core, case=case)
    elif case:
        made = exact.exact_phrase(leaf.core, case=True)
    else:
        return None
    boost = _BOOST_TAIL.search(leaf.syntax)
    if boost is not None and made is not query.NullQuery:
        made.boost = float(boost.group(1))
    return made


_BOOST_TAIL = re.compile(r"\^([\d.]+)(?:~\d*)?$")


def leaf_query(leaf: Leaf, parser: qparser.QueryParser) -> query.Query:
    """One leaf as a Whoosh query: analysed by its field's analyser (a stop word gives a null query),
    or on the exact field when it wants words as written (exact_leaf)."""
    made = exact_leaf(leaf)
    if made is not None:
        return made
    try:
        parsed = parser.parse(leaf.syntax)
    except Exception as error:  # Whoosh raises assorted types on odd input
        raise BadQuery(f"cannot read the query at position {leaf.start}: {error}", leaf.start) from None
    for node in _errors(parsed):
        position = leaf.start + (getattr(node, "startchar", None) or 0)
        raise BadQuery(f"cannot read the query at position {position}: {node.error}", position)
    return parsed


def to_whoosh(node: Node, parser: qparser.QueryParser) -> query.Query:
    """The Whoosh query of a node (not normalised): the one place the tree becomes Whoosh queries."""
    if isinstance(node, (Word, Phrase, Range)):
        return leaf_query(node, parser)
    if isinstance(node, Not):
        return query.Not(to_whoosh(node.child, parser))
    if isinstance(node, AndNot):
        kind = query.AndMaybe if node.maybe else query.AndNot
        return kind(to_whoosh(node.positive, parser), to_whoosh(node.other, parser))
    kind_of = query.And if isinstance(node, And) else query.Or
    return kind_of([to_whoosh(child, parser) for child in node.children])


def whoosh_query(parsed: ParsedQuery, parser: qparser.QueryParser) -> query.Query | None:
    """The Whoosh query to run; None for an empty query (browse)."""
    if parsed.tree is None:
        return None
    return to_whoosh(parsed.tree, parser).normalize()


def parse_query(text: str, parser: qparser.QueryParser) -> query.Query | None:
    """The Whoosh query for `text`; None for an empty query (browse). Raises BadQuery."""
    return whoosh_query(parse(text.strip()), parser)


def highlight_terms(parsed: ParsedQuery, parser: qparser.QueryParser, reader: IndexReader) -> HighlightTerms:
    """Analysed text-field terms a hit may contain (not those under NOT), wildcards expanded against the
    index, and the exact phrases to mark as one run each (quoted phrases, wildcard words as written)."""
    found: set[str] = set()
    phrases: list[tuple[str, ...]] = []
    for leaf in leaves(parsed.tree, positive=True):
        if leaf.field not in (DEFAULT_FIELD, exact.CASE_FIELD):
            continue
        made = exact_leaf(leaf)
        if made is not None:
            phrases.extend(_exact_phrases(made, reader))
            continue
        for part in leaf_query(leaf, parser).leaves():
            if part.field() != DEFAULT_FIELD:
                continue
            for field, term in part.expanded_terms(reader, phrases=True):
                if field == DEFAULT_FIELD:
                    found.add(term.decode("utf-8") if isinstance(term, bytes) else term)
    return HighlightTerms(found, phrases)


# Words of one wildcard marked in snippets: past this many, the rarest are left unmarked.
_MAX_MARKED_EXPANSIONS = 500


def _exact_phrases(q: query.Query, reader: IndexReader) -> list[tuple[str, ...]]:
    """The exact-field word sequences a query matches: its phrase, its word, or its wildcard's words."""
    if isinstance(q, query.Phrase):
        return [tuple(q.words)]
    if isinstance(q, query.Term):
        return [(q.text,)]
    if isinstance(q, (query.Prefix, query.Wildcard)):
        found = []
        for count, term in enumerate(q._btexts(reader)):
            if count >= _MAX_MARKED_EXPANSIONS:
                break
            found.append((term.decode("utf-8") if isinstance(term, bytes) else term,))
        return found
    return []
