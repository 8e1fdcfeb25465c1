"""Text analysis on nltk: tokens with character offsets, lower-case, accents folded, stop words, Snowball stems.

Three analysers read the utterance text: the stemmed one (unquoted words), the exact one
(quoted words: the words as written, case- and accent-folded, stop words kept) and the
case-kept one (`case:` queries). All use the same tokenizer, so character offsets and
positions agree and one highlighter serves them all.

Whoosh pickles analysers into the index, so everything here must stay importable
from this module (never define analysis classes in `__main__`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import regex
from whoosh.analysis import Composable, Filter, LowercaseFilter, Token, Tokenizer
from whoosh.analysis.analyzers import CompositeAnalyzer
from whoosh.lang import stopwords_for_language

if TYPE_CHECKING:  # nltk takes a second to import: loaded on first use (STYLE: heavy things load lazily)
    from nltk.stem.snowball import SnowballStemmer
    from nltk.tokenize import RegexpTokenizer

# A word is a run of letters/digits, keeping inner apostrophes and dots
# ("don't", "U.S", "2.5") so that they stay one searchable token.
WORD_PATTERN = r"\w+(?:['’.]\w+)*"

STOP_WORDS = frozenset(stopwords_for_language("en")) | frozenset(stopwords_for_language("ru"))

# Single letters joined by dots ("U.S", "U.K", "e.g"): indexed without the dots, so
# "U.S." and "US" are the same word.
ABBREVIATION = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")

# Analysed forms of written words remembered by a CachedAnalyzer (a corpus vocabulary is far smaller).
_WORD_CACHE_LIMIT = 500_000

# Stems are cached per filter instance; the vocabulary of a corpus is small
# compared to its token count, so the cache turns stemming into a dict lookup.
_STEM_CACHE_LIMIT = 200_000


class NltkTokenizer(Tokenizer):
    """Splits text into words with nltk's RegexpTokenizer, keeping character offsets."""

    def __init__(self, pattern: str = WORD_PATTERN) -> None:
        self.pattern = pattern
        self._nltk: RegexpTokenizer | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"pattern": self.pattern}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.pattern = state["pattern"]
        self._nltk = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NltkTokenizer) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash((type(self), self.pattern))

    def spans(self, value: str) -> Iterator[tuple[int, int]]:
        """Character spans of the words in `value`."""
        if self._nltk is None:
            from nltk.tokenize import RegexpTokenizer

            self._nltk = RegexpTokenizer(self.pattern)
        return self._nltk.span_tokenize(value)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        for pos, (start, end) in enumerate(self.spans(value)):
            token.text = value[start:end].replace("’", "'")
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


# Letters that Unicode does not decompose into a base letter and an accent.
_FOLD_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
     "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ı": "i", "ё": "е", "Ё": "Е"}
)
# Accents are dropped from Latin letters only: in Cyrillic "й" is a letter of its own, not "и" + breve.
_LATIN_END = "\u0250"


def fold_accents(word: str) -> str:
    """`word` without the accents of its Latin letters ("Communiqué" → "Communique", "ё" → "е").

    Users type the plain letters; the Kremlin's translators write "Communiqué", "Medvedev" and
    "Kolesnikova" in the same text. Case is kept (the caller decides about it).
    """
    if word.isascii():
        return word
    word = word.translate(_FOLD_LETTERS)
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", word):
        if unicodedata.combining(char) and kept and kept[-1] < _LATIN_END:
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


class AccentFilter(Filter):
    """Folds the accents of Latin letters (fold_accents), so `Communique` finds `Communiqué`."""

    def __eq__(self, other: object) -> bool:
        return type(other) is AccentFilter

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = fold_accents(token.text)
            yield token


def exact_word(word: str, keep_case: bool = False) -> str:
    """A written word as the exact-wording fields index it: dotted abbreviations joined, accents folded,
    lower-cased unless `keep_case`. The one definition the index, the query and a plain scan share."""
    word = word.replace("’", "'")
    if "." in word and ABBREVIATION.fullmatch(word):
        word = word.replace(".", "")
    word = fold_accents(word)
    return word if keep_case else word.lower()


# Prefix of the case-kept form of a word that has capitals, indexed beside its folded form at the
# same position ("US" → "us" and "=US"): no word of the tokenizer's pattern starts with it.
CASE_MARK = "="


def case_term(word: str) -> str | None:
    """The case-marked term of a written word with capitals ("US" → "=US"); None for a lower-case word."""
    kept = exact_word(word, keep_case=True)
    return CASE_MARK + kept if kept != kept.lower() else None


class ExactWordFilter(Filter):
    """Words as written (exact_word): no stop words dropped, no stemming, positions untouched.

    With `mark_case`, a word with capitals is also indexed as its case_term at the same
    position, so `case:US` finds the country and not the pronoun. That costs a posting for
    13% of the words (those with a capital) instead of a third text field (measured on the
    shared corpus: +1.5 MB against +11.5 MB). Queries never get the marked terms from the
    analyser (mode="query"): the query front end asks for them explicitly.
    """

    def __init__(self, mark_case: bool = False) -> None:
        self.mark_case = mark_case

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExactWordFilter) and other.mark_case == self.mark_case

    def __hash__(self) -> int:
        return hash((type(self), self.mark_case))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        mark_case = self.mark_case
        for token in tokens:
            written = token.text
            token.text = exact_word(written)
            token.stopped = False
            yield token
            if mark_case and token.mode != "query":
                marked = case_term(written)
                if marked is not None:
                    token.text = marked
                    yield token


def _is_cyrillic(word: str) -> bool:
    return "\u0400" <= word[0] <= "\u04ff"


class SnowballFilter(Filter):
    """Stems tokens with nltk's Snowball stemmers: English, or Russian for Cyrillic words."""

    is_morph = True

    def __init__(self, language: str = "english", cyrillic_language: str = "russian") -> None:
        self.language = language
        self.cyrillic_language = cyrillic_language
        self._reset()

    def _reset(self) -> None:
        self._stemmers: dict[str, SnowballStemmer] = {}
        self._cache: dict[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"language": self.language, "cyrillic_language": self.cyrillic_language}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.language = state["language"]
        self.cyrillic_language = state["cyrillic_language"]
        self._reset()

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SnowballFilter)
            and other.language == self.language
            and other.cyrillic_language == self.cyrillic_language
        )

    def __hash__(self) -> int:
        return hash((type(self), self.language, self.cyrillic_language))

    def stem(self, word: str) -> str:
        """The stem of one lower-cased word (cached)."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        language = self.cyrillic_language if _is_cyrillic(word) else self.language
        stemmer = self._stemmers.get(language)
        if stemmer is None:
            from nltk.stem.snowball import SnowballStemmer

            stemmer = self._stemmers[language] = SnowballStemmer(language)
        stemmed = stemmer.stem(word) or word
        if len(self._cache) >= _STEM_CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = stemmed
        return stemmed

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stem = self.stem
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text)
            yield token


def is_acronym(word: str) -> bool:
    """A word written in capitals ("US", "WHO", "IT"): never a stop word, whatever its lower case is."""
    return len(word) >= 2 and word.isupper()


class StopWordFilter(Filter):
    """Lower-cases tokens and drops stop words, keeping acronyms in capitals ("US" is not "us").

    Replaces Whoosh's LowercaseFilter + StopFilter in one pass. Kept tokens are renumbered
    so that a phrase matches across removed stop words, as with Whoosh's StopFilter.
    """

    def __init__(self, stoplist: Iterable[str] = STOP_WORDS, minsize: int = 2) -> None:
        self.stops = frozenset(stoplist)
        self.min = minsize

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StopWordFilter) and other.stops == self.stops and other.min == self.min

    def __hash__(self) -> int:
        return hash((type(self), self.stops, self.min))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stops = self.stops
        minsize = self.min
        pos: int | None = None
        for token in tokens:
            text = token.text
            if "." in text and ABBREVIATION.fullmatch(text):
                text = text.replace(".", "")
            lowered = text.lower()
            token.text = lowered
            if len(text) >= minsize and (lowered not in stops or is_acronym(text)):
                if token.positions:
                    if pos is None:
                        pos = token.pos
                    else:
                        pos += 1
                        token.pos = pos
                token.stopped = False
                yield token
            elif not token.removestops:
                token.stopped = True
                yield token


# Filters that look at one token at a time and never split one (CachedAnalyzer's fast path).
_PER_WORD_FILTERS = (StopWordFilter, SnowballFilter, LowercaseFilter, AccentFilter, ExactWordFilter)


class CachedAnalyzer(CompositeAnalyzer):
    """The tokens of its chain (NltkTokenizer, then per-word filters), each written word analysed once.

    Indexing runs every word through a chain of generators and nltk's per-match timeout
    guard; that was most of the cost of a build. Our filters look at one word at a time,
    so the analysed forms of each distinct written word (none when the chain drops it,
    two when ExactWordFilter marks its case) are computed by the chain itself once and
    then looked up; positions are renumbered across dropped words exactly as
    StopWordFilter does. Calls the fast path does not cover (no tokenizing, stop words
    kept, no_morph, a query through a case-marking chain) run the chain as is.
    """

    def __init__(self, *composables: Composable) -> None:
        super().__init__(*composables)
        self._reset()

    def _reset(self) -> None:
        self._words: dict[str, tuple[str, ...]] = {}
        self._pattern: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"items": self.items}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.items = state["items"]
        self._reset()

    def __hash__(self) -> int:
        return hash((type(self), tuple(self.items)))

    def _per_word(self) -> bool:
        """Whether the chain is our tokenizer followed by filters that look at one word at a time."""
        return type(self.items[0]) is NltkTokenizer and all(
            type(item) in _PER_WORD_FILTERS for item in self.items[1:]
        )

    def _marks_case(self) -> bool:
        return any(type(item) is ExactWordFilter and item.mark_case for item in self.items)

    def __call__(self, value: str, no_morph: bool = False, **kwargs: Any) -> Iterator[Token]:
        if (
            no_morph
            or not kwargs.get("tokenize", True)
            or not kwargs.get("removestops", True)
            or not self._per_word()
            or (kwargs.get("mode") == "query" and self._marks_case())
        ):
            return super().__call__(value, no_morph=no_morph, **kwargs)
        return self._cached(value, **kwargs)

    def _word(self, word: str) -> tuple[str, ...]:
        """The analysed forms of one written word, none if the chain drops it (cached).

        The word goes through the filters as the one token the tokenizer makes of it
        (a whole match of its pattern matches itself), skipping nltk's per-call setup.
        Every form the chain yields for it stands at the word's position.
        """
        token = Token(removestops=True)
        token.text = word.replace("’", "'")
        token.boost = 1.0
        token.stopped = False
        stream: Iterator[Token] = iter((token,))
        for item in self.items[1:]:
            stream = item(stream)
        terms = tuple(t.text for t in stream)
        if len(self._words) >= _WORD_CACHE_LIMIT:
            self._words.clear()
        self._words[word] = terms
        return terms

    def _compiled(self) -> Any:
        """The tokenizer's pattern as nltk's RegexpTokenizer compiles it (the `regex` engine, these flags)."""
        if self._pattern is None:
            tokenizer = self.items[0]
            assert isinstance(tokenizer, NltkTokenizer)
            self._pattern = regex.compile(tokenizer.pattern, regex.UNICODE | regex.MULTILINE | regex.DOTALL)
        return self._pattern

    def term_positions(self, value: str) -> dict[str, list[int]] | None:
        """term → its positions in `value`, as the token stream numbers them; None when not a per-word chain.

        What an index format needs from a value, without a Token per word (index.formats).
        """
        if not self._per_word():
            return None
        renumber = any(type(item) is StopWordFilter for item in self.items)
        words = self._words
        found: dict[str, list[int]] = {}
        pos = -1
        for number, word in enumerate(self._compiled().findall(value)):
            terms = words.get(word)
            if terms is None:
                terms = self._word(word)
            if not terms:
                continue
            pos = pos + 1 if renumber and pos >= 0 else number
            for term in terms:
                positions = found.get(term)
                if positions is None:
                    found[term] = [pos]
                else:
                    positions.append(pos)
        return found

    def _cached(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        renumber = any(type(item) is StopWordFilter for item in self.items)
        words = self._words
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos: int | None = None
        for number, match in enumerate(self._compiled().finditer(value)):
            word = match.group()
            terms = words.get(word)
            if terms is None:
                terms = self._word(word)
            if not terms:
                continue
            if positions:
                if renumber and pos is not None:
                    pos += 1
                else:
                    pos = start_pos + number
            for term in terms:
                token.text = term
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = word.replace("’", "'")
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + match.start()
                    token.endchar = start_char + match.end()
                yield token


def text_analyzer() -> Composable:
    """The analyser of searchable text: words → lower-case → stop words → accents folded → Snowball stems.

    Stop words are removed with positions renumbered, both when indexing and when
    parsing a query, so `"war on terror"` matches as a phrase.
    """
    return CachedAnalyzer(NltkTokenizer(), StopWordFilter(), AccentFilter(), SnowballFilter())


def exact_analyzer() -> Composable:
    """The words as written, for quoted phrases: case- and accent-folded, stop words kept, no stemming;
    words with capitals also indexed with their case (case_term) for `case:` queries.

    `"we do not want"` then matches those four words in order, not every utterance with "want".
    """
    return CachedAnalyzer(NltkTokenizer(), ExactWordFilter(mark_case=True))


def spelling_analyzer() -> Composable:
    """Unstemmed words for "did you mean" suggestions (stems are not words)."""
    return CachedAnalyzer(NltkTokenizer(), StopWordFilter(minsize=3), AccentFilter())


def name_analyzer() -> Composable:
    """Names (speaker, role, place…) searched by words: lower-case, no stemming, no stop words."""
    return CachedAnalyzer(NltkTokenizer(), LowercaseFilter())
