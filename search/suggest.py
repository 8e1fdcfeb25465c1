"""Spelling suggestions ("did you mean"): rare words of a query replaced by close, frequent real words.

Candidates come from the words as written (the exact-wording field, whose document
frequencies count utterances), so a suggestion is always a word someone said, never a stem;
words the spelling analyser drops (stop words, words under three letters) are never offered.
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh.reading import IndexReader

from index.analysis import CASE_MARK, exact_word, spelling_analyzer
from index.schema import EXACT_FIELD
from search.query import ParsedQuery, text_words

# A word found in fewer utterances than this may be a misspelling.
FEW_HITS = 2
# A replacement must be this many times more frequent than the word it replaces.
MIN_GAIN = 10
MAX_DISTANCE = 2


def correct_word(word: str, reader: IndexReader, field: str = EXACT_FIELD) -> str | None:
    """A close, much more frequent word of the index for a rare `word`; None if it is fine or hopeless."""
    spellable = spelling_analyzer()
    # The spelling analyser says whether the word can be misspelt ("U.S." → "us"; stop words → nothing).
    analysed = [token.text for token in spellable(word)]
    if len(analysed) != 1 or analysed[0].isdigit():
        return None
    lowered = exact_word(analysed[0])
    frequency = live_frequency(reader, field, lowered)
    if frequency >= FEW_HITS:
        return None
    needed = max(1, frequency * MIN_GAIN)
    # Unknown words may be two edits away; a word that exists must be one edit from a better one.
    max_distance = MAX_DISTANCE if frequency == 0 else 1
    for distance in range(1, max_distance + 1):
        # prefix=1: misspellings rarely change the first letter, and it keeps the scan short.
        candidates = [
            (live_frequency(reader, field, term), term)
            for term in reader.terms_within(field, lowered, distance, prefix=1)
            if term != lowered and _spellable(term, spellable)
        ]
        good = [(f, t) for f, t in candidates if f >= needed]
        if good:
            best = min(good, key=lambda item: (-item[0], item[1]))[1]
            return _same_case(word, best)
    return None


def _spellable(term: str, analyzer: Callable[[str], object]) -> bool:
    """A term of the exact field that is a word the spelling analyser keeps as it is (no case-marked
    terms, stop words or short words)."""
    if term.startswith(CASE_MARK):
        return False
    return [token.text for token in analyzer(term)] == [term]  # type: ignore[attr-defined]


def live_frequency(reader: IndexReader, field: str, term: str) -> int:
    """Utterances that hold `term` now: after an incremental reindex, `doc_frequency` still
    counts deleted documents, and suggestions would follow words no longer in the corpus."""
    frequency = reader.doc_frequency(field, term)
    if not frequency or not reader.has_deletions():
        return frequency
    return sum(1 for _ in reader.postings(field, term).all_ids())  # postings skip deleted documents


def _same_case(original: str, replacement: str) -> str:
    """The replacement written like the original: Capitalised, UPPER or lower."""
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def suggest(
    query_text: str | ParsedQuery,
    reader: IndexReader,
    correct: Callable[[str, IndexReader], str | None] = correct_word,
) -> str | None:
    """The query with its rare words corrected, or None when no word has a better spelling."""
    corrected = query_text.text if isinstance(query_text, ParsedQuery) else query_text
    changed = False
    # Right to left, so earlier positions stay valid while replacing.
    for word in reversed(text_words(query_text)):
        replacement = correct(word.word, reader)
        if replacement and replacement.lower() != word.word.lower():
            corrected = corrected[: word.start] + replacement + corrected[word.end :]
            changed = True
    return corrected if changed else None
