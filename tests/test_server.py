"""The production servers (`serve`): gunicorn's worker processes and waitress, their limits, slowloris.

Each test starts a real server with `manage.py serve` on loopback and bounds its own time.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench import load as loadtest
from web.server import CONNECTION_LIMIT, gunicorn_available, gunicorn_options, waitress_options
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

needs_gunicorn = pytest.mark.skipif(not gunicorn_available(), reason="gunicorn with gevent is not available here")
START_LIMIT = 120.0  # seconds for the interpreter, the workers and the index to come up (a bound, not a timing)


def _reindex(index_dir: Path, *paths: Path) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "--index", str(index_dir), "reindex", *map(str, paths)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("served") / "index"
    _reindex(index_dir, SAMPLES)
    return index_dir


@contextmanager
def served(index_dir: Path, *options: str, tmp_path: Path) -> Iterator[int]:
    """`manage.py serve` with `options` on a free loopback port until the block ends; the port."""
    port = loadtest.free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "--index", str(index_dir), "serve", "--port", str(port), *options],
            cwd=ROOT,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_LIMIT
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the server did not answer"
            try:
                if loadtest.get(port, "/api/search?q=&per_page=1", timeout=5)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        loadtest.stop_server(process)


def _total(port: int, query: str) -> int:
    status, body = loadtest.get(port, f"/api/search?q={query}&per_page=1", timeout=30)
    assert status == 200
    return int(json.loads(body)["total"])


def test_both_servers_allow_more_connections_than_a_slowloris_trial_holds() -> None:
    settings = Settings()
    for options in (waitress_options(settings, 4), gunicorn_options(settings, 2)):
        assert CONNECTION_LIMIT >= 500
        assert options.get("connection_limit", options.get("worker_connections")) == CONNECTION_LIMIT
    assert waitress_options(settings, 4)["asyncore_use_poll"] is True  # select() stops at 1024 descriptors
    assert gunicorn_options(settings, 2)["bind"] == ["127.0.0.1:5000"]
    assert gunicorn_options(Settings(host="::1"), 2)["bind"] == ["[::1]:5000"]


@pytest.mark.slow
@needs_gunicorn
def test_serve_runs_worker_processes_that_each_pick_up_a_new_index(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    first, *rest = sorted(SAMPLES.glob("*.txt"))
    shutil.copy(first, corpus)
    _reindex(index_dir, corpus)
    with served(index_dir, "--workers", "2", tmp_path=tmp_path) as port:
        workers = _worker_pids(port)
        assert len(workers) == 2, workers
        before = _total(port, "")
        for path in rest:
            shutil.copy(path, corpus)
        _reindex(index_dir, corpus)
        # Fresh connections land on either worker; every answer must come from the new generation.
        totals = {_total(port, "") for _ in range(20)}
    assert len(totals) == 1 and totals.pop() > before


def _worker_pids(port: int) -> set[int]:
    """The processes listening on `port` that are not the arbiter: gunicorn's workers (Linux /proc)."""
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs /proc")
    inode = next(
        line.split()[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"
    )
    holders = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) == f"socket:[{inode}]" for fd in fd_dir.iterdir()):
                holders.add(int(fd_dir.parent.name))
        except OSError:
            continue
    parents = {int(Path(f"/proc/{pid}/stat").read_text().split()[3]) for pid in holders}
    return holders - parents


@pytest.mark.slow
@pytest.mark.parametrize(
    "options",
    [
        pytest.param(("--workers", "2"), id="gunicorn", marks=needs_gunicorn),
        pytest.param(("--server", "waitress"), id="waitress"),
    ],
)
def test_slowloris_does_not_lock_other_clients_out(sample_index: Path, tmp_path: Path, options: tuple[str, ...]) -> None:
    """120 half-open connections sending a header line every 10 s; other clients are still answered."""
    with served(sample_index, *options, tmp_path=tmp_path) as port:
        attack = loadtest.Slowloris(port, count=120, interval=10.0)
        with attack:
            assert attack.opened == 120
            answered = []
            deadline = time.monotonic() + 12  # spans at least one round of header lines
            while time.monotonic() < deadline:
                started = time.monotonic()
                status, _ = loadtest.get(port, "/api/search?q=Geneva", timeout=10)
                answered.append((status, time.monotonic() - started))
                time.sleep(0.2)
    assert answered and all(status == 200 for status, _ in answered)
    # Generous: a loaded 2-core machine; a locked-out client waits until its 10 s timeout.
    assert max(seconds for _, seconds in answered) < 5, answered


def test_waitress_serves_in_one_process_whatever_workers_says(sample_index: Path, tmp_path: Path) -> None:
    with served(sample_index, "--server", "waitress", "--workers", "3", tmp_path=tmp_path) as port:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=Geneva") as response:
            assert response.headers["Server"] == "verbatim"
    log = (tmp_path / "server.log").read_text()
    assert "serving with waitress in one process" in log
