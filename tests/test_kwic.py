"""KWIC lines: contexts cut at word boundaries, phrases joined, sorting by the left or right word."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search.kwic import (
    ELLIPSIS,
    KwicLine,
    kwic_lines,
    left_context,
    lines_for_hit,
    merge_spans,
    right_context,
    sort_lines,
    words,
)
from search.types import Hit


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
    hits = [hit("a:0"), hit("b:1"), hit("c:2")]
    lines, truncated = kwic_lines(hits, lambda h: texts[h.id], spans_of("geneva"))
    assert [(l.hit.id, l.start) for l in lines] == [("a:0", 0), ("a:0", 12), ("c:2", 3)]
    assert truncated is False
    limited, truncated = kwic_lines(hits, lambda h: texts[h.id], spans_of("geneva"), max_lines=2)
    assert [(l.hit.id, l.start) for l in limited] == [("a:0", 0), ("a:0", 12)]
    assert truncated is True


def test_exactly_the_limit_is_not_truncated():
    lines, truncated = kwic_lines([hit()], lambda h: "Geneva, Geneva", spans_of("geneva"), max_lines=1)
    assert len(lines) == 1 and truncated is True
    lines, truncated = kwic_lines([hit()], lambda h: "Geneva", spans_of("geneva"), max_lines=1)
    assert len(lines) == 1 and truncated is False


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
