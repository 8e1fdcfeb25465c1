"""Metadata facets and partial dates of an own corpus through search, CLI, API and page (DESIGN §6),
on a folder of speeches with a manifest and a verbatim.toml declaring two facets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from index.reindex import reindex
from manage import cli
from search.engine import Engine
from search.errors import BadQuery
from search.types import SearchRequest
from web import create_app
from settings import Settings

SPEECHES = {
    # file: (country, session, date, speaker, text)
    "ARG_66_2011.txt": ("ARG", "66", "2011", "Cristina Fernández", "Argentina calls for a reform of the Security Council.\n\nWe seek dialogue."),
    "CHL_66_2011.txt": ("CHL", "66", "2011-09-21", "Sebastián Piñera", "Chile believes in the rule of law.\n\nThe Security Council must change."),
    "NOR_67_2012.txt": ("NOR", "67", "2012-09", "Jonas Gahr Støre", "Norway supports a strong United Nations and its Security Council."),
}


@pytest.fixture(scope="module")
def own_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("un")
    rows = ["file\tcountry_code\tsession\tdate\tspeaker\tparty"]
    for name, (country, session, date, speaker, text) in SPEECHES.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
        rows.append(f"{name}\t{country}\t{session}\t{date}\t{speaker}\tx-{country}")
    (folder / "manifest.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "verbatim.toml").write_text('[facets]\ncountry = "country_code"\nsession = "session"\n', encoding="utf-8")
    index_dir = folder.parent / "un-index"
    summary = reindex(index_dir, [folder])
    assert (summary.transcripts, summary.failed) == (3, False)
    return index_dir


def search(index_dir: Path, **params: object) -> dict:
    with Engine(index_dir) as engine:
        return engine.search(SearchRequest.from_params(params)).to_dict()


def facet(response: dict, name: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in response["facets"][name]}


def test_declared_facets_are_counted_like_built_in_ones(own_index: Path) -> None:
    found = search(own_index, q="Security Council")
    assert (found["total"], found["transcripts"]) == (3, 3)
    assert facet(found, "country") == {"ARG": 1, "CHL": 1, "NOR": 1}
    assert facet(found, "session") == {"66": 2, "67": 1}
    assert "party" not in found["facets"]  # metadata, not declared as a facet


def test_a_metadata_filter_narrows_hits_and_the_other_facets(own_index: Path) -> None:
    found = search(own_index, q="", filter=["session=66"])
    assert {h["transcript_id"] for h in found["hits"]} == {"ARG_66_2011", "CHL_66_2011"}
    assert facet(found, "country") == {"ARG": 2, "CHL": 2}
    assert facet(found, "session") == {"66": 4, "67": 1}  # its own filter left out of its counts
    api_form = search(own_index, q="", session="66")
    assert api_form["total"] == found["total"] == 4


def test_each_hit_carries_its_metadata_and_its_date_as_written(own_index: Path) -> None:
    hits = {h["transcript_id"]: h for h in search(own_index, q="Security Council")["hits"]}
    assert hits["ARG_66_2011"]["meta"] == {"country": "ARG", "session": "66", "party": "x-ARG"}
    assert {tid: h["date"] for tid, h in hits.items()} == {
        "ARG_66_2011": "2011", "CHL_66_2011": "2011-09-21", "NOR_67_2012": "2012-09",
    }


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        ("2011-06-01", "2011-06-30", {"ARG_66_2011"}),  # inside the year 2011
        ("2011-09-21", "2011-09-21", {"ARG_66_2011", "CHL_66_2011"}),
        ("2012-09-30", "", {"NOR_67_2012"}),  # the last day of September 2012
        ("2012-10-01", "", set()),
        ("", "2011-01-01", {"ARG_66_2011"}),
    ],
)
def test_a_partial_date_matches_a_range_its_period_overlaps(own_index: Path, date_from: str, date_to: str, expected: set[str]) -> None:
    found = search(own_index, q="", **{"from": date_from, "to": date_to})
    assert {h["transcript_id"] for h in found["hits"]} == expected


def test_partial_dates_count_in_their_year(own_index: Path) -> None:
    assert facet(search(own_index, q=""), "year") == {"2011": 4, "2012": 1}


def test_cli_filter_and_unknown_facet(own_index: Path) -> None:
    runner = CliRunner()
    found = runner.invoke(cli, ["search", "", "--filter", "country=NOR", "--filter", "country=CHL", "--json", "--index", str(own_index)])
    assert found.exit_code == 0, found.output
    assert {h["transcript_id"] for h in json.loads(found.stdout)["hits"]} == {"NOR_67_2012", "CHL_66_2011"}
    typo = runner.invoke(cli, ["search", "", "--filter", "contry=NOR", "--index", str(own_index)])
    assert typo.exit_code == 2
    assert "unknown facet 'contry': this index has speaker, role, year, place, topic, geography, country, session" in typo.stderr
    bad = runner.invoke(cli, ["search", "", "--filter", "country", "--index", str(own_index)])
    assert (bad.exit_code, "a filter is NAME=VALUE" in bad.stderr) == (2, True)


@pytest.fixture
def client(own_index: Path) -> FlaskClient:
    return create_app(Settings(index_dir=own_index)).test_client()


def test_api_takes_name_value_and_reports_transcripts(client: FlaskClient) -> None:
    data = client.get("/api/search?q=&country=ARG").get_json()
    assert (data["total"], data["transcripts"], {h["meta"]["country"] for h in data["hits"]}) == (2, 1, {"ARG"})
    assert client.get("/api/search?q=&filter=contry%3DARG").status_code == 400


@pytest.mark.parametrize(("query", "message"), [
    ("contry=NOR", "unknown facet 'contry' (did you mean country?)"),
    ("sesion=66", "unknown facet 'sesion' (did you mean session?)"),
    ("topics=Economy", "unknown facet 'topics' (did you mean topic?)"),
])
def test_a_misspelt_facet_in_the_api_is_refused_not_ignored(client: FlaskClient, query: str, message: str) -> None:
    """`contry=NOR` returned every country's hits as if filtered; a parameter unlike any facet is let be."""
    response = client.get(f"/api/search?q=Council&{query}")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(message)
    assert "this index has speaker, role, year, place, topic, geography, country, session" in response.get_json()["error"]
    assert client.get("/api/search?q=Council&utm_source=mail").get_json()["total"] == 3


def test_the_search_page_shows_metadata_facets_chips_and_partial_dates(client: FlaskClient) -> None:
    page = client.get("/?country=NOR").get_data(as_text=True)
    assert "Country" in page and "Session" in page
    assert "Country: NOR" in page  # the chip that removes the filter
    assert '<time datetime="2012-09">September 2012</time>' in page


def test_csv_export_has_a_column_per_metadata_facet(client: FlaskClient) -> None:
    text = client.get("/api/search?q=Security&format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["date"], r["country"], r["session"]) for r in rows} == {
        ("2011", "ARG", "66"), ("2011-09-21", "CHL", "66"), ("2012-09", "NOR", "67"),
    }


def test_stats_lists_the_metadata_facets(own_index: Path) -> None:
    result = CliRunner().invoke(cli, ["stats", "--json", "--index", str(own_index)])
    assert json.loads(result.stdout)["facets"] == {"country": 3, "session": 2}


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_semantic_and_hybrid_modes_count_and_filter_metadata_facets(own_index: Path, embedder, mode: str) -> None:
    from search.hybrid import SemanticIndex
    from search.vectors import sync_vectors

    sync_vectors(own_index, embedder)
    with Engine(own_index, semantic=SemanticIndex(own_index, embedder)) as engine:
        found = engine.search(SearchRequest.from_params({"q": "Security Council", "mode": mode, "filter": ["country=NOR"]}))
        data = found.to_dict()
        assert {h["meta"]["country"] for h in data["hits"]} == {"NOR"}
        assert set(facet(data, "country")) >= {"NOR", "ARG", "CHL"}
        with pytest.raises(BadQuery, match="unknown facet 'contry'"):
            engine.search(SearchRequest.from_params({"q": "Security", "mode": mode, "filter": ["contry=NOR"]}))


def test_stats_show_partial_dates_as_written(own_index: Path) -> None:
    result = CliRunner().invoke(cli, ["stats", "--index", str(own_index)])
    assert "Dates:       2011 to 2012-09\n" in result.stdout


def test_trend_counts_partial_dates_in_their_year_and_echoes_metadata_filters(client: FlaskClient) -> None:
    data = client.get("/api/trend?q=Security&session=66").get_json()
    assert data["filters"]["session"] == ["66"]
    assert {year["year"]: year["hits"] for year in data["years"]} == {2011: 2}


def test_a_year_or_month_as_a_range_bound_means_its_whole_period(tmp_path: Path) -> None:
    """`--from 1980 --to 1980-10` (dates written as the corpus writes them) cover 1 January to 31
    October; `--from 1980-11` leaves out a debate dated `1980-10`."""
    corpus = tmp_path / "debates.jsonl"
    corpus.write_text(
        '{"transcript_id": "carter-reagan", "date": "1980-10", "speaker": "Ronald Reagan", "text": "Inflation is the cruellest tax."}\n'
        '{"transcript_id": "bush-dukakis", "date": "1988-10-13", "speaker": "George Bush", "text": "Inflation again."}\n',
        encoding="utf-8")
    index_dir = tmp_path / "index"
    assert CliRunner().invoke(cli, ["reindex", str(corpus), "--index", str(index_dir)]).exit_code == 0

    def hits(*bounds: str) -> list[str]:
        result = CliRunner().invoke(cli, ["search", "inflation", "--index", str(index_dir), "--json", *bounds])
        assert result.exit_code == 0, result.output
        return sorted(hit["date"] for hit in json.loads(result.stdout)["hits"])

    assert hits("--from", "1980", "--to", "1980-10") == ["1980-10"]
    assert hits("--to", "1988") == ["1980-10", "1988-10-13"]
    assert hits("--from", "1980-11") == ["1988-10-13"]
    assert hits("--from", "1988-10-14") == []
