"""A full disk and Ctrl+C during `reindex` (issue 15 #9): one clear message each, no worker tracebacks,
no hang, and the previously published index untouched.

Real `manage.py` processes; a real small tmpfs for the full disk (needs root to mount: skipped otherwise).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability import transcript_text

from index.reindex import MULTIPROCESS_MIN_FILES, reindex
from index.generations import read_pointer

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # whole builds in child processes


def manage(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough files (each a few turns repeated) for a full build to use two worker processes."""
    folder = tmp_path_factory.mktemp("corpus")
    for number in range(MULTIPROCESS_MIN_FILES + 20):
        head, body = transcript_text(number).split("\n", 4)[:4], transcript_text(number).split("\n", 4)[4]
        text = "\n".join(head) + "\n" + body.split("Topics")[0] * 20
        (folder / f"t-{number}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs: too small for the index of `corpus`."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_during_a_full_build_is_one_clear_error(corpus: Path, small_disk: Path) -> None:
    """It used to print two worker tracebacks and then hang; now one line, exit 1, nothing published."""
    index = small_disk / "index"
    process = manage("--index", str(index), "reindex", "--full", str(corpus))
    try:
        out, err = process.communicate(timeout=240)
    finally:
        process.kill()
    assert process.returncode == 1, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == [f"Error: cannot update the index at {index}: [Errno 28] No space left on device"]
    assert read_pointer(index) is None and not list(index.glob("build-*"))


def test_ctrl_c_during_reindex_says_what_was_kept(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = reindex(index, [next(corpus.glob("*.txt"))])
    process = manage("--index", str(index), "reindex", "--full", str(corpus))
    try:
        deadline = time.monotonic() + 60
        # Interrupt once documents are being handed to the workers (their job files appear in a
        # temporary folder of the build), not while the workers are being forked.
        while not list(index.glob("build-*/*.tmp/*")) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.strip().splitlines()[-1] == (
        f"Interrupted: nothing was published; the index at {index} still serves {first.generation}, as before."
    )
    pointer = read_pointer(index)
    assert pointer is not None and pointer.generation == first.generation
    assert not list(index.glob("build-*"))
