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


# --- routing in the query front end (search.query): quoted → exact field, unquoted stemmed


def whoosh_of(q: str) -> str:
    from index.schema import build_schema
    from search.query import make_parser, parse, whoosh_query

    return repr(whoosh_query(parse(q), make_parser(build_schema())))


def test_quoted_phrases_words_wildcards_and_case_go_to_the_exact_field():
    assert whoosh_of('"We do not want" peace') == (
        "And([Phrase('text_exact', ['we', 'do', 'not', 'want'], slop=1, boost=1.000000), Term('text', 'peac')])"
    )
    assert whoosh_of('"terrorism"') == "Term('text_exact', 'terrorism')"
    assert whoosh_of('"Communiqué"^2') == "Term('text_exact', 'communique', boost=2.0)"
    assert whoosh_of("liberal*") == "Prefix('text_exact', 'liberal')"
    assert whoosh_of("case:US") == "Term('text_exact', '=US')"
    assert whoosh_of('case:"the West"~2') == "Phrase('text_exact', ['the', '=West'], slop=2, boost=1.000000)"
    assert whoosh_of("case:Pres*") == "Prefix('text_exact', '=Pres')"
    assert whoosh_of("terrorism") == "Term('text', 'terror')"


def test_quoted_stop_words_are_not_only_stop_words():
    from search.query import only_stop_words

    assert only_stop_words("the")
    assert not only_stop_words('"the"')


def hits(index_dir, q: str) -> list[str]:
    from search.engine import Engine
    from search.types import SearchRequest

    with Engine(index_dir) as engine:
        return sorted(hit.id for hit in engine.search(SearchRequest(q=q)).hits)


def test_exact_search_on_an_index(index_dir):
    assert hits(index_dir, '"war on terror"') == ["t-kerry:3"]
    assert hits(index_dir, '"war terror"') == []  # the stemmed field dropped "on"; the exact one keeps it
    assert hits(index_dir, '"Geneva Communiqué"') == hits(index_dir, '"geneva communique"') == ["t-kerry:2"]
    assert hits(index_dir, "Communiqué") == hits(index_dir, "communique")  # accents folded when stemmed too
    assert hits(index_dir, '"terrorists"') == ["t-lavrov:2"]
    assert hits(index_dir, "case:US") == ["t-kerry:0"]  # "US Secretary of State", not "us"


def test_a_quoted_phrase_is_marked_as_one_run(index_dir):
    from search.engine import Engine
    from search.types import SearchRequest

    with Engine(index_dir) as engine:
        (hit,) = engine.search(SearchRequest(q='"war on terror"')).hits
    assert "<mark>war on terror</mark>" in hit.snippet


def test_kwic_and_the_transcript_page_mark_a_quoted_phrase_as_one_run(index_dir):
    from search.engine import Engine

    text = "Cooperation in the war on terror matters to both our countries."
    with Engine(index_dir) as engine:
        finder = engine.span_finder('"war on terror"')
        assert [text[s:e] for s, e in finder(text)] == ["war on terror"]
        marked = engine.transcript_matches("t-kerry", '"war on terror"')
    assert marked[3] == "Cooperation in the <mark>war on terror</mark> matters to both our countries."
