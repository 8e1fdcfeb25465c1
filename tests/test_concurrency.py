"""Concurrency: two reindexes at once, searches (Engine and HTTP) during reindexes, and a short load test.

A second writer waits for the first (bounded) or exits naming it; readers see the old index
or the new one, whole, never a mix and never an error.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from reliability import (
    REPO,
    REQUESTS,
    answer,
    index_snapshot,
    leftovers,
    request_of,
    run_reindex,
    serving,
    start_reindex,
    write_state,
)

from index.reindex import reindex
from search import highlight
from search.engine import Engine
from search.types import SearchRequest
from web import create_app
from settings import Settings

pytestmark = pytest.mark.slow  # reliability under load: -m 'not slow' leaves them out

HOLD_LOCK = """
import sys
from pathlib import Path
from index.generations import writer_lock
with writer_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    """What a fresh index of each corpus state answers (scores left out)."""
    root = tmp_path_factory.mktemp("references")
    found = {}
    for state in ("A", "B"):
        write_state(root / state, state)
        reindex(root / f"index-{state}", [root / state])
        found[state] = index_snapshot(root / f"index-{state}", scores=False)
    return found


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    """(corpus, index) with state A indexed."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_state(corpus, "A")
    reindex(index_dir, [corpus])
    return corpus, index_dir


# --- two writers


def test_two_reindexes_at_once_one_waits_or_exits_naming_the_other(indexed, references):
    corpus, index_dir = indexed
    write_state(corpus, "B")

    first = start_reindex(index_dir, corpus)
    second = start_reindex(index_dir, corpus, "--full")
    results = {process.pid: (process, *process.communicate(timeout=300)) for process in (first, second)}

    succeeded = 0
    for pid, (process, _out, err) in results.items():
        other = first.pid if pid == second.pid else second.pid
        if process.returncode == 0:
            succeeded += 1
        else:
            assert process.returncode == 1, err
            assert f"is being updated by process {other}" in err
    assert succeeded >= 1
    assert leftovers(index_dir) == []
    assert index_snapshot(index_dir, scores=False) == references["B"]


@contextmanager
def lock_held_elsewhere(index_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the writer lock until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(index_dir)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.communicate("\n", timeout=60)


def test_a_reindex_that_cannot_get_the_lock_exits_1_naming_the_holder(indexed, references):
    corpus, index_dir = indexed
    write_state(corpus, "B")
    with lock_held_elsewhere(index_dir) as holder:
        result = run_reindex(index_dir, corpus)  # waits for the lock (bounded), then gives up

    assert result.returncode == 1
    assert f"the index at {index_dir} is being updated by process {holder.pid}" in result.stderr
    assert "Traceback" not in result.stderr
    assert index_snapshot(index_dir, scores=False) == references["A"]


def test_a_reindex_waits_for_a_writer_that_finishes(indexed, references):
    corpus, index_dir = indexed
    write_state(corpus, "B")
    with lock_held_elsewhere(index_dir):
        waiting = start_reindex(index_dir, corpus)
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=1)  # still waiting while the lock is held (not a timing assertion on success)
    out, err = waiting.communicate(timeout=300)

    assert waiting.returncode == 0, err
    assert "5 added, 5 updated, 5 removed, 30 unchanged" in out
    assert index_snapshot(index_dir, scores=False) == references["B"]


# --- readers during reindexes


def http_search(base: str, params: dict[str, str]) -> dict[str, Any]:
    """GET /api/search; raises on any status but 200."""
    try:
        with urllib.request.urlopen(f"{base}/api/search?{urllib.parse.urlencode(params)}", timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:  # it holds the connection
            raise AssertionError(f"HTTP {error.code}: {error.read()[:300]!r}") from None


def reader_loop(
    search: Callable[[dict[str, str]], dict[str, Any]],
    references: dict[str, list[dict]],
    done: threading.Event,
    seen: list[tuple[int, str]],
    problems: list[str],
) -> None:
    """Search every request over and over until `done`; each answer must be wholly A's or wholly B's."""
    while not done.is_set():
        for number, params in enumerate(REQUESTS):
            try:
                got = answer(search(params), scores=False)
            except Exception as error:  # any failure is what this test looks for
                problems.append(f"{params}: {type(error).__name__}: {error}")
                continue
            matches = [state for state in ("A", "B") if got == references[state][number]]
            if not matches:
                problems.append(f"{params}: total {got['total']} is neither A's nor B's answer")
            else:
                seen.append((number, matches[0]))


def test_searches_during_reindexes_see_the_old_or_the_new_index_never_a_mix(indexed, references):
    corpus, index_dir = indexed
    done = threading.Event()
    seen: list[tuple[int, str]] = []
    problems: list[str] = []
    engine = Engine(index_dir)
    app = create_app(Settings(index_dir=index_dir))
    with serving(app) as port:
        base = f"http://127.0.0.1:{port}"
        searches = [
            lambda p: engine.search(request_of(p)).to_dict(),
            lambda p: http_search(base, p),
            lambda p: http_search(base, p),
        ]
        readers = [
            threading.Thread(target=reader_loop, args=(search, references, done, seen, problems))
            for search in searches
        ]
        for reader in readers:
            reader.start()
        try:
            for state, extra in (("B", ()), ("A", ("--full",))):
                write_state(corpus, state)
                result = run_reindex(index_dir, corpus, *extra)
                assert result.returncode == 0, result.stderr
        finally:
            done.set()
            for reader in readers:
                reader.join(timeout=120)
    engine.close()
    app.extensions["verbatim"].close()

    assert problems == []
    assert {state for _, state in seen} == {"A", "B"}, "the readers should have seen both indexes"
    assert len(seen) >= 2 * len(REQUESTS)


# --- load


def test_load_script_twenty_clients_get_no_errors(indexed):
    _, index_dir = indexed
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "loadtest.py"), "--index", str(index_dir),
         "--clients", "20", "--duration", "5", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(result.stdout)
    assert figures["errors"] == 0, figures["error_samples"]
    assert figures["requests"] > 0
    assert figures["requests_by_kind"]["malformed"] > 0  # the 400s were asked for and got


# --- requests on different threads do not wait for each other


def test_two_slow_requests_overlap(index_dir: Path) -> None:
    """Each request's snippet stage waits until the other request is in its own: serialised requests
    would leave the first waiting alone and break the barrier, so passing means they overlapped."""
    barrier = threading.Barrier(2, timeout=60)
    local = threading.local()
    armed = [True]

    def slow_snippet(text: str, terms: Any, tokens: Any) -> str:
        if armed[0] and not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()
        return highlight.snippet(text, terms, tokens)

    intervals: dict[str, tuple[float, float]] = {}
    errors: list[BaseException] = []
    totals: dict[str, int] = {}

    with Engine(index_dir, snippet=slow_snippet) as engine:

        def run(name: str, q: str) -> None:
            started = time.monotonic()
            try:
                totals[name] = engine.search(SearchRequest(q=q)).total
            except BaseException as error:  # reported below, with the thread's name
                errors.append(error)
            intervals[name] = (started, time.monotonic())

        threads = [threading.Thread(target=run, args=(name, q)) for name, q in (("a", ""), ("b", "geneva"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        armed[0] = False
        serial = {name: engine.search(SearchRequest(q=q)).total for name, q in (("a", ""), ("b", "geneva"))}

    assert not errors, errors
    assert totals == serial and all(totals.values())
    (a_start, a_end), (b_start, b_end) = intervals["a"], intervals["b"]
    assert max(a_start, b_start) < min(a_end, b_end)


def test_threads_get_the_answers_they_would_get_alone(index_dir: Path) -> None:
    """Many threads on one Engine, each with its own searcher: every answer equals the serial one."""
    requests = [
        SearchRequest(q=q, sort=sort)
        for q in ("", "geneva", "terror*", "speaker:putin", '"chemical weapons"', "syria NOT geneva")
        for sort in ("relevance", "-date")
    ]

    def key(engine: Engine, request: SearchRequest) -> tuple:
        response = engine.search(request)
        return response.total, [(hit.id, round(hit.score, 6), hit.snippet) for hit in response.hits]

    with Engine(index_dir) as engine:
        expected = [key(engine, request) for request in requests]
        found: dict[int, list[tuple]] = {}

        def run(worker: int) -> None:
            found[worker] = [key(engine, request) for request in requests[worker:] + requests[:worker]]

        threads = [threading.Thread(target=run, args=(worker,)) for worker in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for worker, answers in found.items():
        assert answers == expected[worker:] + expected[:worker]


def test_a_search_runs_while_an_export_holds_its_searcher(index_dir: Path) -> None:
    with Engine(index_dir) as engine:
        texts = engine.iter_texts(SearchRequest(q=""))
        first = next(texts)
        assert engine.search(SearchRequest(q="geneva")).total > 0
        rest = list(texts)
        assert len(rest) + 1 == engine.search(SearchRequest(q="")).total
        assert first[0].id not in {hit.id for hit, _ in rest}
