"""`manage.py reindex` and `manage.py stats`: output, exit status, index selection, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import KERRY_MEETING, LAVROV_MEETING, NO_DATE
from click.testing import CliRunner

from index.parse import parse_file, source_files
from index.generations import writer_lock
from manage import cli
from settings import DEFAULT_SAMPLES


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Two good transcript files and one without a date."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "kerry.txt").write_text(KERRY_MEETING, encoding="utf-8")
    (folder / "lavrov.txt").write_text(LAVROV_MEETING, encoding="utf-8")
    (folder / "broken.txt").write_text(NO_DATE, encoding="utf-8")
    return folder


def test_reindex_prints_counts_and_skipped_files(runner: CliRunner, corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"

    result = runner.invoke(cli, ["--index", str(index_dir), "reindex", str(corpus)])

    assert result.exit_code == 1, result.output  # broken.txt failed
    utterances = sum(len(parse_file(corpus / name)[0].utterances) for name in ("kerry.txt", "lavrov.txt"))
    assert f"2 transcripts, {utterances} utterances." in result.stdout
    assert "Files: 2 added, 0 updated, 0 removed, 0 unchanged, 1 skipped" in result.stdout
    assert result.stderr.startswith(f"{corpus / 'broken.txt'}:1: ")


def test_reindex_again_reports_unchanged_files(runner: CliRunner, corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    runner.invoke(cli, ["--index", str(index_dir), "reindex", str(corpus)])
    (corpus / "lavrov.txt").unlink()

    result = runner.invoke(cli, ["--index", str(index_dir), "reindex", str(corpus)])

    assert result.exit_code == 1, result.output  # broken.txt failed
    assert "Files: 0 added, 0 updated, 1 removed, 1 unchanged, 1 skipped" in result.stdout


def test_reindex_full_says_so(runner: CliRunner, corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    runner.invoke(cli, ["--index", str(index_dir), "reindex", str(corpus)])

    result = runner.invoke(cli, ["--index", str(index_dir), "reindex", "--full", str(corpus)])

    assert result.exit_code == 1, result.output  # broken.txt failed
    assert "(full rebuild)" in result.stdout
    assert "2 unchanged" in result.stdout


def test_index_comes_from_the_environment(runner: CliRunner, corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "from-env"

    result = runner.invoke(cli, ["reindex", str(corpus)], env={"VERBATIM_INDEX": str(index_dir)})
    stats = runner.invoke(cli, ["stats", "--json"], env={"VERBATIM_INDEX": str(index_dir)})

    assert result.exit_code == 1, result.output  # broken.txt failed
    assert json.loads(stats.stdout)["index_dir"] == str(index_dir)


def test_reindex_of_a_missing_path_exits_2_and_says_what_to_give(runner: CliRunner, tmp_path: Path):
    result = runner.invoke(cli, ["--index", str(tmp_path / "index"), "reindex", str(tmp_path / "nowhere")])

    assert result.exit_code == 2
    assert f"{tmp_path / 'nowhere'}: no such file or folder" in result.stderr
    assert "Give transcript files (.txt, .html, .jsonl, .json, .csv, .tsv) or folders" in result.stderr
    assert not (tmp_path / "index").exists()


def test_reindex_of_a_folder_without_transcripts_exits_2(runner: CliRunner, tmp_path: Path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("nothing to index", encoding="utf-8")

    result = runner.invoke(cli, ["--index", str(tmp_path / "index"), "reindex", str(tmp_path / "notes")])

    assert result.exit_code == 2
    assert "no transcript files (.txt, .html, .jsonl, .json, .csv, .tsv)" in result.stderr


def test_reindex_while_another_runs_exits_1_naming_the_process(runner: CliRunner, corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    runner.invoke(cli, ["--index", str(index_dir), "reindex", str(corpus)])

    with writer_lock(index_dir):
        result = runner.invoke(cli, ["--index", str(index_dir), "reindex", str(corpus)])

    assert result.exit_code == 1
    assert f"is being updated by process {os.getpid()}" in result.stderr


def test_stats_prints_counts_dates_and_size(runner: CliRunner, corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    runner.invoke(cli, ["--index", str(index_dir), "reindex", str(corpus)])

    result = runner.invoke(cli, ["--index", str(index_dir), "stats"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1:3] == ["Transcripts: 2", f"Utterances:  {sum(1 for _ in _utterances(corpus))}"]
    assert lines[3] == "Speakers:    3"
    assert lines[4] == "Dates:       2013-05-07 to 2013-11-20"
    assert lines[5].startswith("Size:")


def test_stats_json(runner: CliRunner, corpus: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    runner.invoke(cli, ["--index", str(index_dir), "reindex", str(corpus)])

    result = runner.invoke(cli, ["--index", str(index_dir), "stats", "--json"])

    data = json.loads(result.stdout)
    assert {k: data[k] for k in ("transcripts", "speakers", "first_date", "last_date")} == {
        "transcripts": 2,
        "speakers": 3,
        "first_date": "2013-05-07",
        "last_date": "2013-11-20",
    }
    assert data["index_bytes"] > 0


@pytest.mark.parametrize("state", ["missing", "half-built"])
def test_stats_without_an_index_exits_2_and_says_how_to_build_one(runner: CliRunner, tmp_path: Path, state: str):
    index_dir = tmp_path / "index"
    if state == "half-built":  # what a first reindex killed midway leaves
        (index_dir / "build-4242").mkdir(parents=True)

    result = runner.invoke(cli, ["--index", str(index_dir), "stats"])

    assert result.exit_code == 2
    assert f"no index at {index_dir}" in result.stderr
    assert "manage.py reindex" in result.stderr


def test_reindex_without_paths_indexes_the_bundled_samples(runner: CliRunner, tmp_path: Path):
    if not source_files([DEFAULT_SAMPLES]):
        pytest.skip("samples/ holds no transcripts yet")
    index_dir = tmp_path / "index"

    result = runner.invoke(cli, ["--index", str(index_dir), "reindex"])

    assert result.exit_code == 0, result.output
    expected = sum(1 for path in source_files([DEFAULT_SAMPLES]) for t in parse_file(path) if t.utterances)
    stats = json.loads(runner.invoke(cli, ["--index", str(index_dir), "stats", "--json"]).stdout)
    assert stats["transcripts"] == expected


def _utterances(folder: Path):
    for path in source_files([folder]):
        try:
            transcripts = parse_file(path)
        except Exception:
            continue
        for transcript in transcripts:
            yield from transcript.utterances
