"""Crash safety: `manage.py reindex` killed with SIGKILL at any stage never costs the index.

crash_driver.py kills the real command at fixed points (lock taken, documents written,
segments committed, generation renamed, pointer written, pointer published), incremental and
full. After every kill the published index answers exactly as before (or, if the kill came
after the new generation was published, exactly as the new files say), a reader that stayed
open through the crash answers the same, and the next reindex cleans up and completes.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from crash_driver import STAGES
from reliability import REPO, generations, index_snapshot, leftovers, request_of, run_reindex, snapshot, write_state

from index.reindex import reindex
from index.generations import read_pointer
from search.engine import Engine

DRIVER = Path(__file__).resolve().parent / "crash_driver.py"


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    """What a fresh index of each corpus state answers (scores left out: they depend on deleted documents)."""
    root = tmp_path_factory.mktemp("references")
    found = {}
    for state in ("A", "B"):
        write_state(root / state, state)
        reindex(root / f"index-{state}", [root / state])
        found[state] = index_snapshot(root / f"index-{state}", scores=False)
    assert found["A"] != found["B"]
    return found


def run_killed_at(stage: str, index_dir: Path, corpus: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`manage.py --index DIR reindex CORPUS`, SIGKILLed by crash_driver.py at `stage`."""
    return subprocess.run(
        [sys.executable, str(DRIVER), stage, "--index", str(index_dir), "reindex", str(corpus), *extra],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
@pytest.mark.parametrize("stage", list(STAGES))
def test_reindex_killed_at_each_stage_leaves_a_searchable_index(
    tmp_path: Path, references: dict[str, list[dict]], stage: str, full: bool
) -> None:
    corpus = tmp_path / "corpus"
    index_dir = tmp_path / "index"
    write_state(corpus, "A")
    reindex(index_dir, [corpus])
    reader = Engine(index_dir)  # a long-lived reader, like the web app's, kept open through the crash
    try:
        before_pointer = read_pointer(index_dir)
        before = index_snapshot(index_dir)
        write_state(corpus, "B")

        result = run_killed_at(stage, index_dir, corpus, *(("--full",) if full else ()))

        assert result.returncode == -signal.SIGKILL, f"the kill point {stage!r} was never reached: {result.stderr}"
        published = read_pointer(index_dir) != before_pointer
        assert published == STAGES[stage][1]
        if published:
            assert index_snapshot(index_dir, scores=False) == references["B"]
            assert snapshot(reader, scores=False) == references["B"]
        else:
            assert index_snapshot(index_dir) == before, "the old index changed"
            assert snapshot(reader) == before, "the open reader changed"

        summary = reindex(index_dir, [corpus])
        assert leftovers(index_dir) == []
        assert len(generations(index_dir)) <= 2
        assert summary.skipped == ()
        assert index_snapshot(index_dir, scores=False) == references["B"]
        assert snapshot(reader, scores=False) == references["B"]
    finally:
        reader.close()


def test_a_build_folder_left_by_a_kill_with_a_stale_whoosh_lock_is_cleaned_up(tmp_path: Path, references):
    """A killed writer leaves `build-<pid>` with Whoosh's lock file and half-written segments inside."""
    corpus = tmp_path / "corpus"
    index_dir = tmp_path / "index"
    write_state(corpus, "A")
    reindex(index_dir, [corpus])
    pointer = read_pointer(index_dir)
    assert pointer is not None
    stale = index_dir / "build-999999"
    shutil.copytree(index_dir / pointer.generation, stale)
    (stale / "MAIN_WRITELOCK").write_text("")
    (stale / "MAIN_half.seg").write_bytes(b"\x00" * 100)
    (index_dir / "current.json.tmp-999999").write_text("{")
    (index_dir / "gen-999998").mkdir()  # renamed but never published

    write_state(corpus, "B")
    result = run_reindex(index_dir, corpus)

    assert result.returncode == 0, result.stderr
    assert leftovers(index_dir) == []
    assert "gen-999998" not in generations(index_dir)
    assert index_snapshot(index_dir, scores=False) == references["B"]


def test_an_incremental_index_answers_like_a_fresh_build_of_the_same_files(tmp_path: Path, references):
    """Out of step with the data nowhere: not even spelling suggestions follow words of deleted documents."""
    corpus = tmp_path / "corpus"
    write_state(corpus, "A")
    reindex(tmp_path / "index", [corpus])
    write_state(corpus, "B")  # meeting-036 is gone, and with it the word marker36
    reindex(tmp_path / "index", [corpus])

    assert index_snapshot(tmp_path / "index", scores=False) == references["B"]
    with Engine(tmp_path / "index") as engine:
        response = engine.search(request_of({"q": "marker36"}))
    assert response.total == 0
    assert response.suggestion == "marker26"  # as a fresh build says: marker36 is no word of the corpus
