"""The JSON API through Flask's test client on a real index: search, CSV, transcripts, trend, errors."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from helpers import make_transcript
from index.models import Transcript
from index.reindex import index_transcripts
from search.types import FACET_NAMES
from web import create_app
from web.api import spreadsheet_safe
from web.openapi import openapi_document
from settings import Settings


def get_json(client: FlaskClient, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    return response.get_json()


# --- /api/search


def test_search_returns_the_design_json(client):
    data = get_json(client, "/api/search?q=Geneva&per_page=2")
    assert list(data) == ["query", "mode", "total", "page", "per_page", "hits", "facets", "suggestion", "transcripts"]
    summary = (data["query"], data["mode"], data["total"], data["page"], data["per_page"])
    assert summary == ("Geneva", "keyword", 3, 1, 2)
    assert len(data["hits"]) == 2
    assert list(data["hits"][0]) == [
        "id", "transcript_id", "seq", "speaker", "label", "role", "kind", "date", "title", "place", "score", "snippet",
        "matched_by", "url", "meta",
    ]  # fmt: skip
    assert {hit["matched_by"] for hit in data["hits"]} == {"keyword"}
    assert all("<mark>Geneva</mark>" in hit["snippet"] for hit in data["hits"])
    assert list(data["facets"]) == list(FACET_NAMES)
    assert sorted(data["facets"]["speaker"], key=lambda v: v["value"]) == [
        {"value": "John Kerry", "count": 1},
        {"value": "Sergei Lavrov", "count": 1},
        {"value": "Vladimir Putin", "count": 1},
    ]
    assert data["facets"]["year"] == [{"value": "2013", "count": 3}]
    assert data["suggestion"] is None


def test_search_hit_fields_match_the_utterance(client):
    data = get_json(client, "/api/search?q=Communique&speaker=John+Kerry")
    assert data["total"] == 1
    hit = data["hits"][0]
    assert {k: v for k, v in hit.items() if k not in ("score", "snippet", "matched_by", "url")} == {
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
        "meta": {},
    }
    assert hit["score"] > 0


def test_repeated_filters_are_ored_and_different_filters_anded(client):
    assert get_json(client, "/api/search?speaker=John+Kerry&speaker=Sergei+Lavrov")["total"] == 4
    both = get_json(
        client, "/api/search?speaker=John+Kerry&speaker=Sergei+Lavrov&year=2013&place=The+Kremlin%2C+Moscow"
    )
    assert [hit["id"] for hit in both["hits"]] == ["t-kerry:2", "t-kerry:4"]


def test_search_reports_timing_in_a_header(client):
    response = client.get("/api/search?q=Geneva")
    assert re.fullmatch(r"search;dur=\d+\.\d", response.headers["Server-Timing"])


def test_suggestion_for_a_misspelt_query(client):
    assert get_json(client, "/api/search?q=inflaton")["suggestion"] == "inflation"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("/api/search?year=13", "year must be four digits like 2013, got '13'"),
        ("/api/search?sort=up", "unknown sort 'up': use one of relevance, date, -date"),
        ("/api/search?per_page=500", "per_page must be between 1 and 200, got 500"),
        ("/api/search?to=yesterday", "to must be a date like 2013-05-07 or a year like 2013, got 'yesterday'"),
        ("/api/search?format=xml", "unknown format 'xml': use json or csv"),
    ],
)
def test_bad_parameters_are_400_json(client, url, error):
    assert get_json(client, url, 400) == {"error": error}


def test_unavailable_search_mode_is_400_json(client):
    # The test index has no embedding vectors, so semantic modes cannot run.
    assert get_json(client, "/api/search?q=Geneva&mode=hybrid", 400)["error"].startswith("mode 'hybrid'")


def test_malformed_query_is_400_with_its_position(client):
    data = get_json(client, "/api/search?q=Syria+AND", 400)
    assert data["position"] == 6
    assert data["error"].startswith("AND at position 6 has no term after it")


# --- CSV export


def test_csv_exports_every_hit_with_full_text_and_a_link(client):
    response = client.get("/api/search?q=Geneva&per_page=1&format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="verbatim-geneva.csv"'
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")  # a byte-order mark, so spreadsheets read UTF-8
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == ["id", "date", "speaker", "role", "title", "place", "text", "link", "url"]
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {"t-kerry:2", "t-lavrov:0", "t-lavrov:1"}  # all hits, not one page
    assert by_id["t-kerry:2"] == [
        "t-kerry:2",
        "2013-05-07",
        "John Kerry",
        "US Secretary of State",
        "Meeting with US Secretary of State John Kerry",
        "The Kremlin, Moscow",
        "We have both embraced, in the Geneva Communique, a common approach to Syria.",
        # Reached at a loopback address and no public base URL configured: a path, not http://localhost.
        "/t/t-kerry?q=Geneva#u2",
        "",
    ]


def test_csv_follows_filters_and_sort(client):
    response = client.get("/api/search?speaker=Vladimir+Putin&sort=date&format=csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))[1:]
    assert [row[0] for row in rows] == ["t-kerry:1", "t-kerry:3", "t-lavrov:0", "t-economy:0", "t-economy:1"]
    assert rows[0][7] == "/t/t-kerry#u1"
    assert response.headers["Content-Disposition"] == 'attachment; filename="verbatim-browse.csv"'


def test_csv_of_no_hits_is_the_header_alone(client):
    response = client.get("/api/search?q=zebra&format=csv")
    assert response.get_data(as_text=True).splitlines() == ["\ufeffid,date,speaker,role,title,place,text,link,url"]


@pytest.fixture
def formula_index(tmp_path: Path) -> Path:
    """An utterance whose every exported field starts like a spreadsheet formula."""
    path = tmp_path / "formulas"
    transcript = make_transcript(
        "t-formula",
        "=HYPERLINK(\"http://evil.example\", \"click\")",
        dt.date(2016, 1, 2),
        [("+Speaker", "-Role", "@SUM(A1:A9) about sanctions"), ("", "", "\tsanctions\r\n=1+1")],
        place="=cmd|' /C calc'!A0",
    )
    index_transcripts(path, [transcript])
    return path


def test_csv_cells_that_look_like_formulas_are_kept_as_text(formula_index):
    app = create_app(Settings(index_dir=formula_index))
    try:
        response = app.test_client().get("/api/search?q=sanctions&sort=date&format=csv")
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    finally:
        app.extensions["verbatim"].close()
    assert rows[1] == [
        "t-formula:0",
        "2016-01-02",
        "'+Speaker",
        "'-Role",
        "'=HYPERLINK(\"http://evil.example\", \"click\")",
        "'=cmd|' /C calc'!A0",
        "'@SUM(A1:A9) about sanctions",
        "/t/t-formula?q=sanctions#u0",
        "",
    ]
    assert rows[2][2:4] == ["", ""] and rows[2][6] == "'\tsanctions\r\n=1+1"


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+7 495", "'+7 495"),
        ("-5%", "'-5%"),
        ("@user", "'@user"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("", ""),
        ("Growth = 2%", "Growth = 2%"),
        (" =1", " =1"),
        ("'quoted'", "'quoted'"),
    ],
)
def test_spreadsheet_safe_prefixes_only_formula_starts(cell, safe):
    assert spreadsheet_safe(cell) == safe


def test_csv_with_a_malformed_query_is_a_400_before_any_csv(client):
    assert get_json(client, "/api/search?q=%22open&format=csv", 400)["position"] == 0


# --- /api/transcripts/<id>


def test_transcript_json_round_trips_to_the_indexed_transcript(client, transcripts):
    data = get_json(client, "/api/transcripts/t-lavrov")
    assert data["source"] == "t-lavrov.txt"  # the file's name: no server path (issue 15 #7)
    assert Transcript.from_dict(data) == dataclasses.replace(transcripts[1], source="t-lavrov.txt")
    assert data["utterances"][2]["text"] == "Terrorists <script>alert(1)</script> must be fought together."


def test_unknown_transcript_is_404_json(client):
    assert get_json(client, "/api/transcripts/nope", 404) == {"error": "no transcript with id 'nope'"}


# --- /api/trend


def _spoken(transcripts, year: int, speaker: str | None = None) -> tuple[int, int]:
    """(occurrences of "Geneva", words) in the fixture's turns of a year, counted by hand."""
    turns = [
        u.text for t in transcripts if t.date.year == year for u in t.utterances if speaker in (None, u.speaker)
    ]
    return sum(text.count("Geneva") for text in turns), sum(len(re.findall(r"\w+(?:['’]\w+)*", t)) for t in turns)


def test_trend_counts_hits_per_year_against_that_years_utterances_and_words(client, transcripts):
    data = get_json(client, "/api/trend?q=Geneva")
    assert data["query"] == "Geneva" and data["total"] == 3
    (m13, w13), (m14, w14) = _spoken(transcripts, 2013), _spoken(transcripts, 2014)
    assert (m13, m14) == (3, 0)
    assert data["years"] == [
        {"year": 2013, "hits": 3, "utterances": 8, "per_10k": 3750.0,
         "matches": m13, "words": w13, "per_10k_words": round(10_000 * m13 / w13, 2)},
        {"year": 2014, "hits": 0, "utterances": 2, "per_10k": 0.0, "matches": 0, "words": w14, "per_10k_words": 0.0},
    ]  # fmt: skip


def test_trend_for_one_speaker_is_relative_to_that_speakers_turns(client, transcripts):
    data = get_json(client, "/api/trend?q=Geneva&speaker=Vladimir+Putin")
    assert data["filters"]["speaker"] == ["Vladimir Putin"]
    (m13, w13), (_, w14) = _spoken(transcripts, 2013, "Vladimir Putin"), _spoken(transcripts, 2014, "Vladimir Putin")
    assert data["years"] == [
        {"year": 2013, "hits": 1, "utterances": 3, "per_10k": 3333.33,
         "matches": m13, "words": w13, "per_10k_words": round(10_000 * m13 / w13, 2)},
        {"year": 2014, "hits": 0, "utterances": 2, "per_10k": 0.0, "matches": 0, "words": w14, "per_10k_words": 0.0},
    ]  # fmt: skip


def test_trend_by_speaker_gives_a_series_per_speaker(client, transcripts):
    data = get_json(client, "/api/trend?q=Geneva&speaker=Vladimir+Putin&speaker=Sergei+Lavrov")
    series = {s["speaker"]: s for s in data["series"]}
    assert set(series) == {"Vladimir Putin", "Sergei Lavrov"}
    lavrov = {y["year"]: y for y in series["Sergei Lavrov"]["years"]}
    m13, w13 = _spoken(transcripts, 2013, "Sergei Lavrov")
    assert (lavrov[2013]["matches"], lavrov[2013]["words"]) == (m13, w13) and m13 == 1
    terms = get_json(client, "/api/trend?q=Geneva&q=inflation")["series"]
    assert [(s["q"], s["total"]) for s in terms] == [("Geneva", 3), ("inflation", 2)]


def test_trend_needs_a_query(client):
    assert get_json(client, "/api/trend", 400) == {"error": "trend needs a query: /api/trend?q=…"}
    assert "year must be four digits" in get_json(client, "/api/trend?q=x&year=x", 400)["error"]


# --- /api/openapi.json and the rest of /api


def test_openapi_describes_exactly_the_api_routes(app, client):
    doc = get_json(client, "/api/openapi.json")
    assert doc["openapi"] == "3.1.0"
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.unknown"
    }
    assert set(doc["paths"]) == routes
    search_params = {p["name"] for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert search_params == {
        "q", *FACET_NAMES, "filter", "from", "to", "sort", "page", "per_page", "mode", "facet_limit", "format",
    }  # fmt: skip
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', client.get("/api/openapi.json").get_data(as_text=True))
    assert set(refs) <= set(doc["components"]["schemas"])


def test_openapi_hit_schema_lists_exactly_the_hit_fields(client):
    hit = get_json(client, "/api/search?q=Geneva")["hits"][0]
    schema = openapi_document("http://localhost")["components"]["schemas"]["Hit"]
    assert list(schema["properties"]) == list(hit)
    assert hit["matched_by"] in schema["properties"]["matched_by"]["enum"]


@pytest.mark.parametrize("url", ["/api/", "/api/nothing", "/api/search/extra"])
def test_unknown_api_urls_are_404_json(client, url):
    assert "no API endpoint" in get_json(client, url, 404)["error"]


def test_wrong_method_is_405_json(client):
    response = client.post("/api/search")
    assert response.status_code == 405
    assert response.get_json()["error"].startswith("The method is not allowed")


def test_api_without_an_index_is_503_json(tmp_path):
    client = create_app(Settings(index_dir=tmp_path / "missing")).test_client()
    for url in ("/api/search", "/api/transcripts/x", "/api/trend?q=x"):
        data = get_json(client, url, 503)
        assert data["error"].startswith("There is no search index yet") and str(tmp_path) not in data["error"]
