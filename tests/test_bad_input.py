"""Bad input files: each one is indexed correctly or reported as `path:line: reason`, and the rest is indexed.

Empty, binary, Latin-1, UTF-16 (both byte orders, with a BOM), a UTF-8 BOM, CR line endings,
no date, a 50 MB file, a 5 MB line, and symlink loops in the folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from reliability import WORDS, transcript_text

from index.errors import TranscriptParseError
from index.parse import MAX_PAGE_BYTES, parse_file, parse_transcript, source_files
from index.reindex import reindex
from manage import cli
from search.engine import Engine
from search.types import SearchRequest

# A good page with a word that UTF-8, UTF-16 and Latin-1 all spell differently.
ACCENTED = transcript_text(3).replace("Meeting number 3", "Meeting with François Hollande")
LONG_WORDS = " ".join(WORDS[i % len(WORDS)] for i in range(700_000)).capitalize()  # about 5.8 MB


def turns(path_or_text: Path | str) -> list[tuple[str, str, str]]:
    """(speaker, role, text) of every utterance of one transcript."""
    if isinstance(path_or_text, Path):
        (transcript,) = parse_file(path_or_text)
    else:
        transcript = parse_transcript(path_or_text, source="clean.txt")
    return [(u.speaker, u.role, u.text) for u in transcript.utterances]


def write_big_file(path: Path, size: int) -> None:
    """A transcript page padded with real turns to `size` bytes (written at test time, never committed)."""
    body = transcript_text(5).split("\n", 4)[4].split("Topics")[0] * 200
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("Events\nA huge page\nMay 7, 2013\n")
        while stream.tell() < size:
            stream.write(body)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Good transcripts and every kind of bad file, side by side."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for number in range(3):
        (folder / f"good-{number}.txt").write_text(transcript_text(number), encoding="utf-8")
    files = {
        "empty.txt": b"",
        "blank.txt": b"\n  \n\t\n",
        "binary.txt": bytes(range(256)) * 40,
        "zeros.txt": b"\0" * 4096,
        "latin1.txt": ACCENTED.encode("latin-1"),
        "utf16le.txt": ACCENTED.encode("utf-16"),  # with a BOM, in this machine's byte order
        "utf16be.txt": b"\xfe\xff" + ACCENTED.encode("utf-16-be"),
        "utf8bom.txt": ACCENTED.replace("Hollande", "Hollande bom").encode("utf-8-sig"),
        "cr.txt": ACCENTED.replace("Hollande", "Hollande cr").replace("\n", "\r").encode(),
        "nodate.txt": "Events\nA page without a date\nVladimir Putin: Good afternoon.\n".encode(),
        "longline.txt": f"Events\nA long speech\nMay 7, 2013\nVladimir Putin: {LONG_WORDS} needle.\n".encode(),
        "longline.jsonl": json.dumps(
            {"transcript_id": "long-jsonl", "title": "Long", "date": "2013-05-07", "speaker": "Vladimir Putin",
             "text": f"{LONG_WORDS} haystack."}
        ).encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    write_big_file(folder / "huge.txt", 50 * 2**20)
    (folder / "loop").symlink_to(folder, target_is_directory=True)  # a folder that contains itself
    (folder / "nested").mkdir()
    (folder / "nested" / "up").symlink_to(folder, target_is_directory=True)
    (folder / "ping.txt").symlink_to(folder / "pong.txt")  # two links pointing at each other
    (folder / "pong.txt").symlink_to(folder / "ping.txt")
    return folder


def expected_reports(folder: Path, *, huge: bool = True) -> set[str]:
    """The `path:line: reason` lines the bad files of `folder` must get."""
    reports = {
        f"{folder / 'empty.txt'}:1: empty file",
        f"{folder / 'blank.txt'}:1: empty file",
        f"{folder / 'binary.txt'}:1: binary data (NUL byte), not text",
        f"{folder / 'zeros.txt'}:1: binary data (NUL byte), not text",
        f"{folder / 'latin1.txt'}:2: not UTF-8 (byte 0xe7); save it as UTF-8",
        f"{folder / 'nodate.txt'}:1: no date line (such as 'May 7, 2013') above the body",
        f"{folder / 'ping.txt'}:0: symbolic link loop: the links point to each other, never to a file",
        f"{folder / 'pong.txt'}:0: symbolic link loop: the links point to each other, never to a file",
        f"{folder / 'loop'}:0: symbolic link loop: it points to a folder that holds it; not followed",
        f"{folder / 'nested' / 'up'}:0: symbolic link loop: it points to a folder that holds it; not followed",
    }
    if huge:
        size = (folder / "huge.txt").stat().st_size / 2**20
        limit = MAX_PAGE_BYTES // 2**20
        reports.add(f"{folder / 'huge.txt'}:0: file too large ({size:.1f} MB > {limit} MB) for one transcript")
    return reports


def test_every_bad_file_is_reported_with_path_and_line_and_the_rest_is_indexed(folder: Path, tmp_path: Path):
    summary = reindex(tmp_path / "index", [folder])

    assert set(summary.skipped) == expected_reports(folder)
    indexed = {
        "good-0", "good-1", "good-2", "utf16le", "utf16be", "utf8bom", "cr", "longline", "long-jsonl",
    }
    assert summary.transcripts == len(indexed)
    with Engine(tmp_path / "index") as engine:
        browse = engine.search(SearchRequest.from_params({"q": "", "per_page": "200"}))
        assert {hit.transcript_id for hit in browse.hits} == indexed
        assert engine.get_transcript("utf16le").title.startswith("Meeting with François Hollande on ")
        hollande = engine.search(SearchRequest.from_params({"q": 'title:"François Hollande"', "per_page": "200"}))
        assert {hit.transcript_id for hit in hollande.hits} == {"utf16le", "utf16be", "utf8bom", "cr"}


def test_decoded_files_read_exactly_like_the_clean_utf8_page(folder: Path):
    clean = turns(ACCENTED)
    assert turns(folder / "utf16le.txt") == clean
    assert turns(folder / "utf16be.txt") == clean
    assert turns(folder / "utf8bom.txt") == turns(ACCENTED.replace("Hollande", "Hollande bom"))
    assert turns(folder / "cr.txt") == turns(ACCENTED.replace("Hollande", "Hollande cr"))


def test_a_five_megabyte_line_is_one_searchable_utterance_with_a_short_snippet(folder: Path, tmp_path: Path):
    reindex(tmp_path / "index", [folder / "longline.txt", folder / "longline.jsonl", folder / "good-0.txt"])
    with Engine(tmp_path / "index") as engine:
        for word, transcript_id in (("needle", "longline"), ("haystack", "long-jsonl")):
            response = engine.search(SearchRequest.from_params({"q": word}))
            assert [hit.id for hit in response.hits] == [f"{transcript_id}:0"]
            assert f"<mark>{word}</mark>" in response.hits[0].snippet
            assert len(response.hits[0].snippet) < 1000
        (utterance,) = engine.get_transcript("longline").utterances
        assert utterance.text == f"{LONG_WORDS} needle."


def test_a_file_just_under_the_size_limit_is_still_read(tmp_path: Path):
    """The limit rejects what cannot be one transcript, not long ones (the longest real page is ~250 KB)."""
    path = tmp_path / "long.txt"
    write_big_file(path, 2 * 2**20)
    (transcript,) = parse_file(path)
    assert transcript.title == "A huge page" and len(transcript.utterances) > 1000


def test_symlink_loops_neither_hang_nor_crash_the_folder_walk_and_are_listed_to_be_reported(folder: Path):
    """Issue 15 #8: the loops are not followed, and not left out silently: reading them reports the loop."""
    found = {path.relative_to(folder).as_posix() for path in source_files([folder])}
    assert {"ping.txt", "pong.txt", "loop", "nested/up"} <= found
    assert not any(name.startswith(("loop/", "nested/up/")) for name in found)
    assert {"good-0.txt", "utf16le.txt", "longline.jsonl"} <= found


def test_a_symlink_loop_given_by_name_is_a_clear_usage_error(folder: Path, tmp_path: Path):
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "index"), "reindex", str(folder / "ping.txt")])
    assert result.exit_code == 2
    assert f"{folder / 'ping.txt'}: no such file or folder" in result.output


def test_the_command_line_prints_each_bad_file_as_path_line_reason(folder: Path, tmp_path: Path):
    (folder / "huge.txt").unlink()  # the same report as above; spare the time here
    result = CliRunner().invoke(cli, ["--index", str(tmp_path / "index"), "reindex", str(folder)])

    assert result.exit_code == 1, result.output  # the bad files failed (after the good ones were published)
    reported = {line for line in result.stderr.splitlines() if line.startswith(str(folder))}
    assert reported == expected_reports(folder, huge=False)
    assert "Files: 9 added, 0 updated, 0 removed, 0 unchanged, 10 skipped" in result.stdout


def run_manage(*args: str, timeout: float = 120) -> "subprocess.CompletedProcess[str]":
    """manage.py in a child process, so that a hang fails the test instead of blocking it."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, str(root / "manage.py"), *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.mark.slow  # child processes / a parse of 820 KB of labels
def test_a_fifo_and_dev_zero_named_on_the_command_line_are_reported_not_read(tmp_path: Path):
    """Issue 15 #8: only regular files are read; reindex neither hangs nor keeps the writer lock."""
    import os

    good = tmp_path / "good.txt"
    good.write_text(transcript_text(1), encoding="utf-8")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    index = str(tmp_path / "index")

    result = run_manage("--index", index, "reindex", str(good), str(fifo), "/dev/zero")
    assert result.returncode == 1, result.stderr  # some input failed (DESIGN §6), what parsed is published
    assert f"{fifo}:0: not a regular file (a FIFO (named pipe)): not read" in result.stderr
    assert "/dev/zero:0: not a regular file (a character device): not read" in result.stderr
    assert "1 transcript" in result.stdout
    parsed = run_manage("parse", str(fifo), str(good), "--json")
    assert parsed.returncode == 1 and f"{fifo}:0: not a regular file" in parsed.stderr
    assert len(parsed.stdout.splitlines()) == 1
    assert reindex(index, [good], lock_timeout=1).unchanged == 1  # the lock was released


def test_size_is_checked_before_reading_for_every_form(tmp_path: Path):
    """Issue 15 #2/#9: a 300 MB page is refused from its size (never read); JSONL has a cap too."""
    import time

    from index.reading import MAX_CORPUS_FILE_BYTES, read_input

    page = tmp_path / "huge.html"
    lines = tmp_path / "huge.jsonl"
    for path, size in ((page, 300 * 2**20), (lines, MAX_CORPUS_FILE_BYTES + 1)):
        with open(path, "wb") as stream:  # sparse: no disk space, and slow to read were it read
            stream.truncate(size)
    started = time.perf_counter()
    for path, reason in (
        (page, "file too large (300.0 MB > 16 MB) for one transcript"),
        (lines, "file too large (256.0 MB > 256 MB) to read at once; split it into several files"),
    ):
        with pytest.raises(TranscriptParseError) as caught:
            read_input(path)
        assert str(caught.value) == f"{path}:0: {reason}"
    summary = reindex(tmp_path / "index", [page, lines, _good(tmp_path)])
    assert len(summary.skipped) == 2 and summary.transcripts == 1
    assert time.perf_counter() - started < 20  # reading 556 MB of zeros and decoding them would take far longer


def _good(folder: Path) -> Path:
    path = folder / "good.txt"
    path.write_text(transcript_text(2), encoding="utf-8")
    return path


@pytest.mark.slow  # child processes / a parse of 820 KB of labels
def test_a_file_of_labels_alone_gives_no_empty_utterances(tmp_path: Path):
    """Issue 15 #9: 820 KB of labels used to become 60,000 empty utterances; empty turns are dropped."""
    labels = tmp_path / "labels.txt"
    labels.write_text("Events\nLabels\nMay 7, 2013\n" + "Vladimir Putin:\nQuestion:\n" * 30_000, encoding="utf-8")
    assert labels.stat().st_size > 750_000
    (transcript,) = parse_file(labels)
    assert transcript.utterances == ()
    summary = reindex(tmp_path / "index", [labels, _good(tmp_path)])
    assert summary.empty == 1 and summary.utterances == len(parse_file(tmp_path / "good.txt")[0].utterances)

    mixed = parse_transcript(
        "Events\nA\nMay 7, 2013\nVladimir Putin: Hello.\nQuestion:\nQuestion:\nVladimir Putin: Bye.\n", source="m.txt"
    )
    assert [(u.seq, u.speaker, u.text) for u in mixed.utterances] == [(0, "Vladimir Putin", "Hello."), (1, "Vladimir Putin", "Bye.")]
