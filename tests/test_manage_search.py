"""`manage.py search` (DESIGN §4): the index it picks, the exact API JSON, and exit status 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from index.reindex import index_transcripts
from index.models import Transcript
from manage import cli
from search.engine import Engine
from search.types import SearchRequest


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(cli, list(args), env=env, catch_exceptions=False)


def expected_json(index_dir: Path, params: dict[str, object]) -> dict[str, object]:
    with Engine(index_dir) as engine:
        return engine.search(SearchRequest.from_params(params)).to_dict()  # type: ignore[arg-type]


def test_json_is_exactly_the_api_response(runner: CliRunner, index_dir: Path) -> None:
    result = run(runner, "--index", str(index_dir), "search", "geneva", "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == expected_json(index_dir, {"q": "geneva"})
    assert list(printed) == ["query", "mode", "total", "page", "per_page", "hits", "facets", "suggestion", "transcripts"]
    assert printed["total"] == 3


def test_every_option_reaches_the_request(runner: CliRunner, index_dir: Path) -> None:
    result = run(
        runner,
        "search", "",
        "--index", str(index_dir),
        "--speaker", "Vladimir Putin", "--speaker", "Sergei Lavrov",
        "--role", "President of Russia", "--role", "Foreign Minister",
        "--year", "2013",
        "--place", "Novo-Ogaryovo, Moscow Region",
        "--topic", "National security",
        "--geography", "Syria",
        "--from", "2013-01-01", "--to", "2013-12-31",
        "--sort", "date", "--page", "2", "--per-page", "1",
        "--mode", "keyword", "--facet-limit", "1",
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == expected_json(
        index_dir,
        {
            "q": "",
            "speaker": ["Vladimir Putin", "Sergei Lavrov"],
            "role": ["President of Russia", "Foreign Minister"],
            "year": ["2013"],
            "place": ["Novo-Ogaryovo, Moscow Region"],
            "topic": ["National security"],
            "geography": ["Syria"],
            "from": "2013-01-01",
            "to": "2013-12-31",
            "sort": "date",
            "page": "2",
            "per_page": "1",
            "facet_limit": "1",
        },
    )
    assert (printed["total"], printed["page"], [h["id"] for h in printed["hits"]]) == (3, 2, ["t-lavrov:1"])
    assert all(len(values) <= 1 for values in printed["facets"].values())


def test_index_from_environment(runner: CliRunner, index_dir: Path) -> None:
    result = run(runner, "search", "inflation", "--json", env={"VERBATIM_INDEX": str(index_dir)})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == 2


def test_default_index_is_instance_index(
    runner: CliRunner, tmp_path: Path, transcripts: list[Transcript], monkeypatch: pytest.MonkeyPatch
) -> None:
    index_transcripts(tmp_path / "instance" / "index", transcripts[2:])
    monkeypatch.chdir(tmp_path)
    result = run(runner, "search", "", "--json")
    assert result.exit_code == 0, result.output
    assert [hit["id"] for hit in json.loads(result.stdout)["hits"]] == ["t-economy:0", "t-economy:1"]


def test_text_output_lists_hits_facets_and_suggestion(runner: CliRunner, index_dir: Path) -> None:
    result = run(runner, "--index", str(index_dir), "search", "script")
    assert result.exit_code == 0, result.output
    assert "1 hits in 1 transcripts for 'script'" in result.stdout
    assert "1. 2013-11-20  Sergei Lavrov, Foreign Minister  [t-lavrov:2]" in result.stdout
    # HTML is decoded for the terminal; the marked words stay visible.
    assert "Terrorists <script>alert(1)</script> must be fought together." in result.stdout
    assert "speaker: Sergei Lavrov (1)" in result.stdout
    result = run(runner, "--index", str(index_dir), "search", "inflaton")
    assert "Did you mean: inflation" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2013-13-01"], "from must be a date like 2013-05-07"),
        (["--to", "yesterday"], "to must be a date like 2013-05-07"),
        (["--sort", "sideways"], "unknown sort 'sideways'"),
        (["--page", "0"], "page must be between 1"),
        (["--per-page", "many"], "per_page must be a whole number"),
        (["--year", "13"], "year must be four digits"),
        (["--mode", "psychic"], "unknown mode"),
    ],
)
def test_bad_options_exit_2(runner: CliRunner, index_dir: Path, args: list[str], message: str) -> None:
    result = run(runner, "--index", str(index_dir), "search", "geneva", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"geneva communique', 'unclosed quote at position 0: end the phrase with another " or remove the quote\n'),
        ("(geneva", "never closed"),
        ("geneva AND", "no term after it"),
    ],
)
def test_malformed_query_exits_2(runner: CliRunner, index_dir: Path, query: str, message: str) -> None:
    result = run(runner, "--index", str(index_dir), "search", query)
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_index_exits_2_and_says_how_to_fix(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "--index", str(tmp_path / "nowhere"), "search", "geneva")
    assert result.exit_code == 2
    assert "no index at" in result.stderr
    assert "reindex" in result.stderr
