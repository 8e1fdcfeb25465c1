"""People in the API, the pages and the CLI, on a real index reindexed from hand-written pages:
/api/speakers turns equal the speaker facet, aliases and roles over time, the pages render and
escape, `manage.py speakers` lists the same people."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import PAGES, people_page
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from index.reindex import reindex
from index.generations import current_generation_dir
from manage import cli
from search.people import AmbiguousSpeaker, SpeakerNotFound, log_likelihood, people_of, slugify
from web import create_app
from settings import Settings

@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, page in PAGES.items():
        (corpus / f"{name}.txt").write_text(people_page(*page), encoding="utf-8")
    reindex(tmp_path / "index", [corpus])
    return tmp_path / "index"


@pytest.fixture
def app(index_dir: Path) -> Iterator[Flask]:
    app = create_app(Settings(index_dir=index_dir))
    yield app
    app.extensions["verbatim"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_api_speakers_turns_equal_the_speaker_facet(client: FlaskClient) -> None:
    speakers = client.get("/api/speakers").get_json()["speakers"]
    facet = client.get("/api/search?q=&facet_limit=0").get_json()["facets"]["speaker"]
    assert {s["name"]: s["turns"] for s in speakers} == {v["value"]: v["count"] for v in facet}
    assert [s["name"] for s in speakers] == sorted(s["name"] for s in speakers)
    assert "Question" not in {s["name"] for s in speakers} and "Remark" not in {s["name"] for s in speakers}


def test_api_speaker_has_roles_over_time_and_aliases(client: FlaskClient) -> None:
    (novak,) = client.get("/api/speakers?q=novak").get_json()["speakers"]
    assert novak == {
        "name": "Alexander Novak",
        "slug": "alexander-novak",
        "turns": 2,
        "first": "2013-05-07",
        "last": "2015-06-01",
        "roles": [{"role": "Minister of Energy", "first": "2013-05-07", "last": "2015-06-01", "turns": 2}],
        "aliases": [],
    }
    putin = client.get("/api/speakers/vladimir-putin").get_json()
    assert putin["turns"] == 4 and putin["aliases"] == ["Vladmir Putin"]
    assert putin["keywords"][0]["word"] == "oil"
    assert putin["latest"][0]["date"] == "2016-03-03"
    assert {p["value"] for p in putin["places"]} == {"The Kremlin, Moscow", "Novo-Ogaryovo, Moscow Region"}


def test_api_speakers_limit_and_errors(client: FlaskClient) -> None:
    assert len(client.get("/api/speakers?limit=2").get_json()["speakers"]) == 2
    assert client.get("/api/speakers?limit=0").status_code == 400
    missing = client.get("/api/speakers/nobody")
    assert missing.status_code == 404 and "nobody" in missing.get_json()["error"]


def test_people_page_lists_everyone_with_counts_and_filters(client: FlaskClient) -> None:
    html = client.get("/people").get_data(as_text=True)
    assert 'href="/people/vladimir-putin"' in html and 'href="/people/alexander-novak"' in html
    assert "Anonymous turns" in html and "Question" in html
    filtered = client.get("/people?q=ivanov").get_data(as_text=True)
    assert "Sergei Ivanov" in filtered and "Viktor Ivanov" in filtered and "Alexander Novak" not in filtered


def test_person_page_shows_roles_trend_and_escapes(client: FlaskClient) -> None:
    html = client.get("/people/vladimir-putin").get_data(as_text=True)
    assert "<h1>Vladimir Putin</h1>" in html and "Vladmir Putin" in html and "Roles over time" in html
    assert 'name="speaker" value="Vladimir Putin"' in html
    trend = client.get("/people/vladimir-putin?trend=oil").get_data(as_text=True)
    assert "<td>2013</td>" in trend and "<td>2016</td>" in trend
    hostile = client.get("/people/vladimir-putin?trend=%3Cscript%3E").get_data(as_text=True)
    assert "<script>" not in hostile.split("<body", 1)[1].replace('<script src="/static/verbatim.js" defer></script>', "")
    assert client.get("/people/nobody").status_code == 404


def test_resolve_speaker(index_dir: Path) -> None:
    people = people_of(current_generation_dir(index_dir))
    assert people.resolve("Putin") == "Vladimir Putin"
    assert people.resolve("vladmir putin") == "Vladimir Putin"
    assert people.resolve("Novak") == "Alexander Novak"
    with pytest.raises(AmbiguousSpeaker, match="Sergei Ivanov.*Viktor Ivanov|Viktor Ivanov.*Sergei Ivanov"):
        people.resolve("Ivanov")
    with pytest.raises(SpeakerNotFound, match="closest: Alexander Novak"):
        people.resolve("Alexandr Novack")
    with pytest.raises(SpeakerNotFound, match="anonymous"):
        people.resolve("Question")


def test_manage_speakers(index_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--index", str(index_dir), "speakers", "--aliases"])
    assert result.exit_code == 0, result.output
    assert "Vladimir Putin\t4\t2013–2016\tPresident of Russia (2013)" in result.output
    assert "\t= Vladmir Putin" in result.output
    as_json = runner.invoke(cli, ["--index", str(index_dir), "speakers", "--json", "novak"])
    assert json.loads(as_json.output)["speakers"][0]["roles"][0]["role"] == "Minister of Energy"
    none = runner.invoke(cli, ["--index", str(index_dir), "speakers", "nobody"])
    assert none.exit_code == 1


def test_keyness_and_slugs() -> None:
    assert log_likelihood(10, 10, 100, 100) == 0
    assert log_likelihood(20, 5, 100, 100) > log_likelihood(15, 10, 100, 100) > 0
    assert slugify("Patrick Pouyanné") == "patrick-pouyanne"
    assert slugify("Abdel Fattah el-Sisi") == "abdel-fattah-el-sisi"


def test_speaker_filter_resolves_in_the_api(client: FlaskClient) -> None:
    data = client.get("/api/search?q=oil&speaker=Putin").get_json()
    assert data["total"] == 4 and {hit["speaker"] for hit in data["hits"]} == {"Vladimir Putin"}
    ambiguous = client.get("/api/search?q=&speaker=Ivanov")
    assert ambiguous.status_code == 400
    assert "Sergei Ivanov" in ambiguous.get_json()["error"] and "Viktor Ivanov" in ambiguous.get_json()["error"]
    unknown = client.get("/api/search?q=&speaker=Alexandr+Novack")
    assert unknown.status_code == 400 and "closest: Alexander Novak" in unknown.get_json()["error"]
    csv = client.get("/api/search?q=oil&speaker=Putin&format=csv")
    assert csv.status_code == 200 and csv.get_data(as_text=True).count("Vladimir Putin") == 4
    assert client.get("/api/search?q=&speaker=Ivanov&format=csv").status_code == 400
    page = client.get("/?speaker=Ivanov")
    assert page.status_code == 400 and "fits 2 people" in page.get_data(as_text=True)


def test_speaker_filter_resolves_in_the_cli(index_dir: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["--index", str(index_dir), "search", "oil", "--speaker", "Putin", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["total"] == 4
    ambiguous = runner.invoke(cli, ["--index", str(index_dir), "search", "", "--speaker", "Ivanov"])
    assert ambiguous.exit_code == 2 and "fits 2 people" in ambiguous.output


def test_transcript_page_shows_the_label_as_written_and_anonymous_turns(client: FlaskClient) -> None:
    html = client.get("/t/a").get_data(as_text=True)
    assert "Minister of Energy" in html and "(Energy Minister Alexander Novak)" in html
    assert '<span class="speaker anonymous"' in html and "&lt;script&gt;" in html and "<script>alert" not in html


def test_anonymous_turns_are_searchable_by_label(client: FlaskClient) -> None:
    data = client.get("/api/search?q=label:question").get_json()
    assert data["total"] == 1
    (hit,) = data["hits"]
    assert hit["speaker"] is None and hit["label"] == "Question" and hit["kind"] == "speech"
    remark = client.get("/api/search?q=label:remark&facet_limit=0").get_json()
    assert remark["total"] == 1 and remark["facets"]["speaker"] == []


def test_person_page_latest_turns_can_be_cited(client: FlaskClient) -> None:
    """Each latest turn on a person page has a citation naming the person, the title and the date."""
    html = client.get("/people/vladimir-putin").get_data(as_text=True)
    latest = html[html.index('class="latest-turns"') :]
    assert 'class="cite"' in latest
    citation = latest[latest.index('class="cite-text"') :]
    citation = citation[: citation.index("</p>")]
    assert citation.endswith("Vladimir Putin, “Meeting with Sergei Ivanov and Viktor Ivanov”, The Kremlin, Moscow, 3 March 2016, turn 3.")
