"""Reindexing hand-written transcript files: incremental by content hash, atomic, locked, recoverable."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import KERRY_MEETING, LAVROV_MEETING, NO_DATE, NO_UTTERANCES, stored_documents
from whoosh import index as whoosh_index
from whoosh.qparser import QueryParser

from index.errors import IndexLocked, IndexMissing
from index.models import Transcript
from index.parse import parse_file
from index.reindex import file_hash, plan_changes, reindex
from index.schema import SCHEMA_VERSION
from index.stats import index_stats
from index.generations import Pointer, read_pointer, write_pointer, writer_lock
from index.reader import open_index

REPO = Path(__file__).resolve().parent.parent

PRESS_JSONL = "\n".join(
    json.dumps(record)
    for record in (
        {"transcript_id": "press-1", "title": "Press statements", "date": "2014-03-04",
         "speaker": "Vladimir Putin", "role": "President of Russia", "text": "Sanctions hurt both sides.",
         "place": "Moscow", "topics": ["Economy"]},
        {"transcript_id": "press-1", "title": "Press statements", "date": "2014-03-04", "speaker": "Angela Merkel",
         "text": "We discussed the situation in Ukraine."},
        {"transcript_id": "press-2", "title": "Interview", "date": "2015-06-01", "speaker": "Vladimir Putin",
         "text": "Economic growth will return next year."},
    )
) + "\n"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder of three transcript files: two pages in the site layout and one JSONL file."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "kerry.txt").write_text(KERRY_MEETING, encoding="utf-8")
    (folder / "lavrov.txt").write_text(LAVROV_MEETING, encoding="utf-8")
    (folder / "press.jsonl").write_text(PRESS_JSONL, encoding="utf-8")
    return folder


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    return tmp_path / "index"


def parsed(folder: Path) -> list[Transcript]:
    """What the real parser makes of every file in `folder`."""
    return [t for path in sorted(folder.iterdir()) for t in parse_file(path)]


def search_ids(index_dir: Path, query: str) -> set[str]:
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        return {hit["id"] for hit in searcher.search(QueryParser("text", ix.schema).parse(query), limit=None)}


def folder_digest(folder: Path) -> dict[str, str]:
    """{file name: sha1 of its bytes}: shows whether anything in a generation changed."""
    return {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def recording(calls: list[Path], then: Callable[[Path], list[Transcript]] = parse_file):
    """The real parser, noting each file it is asked to parse."""

    def parse(path: Path) -> list[Transcript]:
        calls.append(path)
        return then(path)

    return parse


def test_plan_parses_new_and_changed_and_deletes_gone():
    """A changed file's old version is deleted only once the new one parsed (reindex), not by the plan."""
    plan = plan_changes(
        on_disk={"/a": "1", "/b": "2", "/c": "3"},
        indexed={"/a": "1", "/b": "old", "/gone": "4"},
    )
    assert plan.parse == ("/b", "/c")
    assert plan.delete == ("/gone",)
    assert plan.unchanged == ("/a",)


def test_reindex_writes_one_document_per_utterance_with_source_and_hash(corpus: Path, index_path: Path):
    summary = reindex(index_path, [corpus])

    transcripts = parsed(corpus)
    utterances = {u.id: (t, u) for t in transcripts for u in t.utterances}
    assert (summary.transcripts, summary.utterances) == (len(transcripts), len(utterances))
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (3, 0, 0, 0)
    assert summary.written == len(utterances)
    assert summary.skipped == ()
    documents = stored_documents(index_path)
    assert set(documents) == set(utterances)
    for uid, document in documents.items():
        transcript, utterance = utterances[uid]
        path = Path(transcript.source).resolve()
        assert document["source"] == str(path)
        assert document["content_hash"] == file_hash(path)
        assert document["transcript_id"] == transcript.id
        assert (document["seq"], document["text"]) == (utterance.seq, utterance.text)
        assert document["title"] == transcript.title
        assert document["date"].date() == transcript.date


def test_run_without_changes_parses_and_publishes_nothing(corpus: Path, index_path: Path):
    first = reindex(index_path, [corpus])
    calls: list[Path] = []

    second = reindex(index_path, [corpus], parse=recording(calls))

    assert calls == []
    assert second.generation == first.generation
    assert (second.added, second.updated, second.removed, second.unchanged, second.written) == (0, 0, 0, 3, 0)
    assert (second.transcripts, second.utterances) == (first.transcripts, first.utterances)


def test_incremental_reindex_rewrites_only_the_changed_file(corpus: Path, index_path: Path):
    reindex(index_path, [corpus])
    before = stored_documents(index_path)
    changed = corpus / "lavrov.txt"
    changed.write_text(LAVROV_MEETING.replace("remains our basis", "remains our foundation"), encoding="utf-8")
    calls: list[Path] = []

    summary = reindex(index_path, [corpus], parse=recording(calls))

    assert calls == [changed]
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (0, 1, 0, 2)
    assert summary.written == len(parse_file(changed)[0].utterances)
    after = stored_documents(index_path)
    assert set(after) == set(before)
    rewritten = {uid for uid in after if after[uid]["source"] == str(changed.resolve())}
    assert {uid for uid in after if after[uid] != before[uid]} <= rewritten
    assert {after[uid]["content_hash"] for uid in rewritten} == {file_hash(changed)}
    assert search_ids(index_path, "foundation") == {"lavrov:2"}
    assert search_ids(index_path, "basis") == set()


def test_removed_and_added_files(corpus: Path, index_path: Path):
    reindex(index_path, [corpus])
    (corpus / "press.jsonl").unlink()
    (corpus / "later.txt").write_text(KERRY_MEETING.replace("May 7, 2013", "May 9, 2013"), encoding="utf-8")

    summary = reindex(index_path, [corpus])

    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (1, 0, 1, 2)
    ids = {document["transcript_id"] for document in stored_documents(index_path).values()}
    assert ids == {"kerry", "lavrov", "later"}
    assert search_ids(index_path, "sanctions") == set()


def test_full_rebuild_equals_incremental_result(corpus: Path, tmp_path: Path):
    incremental, rebuilt = tmp_path / "incremental", tmp_path / "rebuilt"
    reindex(incremental, [corpus])
    (corpus / "kerry.txt").write_text(KERRY_MEETING.replace("common approach", "shared approach"), encoding="utf-8")
    (corpus / "lavrov.txt").unlink()
    reindex(incremental, [corpus])

    summary = reindex(rebuilt, [corpus], full=True)

    assert summary.full
    assert stored_documents(rebuilt) == stored_documents(incremental)


def test_full_rebuild_publishes_a_new_generation_and_keeps_the_previous(corpus: Path, index_path: Path):
    first = reindex(index_path, [corpus])
    second = reindex(index_path, [corpus], full=True)
    third = reindex(index_path, [corpus], full=True)

    assert len({first.generation, second.generation, third.generation}) == 3
    assert read_pointer(index_path) == Pointer(third.generation, second.generation, SCHEMA_VERSION)
    generations = sorted(p.name for p in index_path.iterdir() if p.name.startswith("gen-"))
    assert generations == sorted([second.generation, third.generation])
    assert (third.unchanged, third.written) == (3, first.written)


def test_incremental_build_leaves_the_previous_generation_untouched(corpus: Path, index_path: Path):
    first = reindex(index_path, [corpus])
    previous = index_path / str(first.generation)
    digest = folder_digest(previous)
    (corpus / "kerry.txt").write_text(KERRY_MEETING.replace("war on terror", "fight against terror"), encoding="utf-8")

    second = reindex(index_path, [corpus])

    assert second.generation != first.generation
    assert folder_digest(previous) == digest
    with whoosh_index.open_dir(str(previous)).searcher() as searcher:
        old = QueryParser("text", searcher.schema).parse('"war on terror"')
        assert [hit["id"] for hit in searcher.search(old)] == ["kerry:4"]
    assert search_ids(index_path, '"war on terror"') == set()


def test_open_readers_keep_the_old_index_and_new_searchers_see_the_new(corpus: Path, index_path: Path):
    reindex(index_path, [corpus])
    ix = open_index(index_path)
    old_searcher = ix.searcher()
    query = QueryParser("text", ix.schema).parse("foundation")
    (corpus / "lavrov.txt").write_text(LAVROV_MEETING.replace("our basis", "our foundation"), encoding="utf-8")

    reindex(index_path, [corpus])

    try:
        assert len(old_searcher.search(query)) == 0
        assert not old_searcher.up_to_date()
        with ix.searcher() as new_searcher:
            assert [hit["id"] for hit in new_searcher.search(query)] == ["lavrov:2"]
            assert new_searcher.up_to_date()
    finally:
        old_searcher.close()


def test_readers_see_the_old_index_until_the_new_one_is_published(corpus: Path, index_path: Path):
    reindex(index_path, [corpus])
    before = stored_documents(index_path)
    seen_during_build: list[dict[str, dict[str, Any]]] = []

    def parse_and_look(path: Path) -> list[Transcript]:
        seen_during_build.append(stored_documents(index_path))
        return parse_file(path)

    (corpus / "lavrov.txt").write_text(LAVROV_MEETING.replace("our basis", "our foundation"), encoding="utf-8")
    (corpus / "press.jsonl").unlink()
    reindex(index_path, [corpus], parse=parse_and_look)

    assert seen_during_build == [before]
    assert stored_documents(index_path) != before


def test_files_that_fail_are_skipped_with_path_and_line(corpus: Path, index_path: Path):
    bad = corpus / "broken.txt"
    bad.write_text(NO_DATE, encoding="utf-8")

    summary = reindex(index_path, [corpus])

    assert len(summary.skipped) == 1
    assert summary.skipped[0].startswith(f"{bad}:1: ")
    assert summary.added == 3
    assert summary.transcripts == 4


def test_a_file_that_starts_failing_keeps_its_indexed_version(corpus: Path, index_path: Path):
    """A broken edit does not delete a transcript: the version indexed before stays, and the
    next run tries the file again."""
    reindex(index_path, [corpus])
    before = {k: v for k, v in stored_documents(index_path).items() if v["transcript_id"] == "lavrov"}
    (corpus / "lavrov.txt").write_text(NO_DATE, encoding="utf-8")

    summary = reindex(index_path, [corpus])

    assert (summary.removed, summary.kept, summary.failed) == (0, 1, True)
    assert summary.skipped[0].startswith(f"{corpus / 'lavrov.txt'}:1: ")
    assert {k: v for k, v in stored_documents(index_path).items() if v["transcript_id"] == "lavrov"} == before
    assert reindex(index_path, [corpus]).skipped == summary.skipped  # tried again, still failing


def test_transcript_without_utterances_is_left_out_quietly(corpus: Path, index_path: Path):
    (corpus / "empty.txt").write_text(NO_UTTERANCES, encoding="utf-8")

    summary = reindex(index_path, [corpus])

    assert (summary.empty, summary.skipped, summary.added) == (1, (), 3)
    assert "empty" not in {d["transcript_id"] for d in stored_documents(index_path).values()}


def test_transcript_id_already_indexed_from_another_file_is_skipped(corpus: Path, index_path: Path):
    other = corpus / "z-copies"  # found after the original: files are taken in sorted order
    other.mkdir()
    (other / "kerry.txt").write_text(KERRY_MEETING, encoding="utf-8")

    summary = reindex(index_path, [corpus])

    reason = f"transcript id 'kerry' is already indexed from {corpus / 'kerry.txt'}"
    assert summary.skipped == (f"{other / 'kerry.txt'}:1: {reason}; this file is not indexed: "
                               "give one of the two another transcript_id, or remove the copy",)
    sources = {d["source"] for d in stored_documents(index_path).values() if d["transcript_id"] == "kerry"}
    assert sources == {str((corpus / "kerry.txt").resolve())}


def test_missing_path_or_no_transcripts_raise_and_leave_the_index(corpus: Path, index_path: Path, tmp_path: Path):
    first = reindex(index_path, [corpus])
    empty = tmp_path / "empty"
    empty.mkdir()

    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        reindex(index_path, [tmp_path / "missing"])
    with pytest.raises(FileNotFoundError, match="no transcript files"):
        reindex(index_path, [empty])
    assert read_pointer(index_path).generation == first.generation  # type: ignore[union-attr]
    assert index_stats(index_path).transcripts == first.transcripts


def test_second_writer_is_refused_with_the_holders_pid(corpus: Path, index_path: Path):
    reindex(index_path, [corpus])
    with writer_lock(index_path), pytest.raises(IndexLocked, match=f"being updated by process {os.getpid()}"):
        reindex(index_path, [corpus], lock_timeout=0)
    assert reindex(index_path, [corpus], lock_timeout=0).unchanged == 3


def test_index_built_with_another_schema_version_is_rebuilt(corpus: Path, index_path: Path):
    first = reindex(index_path, [corpus])
    write_pointer(index_path, Pointer(str(first.generation), None, schema_version=SCHEMA_VERSION - 1))

    summary = reindex(index_path, [corpus])

    assert summary.full
    assert summary.written == first.written
    assert summary.generation != first.generation


KILLER = """
import os, signal, sys
from pathlib import Path
from index.parse import parse_file
from index.reindex import reindex
parsed = []
def parse(path):
    parsed.append(path)
    if len(parsed) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return parse_file(path)
reindex(Path(sys.argv[1]), [Path(sys.argv[2])], full=sys.argv[3] == "full", parse=parse)
"""


@pytest.mark.parametrize("mode", ["full", "incremental"])
def test_reindex_killed_midway_leaves_the_old_index_and_the_next_run_completes(
    corpus: Path, index_path: Path, mode: str
):
    reindex(index_path, [corpus])
    before = stored_documents(index_path)
    for name in ("kerry.txt", "lavrov.txt"):
        path = corpus / name
        path.write_text(path.read_text(encoding="utf-8").replace("Geneva", "Vienna"), encoding="utf-8")

    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(index_path), str(corpus), mode], cwd=REPO, capture_output=True
    )

    assert killed.returncode == -signal.SIGKILL
    assert stored_documents(index_path) == before
    assert list(index_path.glob("build-*")), "the killed build should have left its directory"
    summary = reindex(index_path, [corpus])
    assert not list(index_path.glob("build-*"))
    assert search_ids(index_path, "vienna") == {"kerry:3", "lavrov:1"}
    assert summary.transcripts == 4


def test_open_index_refuses_a_folder_without_a_published_generation(tmp_path: Path):
    half_built = tmp_path / "index"
    (half_built / "build-12345").mkdir(parents=True)

    with pytest.raises(IndexMissing, match="reindex"):
        open_index(half_built)
    with pytest.raises(IndexMissing):
        open_index(tmp_path / "nothing")


def test_stats_count_what_was_indexed(corpus: Path, index_path: Path):
    reindex(index_path, [corpus])
    (corpus / "press.jsonl").unlink()
    reindex(index_path, [corpus])  # leaves deleted documents behind in the segments

    stats = index_stats(index_path)

    transcripts = parsed(corpus)
    utterances = [u for t in transcripts for u in t.utterances]
    assert stats.transcripts == len(transcripts) == 2
    assert stats.utterances == len(utterances)
    assert stats.speakers == len({u.speaker for u in utterances if u.speaker})
    assert (stats.first_date, stats.last_date) == (dt.date(2013, 5, 7), dt.date(2013, 11, 20))
    generation = index_path / stats.generation
    assert stats.index_bytes == sum(p.stat().st_size for p in generation.iterdir())
    assert stats.disk_bytes >= stats.index_bytes


def test_progress_bar_only_when_asked(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    reindex(tmp_path / "quiet", [corpus])
    assert capsys.readouterr().err == ""

    reindex(tmp_path / "shown", [corpus], progress=True)
    assert "3/3" in capsys.readouterr().err


def write_many(folder: Path, count: int) -> Path:
    """`count` small transcripts, three utterances each, on different days."""
    folder.mkdir()
    start = dt.date(2015, 1, 1)
    for number in range(count):
        day = start + dt.timedelta(days=number)
        text = KERRY_MEETING.replace("May 7, 2013", f"{day:%B} {day.day}, {day.year}")
        text = text.replace("common approach", f"common approach number {number}")
        (folder / f"meeting-{number:03d}.txt").write_text(text, encoding="utf-8")
    return folder


def test_two_writer_processes_build_the_same_index(tmp_path: Path):
    folder = write_many(tmp_path / "many", 60)  # 300 utterances: three job files for the workers

    one = reindex(tmp_path / "one", [folder], processes=1)
    two = reindex(tmp_path / "two", [folder], processes=2)

    assert (two.transcripts, two.utterances) == (one.transcripts, one.utterances) == (60, 300)
    assert stored_documents(tmp_path / "two") == stored_documents(tmp_path / "one")
    assert search_ids(tmp_path / "two", '"approach number 42"') == {"meeting-042:3"}


def test_parallel_workers_write_a_segment_each_time_their_pool_fills(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Bounded memory without spilling: a worker whose postings reach SEGMENT_MB writes them as a segment.
    import index.reindex

    folder = write_many(tmp_path / "many", 60)
    one = reindex(tmp_path / "one", [folder], processes=1)
    monkeypatch.setattr(index.reindex, "SEGMENT_MB", 0.05)
    two = reindex(tmp_path / "two", [folder], processes=2)

    with open_index(tmp_path / "two").reader() as reader:
        segments = sum(1 for _ in reader.leaf_readers())
    assert segments > 2
    assert (two.transcripts, two.utterances) == (one.transcripts, one.utterances) == (60, 300)
    assert stored_documents(tmp_path / "two") == stored_documents(tmp_path / "one")
    for query in ('"approach number 42"', "approach", "geneva OR syria"):
        assert search_ids(tmp_path / "two", query) == search_ids(tmp_path / "one", query)
    assert search_ids(tmp_path / "two", '"approach number 42"') == {"meeting-042:3"}


PARALLEL_KILLER = """
import multiprocessing, os, signal, sys
from pathlib import Path
from index.parse import parse_file
from index.reindex import reindex
parsed = []
def parse(path):
    parsed.append(path)
    if len(parsed) == 50:
        workers = [child.pid for child in multiprocessing.active_children()]
        Path(sys.argv[3]).write_text(" ".join(map(str, workers)))
        os.kill(os.getpid(), signal.SIGKILL)
    return parse_file(path)
reindex(Path(sys.argv[1]), [Path(sys.argv[2])], full=True, processes=2, parse=parse)
"""


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped is not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def test_workers_of_a_killed_parallel_build_exit(tmp_path: Path):
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to watch the worker processes")
    folder = write_many(tmp_path / "many", 60)
    index_path = tmp_path / "index"
    reindex(index_path, [folder], processes=1)
    before = stored_documents(index_path)
    pids_file = tmp_path / "workers"

    killed = subprocess.run(
        [sys.executable, "-c", PARALLEL_KILLER, str(index_path), str(folder), str(pids_file)],
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )

    assert killed.returncode == -signal.SIGKILL
    workers = [int(pid) for pid in pids_file.read_text().split()]
    assert len(workers) == 2
    deadline = time.monotonic() + 30  # a bound on the wait, not a timing assertion
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(running(pid) for pid in workers), "orphaned indexing workers are still running"
    assert stored_documents(index_path) == before
    assert reindex(index_path, [folder]).unchanged == 60
