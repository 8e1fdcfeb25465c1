"""The nltk-based analysers: offsets, case, stop words, stems, phrases across stop words, pickling."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from whoosh import highlight
from whoosh.qparser import QueryParser

import index.analysis
from whoosh.analysis.analyzers import CompositeAnalyzer

from index.analysis import (
    CASE_MARK,
    NltkTokenizer,
    SnowballFilter,
    StopWordFilter,
    case_term,
    exact_analyzer,
    exact_word,
    fold_accents,
    name_analyzer,
    spelling_analyzer,
    text_analyzer,
)
from index.reader import open_index


def tokens(analyzer, text: str, **options) -> list[tuple[str, int, int, int]]:
    """(text, position, start, end) of every token the analyser yields."""
    return [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer(text, positions=True, chars=True, **options)]


def terms(analyzer, text: str) -> list[str]:
    return [t.text for t in analyzer(text)]


def test_text_analyzer_lowercases_drops_stop_words_and_stems_with_offsets():
    text = "The Geneva Communique, the war on terror."
    assert tokens(text_analyzer(), text) == [
        ("geneva", 1, 4, 10),
        ("communiqu", 2, 11, 21),
        ("war", 3, 27, 30),
        ("terror", 4, 34, 40),
    ]


def test_offsets_point_at_the_original_words():
    text = "I’m glad: Mr Obama\nand I had two conversations, Путин ответил."
    found = [text[start:end] for _, _, start, end in tokens(text_analyzer(), text)]
    assert found == ["I’m", "glad", "Mr", "Obama", "two", "conversations", "Путин", "ответил"]


def test_offsets_count_from_start_char():
    assert tokens(text_analyzer(), "peace talks", start_char=100, start_pos=7) == [
        ("peac", 7, 100, 105),
        ("talk", 8, 106, 111),
    ]


def test_curly_apostrophe_is_the_straight_one():
    assert terms(text_analyzer(), "Russia’s") == terms(text_analyzer(), "Russia's")


def test_cyrillic_words_get_russian_stems():
    assert terms(text_analyzer(), "Президент России провёл переговоры") == [
        "президент",
        "росс",
        "провел",
        "переговор",
    ]


def test_english_stems_merge_inflections():
    analyzer = text_analyzer()
    assert terms(analyzer, "countries negotiating") == terms(analyzer, "country negotiations")


def test_acronyms_in_capitals_are_not_stop_words():
    analyzer = text_analyzer()
    assert terms(analyzer, "IT and it, WHO and who") == ["it", "who"]


def test_dotted_abbreviations_match_the_plain_form():
    analyzer = text_analyzer()
    assert terms(analyzer, "the U.S. economy") == terms(analyzer, "the US economy") == ["us", "economi"]


def test_numbers_with_dots_stay_one_token():
    assert terms(text_analyzer(), "growth of 2.5 percent in 2013") == ["growth", "2.5", "percent", "2013"]


def test_stopped_tokens_are_kept_when_asked_and_not_stemmed():
    analyzed = [(t.text, t.stopped) for t in text_analyzer()("the talks", removestops=False)]
    assert analyzed == [("the", True), ("talk", False)]


def test_query_mode_gives_the_same_terms():
    analyzer = text_analyzer()
    assert tokens(analyzer, "war on terror", mode="query") == tokens(analyzer, "war on terror")


def test_untokenized_value_is_one_token():
    assert [t.text for t in NltkTokenizer()("Vladimir Putin", tokenize=False)] == ["Vladimir Putin"]


def test_spelling_analyzer_keeps_whole_words():
    assert terms(spelling_analyzer(), "The countries are negotiating an EU deal") == [
        "countries",
        "negotiating",
        "deal",
    ]


def test_name_analyzer_keeps_every_word():
    assert terms(name_analyzer(), "The Kremlin, Moscow") == ["the", "kremlin", "moscow"]


def test_stemmer_cache_gives_the_same_stems_and_stays_bounded(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(index.analysis, "_STEM_CACHE_LIMIT", 3)
    stemmer = SnowballFilter()
    words = ["running", "runs", "countries", "negotiations", "running", "президента", "runs"]
    first = [stemmer.stem(w) for w in words]
    second = [stemmer.stem(w) for w in words]
    assert first == second == ["run", "run", "countri", "negoti", "run", "президент", "run"]
    assert len(stemmer._cache) <= 3


def test_pickled_analyzer_is_equal_and_carries_no_cache():
    analyzer = text_analyzer()
    size = len(pickle.dumps(analyzer))
    terms(analyzer, " ".join(f"word{n}s" for n in range(500)))
    copy = pickle.loads(pickle.dumps(analyzer))
    assert copy == analyzer
    assert len(pickle.dumps(analyzer)) == size
    assert terms(copy, "Geneva talks") == ["geneva", "talk"]


def test_filters_compare_by_settings():
    assert StopWordFilter(minsize=3) == StopWordFilter(minsize=3)
    assert StopWordFilter(minsize=3) != StopWordFilter()
    assert SnowballFilter() != SnowballFilter(language="german")


def test_index_keeps_the_analysers_of_this_module(index_dir: Path):
    schema = open_index(index_dir).schema
    analysers = {type(part).__module__ for part in schema["text"].analyzer.items}
    assert "__main__" not in analysers
    assert type(schema["text"].analyzer.items[0]) is NltkTokenizer


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"the Geneva Communique"', {"t-kerry:2"}),
        ('"Geneva Communique"', {"t-kerry:2"}),
        ('"war on terror"', {"t-kerry:3"}),
        ('"war terror"', {"t-kerry:3"}),
        ('"terror on war"', set()),
        ('"Geneva conference"', {"t-lavrov:0", "t-lavrov:1"}),
        ("welcoming", {"t-kerry:0", "t-kerry:1"}),
    ],
)
def test_phrases_match_across_stop_words(index_dir: Path, query: str, expected: set[str]):
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        parsed = QueryParser("text", ix.schema).parse(query)
        found = {hit["id"] for hit in searcher.search(parsed, limit=None)}
    assert found == expected


def test_highlighting_marks_the_phrase_words_in_the_original_text():
    text = "Cooperation in the war on terror matters."
    marked = highlight.highlight(
        text,
        frozenset({"war", "terror"}),
        text_analyzer(),
        highlight.WholeFragmenter(),
        highlight.UppercaseFormatter(),
    )
    assert marked == "Cooperation in the WAR on TERROR matters."


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Communiqué", "Communique"),
        ("Øresund", "Oresund"),
        ("Straße", "Strasse"),
        ("naïve", "naive"),
        ("провёл", "провел"),
        ("йод", "йод"),  # й is a letter of its own in Russian, not и with an accent
        ("plain", "plain"),
    ],
)
def test_accents_of_latin_letters_are_folded(written: str, folded: str):
    assert fold_accents(written) == folded


def test_accents_are_folded_in_the_stemmed_field_too():
    assert terms(text_analyzer(), "Geneva Communiqué") == terms(text_analyzer(), "Geneva Communique")
    assert terms(spelling_analyzer(), "Communiqué") == ["communique"]


def test_exact_analyzer_keeps_stop_words_and_written_forms_with_offsets():
    text = "We do not want the nationalization."
    assert [(t, p, s, e) for t, p, s, e in tokens(exact_analyzer(), text, mode="query")] == [
        ("we", 0, 0, 2),
        ("do", 1, 3, 5),
        ("not", 2, 6, 9),
        ("want", 3, 10, 14),
        ("the", 4, 15, 18),
        ("nationalization", 5, 19, 34),
    ]


def test_exact_analyzer_indexes_words_with_capitals_with_their_case_at_the_same_position():
    found = tokens(exact_analyzer(), "the U.S. and us, Communiqué")
    assert found == [
        ("the", 0, 0, 3),
        ("us", 1, 4, 7),
        (CASE_MARK + "US", 1, 4, 7),
        ("and", 2, 9, 12),
        ("us", 3, 13, 15),
        ("communique", 4, 17, 27),
        (CASE_MARK + "Communique", 4, 17, 27),
    ]
    assert exact_analyzer().term_positions("the U.S. and us") == {
        "the": [0], "us": [1, 3], CASE_MARK + "US": [1], "and": [2]
    }


def test_query_mode_of_the_exact_analyzer_gives_no_case_terms():
    assert terms_of(exact_analyzer()("US economy", mode="query")) == ["us", "economy"]


def terms_of(stream) -> list[str]:
    return [t.text for t in stream]


def test_exact_word_and_case_term_are_what_the_index_holds():
    assert exact_word("U.S") == exact_word("US") == "us"  # the tokenizer leaves the last dot out
    assert exact_word("Kolesnikova’s") == "kolesnikova's"
    assert case_term("US") == CASE_MARK + "US"
    assert case_term("Communiqué") == CASE_MARK + "Communique"
    assert case_term("us") is None


@pytest.mark.parametrize("mode", ["index", "query"])
def test_cached_exact_analyzer_gives_the_tokens_of_its_chain(mode: str):
    cached, plain = exact_analyzer(), CompositeAnalyzer(*exact_analyzer().items)
    for _ in range(2):  # the second time every word comes from the cache
        for text in ["The U.S. and us; Communiqué don’t the THE", "", "Путин ответил"]:
            options = {"positions": True, "chars": True, "start_pos": 3, "start_char": 7, "mode": mode}
            got = [(t.text, t.pos, t.startchar, t.endchar) for t in cached(text, **options)]
            assert got == [(t.text, t.pos, t.startchar, t.endchar) for t in plain(text, **options)]
