"""`manage.py parse`: JSON lines, the readable summary, failures on stderr and the exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.models import Transcript
from index.parse import parse_file, source_files
from manage import cli
from settings import DEFAULT_SAMPLES

FIELDS = {"id", "title", "summary", "date", "time", "place", "section", "topics", "geography", "persons", "source", "utterances",
          "url", "meta", "facets"}
UTTERANCE_FIELDS = {"id", "transcript_id", "seq", "speaker", "role", "kind", "text", "label"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The seed page, one page without a date, and one good page in a sub-folder."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a-seed.txt").write_bytes((DEFAULT_SAMPLES / "seed-1.txt").read_bytes())
    (tmp_path / "b-broken.txt").write_text("Events\nA title without a date\nSome text.", encoding="utf-8")
    (tmp_path / "sub" / "c-sample.txt").write_bytes((DEFAULT_SAMPLES / "sample-2.txt").read_bytes())
    return tmp_path


def test_bundled_samples_hold_the_seed_and_our_own_transcripts() -> None:
    """samples/ has the seed with its attribution and four multi-speaker transcripts that parse."""
    names = [p.name for p in source_files([DEFAULT_SAMPLES])]
    assert names == ["sample-1.txt", "sample-2.txt", "sample-3.txt", "sample-4.txt", "seed-1.txt"]
    readme = (DEFAULT_SAMPLES / "README.md").read_text(encoding="utf-8")
    assert "en.kremlin.ru" in readme and "CC BY 4.0" in readme
    years = set()
    for path in source_files([DEFAULT_SAMPLES]):
        (transcript,) = parse_file(path)
        years.add(transcript.date.year)
        assert len(transcript.speakers) >= 2
        assert transcript.topics
    assert years == {2012, 2013, 2015, 2018, 2020}


def test_parse_json_prints_one_transcript_per_line(runner: CliRunner, folder: Path) -> None:
    """--json: DESIGN §1 fields with an ISO date; the failing file on stderr; exit 1."""
    result = runner.invoke(cli, ["parse", "--json", str(folder)])
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a-seed", "c-sample"]
    assert all(set(r) == FIELDS for r in records)
    assert all(set(u) == UTTERANCE_FIELDS for r in records for u in r["utterances"])
    assert records[0]["date"] == "2013-05-07"
    assert [Transcript.from_dict(r) for r in records] == [
        parse_file(folder / "a-seed.txt")[0],
        parse_file(folder / "sub" / "c-sample.txt")[0],
    ]
    assert result.stderr.splitlines() == [f"{folder / 'b-broken.txt'}:1: no date line (such as 'May 7, 2013') above the body"]


def test_parse_summary_counts_turns_per_speaker(runner: CliRunner) -> None:
    """Without --json: title line, where, and turns per speaker with their roles."""
    result = runner.invoke(cli, ["parse", str(DEFAULT_SAMPLES / "seed-1.txt")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "seed-1  2013-05-07  Meeting with US Secretary of State John Kerry",
        "  The Kremlin, Moscow · 4 utterances · topics: Foreign policy",
        "    (narration): 2 turns",
        "    Vladimir Putin (President of Russia): 1 turn",
        "    John Kerry (US Secretary of State): 1 turn",
        "1 transcript parsed, 0 failed.",
    ]
    assert result.stderr == ""


def test_parse_missing_file_is_reported_and_others_continue(runner: CliRunner, tmp_path: Path) -> None:
    """A path that does not exist fails like a bad file; the good one is still printed."""
    missing = tmp_path / "missing.txt"
    result = runner.invoke(cli, ["parse", "--json", str(missing), str(DEFAULT_SAMPLES / "sample-1.txt")])
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["sample-1"]
    assert result.stderr.startswith(f"{missing}:0: cannot read")


def test_parse_without_paths_is_a_usage_error(runner: CliRunner) -> None:
    """PATHS are required: exit 2."""
    result = runner.invoke(cli, ["parse"])
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


@pytest.mark.corpus
def test_parse_whole_corpus(runner: CliRunner, corpus_dir: Path) -> None:
    """Every file of the real corpus parses; turns.jsonl is skipped, not reported."""
    result = runner.invoke(cli, ["parse", "--json", str(corpus_dir)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert sorted(ids) == sorted(p.stem for p in corpus_dir.glob("kremlin-*.txt"))
