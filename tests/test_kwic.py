"""KWIC lines: contexts cut at word boundaries, phrases joined, sorting by the left or right word."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.kwic import (
    ELLIPSIS,
    KwicLine,
    kwic_lines,
    kwic_matches,
    left_context,
    lines_for_hit,
    merge_spans,
    right_context,
    sort_lines,
    words,
)
from index.analysis import text_analyzer
from search.highlight import fast_tokens, match_spans
from search.engine import Engine
from search.kwic import span_finder
from search.types import Hit, SearchRequest


def hit(hit_id: str = "t:0") -> Hit:
    transcript_id, seq = hit_id.split(":")
    return Hit(
        id=hit_id,
        transcript_id=transcript_id,
        seq=int(seq),
        speaker="Vladimir Putin",
        role="President of Russia",
        kind="speech",
        date=dt.date(2013, 5, 7),
        title="Meeting",
        place="Moscow",
        score=1.0,
        snippet="",
    )


def spans_of(word: str):
    """A simple matcher for the pure functions: case-insensitive whole words."""

    def spans(text: str) -> list[tuple[int, int]]:
        return [m.span() for m in re.finditer(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)]

    return spans


def line(left: str, keyword: str, right: str, hit_id: str = "t:0") -> KwicLine:
    return KwicLine(hit(hit_id), left, keyword, right, 0)


def test_words_are_case_folded_and_punctuation_free():
    assert words("In the “Geneva” U.S. talks, don't") == ("in", "the", "geneva", "u.s", "talks", "don't")


def test_adjacent_spans_become_one_keyword_and_others_stay_apart():
    text = "the Geneva Communique, and Geneva again"

    def span(word: str, start: int = 0) -> tuple[int, int]:
        at = text.index(word, start)
        return at, at + len(word)

    geneva, communique, again = span("Geneva"), span("Communique"), span("again")
    second = span("Geneva", 5)
    assert merge_spans(text, [communique, geneva, second, again]) == [(geneva[0], communique[1]), (second[0], again[1])]
    assert merge_spans(text, [geneva, geneva]) == [geneva]
    assert merge_spans("a\n\nb", [(0, 1), (3, 4)]) == [(0, 4)]
    assert merge_spans("a, b", [(0, 1), (3, 4)]) == [(0, 1), (3, 4)]


def test_contexts_are_cut_at_word_boundaries_on_one_line():
    text = "alpha beta gamma\n\ndelta KEY epsilon zeta\neta theta"
    start = text.index("KEY")
    assert left_context(text, start, width=100) == "alpha beta gamma delta "
    assert left_context(text, start, width=12) == ELLIPSIS + "delta "  # "amma" is not shown
    assert left_context(text, start, width=13) == ELLIPSIS + "gamma delta "  # starts on a word
    assert right_context(text, start + 3, width=100) == " epsilon zeta eta theta"
    assert right_context(text, start + 3, width=14) == " epsilon zeta" + ELLIPSIS
    assert right_context(text, start + 3, width=11) == " epsilon" + ELLIPSIS  # "ze" is not shown


def test_a_context_without_a_space_keeps_the_cut_word():
    text = "x" * 30 + " KEY"
    assert left_context(text, 31, width=10) == ELLIPSIS + "xxxxxxxxx "
    assert right_context("KEY " + "y" * 30, 3, width=10) == " yyyyyyyyy" + ELLIPSIS


def test_lines_for_hit_gives_one_line_per_match():
    text = "Syria matters. We discussed Syria and Iran."
    lines = lines_for_hit(hit(), text, spans_of("syria")(text), width=100)
    assert [(l.left, l.keyword, l.right, l.start) for l in lines] == [
        ("", "Syria", " matters. We discussed Syria and Iran.", 0),
        ("Syria matters. We discussed ", "Syria", " and Iran.", 28),
    ]


def test_spans_outside_the_text_are_ignored():
    assert lines_for_hit(hit(), "short", [(3, 99), (-1, 2)]) == []


def test_kwic_lines_keep_hit_order_and_stop_at_the_limit():
    texts = {"a:0": "Geneva one. Geneva two.", "b:1": "No match here.", "c:2": "In Geneva."}
    pairs = [(hit(hit_id), text) for hit_id, text in texts.items()]
    lines, truncated = kwic_lines(pairs, spans_of("geneva"))
    assert [(l.hit.id, l.start) for l in lines] == [("a:0", 0), ("a:0", 12), ("c:2", 3)]
    assert truncated is False
    limited, truncated = kwic_lines(pairs, spans_of("geneva"), max_lines=2)
    assert [(l.hit.id, l.start) for l in limited] == [("a:0", 0), ("a:0", 12)]
    assert truncated is True


def test_exactly_the_limit_is_not_truncated():
    lines, truncated = kwic_lines([(hit(), "Geneva, Geneva")], spans_of("geneva"), max_lines=1)
    assert len(lines) == 1 and truncated is True
    lines, truncated = kwic_lines([(hit(), "Geneva")], spans_of("geneva"), max_lines=1)
    assert len(lines) == 1 and truncated is False


def test_matches_stop_reading_hits_at_the_limit():
    """A page in hit order reads only the hits it needs."""
    read: list[str] = []

    def pairs():
        for hit_id in ("a:0", "b:0", "c:0"):
            read.append(hit_id)
            yield hit(hit_id), "Geneva and Geneva"

    found, more = kwic_matches(pairs(), spans_of("geneva"), max_lines=3)
    assert [(m.hit.id, m.start) for m in found] == [("a:0", 0), ("a:0", 11), ("b:0", 0)]
    assert more is True and read == ["a:0", "b:0"]


def test_a_match_builds_the_same_line_and_sorts_like_it():
    texts = {
        "a:0": "We discussed the Geneva talks. Then Geneva again, and more about it.",
        "b:0": "In Geneva, nothing.",
        "c:0": "For the Geneva conference on Syria.",
    }
    pairs = [(hit(hit_id), text) for hit_id, text in texts.items()]
    found, _ = kwic_matches(pairs, spans_of("geneva"), width=20)
    lines, _ = kwic_lines(pairs, spans_of("geneva"), width=20)
    assert [match.line() for match in found] == lines
    assert [(m.left_words, m.keyword, m.right_words) for m in found] == [
        (l.left_words, l.keyword, l.right_words) for l in lines
    ]
    for by in ("", "left", "right"):
        assert [m.line() for m in sort_lines(found, by)] == sort_lines(lines, by)


def test_sort_by_left_word_then_the_words_before_it():
    lines = [
        line("…in the ", "Geneva", "", "a:0"),
        line("The ", "Geneva", "", "b:0"),
        line("for the ", "Geneva", "", "c:0"),
        line("Agreed ", "Geneva", "", "d:0"),
    ]
    assert [l.hit.id for l in sort_lines(lines, "left")] == ["d:0", "b:0", "c:0", "a:0"]


def test_sort_by_right_word_then_the_words_after_it():
    lines = [
        line("", "Geneva", " conference on Syria", "a:0"),
        line("", "Geneva", ", Communique", "b:0"),
        line("", "Geneva", " conference is ready", "c:0"),
        line("", "Geneva", "", "d:0"),
    ]
    assert [l.hit.id for l in sort_lines(lines, "right")] == ["d:0", "b:0", "c:0", "a:0"]


def test_no_sort_keeps_hit_order_and_unknown_sorts_are_refused():
    lines = [line("b ", "x", "", "a:0"), line("a ", "x", "", "b:0")]
    assert sort_lines(lines, "") == lines
    with pytest.raises(ValueError, match="unknown KWIC sort 'middle'"):
        sort_lines(lines, "middle")


@pytest.mark.slow
@given(
    st.text(alphabet=st.sampled_from("ab \n.,"), max_size=80),
    st.integers(min_value=1, max_value=40),
)
def test_left_keyword_right_rebuild_the_text_around_each_match(text, width):
    """Without cutting, the three parts are the text with white space collapsed."""
    spans = [m.span() for m in re.finditer(r"\bab\b", text)]
    full = len(text) + 1
    for kwic in lines_for_hit(hit(), text, spans, width=full):
        assert kwic.keyword == "ab"
        assert kwic.left + kwic.keyword + kwic.right == " ".join(text.split())
        cut = lines_for_hit(hit(), text, [(kwic.start, kwic.start + 2)], width=width)[0]
        assert len(cut.left) <= width + 1 and len(cut.right) <= width + 1


# --- span_finder: the same spans as analysing every word, found faster


@pytest.fixture(scope="module")
def tokens():
    """The index's own text analyser in the fast form the engine uses."""
    return fast_tokens(text_analyzer())


def terms_of(query_words: str, tokens) -> frozenset[str]:
    return frozenset(term for term, _, _ in tokens(query_words))


SAMPLE = (
    "Russia’s policy: Russia, RUSSIAN and russians. The U.S. and the US, but not us. "
    "Dying, lying and tying; they died. Happy, happier, happiness! O'Brien and O’Brien met "
    "co.op leaders in Gazeta.ru at 10.5% growth. x.Russia y'russia Russia.ru economy economies "
    "economic—economist. Войны нет, война была."
)


@pytest.mark.parametrize(
    "words",
    [
        "Russia", "US", "dying", "happy", "O'Brien", "10.5", "economy", "economist", "war", "gazeta.ru", "война",
        "co.op",
    ],  # fmt: skip
)
def test_span_finder_finds_what_the_analyser_finds(tokens, words):
    terms = terms_of(words, tokens)
    assert terms, words
    expected = match_spans(SAMPLE, terms, tokens)
    assert span_finder(terms, tokens)(SAMPLE) == expected


def test_span_finder_examples(tokens):
    find = span_finder(terms_of("Russia", tokens), tokens)
    text = "Russia’s Russian x.Russia Russia.ru russia"
    assert [text[a:b] for a, b in find(text)] == ["Russia’s", "russia"]
    us = span_finder(terms_of("U.S.", tokens), tokens)
    assert [SAMPLE[a:b] for a, b in us(SAMPLE)] == ["U.S", "US", "us"]  # the dots of "U.S." do not count
    assert span_finder(frozenset(), tokens)(SAMPLE) == []


WORDS = ["Russia", "russia's", "U.S.", "us", "US", "dying", "die", "happy", "happi", "co.op", "10.5", "O’Brien",
         "economy", "economic", "K\u212aremlin", "Kremlin", "İstanbul", "war", "wars", "Wär", "a", "the"]  # fmt: skip


@pytest.mark.slow
@given(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    st.lists(st.sampled_from(WORDS + [" ", ", ", ". ", ".", "'", "’", "\n\n", "-"]), max_size=40),
)
def test_span_finder_agrees_with_match_spans_on_any_text(tokens, query, pieces):
    terms = terms_of(" ".join(query), tokens)
    text = "".join(pieces)
    assert span_finder(terms, tokens)(text) == match_spans(text, terms, tokens)


# --- the engine's side: every hit with its text, and a span finder per query


def test_iter_texts_gives_every_hit_in_order_with_its_full_text(index_dir, transcripts):
    texts = {u.id: u.text for t in transcripts for u in t.utterances}
    with Engine(index_dir) as engine:
        for params in ({"q": "Geneva"}, {"q": "Geneva", "sort": "date"}, {"speaker": "Vladimir Putin"}, {}):
            request = SearchRequest.from_params(params)
            expected = [(hit.id, hit.score) for hit in engine.iter_hits(request)]
            pairs = list(engine.iter_texts(request))
            assert [(hit.id, hit.score) for hit, _ in pairs] == expected, params
            assert all(text == texts[hit.id] and hit.snippet == "" for hit, text in pairs)


def test_span_finder_of_the_engine_matches_its_match_spans(index_dir, transcripts):
    with Engine(index_dir) as engine:
        for q in ("Geneva", '"Geneva Communique"', "terror*", "inflation OR Syria", "speaker:Lavrov"):
            find = engine.span_finder(q)
            for utterance in (u for t in transcripts for u in t.utterances):
                assert find(utterance.text) == engine.match_spans(utterance.text, q), (q, utterance.id)
        assert [t for t in transcripts[0].utterances if engine.span_finder("Geneva")(t.text)][0].seq == 2


def test_concordance_ranks_once_for_counts_and_lines(index_dir):
    """KWIC's counts and its lines come from one ranking: same total, same order as the export."""
    request = SearchRequest(q="geneva OR syria", per_page=1)
    with Engine(index_dir) as engine:
        response, texts = engine.concordance(request)
        with contextlib.closing(texts):
            pairs = list(texts)
        exported = [hit.id for hit in engine.iter_hits(request)]
    assert response.total == len(pairs) == len(exported) > 1
    assert [hit.id for hit, _ in pairs] == exported
    assert response.hits[0].id == exported[0]
    assert all(text for _, text in pairs)


def test_a_huge_utterance_with_dense_matches_is_scanned_only_for_the_lines_wanted() -> None:
    """Issue 15 #2: the spans of a 15 MB utterance took seconds, for lines beyond the cap that were never shown."""
    import time

    from search.kwic import SPAN_CHUNK_CHARS, spans_up_to

    text = "sanctions were imposed " * 200_000  # 4.6 MB
    calls: list[int] = []

    def spans_of(part: str) -> list[tuple[int, int]]:
        calls.append(len(part))
        return [(m.start(), m.end()) for m in re.finditer("sanctions", part)]

    started = time.perf_counter()
    found = spans_up_to(text, spans_of, 5_001)
    assert time.perf_counter() - started < 0.5
    assert len(found) >= 5_001 and sum(calls) < 3 * SPAN_CHUNK_CHARS * 2
    assert found == [(m.start(), m.end()) for m in re.finditer("sanctions", text[: found[-1][1]])]
