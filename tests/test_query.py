"""The search function on a real index: query language, filters, dates, sort, paging, errors.

The `index_dir` fixture holds three transcripts (see conftest.py): t-kerry (2013-05-07,
5 utterances), t-lavrov (2013-11-20, 3), t-economy (2014-02-03, 2).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import KERRY, LAVROV, PUTIN, make_transcript
from index.errors import IndexMissing
from search.errors import BadQuery, NotFound
from index.models import Transcript
from index.reader import open_index
from index.reindex import index_transcripts
from search.engine import Engine, search
from search.people import SpeakerNotFound
from search.query import (
    And,
    Not,
    Phrase,
    Word,
    check_syntax,
    highlight_terms,
    leaves,
    make_parser,
    only_stop_words,
    parse,
    parse_query,
    text_words,
)
from search.types import SearchRequest

BROWSE_NEWEST_FIRST = [
    "t-economy:0", "t-economy:1",
    "t-lavrov:0", "t-lavrov:1", "t-lavrov:2",
    "t-kerry:0", "t-kerry:1", "t-kerry:2", "t-kerry:3", "t-kerry:4",
]  # fmt: skip


@pytest.fixture
def engine(index_dir: Path) -> Iterator[Engine]:
    with Engine(index_dir) as opened:
        yield opened


def ids(engine: Engine, **params: object) -> list[str]:
    """Hit ids of one page for raw parameters (as the API and CLI pass them)."""
    request = SearchRequest.from_params({k: v for k, v in params.items()})  # type: ignore[misc]
    return [hit.id for hit in engine.search(request).hits]


def total(engine: Engine, **params: object) -> int:
    return engine.search(SearchRequest.from_params(params)).total  # type: ignore[arg-type]


# --- query language


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"geneva communique"', ["t-kerry:2"]),
        ("geneva communique", ["t-lavrov:1", "t-kerry:2"]),
        ("geneva AND communique", ["t-lavrov:1", "t-kerry:2"]),
        ('"geneva communique"~3', ["t-kerry:2"]),  # quoted: every word counts, stop words too
        ('"geneva communique"~5', ["t-lavrov:1", "t-kerry:2"]),
        ('"war on terror"', ["t-kerry:3"]),
        ("geneva NOT communique", ["t-lavrov:0"]),
        (
            "NOT syria",
            ["t-economy:0", "t-economy:1", "t-lavrov:1", "t-lavrov:2",
             "t-kerry:0", "t-kerry:1", "t-kerry:3", "t-kerry:4"],
        ),  # fmt: skip
        ("speaker:(putin OR kerry) syria", ["t-kerry:2", "t-lavrov:0"]),
        ("(syria OR inflation) AND NOT geneva", ["t-economy:1", "t-economy:0"]),
        ("terror*", ["t-lavrov:2", "t-kerry:3"]),  # over the words as written: terror, terrorists
        ("terrorist", ["t-lavrov:2"]),
        ('speaker:"Sergei Lavrov"', ["t-lavrov:1", "t-lavrov:2"]),
        ("speaker:lavrov geneva", ["t-lavrov:1"]),
        ("role:minister", ["t-lavrov:1", "t-lavrov:2"]),
        ("year:2014", ["t-economy:0", "t-economy:1"]),
        ("title:economic", ["t-economy:0", "t-economy:1"]),
        ('place:"novo-ogaryovo"', ["t-lavrov:0", "t-lavrov:1", "t-lavrov:2"]),
        ('topic:"national security" geneva', ["t-lavrov:0", "t-lavrov:1"]),
        ("the", []),
        ("content_hash:abc", []),
    ],
)
def test_query_language(engine: Engine, q: str, expected: list[str]) -> None:
    response = engine.search(SearchRequest(q=q))
    assert [hit.id for hit in response.hits] == expected
    assert response.total == len(expected)


def test_question_mark_is_punctuation_not_a_wildcard(engine: Engine) -> None:
    # A typed question must find its last word: "Syria?" is Syria, not a six-letter wildcard.
    assert ids(engine, q="preparations Syria?") == ids(engine, q="preparations Syria") == ["t-lavrov:0"]
    assert total(engine, q="?") == total(engine, q="")  # nothing left: browse


@pytest.mark.parametrize("q", ["“geneva communique”", "«geneva communique»", "„geneva communique“", 'speaker:“John Kerry” “geneva communique”'])
def test_typographic_quotes_are_quotes(engine: Engine, q: str) -> None:
    # A quote pasted from a newspaper keeps its curly quotes: still the exact phrase, not two stemmed words.
    assert ids(engine, q=q) == ids(engine, q='"geneva communique"') == ["t-kerry:2"]
    assert ids(engine, q="geneva communique") == ["t-lavrov:1", "t-kerry:2"]


def test_an_unpaired_typographic_quote_is_an_unclosed_quote(engine: Engine) -> None:
    with pytest.raises(BadQuery, match="unclosed quote at position 7"):
        engine.search(SearchRequest(q="geneva “communique"))


def test_words_are_stemmed_and_anded(engine: Engine) -> None:
    assert ids(engine, q="inflation lowest") == ["t-economy:0"]
    assert ids(engine, q="Inflations") == ids(engine, q="inflation")


def test_unknown_field_is_plain_text_not_internal(engine: Engine) -> None:
    # `kind:speech` would match 9 utterances if internal fields were reachable.
    assert total(engine, q="kind:speech") == 0
    assert total(engine, q="transcript_id:t-kerry") == 0


@pytest.mark.parametrize(
    ("q", "position", "fragment"),
    [
        ('"geneva communique', 0, "unclosed quote"),
        ('geneva "communique', 7, "unclosed quote"),
        ("(geneva OR syria", 0, "never closed"),
        ("geneva)", 6, "closes nothing"),
        ("geneva AND", 7, "no term after"),
        ("OR geneva", 0, "no term before"),
        ("geneva AND OR syria", 7, "no term after"),
        ("geneva NOT", 7, "NOT"),
        ("(geneva AND) syria", 8, "no term after"),
    ],
)
def test_malformed_queries_say_where(engine: Engine, q: str, position: int, fragment: str) -> None:
    with pytest.raises(BadQuery) as caught:
        engine.search(SearchRequest(q=q))
    assert caught.value.position == position
    assert fragment in caught.value.message


def test_syntax_check_accepts_the_documented_language() -> None:
    for q in (
        '"war on terror"',
        '"a b"~5',
        'speaker:"Vladimir Putin" AND (syria OR "geneva conference")',
        "NOT syria",
        "terr* year:2013",
        "don't stop",
    ):
        check_syntax(q)


def test_parse_empty_is_browse(index_dir: Path) -> None:
    parser = make_parser(open_index(index_dir).schema)
    assert parse_query("   ", parser) is None


def test_text_words_skip_operators_fields_and_wildcards() -> None:
    words = text_words('genva AND speaker:putin "war on terorr"~3 NOT terr* text:inflaton')
    assert [w.word for w in words] == ["genva", "war", "on", "terorr", "inflaton"]
    assert [(w.start, w.end) for w in words][0] == (0, 5)


# --- filters and dates


def test_filters_or_within_and_across_facets(engine: Engine) -> None:
    assert total(engine, speaker="Vladimir Putin") == 5
    assert total(engine, speaker=["Vladimir Putin", "John Kerry"]) == 7
    assert ids(engine, speaker="Vladimir Putin", year="2013") == ["t-lavrov:0", "t-kerry:1", "t-kerry:3"]
    assert total(engine, topic="Foreign policy") == 8
    assert total(engine, topic=["Foreign policy", "Economy and finance"]) == 10
    assert ids(engine, topic="Foreign policy", geography="Syria", role="Foreign Minister") == [
        "t-lavrov:1",
        "t-lavrov:2",
    ]
    assert ids(engine, q="geneva", place="The Kremlin, Moscow") == ["t-kerry:2"]
    assert total(engine, role="Nobody") == 0
    with pytest.raises(SpeakerNotFound, match="no speaker named 'Nobody'"):
        total(engine, speaker="Nobody")  # a speaker filter must name someone (search.people)


def test_date_range_is_inclusive_by_day(engine: Engine) -> None:
    assert ids(engine, **{"from": "2013-11-20", "to": "2013-11-20"}) == [
        "t-lavrov:0",
        "t-lavrov:1",
        "t-lavrov:2",
    ]
    assert total(engine, **{"from": "2013-05-08"}) == 5
    assert total(engine, **{"to": "2013-05-07"}) == 5
    assert total(engine, **{"to": "2013-05-06"}) == 0
    assert ids(engine, q="inflation", **{"from": "2014-01-01", "to": "2014-12-31"}) == [
        "t-economy:1",
        "t-economy:0",
    ]


# --- sort and paging


def test_browse_is_newest_first_then_transcript_then_seq(engine: Engine) -> None:
    assert ids(engine, q="") == BROWSE_NEWEST_FIRST
    assert ids(engine, q="", sort="-date") == BROWSE_NEWEST_FIRST


def test_sort_by_date_ascending(engine: Engine) -> None:
    assert ids(engine, q="", sort="date") == (
        BROWSE_NEWEST_FIRST[5:] + BROWSE_NEWEST_FIRST[2:5] + BROWSE_NEWEST_FIRST[:2]
    )
    assert ids(engine, q="geneva OR inflation", sort="date") == [
        "t-kerry:2", "t-lavrov:0", "t-lavrov:1", "t-economy:0", "t-economy:1",
    ]  # fmt: skip


def test_relevance_scores_descend(engine: Engine) -> None:
    hits = engine.search(SearchRequest(q="geneva OR inflation OR communique")).hits
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(score > 0 for score in scores)


def test_paging(engine: Engine) -> None:
    assert ids(engine, q="", per_page="3", page="1") == BROWSE_NEWEST_FIRST[:3]
    assert ids(engine, q="", per_page="3", page="2") == BROWSE_NEWEST_FIRST[3:6]
    assert ids(engine, q="", per_page="3", page="4") == BROWSE_NEWEST_FIRST[9:]
    beyond = engine.search(SearchRequest.from_params({"per_page": "3", "page": "5"}))
    assert (beyond.hits, beyond.total, beyond.pages) == ((), 10, 4)


def test_iter_hits_is_every_page_in_order(engine: Engine) -> None:
    q = "geneva OR inflation OR syria"
    request = SearchRequest.from_params({"q": q, "per_page": "2"})
    paged = [hit_id for page in ("1", "2", "3") for hit_id in ids(engine, q=q, per_page="2", page=page)]
    exported = list(engine.iter_hits(request))
    assert [hit.id for hit in exported] == paged
    assert len(exported) == engine.search(request).total == 5
    assert all("<mark>" in hit.snippet for hit in exported)


def test_relevance_ties_are_broken_by_date_transcript_and_seq(tmp_path: Path) -> None:
    same = "We discussed the gas pipeline."
    path = tmp_path / "ties"
    index_transcripts(
        path,
        [
            make_transcript("b-old", "Old", dt.date(2010, 1, 1), [(*PUTIN, same)]),
            make_transcript("c-new", "New", dt.date(2012, 1, 1), [(*PUTIN, same), (*KERRY, same)]),
            make_transcript("a-new", "New too", dt.date(2012, 1, 1), [(*LAVROV, same)]),
        ],
    )
    with Engine(path) as engine:
        response = engine.search(SearchRequest(q="pipeline"))
    assert len({hit.score for hit in response.hits}) == 1
    assert [hit.id for hit in response.hits] == ["a-new:0", "c-new:0", "c-new:1", "b-old:0"]


# --- the response


def test_hit_fields_and_snippet(engine: Engine) -> None:
    response = engine.search(SearchRequest(q='"geneva communique"'))
    (hit,) = response.hits
    assert hit.to_dict() == {
        "id": "t-kerry:2",
        "transcript_id": "t-kerry",
        "seq": 2,
        "speaker": "John Kerry",
        "label": "",
        "role": "US Secretary of State",
        "kind": "speech",
        "date": "2013-05-07",
        "title": "Meeting with US Secretary of State John Kerry",
        "place": "The Kremlin, Moscow",
        "score": round(hit.score, 4),
        "snippet": "We have both embraced, in the <mark>Geneva Communique</mark>, a common approach to Syria.",
        "matched_by": "keyword",
        "url": None,
        "meta": {},
    }
    assert response.transcripts == 1
    assert response.elapsed_ms > 0


def test_snippets_escape_markup_from_transcripts(engine: Engine) -> None:
    (hit,) = engine.search(SearchRequest(q="terrorists")).hits
    assert hit.snippet == (
        "<mark>Terrorists</mark> &lt;script&gt;alert(1)&lt;/script&gt; must be fought together."
    )


def test_snippet_marks_words_as_written_never_stems(engine: Engine) -> None:
    hits = engine.search(SearchRequest(q="inflations")).hits
    assert [h.snippet for h in hits] == [
        "We must support investment and keep <mark>inflation</mark> low.",
        "Economic growth slowed; <mark>inflation</mark> was the lowest in twenty years.",
    ]
    hits = engine.search(SearchRequest(q="welcoming")).hits
    assert [h.snippet for h in sorted(hits, key=lambda h: h.id)] == [
        "Vladimir Putin <mark>welcomed</mark> US Secretary of State John Kerry to the Kremlin.",
        "Mr Secretary of State, colleagues, we are very happy to <mark>welcome</mark> you to Moscow.",
    ]


def test_browse_and_field_only_queries_have_plain_snippets(engine: Engine) -> None:
    response = engine.search(SearchRequest(q='speaker:"John Kerry"'))
    assert [hit.snippet for hit in response.hits] == [
        "We have both embraced, in the Geneva Communique, a common approach to Syria.",
        "Thank you very, very much, Mr President.",
    ]


def test_transcripts_counts_distinct_transcripts_of_all_hits(engine: Engine) -> None:
    response = engine.search(SearchRequest.from_params({"q": "geneva OR inflation", "per_page": "1"}))
    assert (response.total, response.transcripts, len(response.hits)) == (5, 3, 1)


@pytest.mark.parametrize(
    ("q", "suggestion"),
    [
        ("inflaton", "inflation"),
        ("Genva", "Geneva"),
        ('"genva communique"', '"geneva communique"'),
        ("speaker:putin inflaton", "speaker:putin inflation"),
        ("geneva", None),
        ("zzzzqqq", None),
        ("", None),
    ],
)
def test_suggestion_uses_real_words(engine: Engine, q: str, suggestion: str | None) -> None:
    assert engine.search(SearchRequest(q=q)).suggestion == suggestion


# --- transcripts and spans


def test_get_transcript_round_trips(engine: Engine, transcripts: list[Transcript]) -> None:
    for transcript in transcripts:
        assert engine.get_transcript(transcript.id) == transcript
    with pytest.raises(NotFound):
        engine.get_transcript("t-missing")


def test_transcript_matches_marks_only_matching_utterances(engine: Engine) -> None:
    assert engine.transcript_matches("t-lavrov", "geneva conference") == {
        0: "Mr Lavrov, how are the preparations for the <mark>Geneva conference</mark> on Syria?",
        1: "The <mark>Geneva conference</mark> is prepared; the Communique remains our basis.",
    }
    assert engine.transcript_matches("t-lavrov", "script") == {
        2: "Terrorists &lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt; must be fought together.",
    }
    assert engine.transcript_matches("t-kerry", "") == {}
    assert engine.transcript_matches("t-missing", "geneva") == {}


def test_match_spans_find_words_as_written(engine: Engine) -> None:
    text = "Welcoming the welcome; unwelcome WELCOMES."
    assert engine.match_spans(text, "welcome") == [(0, 9), (14, 21), (33, 41)]
    assert engine.match_spans(text, "welcome NOT unwelcome") == [(0, 9), (14, 21), (33, 41)]
    assert engine.match_spans(text, "") == []
    with pytest.raises(BadQuery):
        engine.match_spans(text, '"welcome')


# --- the engine's life cycle


def test_engine_sees_new_commits_without_reopening(
    index_dir: Path, engine: Engine, transcripts: list[Transcript]
) -> None:
    assert total(engine, q="pipeline") == 0
    index_transcripts(
        index_dir,
        [*transcripts, make_transcript("t-gas", "Gas", dt.date(2015, 6, 1), [(*PUTIN, "The pipeline is ready.")])],
    )
    assert ids(engine, q="pipeline") == ["t-gas:0"]
    assert total(engine, q="") == 11
    years = engine.search(SearchRequest()).facets[2]
    assert [(v.value, v.count) for v in years.values] == [("2013", 8), ("2014", 2), ("2015", 1)]


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing):
        Engine(tmp_path / "nothing")


def test_module_level_search(index_dir: Path) -> None:
    assert search(index_dir, SearchRequest(q="inflation")).total == 2


def test_engine_follows_reindexed_generations(tmp_path: Path) -> None:
    """Each reindex publishes a new directory and deletes older ones; a long-lived engine follows."""
    from index.reindex import reindex

    source = tmp_path / "talks.jsonl"
    root = tmp_path / "index"

    def publish(*texts: str) -> None:
        lines = [
            json.dumps({"transcript_id": f"j-{n}", "title": f"Talk {n}", "date": "2015-03-0" + str(n + 1),
                        "speaker": "Vladimir Putin", "text": text})
            for n, text in enumerate(texts)
        ]  # fmt: skip
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        reindex(root, [source])

    publish("The pipeline is ready.")
    with Engine(root) as engine:
        assert ids(engine, q="pipeline") == ["j-0:0"]
        for round_ in range(3):
            publish("The pipeline is ready.", f"Round {round_} of gas talks.")
            assert ids(engine, q="pipeline OR gas", sort="-date") == ["j-1:0", "j-0:0"]
            assert ids(engine, q=f"round {round_}") == ["j-1:0"]
            assert engine.get_transcript("j-0").utterances[0].text == "The pipeline is ready."
        publish("Only gas now.")
        assert ids(engine, q="pipeline") == []
        assert total(engine, q="") == 1


# --- the query front end: one tree for every reader of the query


@pytest.mark.parametrize(
    "q",
    [
        "war OR oil gas", "war oil OR gas", "war AND oil OR gas", "war OR oil AND gas", "NOT war oil",
        "war NOT oil OR gas", "war ANDNOT oil gas", "war ANDMAYBE oil gas", "war^2 oil",
        'title:"war oil"', "(war OR oil) gas", "war NOT NOT oil", "NOT (war OR oil) gas", "war OR the",
        "year:2010 war", "war-oil", "speaker:(putin OR kerry) syria", "kind:speech",
        "year:[2010 TO 2012]", "speaker:putin title:(war OR oil)", 'title:("war peace"~4 OR oil)',
        "war OR (oil AND NOT gas) ANDMAYBE peace", "U.S. talks", "don't stop", "title:meeting",
    ],
)  # fmt: skip
def test_the_tree_builds_what_whooshs_parser_builds(index_dir: Path, q: str) -> None:
    """Operators bind as in Whoosh (NOT, AND, OR, ANDNOT; side by side loosest), fields and slops kept."""
    parser = make_parser(open_index(index_dir).schema)
    assert repr(parse_query(q, parser)) == repr(parser.parse(q))


def test_the_tree_keeps_what_later_stages_need() -> None:
    q = 'speaker:putin "war on terror"~2 terr* NOT syria'
    tree = parse(q).tree
    assert isinstance(tree, And)
    word, phrase, wildcard, excluded = tree.children
    assert isinstance(word, Word) and (word.field, word.core, word.quoted) == ("speaker", "putin", False)
    assert isinstance(phrase, Phrase) and (phrase.core, phrase.slop, phrase.quoted) == ("war on terror", 2, True)
    assert isinstance(wildcard, Word) and wildcard.wildcard
    assert isinstance(excluded, Not) and excluded.start == q.index("NOT")
    starts = [0, q.index('"'), q.index("terr*"), q.index("syria")]
    assert [leaf.start for leaf in leaves(tree)] == starts
    assert [leaf.start for leaf in leaves(tree, positive=True)] == starts[:3]


@pytest.mark.parametrize(
    ("q", "expected"),
    [("the", True), ("the AND of", True), ("speaker:the", False), ("th*", False), ("the war", False), ("", False)],
)
def test_only_stop_words(q: str, expected: bool) -> None:
    assert only_stop_words(q) is expected


def test_highlight_terms_leave_out_excluded_words(engine: Engine) -> None:
    """Terms under NOT are not marked; wildcards are expanded against the index."""
    with engine.view() as view:
        parsed, _ = engine.read("terror* NOT geneva")
        terms = highlight_terms(parsed, make_parser(view.searcher.schema), view.searcher.reader())
    assert "geneva" not in terms
    assert {("terror",), ("terrorists",)} <= set(terms.phrases)  # wildcards expand over the words as written
