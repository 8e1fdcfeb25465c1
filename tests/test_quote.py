"""The quote finder's parts on small strings: quote parsing, alignment, verdicts, the diff; and on a tiny index."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.errors import BadQuery
from index.reader import open_index
from search.quote import (
    ALTERED,
    VERBATIM,
    DiffOp,
    align,
    find_quote,
    lexical_verdict,
    parse_quote,
)

SOURCE = (
    "We do not want to interfere, but we will protect our interests. "
    "I said so to Mr Obama. The Geneva Communiqué is the basis for a settlement."
)


def ops(quote: str, source: str = SOURCE) -> list[tuple[str, str, str]]:
    alignment = align(parse_quote(quote), source)
    assert alignment is not None
    return [(op.op, op.quote, op.source) for op in alignment.ops]


def test_parse_quote_marks_omissions_and_insertions():
    quote = parse_quote("We do not want … [Putin] said so. . . to Mr Obama [...] the basis")
    assert [w.norm for w in quote.words] == ["we", "do", "not", "want", "putin", "said", "so", "to", "mr", "obama", "the", "basis"]
    assert [w.bracketed for w in quote.words].count(True) == 1
    assert quote.words[4].bracketed
    assert quote.ellipses == frozenset({4, 7, 10})
    assert quote.own_words == 11


def test_leading_and_trailing_ellipses_omit_nothing():
    assert parse_quote("…we do not want…").ellipses == frozenset()


@pytest.mark.parametrize("text", ["", "   ", "[only brackets]", "x " * 1001])
def test_parse_quote_refuses_what_cannot_be_looked_up(text: str):
    with pytest.raises(BadQuery):
        parse_quote(text)


def test_verbatim_with_an_ellipsis_shows_what_was_left_out():
    assert ops("We do not want to interfere … I said so to Mr Obama") == [
        ("equal", "We do not want to interfere", "We do not want to interfere"),
        ("delete", "…", "but we will protect our interests"),
        ("equal", "I said so to Mr Obama", "I said so to Mr Obama"),
    ]
    alignment = align(parse_quote("We do not want to interfere … I said so to Mr Obama"), SOURCE)
    assert alignment is not None and alignment.verbatim and alignment.score == 1.0
    assert lexical_verdict(alignment) == VERBATIM


def test_case_accents_and_punctuation_are_not_changes():
    alignment = align(parse_quote('"the GENEVA communique is the basis"'), SOURCE)
    assert alignment is not None and lexical_verdict(alignment) == VERBATIM
    assert alignment.ops == (DiffOp("equal", "the GENEVA communique is the basis", "The Geneva Communiqué is the basis"),)


def test_a_bracketed_insertion_may_replace_the_speakers_word():
    assert ops("[Putin] said so to Mr Obama") == [
        ("replace", "[Putin]", "I"),
        ("equal", "said so to Mr Obama", "said so to Mr Obama"),
    ]
    alignment = align(parse_quote("[Putin] said so to Mr Obama"), SOURCE)
    assert alignment is not None and alignment.verbatim


def test_changed_words_make_it_altered_with_the_changes_in_the_diff():
    quote = "we do not wish to interfere, but we will defend our interests"
    assert ops(quote) == [
        ("equal", "we do not", "We do not"),
        ("replace", "wish", "want"),
        ("equal", "to interfere, but we will", "to interfere, but we will"),
        ("replace", "defend", "protect"),
        ("equal", "our interests", "our interests"),
    ]
    alignment = align(parse_quote(quote), SOURCE)
    assert alignment is not None
    assert not alignment.verbatim
    assert alignment.score == pytest.approx(2 * 10 / (12 + 10 + 2))
    assert lexical_verdict(alignment) == ALTERED


def test_words_left_out_without_an_ellipsis_are_not_verbatim():
    quote = "We do not want to interfere, but we will protect interests"
    assert ("delete", "", "our") in ops(quote)
    alignment = align(parse_quote(quote), SOURCE)
    assert alignment is not None and not alignment.verbatim
    assert lexical_verdict(alignment) == ALTERED


def test_words_added_by_the_press_are_insertions():
    assert ("insert", "never", "") in ops("We do not want to ever interfere".replace("ever", "never"))


def test_unrelated_words_give_no_alignment_and_few_shared_words_no_verdict():
    assert align(parse_quote("totally different text here"), SOURCE) is None
    alignment = align(parse_quote("Our sanctions will protect Russian farmers and their families from imports"), SOURCE)
    assert alignment is not None and lexical_verdict(alignment) is None


def test_a_quote_is_found_in_the_middle_of_a_long_text_despite_common_words_elsewhere():
    filler = " ".join(["we said that the interests of the people of the country are the basis"] * 40)
    source = f"{filler} The Geneva Communiqué is the basis for a settlement, we said. {filler}"
    alignment = align(parse_quote("the Geneva Communique is the basis for a settlement"), source)
    assert alignment is not None and alignment.verbatim
    start, end = alignment.span
    assert source[start:end] == "The Geneva Communiqué is the basis for a settlement"


def test_find_quote_on_an_index(index_dir: Path):
    with open_index(index_dir).searcher() as searcher:
        result = find_quote(searcher, "We have … embraced, in the Geneva Communiqué, a common approach")
        fabricated = find_quote(searcher, "We have never embraced any common approach to the Middle East")
    data = result.to_dict()
    assert data["query"] == "We have … embraced, in the Geneva Communiqué, a common approach"
    top = data["matches"][0]
    assert (top["transcript_id"], top["seq"], top["verdict"], top["score"]) == ("t-kerry", 2, VERBATIM, 1.0)
    assert set(top) == {"transcript_id", "seq", "speaker", "role", "date", "title", "text", "score", "verdict", "diff"}
    assert top["speaker"] == "John Kerry" and top["date"] == "2013-05-07"
    assert top["diff"][1] == {"op": "delete", "quote": "…", "source": "both"}
    assert [m.verdict for m in fabricated.matches if m.verdict in (VERBATIM, ALTERED)] == []


def test_bench_quotes_are_found_verbatim_in_their_corpus(tmp_path: Path):
    from bench.quotes import sample_quotes
    from index.parse import iter_transcripts
    from index.reindex import index_transcripts
    from settings import DEFAULT_SAMPLES

    transcripts = list(iter_transcripts([DEFAULT_SAMPLES]))
    index_transcripts(tmp_path / "index", transcripts)
    quotes = sample_quotes(transcripts, count=6)
    assert len(quotes) == 6 and any("…" in q for q in quotes)
    with open_index(tmp_path / "index").searcher() as searcher:
        for text in quotes:
            assert find_quote(searcher, text).matches[0].verdict == VERBATIM, text


def test_brackets_inside_a_word_recase_or_complete_it_and_stay_in_the_diff():
    text = "[t]he Geneva Communiqué is the basis for a settle[ment] … [Putin] said"
    quote = parse_quote(text)
    assert [w.norm for w in quote.words] == ["the", "geneva", "communiqué".replace("é", "e"), "is", "the", "basis", "for", "a", "settlement", "putin", "said"]
    assert [w.bracketed for w in quote.words] == [False] * 9 + [True, False]
    assert [text[slice(*w.shown(text))] for w in quote.words][:1] == ["[t]he"]
    assert text[slice(*quote.words[8].shown(text))] == "settle[ment]"
    alignment = align(parse_quote("[t]he Geneva Communiqué is the basis for a settle[ment]"), SOURCE)
    assert alignment is not None and alignment.verbatim


def test_bracketed_words_do_not_anchor_on_the_same_words_elsewhere_in_the_source():
    # "[the Islamic State]" stands for "them"; the source also says "the ... Islamic State" earlier.
    source = (
        "The risk stems from the activities of the so-called Islamic State and other radical groups "
        "that were once employed by some Western countries, which flirted with them and encouraged them."
    )
    alignment = align(parse_quote("Western countries … flirted with [the Islamic State] and encouraged them"), source)
    assert alignment is not None and alignment.verbatim and alignment.score == 1.0
    assert [(op.op, op.quote, op.source) for op in alignment.ops] == [
        ("equal", "Western countries", "Western countries"),
        ("delete", "…", "which"),
        ("equal", "flirted with", "flirted with"),
        ("replace", "[the Islamic State]", "them"),
        ("equal", "and encouraged them", "and encouraged them"),
    ]


def test_a_short_quote_of_common_words_is_found_among_texts_that_repeat_them(tmp_path: Path):
    from helpers import PUTIN, make_transcript
    from index.reindex import index_transcripts
    import datetime as dt

    # 30 turns repeat "priority" and "task" (BM25 ranks them first); one says "a priority task".
    noise = [(*PUTIN, f"A priority, a priority {n}. A task, a task {n}.") for n in range(30)]
    filler = " ".join(f"Point {n} of the plan concerns the economy of the regions." for n in range(20))
    source = (*PUTIN, f"{filler} Fighting terrorism is a priority task for the international community. {filler}")
    index_transcripts(tmp_path / "index", [make_transcript("t-p", "Priorities", dt.date(2015, 1, 1), [*noise, source])])
    with open_index(tmp_path / "index").searcher() as searcher:
        result = find_quote(searcher, "a priority task")
    assert [(m.seq, m.verdict) for m in result.matches] == [(30, VERBATIM)]
