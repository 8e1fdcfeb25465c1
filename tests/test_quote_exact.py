"""Exact wording: quoted phrases marked as one run (search.highlight.phrase_spans) and routed to the exact field."""

from __future__ import annotations

from index.analysis import CASE_MARK
from search.highlight import mark, phrase_spans


def marked(text: str, *phrases: tuple[str, ...]) -> str:
    return mark(text, sorted(phrase_spans(text, phrases)))


def test_a_phrase_is_one_run_with_its_stop_words_and_punctuation_inside():
    text = "We do not want war. We do NOT, want it; we do want peace."
    assert marked(text, ("we", "do", "not", "want")) == (
        "<mark>We do not want</mark> war. <mark>We do NOT, want</mark> it; we do want peace."
    )


def test_accents_are_folded_and_the_original_is_marked():
    assert marked("The Geneva Communiqué.", ("geneva", "communique")) == "The <mark>Geneva Communiqué</mark>."


def test_case_terms_mark_only_that_capitalisation():
    assert marked("the US and us", (CASE_MARK + "US",)) == "the <mark>US</mark> and us"
    assert marked("the US and us", ("us",)) == "the <mark>US</mark> and <mark>us</mark>"


def test_the_marked_text_is_escaped():
    assert marked("<b>we do</b> & <i>not</i>", ("we", "do")) == "&lt;b&gt;<mark>we do</mark>&lt;/b&gt; &amp; &lt;i&gt;not&lt;/i&gt;"


def test_no_phrases_no_spans():
    assert phrase_spans("we do not want", []) == []
    assert phrase_spans("", [("we",)]) == []
