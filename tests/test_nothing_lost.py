"""Nothing lost (issue 14): failed files keep their indexed version, a run that would empty the index
stops and asks for --prune, failures exit 1, `stats` copes with an empty index, `--index` goes anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from index.errors import PruneRefused
from index.reindex import reindex
from index.stats import index_stats
from manage import cli

from helpers import KERRY_MEETING, NO_DATE, NO_UTTERANCES, stored_documents


def meetings(folder: Path, count: int) -> Path:
    """`count` good transcripts in the site layout, one per file (ids m-00, m-01, …)."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        (folder / f"m-{number:02d}.txt").write_text(KERRY_MEETING, encoding="utf-8")
    return folder


def transcript_ids(index_dir: Path) -> set[str]:
    return {d["transcript_id"] for d in stored_documents(index_dir).values()}


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


def test_the_data_loss_case_a_run_where_every_file_fails_removes_nothing(tmp_path: Path) -> None:
    """The issue's case: 35 transcripts indexed, then a re-run in which every file failed
    (a folder of speeches without their manifest, read as site pages) exited 0 and emptied the index."""
    corpus = meetings(tmp_path / "corpus", 35)
    index_dir = tmp_path / "index"
    assert invoke("--index", str(index_dir), "reindex", str(corpus)).exit_code == 0
    speeches = tmp_path / "speeches"
    speeches.mkdir()
    for name in ("ARG_66_2011.txt", "CHL_66_2011.txt"):
        (speeches / name).write_text("Mr. President,\n\nWe stand for peace.\n", encoding="utf-8")

    refused = invoke("--index", str(index_dir), "reindex", str(speeches))
    with_prune = invoke("--index", str(index_dir), "reindex", str(speeches), "--prune")

    assert refused.exit_code == 1
    assert "would remove 35 of the 35 indexed transcripts (35 files not under the paths given); nothing was changed" in refused.stderr
    assert "--prune" in refused.stderr
    assert with_prune.exit_code == 1
    assert f"{speeches / 'ARG_66_2011.txt'}:1: " in with_prune.stderr
    assert "35 transcripts" in with_prune.stdout
    assert transcript_ids(index_dir) == {f"m-{n:02d}" for n in range(35)}


def test_every_file_of_the_corpus_broken_keeps_every_transcript(tmp_path: Path) -> None:
    corpus = meetings(tmp_path / "corpus", 4)
    index_dir = tmp_path / "index"
    reindex(index_dir, [corpus])
    before = stored_documents(index_dir)
    for path in corpus.iterdir():
        path.write_text(NO_DATE, encoding="utf-8")

    result = invoke("--index", str(index_dir), "reindex", str(corpus))

    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 4
    assert "Files: 0 added, 0 updated, 0 removed, 0 unchanged, 4 skipped" in result.stdout
    assert "Kept the indexed version of 4 files" in result.stdout
    assert stored_documents(index_dir) == before


def test_a_broken_edit_keeps_the_old_version_and_a_fixed_one_replaces_it(tmp_path: Path) -> None:
    corpus = meetings(tmp_path / "corpus", 2)
    index_dir = tmp_path / "index"
    reindex(index_dir, [corpus])
    (corpus / "m-01.txt").write_text(NO_DATE, encoding="utf-8")
    assert reindex(index_dir, [corpus]).kept == 1
    assert transcript_ids(index_dir) == {"m-00", "m-01"}

    (corpus / "m-01.txt").write_text(KERRY_MEETING.replace("Geneva Communique", "Vienna talks"), encoding="utf-8")
    summary = reindex(index_dir, [corpus])

    assert (summary.updated, summary.kept, summary.failed) == (1, 0, False)
    texts = " ".join(d["text"] for d in stored_documents(index_dir).values() if d["transcript_id"] == "m-01")
    assert "Vienna talks" in texts and "Geneva" not in texts


def test_removing_more_than_half_needs_prune(tmp_path: Path) -> None:
    corpus = meetings(tmp_path / "corpus", 5)
    index_dir = tmp_path / "index"
    reindex(index_dir, [corpus])
    kept = [corpus / "m-00.txt", corpus / "m-01.txt"]

    with pytest.raises(PruneRefused) as refused:
        reindex(index_dir, kept)
    assert (refused.value.removed, refused.value.total) == (3, 5)
    assert len(transcript_ids(index_dir)) == 5

    assert reindex(index_dir, kept, prune=True).removed == 3
    assert transcript_ids(index_dir) == {"m-00", "m-01"}


def test_removing_half_or_less_goes_ahead(tmp_path: Path) -> None:
    corpus = meetings(tmp_path / "corpus", 4)
    index_dir = tmp_path / "index"
    reindex(index_dir, [corpus])
    (corpus / "m-03.txt").unlink()
    (corpus / "m-02.txt").unlink()

    assert reindex(index_dir, [corpus]).removed == 2


def test_reindex_exits_1_after_publishing_what_parsed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = {"transcript_id": "a", "date": "2011", "speaker": "A", "text": "Good words."}
    (corpus / "a.jsonl").write_text(json.dumps(good) + "\n{broken\n", encoding="utf-8")
    index_dir = tmp_path / "index"

    result = invoke("reindex", str(corpus), "--index", str(index_dir))

    assert result.exit_code == 1
    assert result.stderr.startswith(f"{corpus / 'a.jsonl'}:2: invalid JSON")
    assert "1 bad line skipped" in result.stdout
    assert transcript_ids(index_dir) == {"a"}


def test_stats_on_an_empty_index_says_so(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_text(NO_UTTERANCES, encoding="utf-8")
    index_dir = tmp_path / "index"
    reindex(index_dir, [corpus])
    assert index_stats(index_dir).empty

    text = invoke("stats", "--index", str(index_dir))
    as_json = invoke("stats", "--json", "--index", str(index_dir))

    assert (text.exit_code, text.stdout) == (0, f"The index at {index_dir} is empty: index transcripts with `python manage.py reindex PATH…`.\n")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["utterances"] == 0


def test_every_command_takes_index_after_its_name() -> None:
    def commands(group: click.Group) -> list[click.Command]:
        found = []
        for command in group.commands.values():
            found.append(command)
            if isinstance(command, click.Group):
                found.extend(commands(command))
        return found

    missing = [c.name for c in commands(cli) if not any("--index" in getattr(p, "opts", ()) for p in c.params)]
    assert missing == []


def test_index_after_the_name_wins_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = meetings(tmp_path / "corpus", 1)
    monkeypatch.setenv("VERBATIM_INDEX", str(tmp_path / "from-env"))
    result = invoke("reindex", str(corpus), "--index", str(tmp_path / "given"))

    assert result.exit_code == 0, result.output
    assert (tmp_path / "given" / "current.json").exists()
    assert not (tmp_path / "from-env").exists()
    search = invoke("search", "Communique", "--json", "--index", str(tmp_path / "given"))
    assert json.loads(search.stdout)["total"] == 1


def test_a_full_rebuild_copies_the_old_version_of_a_file_that_fails(tmp_path: Path) -> None:
    corpus = meetings(tmp_path / "corpus", 3)
    partial = tmp_path / "partial.jsonl"
    partial.write_text(
        json.dumps({"transcript_id": "p", "date": "2011-09", "speaker": "A", "text": "Kept words.", "country": "NOR"}) + "\n",
        encoding="utf-8",
    )
    index_dir = tmp_path / "index"
    reindex(index_dir, [corpus, partial])
    before = stored_documents(index_dir)
    (corpus / "m-01.txt").write_text(NO_DATE, encoding="utf-8")
    partial.write_text("{broken\n", encoding="utf-8")

    summary = reindex(index_dir, [corpus, partial], full=True)

    assert (summary.full, summary.removed, summary.kept, len(summary.skipped)) == (True, 0, 2, 2)
    after = stored_documents(index_dir)
    assert set(after) == set(before)
    assert {k: v for k, v in after.items() if v["transcript_id"] in ("m-01", "p")} == {
        k: v for k, v in before.items() if v["transcript_id"] in ("m-01", "p")
    }


def test_a_transcript_id_in_two_files_says_what_is_not_indexed_and_how_to_fix(tmp_path: Path) -> None:
    """Two record files sharing a transcript_id: the second file is kept out whole (its other
    transcripts too), and the message says so and what to change."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text('{"transcript_id": "dup", "date": "2004", "text": "One."}\n', encoding="utf-8")
    (corpus / "b.jsonl").write_text('{"transcript_id": "dup", "date": "2005", "text": "Two."}\n'
                                    '{"transcript_id": "other", "date": "2005", "text": "Three."}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["reindex", str(corpus), "--index", str(tmp_path / "index")])
    assert result.exit_code == 1
    assert (f"{corpus / 'b.jsonl'}:1: transcript id 'dup' is already indexed from {corpus / 'a.jsonl'}; this file is "
            "not indexed (nor its 1 other transcript): give one of the two another transcript_id, or remove the copy"
            ) in result.output
