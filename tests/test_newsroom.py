"""The newsroom workflow (issue 17): original URLs, citations, the Atom feed, alerts, search state,
year-only and reversed dates, exports. Real files, real reindex, real Whoosh, real Flask.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from helpers import reindexed, site_samples
from click.testing import CliRunner
from flask import Flask

from index.parse import parse_transcript
from index.sources import site_url, web_address
from manage import cli
from search.citations import CitationSource, chicago_citation, plain_citation, publisher
from web import create_app
from settings import DEFAULT_SAMPLES, Settings
from web.state import arrival, back_params, context_params, marked_paragraphs

ATOM = "{http://www.w3.org/2005/Atom}"

# A transcript in the site layout, dated after every bundled sample: the "new" one a reindex adds.
NEW_PAGE = """Events
Press statements on Syria
Vladimir Putin and the President of Finland made press statements.
June 3, 2021
15:00
The Kremlin, Moscow
President of Russia Vladimir Putin: Good afternoon. We discussed Syria and the Geneva talks at length.
The humanitarian situation in Syria was the main subject.
President of Finland Sauli Niinisto: Thank you. Syria was indeed on our agenda, and so was the Arctic.
Vladimir Putin: Thank you.
Publication status
Published in sections: News, Transcripts
Publication date: June 3, 2021, 15:00
Text version
"""


# --- source links


def test_site_layout_ids_give_the_pages_address():
    assert site_url("kremlin-17890") == "https://en.kremlin.ru/events/president/news/17890"
    assert site_url("seed-1") is None and site_url("kremlin-17890-2") is None
    assert web_address("/srv/corpus/x.txt") is None and web_address("https://a.example/p") == "https://a.example/p"


def test_a_site_layout_text_file_carries_its_original_url():
    text = (DEFAULT_SAMPLES / "seed-1.txt").read_text(encoding="utf-8")
    transcript = parse_transcript(text, source="mirror/kremlin-17890.txt")
    assert transcript.url == "https://en.kremlin.ru/events/president/news/17890"
    assert transcript.to_dict()["url"] == transcript.url
    assert parse_transcript(text, source="mine/notes.txt").url is None


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The bundled samples, with the seed renamed to its site id so it has an original URL."""
    return site_samples(tmp_path / "corpus")


@pytest.fixture
def built(tmp_path: Path, corpus: Path) -> Path:
    return reindexed(tmp_path / "index", corpus)


def make_app(index: Path, base_url: str | None = None) -> Flask:
    return create_app(Settings(index_dir=index, base_url=base_url))


@pytest.fixture
def app(built: Path) -> Iterator[Flask]:
    app = make_app(built)
    yield app
    app.extensions["verbatim"].close()


def test_hits_transcripts_and_csv_rows_carry_the_original_url(app: Flask):
    client = app.test_client()
    hits = client.get("/api/search?q=Geneva+Communique").get_json()["hits"]
    assert hits and {hit["url"] for hit in hits} == {"https://en.kremlin.ru/events/president/news/17890"}
    others = client.get("/api/search?q=quotas").get_json()["hits"]
    assert others and {hit["url"] for hit in others} == {None}  # own samples: no page to link to
    page = client.get("/t/kremlin-17890").get_data(as_text=True)
    assert 'href="https://en.kremlin.ru/events/president/news/17890"' in page
    body = client.get("/api/search?q=Geneva+Communique&format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    assert {row["url"] for row in rows} == {"https://en.kremlin.ru/events/president/news/17890"}


def test_exports_never_link_to_a_loopback_address(built: Path):
    app = make_app(built)
    try:
        client = app.test_client()
        local = client.get("/api/search?q=Kerry&format=csv").get_data(as_text=True)
        assert "127.0.0.1" not in local and "localhost" not in local
        assert "\n/t/" in local or ",/t/" in local
        # Reached at another name, links still do not take it from the Host header (a client could plant any).
        public = client.get("/api/search?q=Kerry&format=csv", base_url="https://news.example.org").get_data(as_text=True)
        assert "news.example.org" not in public and ",/t/kremlin-17890?q=Kerry#u" in public
    finally:
        app.extensions["verbatim"].close()
    configured = make_app(built, base_url="https://verbatim.example.net")
    try:
        body = configured.test_client().get("/api/search?q=Kerry&format=csv").get_data(as_text=True)
        assert ",https://verbatim.example.net/t/kremlin-17890?q=Kerry#u" in body
    finally:
        configured.extensions["verbatim"].close()


# --- citations


SOURCE = CitationSource(
    speaker="John Kerry",
    role="US Secretary of State",
    title="Meeting with US Secretary of State John Kerry",
    date=dt.date(2013, 5, 7),
    place="The Kremlin, Moscow",
    seq=9,
    original_url="https://en.kremlin.ru/events/president/news/17890",
    permalink="https://verbatim.example.net/t/kremlin-17890#u9",
)


def test_plain_and_chicago_citations_name_speaker_document_date_and_both_addresses():
    assert plain_citation(SOURCE) == (
        "John Kerry (US Secretary of State), “Meeting with US Secretary of State John Kerry”, "
        "The Kremlin, Moscow, 7 May 2013, turn 9. President of Russia, en.kremlin.ru: "
        "https://en.kremlin.ru/events/president/news/17890. Passage: https://verbatim.example.net/t/kremlin-17890#u9"
    )
    assert chicago_citation(SOURCE) == (
        "John Kerry, “Meeting with US Secretary of State John Kerry,” President of Russia, en.kremlin.ru, "
        "May 7, 2013, https://en.kremlin.ru/events/president/news/17890. "
        "Passage: https://verbatim.example.net/t/kremlin-17890#u9."
    )
    assert publisher("https://www.example.org/x") == "example.org" and publisher(None) is None


def test_an_anonymous_turn_is_cited_by_its_label():
    question = CitationSource("", "", "Direct Line", dt.date(2019, 6, 20), "Moscow", 12, None, None, label="Question")
    assert plain_citation(question) == "Question, “Direct Line”, Moscow, 20 June 2019, turn 12."
    assert chicago_citation(question) == "Question, “Direct Line,” June 20, 2019."


def test_a_citation_without_addresses_still_names_the_source():
    bare = CitationSource("", "", "Address to the nation", dt.date(2020, 1, 15), "", 0, None, None)
    assert plain_citation(bare) == "Narration, “Address to the nation”, 15 January 2020, turn 0."
    assert chicago_citation(bare) == "“Address to the nation,” January 15, 2020."


def test_every_hit_and_turn_has_a_visible_citation_with_the_original_url(built: Path):
    app = make_app(built, base_url="https://verbatim.example.net")
    try:
        client = app.test_client()
        results = client.get("/?q=Geneva+Communique").get_data(as_text=True)
        assert results.count('<details class="cite">') == results.count('class="hit"')
        assert "Passage: https://verbatim.example.net/t/kremlin-17890#u" in results
        assert "President of Russia, en.kremlin.ru: https://en.kremlin.ru/events/president/news/17890." in results
        transcript = client.get("/t/kremlin-17890").get_data(as_text=True)
        turns = transcript.count('class="turn ')
        assert turns >= 3 and transcript.count('<details class="cite">') == turns
        assert "<script>" not in transcript.split("</head>")[1]  # no inline script: the CSP forbids it
    finally:
        app.extensions["verbatim"].close()


# --- the Atom feed and alerts


def feed_entries(client, url: str) -> tuple[ET.Element, list[ET.Element]]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.get_data())
    return root, root.findall(f"{ATOM}entry")


def assert_valid_atom(root: ET.Element) -> None:
    """RFC 4287's required elements: feed id/title/updated/author, entry id/title/updated/link."""
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (root.findtext(f"{ATOM}{name}") or "").strip(), name
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    ids = []
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
        dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated").replace("Z", "+00:00"))
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
        ids.append(entry.findtext(f"{ATOM}id"))
    assert len(ids) == len(set(ids))


def test_the_feed_is_atom_newest_first_with_speaker_snippet_and_links(app: Flask):
    root, entries = feed_entries(app.test_client(), "/feed.atom?q=Syria&sort=date&page=3")
    assert_valid_atom(root)
    assert entries
    updated = [e.findtext(f"{ATOM}updated") for e in entries]
    assert updated == sorted(updated, reverse=True)
    first = entries[0]
    assert first.findtext(f"{ATOM}author/{ATOM}name") in first.findtext(f"{ATOM}title")
    assert "<mark>Syria</mark>" in first.findtext(f"{ATOM}summary")
    assert root.findtext(f"{ATOM}title") == "Verbatim: “Syria”"
    # the page parameters (sort, page) do not change what a feed follows
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "/feed.atom?q=Syria"


def test_the_feed_of_a_bad_search_is_a_400_with_the_reason(app: Flask):
    response = app.test_client().get("/feed.atom?q=Syria&from=2020&to=2019")
    assert response.status_code == 400
    assert "the date range is reversed" in response.get_data(as_text=True)


def test_after_a_reindex_the_feed_and_alerts_list_only_the_new_utterances(built: Path, corpus: Path, tmp_path: Path):
    runner = CliRunner()
    alerts_file = tmp_path / "saved.json"
    base = ["--index", str(built), "alerts", "--file", str(alerts_file)]
    added = runner.invoke(cli, [*base, "add", "syria", "Syria"])
    assert added.exit_code == 0, added.output
    assert runner.invoke(cli, [*base, "add", "putin-syria", "Syria", "--speaker", "Vladimir Putin"]).exit_code == 0
    listed = runner.invoke(cli, [*base, "list"])
    assert "syria\t“Syria”" in listed.output and "putin-syria\t“Syria” speaker=Vladimir Putin" in listed.output
    nothing = json.loads(runner.invoke(cli, [*base, "run", "--json"]).output)
    assert [len(a["new"]) for a in nothing["alerts"]] == [0, 0]

    app = make_app(built)
    try:
        client = app.test_client()
        _, before = feed_entries(client, "/feed.atom?q=Syria")
        (corpus / "kremlin-65000.txt").write_text(NEW_PAGE, encoding="utf-8")
        assert runner.invoke(cli, ["--index", str(built), "reindex", str(corpus)]).exit_code == 0
        root, after = feed_entries(client, "/feed.atom?q=Syria")
    finally:
        app.extensions["verbatim"].close()
    assert_valid_atom(root)
    new_ids = {e.findtext(f"{ATOM}id") for e in after} - {e.findtext(f"{ATOM}id") for e in before}
    # The turns of the new page that say "Syria", nothing else.
    saying = parse_transcript(NEW_PAGE, source="kremlin-65000.txt").utterances
    assert new_ids == {f"urn:verbatim:utterance:{u.id}" for u in saying if "Syria" in u.text} != set()
    assert after[0].findtext(f"{ATOM}id").startswith("urn:verbatim:utterance:kremlin-65000:")
    related = after[0].find(f"{ATOM}link[@rel='related']")
    assert related is not None and related.get("href") == "https://en.kremlin.ru/events/president/news/65000"

    ran = runner.invoke(cli, [*base, "run", "--json"])
    assert ran.exit_code == 0, ran.output
    report = {a["name"]: a for a in json.loads(ran.output)["alerts"]}
    assert {h["id"] for h in report["syria"]["new"]} == {i.removeprefix("urn:verbatim:utterance:") for i in new_ids}
    assert {h["speaker"] for h in report["putin-syria"]["new"]} == {"Vladimir Putin"}
    assert {h["id"] for h in report["putin-syria"]["new"]} <= {h["id"] for h in report["syria"]["new"]}
    again = runner.invoke(cli, [*base, "run"])
    assert again.exit_code == 0 and "syria: 0 new" in again.output and "putin-syria: 0 new" in again.output
    assert runner.invoke(cli, [*base, "remove", "syria"]).exit_code == 0
    assert "putin-syria" in runner.invoke(cli, [*base, "list"]).output
    missing = runner.invoke(cli, [*base, "remove", "syria"])
    assert missing.exit_code == 2 and "no saved search called 'syria'" in missing.output


def test_alerts_text_output_names_each_new_hit_with_links(built: Path, corpus: Path):
    runner = CliRunner()
    base = ["--index", str(built), "alerts"]
    assert runner.invoke(cli, [*base, "add", "finland", "Arctic"]).exit_code == 0
    assert (built / "alerts.json").exists()  # default: beside the index
    (corpus / "kremlin-65000.txt").write_text(NEW_PAGE, encoding="utf-8")
    assert runner.invoke(cli, ["--index", str(built), "reindex", str(corpus)]).exit_code == 0
    out = runner.invoke(cli, [*base, "run", "--base-url", "https://v.example"]).output
    assert out.splitlines()[0] == "finland: 1 new (“Arctic”)"
    assert "2021-06-03  Sauli Niinisto · Press statements on Syria" in out
    assert "https://v.example/t/kremlin-65000#u" in out
    assert "(original: https://en.kremlin.ru/events/president/news/65000)" in out


def test_a_broken_alerts_file_is_reported_not_overwritten(built: Path, tmp_path: Path):
    broken = tmp_path / "alerts.json"
    broken.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--index", str(built), "alerts", "--file", str(broken), "list"])
    assert result.exit_code == 1 and str(broken) in result.output
    assert broken.read_text(encoding="utf-8") == "{not json"


# --- search state


def test_context_links_carry_the_search_and_the_turn():
    params = [("q", "sanctions"), ("speaker", "A"), ("year", "2016"), ("mode", "hybrid"), ("page", "2")]
    linked = context_params(params, 7, (10, 42))
    assert linked == [*params, ("at", "7"), ("passage", "10-42")]
    assert back_params(linked) == params
    assert arrival(linked) == (7, (10, 42))
    assert arrival([("at", "x"), ("passage", "9-3")]) == (None, None)


def test_marked_paragraphs_keep_marks_inside_each_paragraph():
    text = "First <one>.\n\nSecond one.\n\nThird."
    marked = marked_paragraphs(text, text.index("<one>"), text.index("one."))
    assert [str(p) for p in marked] == [
        'First <mark class="passage">&lt;one&gt;.</mark>',
        '<mark class="passage">Second </mark>one.',
        "Third.",
    ]


def test_back_to_results_keeps_every_parameter(app: Flask):
    client = app.test_client()
    results = client.get("/?q=Geneva&speaker=John+Kerry&year=2013&sort=date&per_page=5").get_data(as_text=True)
    link = results.split('class="in-context" href="')[1].split('"')[0].replace("&amp;", "&")
    assert link.startswith("/t/kremlin-17890?q=Geneva&speaker=John+Kerry&year=2013&sort=date&per_page=5&at=")
    page = client.get(link.split("#")[0]).get_data(as_text=True)
    back = page.split('class="back-to-results" href="')[1].split('"')[0].replace("&amp;", "&")
    assert back == "/?q=Geneva&speaker=John+Kerry&year=2013&sort=date&per_page=5"


# --- the page: dates, zero hits, exports


def test_a_year_alone_is_a_whole_year_in_from_and_to(app: Flask):
    client = app.test_client()

    def total(url: str) -> int:
        return client.get(url).get_json()["total"]

    assert total("/api/search?from=2013&to=2013") == total("/api/search?from=2013-01-01&to=2013-12-31") > 0
    assert total("/api/search?from=2014") == total("/api/search?from=2014-01-01")


def test_reversed_dates_are_a_clear_400(app: Flask):
    response = app.test_client().get("/?q=Syria&from=2019-05-01&to=2018-01-01")
    assert response.status_code == 400
    assert "the date range is reversed: from 2019-05-01 is after to 2018-01-01; swap the two dates" in response.get_data(
        as_text=True
    )


def test_a_zero_hit_page_offers_meaning_search_and_the_quote_finder(app: Flask):
    html = app.test_client().get("/?q=zebrafish+marmalade").get_data(as_text=True)
    assert 'href="/quote?q=zebrafish+marmalade"' in html
    assert "Search by meaning" in html


def test_the_date_range_sits_above_the_results_and_a_skip_link_goes_to_them(app: Flask):
    html = app.test_client().get("/?q=Syria").get_data(as_text=True)
    assert html.index('name="from"') < html.index('id="results"') < html.index('class="hits"')
    assert '<a class="skip-link" href="#results">Skip to results</a>' in html
    assert 'href="/feed.atom?q=Syria"' in html and "Follow this search" in html


def test_kwic_csv_is_the_concordance_lines_with_a_bom(app: Flask):
    response = app.test_client().get("/kwic.csv?q=Geneva&kwic_sort=right")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == ["left", "match", "right", "speaker", "date", "title", "link", "url"]
    assert rows[1:] and all(row[1].casefold() == "geneva" for row in rows[1:])
    page = app.test_client().get("/?q=Geneva&view=kwic&kwic_sort=right").get_data(as_text=True)
    lines = page.count('class="kwic-line"')
    assert len(rows) - 1 == lines
    assert 'href="/kwic.csv?q=Geneva&amp;kwic_sort=right"' in page


# --- the demo corpus of `make run`


DEMO = DEFAULT_SAMPLES / "kremlin-demo.tar.xz"


def test_the_demo_archive_holds_real_transcripts_with_their_licence(tmp_path: Path):
    import tarfile

    with tarfile.open(DEMO) as archive:
        names = archive.getnames()
        assert all(name.split("/")[0] == "kremlin-demo" and ".." not in name for name in names)
        archive.extractall(tmp_path, filter="data")
    folder = tmp_path / "kremlin-demo"
    texts = sorted(folder.glob("kremlin-*.txt"))
    assert len(texts) == 330
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "President of Russia, en.kremlin.ru" in readme
    transcript = parse_transcript(texts[0].read_text(encoding="utf-8"), source=str(texts[0]))
    assert transcript.url == site_url(texts[0].stem)


def test_the_demo_archive_is_the_shared_development_corpus(corpus_dir: Path, tmp_path: Path):
    import tarfile

    with tarfile.open(DEMO) as archive:
        archive.extractall(tmp_path, filter="data")
    ours = {p.name: p.read_bytes() for p in (tmp_path / "kremlin-demo").glob("*.txt")}
    theirs = {p.name: p.read_bytes() for p in corpus_dir.glob("*.txt")}
    assert ours == theirs
