"""Properties over generated input (hypothesis): the parser fails only with its own error and never
loses a word; the API never answers 500; snippets carry no tag but `<mark>`.
"""

from __future__ import annotations

import html
import json
import re
import string
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import event, given, settings
from hypothesis import strategies as st
from reliability import write_state

from index.analysis import text_analyzer
from index.errors import TranscriptParseError
from index.models import NARRATION
from index.parse import parse_file, parse_html, parse_jsonl, parse_transcript
from index.reindex import reindex
from search import highlight
from search.types import FACET_NAMES
from web import create_app
from settings import Settings

pytestmark = pytest.mark.slow  # property-based: -m 'not slow' leaves them out

API_EXAMPLES = 2_000

# --- the parser fails only with TranscriptParseError -------------------------------------------------

SUFFIXES = (".txt", ".jsonl", ".html")


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A folder for files the parser reads (module-wide: hypothesis runs many examples per test)."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


BYTE_PIECES = st.sampled_from(
    [
        b"Events\n", b"May 7, 2013\n", b"Vladimir Putin: Yes.\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
        b"\x00", b"\r", b"\r\n", b"\xe9", b"\xc3\xa9", b"<html>", b'{"transcript_id": "x"', b"}\n", b"\x80\x81",
    ]
)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.one_of(BYTE_PIECES, st.binary(max_size=30)), max_size=20), suffix=st.sampled_from(SUFFIXES))
def test_any_file_parses_or_raises_a_parse_error_naming_it(scratch: Path, pieces: list[bytes], suffix: str) -> None:
    path = scratch / f"any{suffix}"
    path.write_bytes(b"".join(pieces))
    try:
        transcripts = parse_file(path)
    except TranscriptParseError as error:
        assert error.path == str(path) and error.line >= 0 and error.reason
        return
    assert all(t.utterances is not None for t in transcripts)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
RECORD_KEYS = ("transcript_id", "title", "date", "speaker", "role", "text", "place", "topics", "geography", "persons")
DATES = st.sampled_from(["2013-05-07", "May 7, 2013", "2013-02-30", "7/5/2013", "", "2013-05-07T10:00"])


@st.composite
def jsonl_lines(draw: st.DrawFn) -> str:
    """A JSONL line: mostly records with the right keys and any values, sometimes not JSON at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=40))
    record = {}
    for key in RECORD_KEYS:
        if draw(st.booleans()):
            record[key] = draw(DATES if key == "date" else st.one_of(st.text(max_size=15), JSON_VALUES))
    return json.dumps(record)


@settings(max_examples=300, deadline=None)
@given(st.lists(jsonl_lines(), max_size=8))
def test_any_jsonl_parses_or_raises_a_parse_error(lines: list[str]) -> None:
    try:
        transcripts = parse_jsonl("\n".join(lines), source="any.jsonl")
    except TranscriptParseError as error:
        assert error.path == "any.jsonl" and error.line >= 1
        return
    for transcript in transcripts:
        assert [u.seq for u in transcript.utterances] == list(range(len(transcript.utterances)))


HTML_PIECES = st.sampled_from(
    [
        "<html>", "<body>", "<div class=\"read__in\">", "</div>", "<p>", "</p>", "<h1>", "</h1>", "<br>",
        '<meta property="og:url" content="http://en.kremlin.ru/events/president/news/17173">',
        '<time datetime="2013-05-07">May 7, 2013</time>', "<b>Vladimir Putin:</b>", "Vladimir Putin:",
        "<script>x</script>", "<!--", "-->", "&amp;", "&#0;", "<", ">", "\x00", "May 7, 2013", "<p>* * *</p>",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(HTML_PIECES, st.text(max_size=20)), max_size=30))
def test_any_html_parses_or_raises_a_parse_error(pieces: list[str]) -> None:
    try:
        parse_html("".join(pieces), source="any.html")
    except TranscriptParseError as error:
        assert error.path == "any.html" and error.line >= 0


# --- the parser never loses a word -----------------------------------------------------------------------

# Labels the parser must recognise: role + name on first use, the name alone later, generic labels.
LABELS = (
    ("President of Russia Vladimir Putin", "Vladimir Putin"),
    ("US Secretary of State John Kerry", "John Kerry"),
    ("Foreign Minister of Russia Sergei Lavrov", "Sergei Lavrov"),
    ("Question", "Question"),  # anonymous turns: the label stays, the speaker is None
    ("Remark", "Remark"),
)
ANONYMOUS = {"Question", "Remark"}
VOCABULARY = st.sampled_from(
    """the of and to in that we is for our this with on it are as be have will not Russia Russia's
    cooperation agreement economy growth so-called twenty-first 2013 1,500 per cent U.S. Moscow Syria
    Geneva Communique Mr President colleagues investment I we've don't can't e-mail CIS 15% €20 billion""".split()
)
ENDINGS = st.sampled_from([".", "?", "!", "…", ".)", "."])


# Openings of sentences with a colon that are not labels ("The only condition is this: …").
COLON_OPENINGS = st.sampled_from(
    ["The only condition is this", "My question is", "I will say this", "There are two things here",
     "We agreed on the following", "As the President said", "The answer is simple"]
)


@st.composite
def sentence(draw: st.DrawFn) -> str:
    """A sentence as transcripts have them: capital letter first, punctuation last, sometimes a colon."""
    words = draw(st.lists(VOCABULARY, min_size=1, max_size=14))
    opening = f"{draw(COLON_OPENINGS)}: " if draw(st.integers(0, 4)) == 0 else ""
    if not opening:
        words[0] = words[0][:1].upper() + words[0][1:]
    return opening + " ".join(words) + draw(ENDINGS)


@st.composite
def body(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """(lines of a transcript body, the words it says): labelled turns and unlabelled paragraphs.

    The label's words name the speaker and are not part of what is said; a paragraph is
    sometimes broken over two lines, as the site does where it had a link.
    """
    lines: list[str] = []
    said: list[str] = []
    introduced: set[str] = set()
    for _ in range(draw(st.integers(1, 12))):
        text = " ".join(draw(st.lists(sentence(), min_size=1, max_size=3)))
        said.append(text)
        labelled = draw(st.booleans())
        if labelled:
            first, later = draw(st.sampled_from(LABELS))
            label = later if later in introduced else first
            introduced.add(later)
            text = f"{label}: {text}"
        words = text.split(" ")
        cut = draw(st.integers(0, len(words) - 1))
        if 1 < cut and words[cut][:1].islower() and not labelled:
            lines += [" ".join(words[:cut]), " ".join(words[cut:])]
        else:
            lines.append(text)
    return lines, said


def words_of(texts: list[str]) -> Counter[str]:
    """The multiset of words (letters and digits) of some texts."""
    return Counter(word for text in texts for word in re.findall(r"\w+", text))


@settings(max_examples=400, deadline=None)
@given(body(), st.booleans(), st.booleans())
def test_every_word_of_the_body_lands_in_exactly_one_utterance(generated, with_lead: bool, with_tail: bool) -> None:
    """The words said (the lead and every paragraph, without the speaker labels) are the words of the
    utterances, each once. Not part of the body: the header lines (section, title, date, place) and
    the trailing metadata blocks, which are the transcript's fields, not what anyone said."""
    lines, said = generated
    lead = ["Vladimir Putin met with colleagues in the Kremlin."] if with_lead else []
    header = ["Events", "Meeting with colleagues", *lead, "May 7, 2013", "The Kremlin, Moscow"]
    tail = ["Topics", "Foreign policy", "Publication status", "Text version"] if with_tail else []
    transcript = parse_transcript("\n".join(header + lines + tail), source="words.txt")

    assert words_of([u.text for u in transcript.utterances]) == words_of(lead + said)
    speakers = {u.speaker for u in transcript.utterances if u.kind != NARRATION}
    assert speakers <= {later for _, later in LABELS if later not in ANONYMOUS} | {None}
    assert all(u.label for u in transcript.utterances if u.kind != NARRATION and u.speaker is None)


# --- the API never answers 500 ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on a small real index (the generated corpus plus a page full of mark-up)."""
    root = tmp_path_factory.mktemp("api")
    write_state(root / "corpus", "A")
    (root / "corpus" / "hostile.txt").write_text(
        "Events\nMeeting <b>bold</b> & <mark>marked</mark>\nMay 7, 2013\n"
        'Vladimir Putin: Sanctions <script>alert(1)</script> & <img src=x onerror="alert(2)"> hurt. '
        "Agreement </mark><mark> growth.\n",
        encoding="utf-8",
    )
    reindex(root / "index", [root / "corpus"])
    generated_app = create_app(Settings(index_dir=root / "index"))
    yield generated_app
    generated_app.extensions["verbatim"].close()


@pytest.fixture(scope="module")
def generated_client(generated_app: Flask) -> FlaskClient:
    return generated_app.test_client()


QUERY_PIECES = st.sampled_from(
    [
        "sanctions", "growth", "treaty", "agreement", "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", '"', "(", ")",
        "*", "?", "~", "~3", "^2", ":", "speaker:", 'speaker:"Vladimir Putin"', "year:2013", "year:[2012 TO 2014]",
        "title:", "role:", "place:", "topic:", "text:", "content_hash:", "[", "]", "{", "}", "TO", "\\", "/", "-",
        "+", "<script>", "&", "'", "’", "é", "Россия", "日本", "\x00", "\t", "%", "%%", "{{", "}}", "#", "..", "…",
        "a*", "*a", "s?nct*", '"growth agreement"~2', "-growth", "+growth", "grow*th", "1e9", "NaN", "null",
    ]
)
QUERIES = st.lists(st.one_of(QUERY_PIECES, st.text(max_size=12)), max_size=12).flatmap(
    lambda pieces: st.sampled_from([" ".join(pieces), "".join(pieces)])
)
VALUES = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["", "0", "1", "-1", "2", "20", "200", "201", "10000", "10001", "1000000", "99999999999999999999", "1.5",
         "1e3", " 3 ", "0x10", "٣", "2013", "2013-05-07", "2013-02-30", "20130507", "relevance", "date", "-date",
         "keyword", "semantic", "hybrid", "json", "csv", "xml", "Vladimir Putin", "Foreign policy", "kwic",
         "results", "left", "right"]
    ),
)
PARAM_NAMES = st.one_of(
    st.sampled_from(
        ["q", *FACET_NAMES, "from", "to", "sort", "page", "per_page", "facet_limit", "format", "view", "kwic_sort",
         "mode", "limit"]
    ),
    st.text(string.ascii_letters + "_[]", max_size=8),
)
ENDPOINTS = st.sampled_from(
    ["/api/search", "/api/search", "/api/search", "/api/trend", "/", "/", "/t/meeting-001", "/t/hostile",
     "/api/transcripts/meeting-002", "/api/similar/meeting-001:0", "/api/nowhere"]
)
MARK = re.compile(r"</?mark>")


def check_snippet(snippet: str) -> None:
    """Only `<mark>`/`</mark>` tags, balanced and not nested; everything else escaped."""
    assert "<" not in MARK.sub("", snippet) and ">" not in MARK.sub("", snippet), snippet
    depth = 0
    for tag in MARK.findall(snippet):
        depth += 1 if tag == "<mark>" else -1
        assert depth in (0, 1), snippet
    assert depth == 0, snippet


@settings(max_examples=API_EXAMPLES, deadline=None)
@given(
    endpoint=ENDPOINTS,
    q=st.one_of(st.none(), QUERIES),
    params=st.lists(st.tuples(PARAM_NAMES, VALUES), max_size=6),
    csv=st.booleans(),
)
def test_the_api_never_answers_500(generated_client: FlaskClient, endpoint, q, params, csv) -> None:
    query: list[tuple[str, str]] = list(params)
    if q is not None:
        query.append(("q", q))
    if csv and endpoint == "/api/search":
        query.append(("format", "csv"))
    response = generated_client.get(endpoint, query_string=query)
    event(f"{endpoint} {response.status_code}")  # shown by --hypothesis-show-statistics
    try:
        assert response.status_code < 500, (endpoint, query, response.get_data(as_text=True)[:500])
        assert response.status_code in (200, 302, 400, 404), (endpoint, query, response.status_code)
        if endpoint.startswith("/api/"):
            if response.status_code != 200:
                assert "error" in response.get_json()
            elif response.mimetype == "application/json" and endpoint == "/api/search":
                for hit in response.get_json()["hits"]:
                    check_snippet(hit["snippet"])
    finally:
        response.close()


# --- snippets carry no tag but <mark> ---------------------------------------------------------------------

TOKENS = highlight.fast_tokens(text_analyzer())
TEXT_PIECES = st.sampled_from(
    ["<", ">", "&", "&amp;", "<mark>", "</mark>", "<script>", '"', "'", "growth", "Growth", "sanctions", " ", "\n",
     "\n\n", "…", "<b>growth</b>", "&lt;mark&gt;", "x" * 400]
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.one_of(TEXT_PIECES, st.text(max_size=30)), max_size=40).map("".join),
    st.lists(st.sampled_from(["growth", "sanction", "mark", "script", "b", "amp", "lt", "x" * 400]), max_size=4),
)
def test_snippets_escape_everything_but_their_own_marks(text: str, terms: list[str]) -> None:
    snippet = highlight.snippet(text, frozenset(terms), TOKENS)
    check_snippet(snippet)
    # What is shown is the text itself: unescaped and unmarked, it is made of the text's own words.
    shown = html.unescape(MARK.sub("", snippet)).replace(highlight.ELLIPSIS, " ")
    flat = " ".join(text.replace(highlight.ELLIPSIS, " ").split())
    for piece in shown.split():
        assert piece in flat
    marked = [html.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", snippet)]
    assert all(m.strip() for m in marked)
