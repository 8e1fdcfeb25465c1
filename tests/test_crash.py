"""Crash safety: `manage.py reindex` killed with SIGKILL at random moments never costs the index.

After every kill the published index answers exactly as before (or, if the kill came after
the new generation was published, exactly as the new files say), a reader that stayed open
through the crash answers the same, and the next reindex cleans up and completes.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
from reliability import (
    generations,
    index_snapshot,
    kill,
    leftovers,
    request_of,
    run_reindex,
    snapshot,
    start_reindex,
    wait_for,
    write_state,
)

from index.reindex import reindex
from index.writer import LOCK_FILE, read_pointer
from search.engine import Engine

# At least 10 in CI; set VERBATIM_CRASH_TRIALS to run more by hand.
TRIALS = max(10, int(os.environ.get("VERBATIM_CRASH_TRIALS") or 12))
SEED = 20240607


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


def lock_taken_by(index_dir: Path, pid: int) -> bool:
    """Whether the writer lock file names `pid` (the reindex has the lock and is working)."""
    try:
        return (index_dir / LOCK_FILE).read_text().strip() == str(pid)
    except FileNotFoundError:
        return False


def test_reindex_killed_at_random_moments_leaves_a_searchable_index(tmp_path: Path, references):
    corpus = tmp_path / "corpus"
    index_dir = tmp_path / "index"
    write_state(corpus, "A")
    # The first build, timed: the kills below are spread over a run's whole length.
    started = time.monotonic()
    process = start_reindex(index_dir, corpus)
    assert wait_for(lambda: lock_taken_by(index_dir, process.pid) or process.poll() is not None)
    locked = time.monotonic()
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    run_seconds, work_seconds = time.monotonic() - started, time.monotonic() - locked
    assert index_snapshot(index_dir, scores=False) == references["A"]

    rng = random.Random(SEED)
    reader = Engine(index_dir)  # a long-lived reader, like the web app's, kept open through every crash
    outcomes: Counter[str] = Counter()
    state = "A"
    try:
        for trial in range(TRIALS):
            before_pointer = read_pointer(index_dir)
            before = index_snapshot(index_dir)
            target = "B" if state == "A" else "A"
            write_state(corpus, target)
            extra = ("--full",) if trial % 3 == 2 else ()
            process = start_reindex(index_dir, corpus, *extra)
            if trial % 2:
                # Somewhere in the whole run: start-up, waiting for the lock, writing, publishing.
                time.sleep(rng.uniform(0, 1.1 * run_seconds))
            else:
                # Somewhere in the part that writes, once the process holds the lock.
                wait_for(lambda p=process: lock_taken_by(index_dir, p.pid) or p.poll() is not None)
                time.sleep(rng.uniform(0, 1.1 * work_seconds))
            code = kill(process)
            after_pointer = read_pointer(index_dir)
            published = after_pointer != before_pointer
            outcomes["finished" if code == 0 else "killed after publishing" if published else "killed before"] += 1
            assert code in (0, -9), process.stderr

            if published:
                assert index_snapshot(index_dir, scores=False) == references[target], f"trial {trial}"
                assert snapshot(reader, scores=False) == references[target], f"trial {trial}"
            else:
                assert index_snapshot(index_dir) == before, f"trial {trial}: the old index changed"
                assert snapshot(reader) == before, f"trial {trial}: the open reader changed"

            summary = reindex(index_dir, [corpus])
            assert leftovers(index_dir) == [], f"trial {trial}"
            assert len(generations(index_dir)) <= 2
            assert summary.skipped == ()
            assert index_snapshot(index_dir, scores=False) == references[target], f"trial {trial}"
            assert snapshot(reader, scores=False) == references[target], f"trial {trial}"
            state = target
    finally:
        reader.close()
    # Kills must have hit the interesting part, not only runs that had already finished.
    assert outcomes["killed before"] >= TRIALS // 3, outcomes
    print(f"\n{TRIALS} SIGKILL trials survived: {dict(outcomes)}")


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
