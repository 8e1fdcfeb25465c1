"""Exact wording on the real corpus: quoted phrases, accented words and wildcards counted against a plain scan.

For every query, the number of utterances the search finds equals the number a plain
Python scan of the same parsed utterances finds: words as written (case- and
accent-folded, punctuation between words ignored, stop words kept). Runs only with
VERBATIM_CORPUS set.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.analysis import CASE_MARK, WORD_PATTERN, case_term, exact_word
from index.models import Transcript
from index.parse import iter_transcripts
from index.reindex import reindex
from search.engine import Engine
from search.types import SearchRequest

pytestmark = [pytest.mark.corpus, pytest.mark.slow]  # indexes the whole corpus (≈ 40 s)

_WORD = re.compile(WORD_PATTERN)


@pytest.fixture(scope="module")
def corpus() -> list[Transcript]:
    value = os.environ.get("VERBATIM_CORPUS")
    if not value or not Path(value).is_dir():
        pytest.skip("set VERBATIM_CORPUS to the kremlin corpus folder to run this test")
    return list(iter_transcripts([Path(value)]))


@pytest.fixture(scope="module")
def corpus_engine(tmp_path_factory: pytest.TempPathFactory, corpus: list[Transcript]) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("exact") / "index"
    reindex(path, [Path(os.environ["VERBATIM_CORPUS"])], full=True, processes=1)
    with Engine(path) as engine:
        yield engine


def scan(corpus: list[Transcript], words: list[str], *, prefix: bool = False, case: bool = False) -> int:
    """Utterances whose words (as written, folded) contain `words` in a row; the last one a prefix if asked.

    With `case`, a wanted word with capitals must be written with exactly those capitals;
    one in lower case matches any case (DESIGN §4: `case:`).
    """
    wanted = [(case_term(w) if case else None) or exact_word(w) for w in words]
    found = 0
    for transcript in corpus:
        for utterance in transcript.utterances:
            written = _WORD.findall(utterance.text)
            forms = [(exact_word(w), case_term(w)) for w in written]
            if any(_matches(forms[i : i + len(wanted)], wanted, prefix) for i in range(len(forms) - len(wanted) + 1)):
                found += 1
    return found


def _matches(window: list[tuple[str, str | None]], wanted: list[str], prefix: bool) -> bool:
    for k, term in enumerate(wanted):
        folded, cased = window[k]
        form = cased if term.startswith(CASE_MARK) else folded
        if form is None:
            return False
        if not (form.startswith(term) if prefix and k == len(wanted) - 1 else form == term):
            return False
    return True


def total(engine: Engine, q: str) -> int:
    return engine.search(SearchRequest(q=q, per_page=1)).total


@pytest.mark.parametrize(
    ("query", "words", "options"),
    [
        ('"we do not want"', ["we", "do", "not", "want"], {}),
        ('"there is no"', ["there", "is", "no"], {}),
        ('"I would like to"', ["I", "would", "like", "to"], {}),
        ('"in the"', ["in", "the"], {}),
        ('"as it is"', ["as", "it", "is"], {}),  # stop words only
        ('"we, do not want"', ["we", "do", "not", "want"], {}),  # punctuation between words is ignored
        ('"nationalism"', ["nationalism"], {}),  # not "nation", "national"…
        ('"terrorism"', ["terrorism"], {}),  # not "terror"
        ('"Suddeutsche Zeitung"', ["Süddeutsche", "Zeitung"], {}),  # accents folded
        ('"policy of detente"', ["policy", "of", "détente"], {}),
        ('"cliches"', ["clichés"], {}),
        ('"detente"', ["détente"], {}),
        ('"naïve"', ["naive"], {}),
        ("nationali*", ["nationali"], {"prefix": True}),  # over words as written: not "nation"
        ("liberal*", ["liberal"], {"prefix": True}),  # not "liberate"
        ('"the US"', ["the", "US"], {}),
        ("case:US", ["US"], {"case": True}),  # the country, not the pronoun
        ('case:"the United States"', ["the", "United", "States"], {"case": True}),
    ],
)
def test_exact_counts_equal_a_plain_scan(corpus_engine: Engine, corpus: list[Transcript], query: str, words: list[str], options: dict):
    expected = scan(corpus, words, **options)
    assert expected > 0  # every phrase of the test occurs: a count of 0 = 0 would prove nothing
    assert total(corpus_engine, query) == expected


def test_unquoted_words_stay_stemmed(corpus_engine: Engine):
    assert total(corpus_engine, "terrorism") > total(corpus_engine, '"terrorism"')
    assert total(corpus_engine, "Communique") == total(corpus_engine, "Communiqué")
