"""Generated corpora and result snapshots shared by the reliability tests (crash, concurrency, load).

A corpus has two states, A and B, so that a reindex always has something to do: B changes
some of A's files, drops some and adds others. Every file is a small transcript in the site
layout (DESIGN §2), written from a seeded generator so the tests are repeatable.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import waitress
from flask import Flask

from search.engine import Engine
from search.types import SearchRequest

REPO = Path(__file__).resolve().parent.parent

SPEAKERS = (
    ("President of Russia", "Vladimir Putin"),
    ("US Secretary of State", "John Kerry"),
    ("Foreign Minister", "Sergei Lavrov"),
    ("Prime Minister", "Dmitry Medvedev"),
)
PLACES = ("The Kremlin, Moscow", "Novo-Ogaryovo, Moscow Region", "Sochi")
TOPICS = ("Foreign policy", "Economy and finance", "Science and education")
WORDS = """agreement budget cooperation dialogue energy export frontier growth harbour industry
investment journalist knowledge ministry negotiation partnership pipeline railway reform region
sanctions security summit technology transport treaty university village welfare wheat
aviation border capital contract defence election factory forest governor hospital""".split()

COUNT = 40
# State B: these files change, these disappear, these are new.
CHANGED = range(30, 35)
REMOVED = range(35, 40)
ADDED = range(40, 45)


def transcript_text(number: int, *, variant: bool = False) -> str:
    """One transcript in the site layout; `variant` rewrites its turns (state B's changed files)."""
    rng = random.Random(number * 2 + int(variant))
    day = dt.date(2012, 1, 1) + dt.timedelta(days=number * 37)
    lines = ["Events", f"Meeting number {number} on {rng.choice(WORDS)}"]
    lines += [f"{day:%B} {day.day}, {day.year}", PLACES[number % len(PLACES)]]
    introduced: set[str] = set()
    for turn in range(3 + number % 3):
        role, name = SPEAKERS[(number + turn) % len(SPEAKERS)]
        label = name if name in introduced else f"{role} {name}"
        introduced.add(name)
        words = [rng.choice(WORDS) for _ in range(12)]
        if variant:
            words.append("variant")
        words.append(f"marker{number}")
        lines.append(f"{label}: {' '.join(words).capitalize()}.")
    lines += ["Topics", TOPICS[number % len(TOPICS)], "Text version"]
    return "\n".join(lines) + "\n"


def state_files(state: str) -> dict[str, str]:
    """{file name: text} of corpus state "A" or "B"."""
    if state == "A":
        return {f"meeting-{n:03d}.txt": transcript_text(n) for n in range(COUNT)}
    files = {f"meeting-{n:03d}.txt": transcript_text(n, variant=n in CHANGED) for n in range(COUNT) if n not in REMOVED}
    files.update({f"meeting-{n:03d}.txt": transcript_text(n) for n in ADDED})
    return files


def write_state(folder: Path, state: str) -> None:
    """Make `folder` hold exactly the files of `state` (unchanged files are not rewritten)."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = state_files(state)
    for path in folder.glob("*.txt"):
        if path.name not in wanted:
            path.unlink()
    for name, text in wanted.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


# Requests whose answers are compared: browse, words, a phrase, filters, paging, both sorts.
REQUESTS: tuple[dict[str, Any], ...] = (
    {"q": ""},
    {"q": "sanctions", "sort": "-date"},
    {"q": "variant"},
    {"q": "treaty OR pipeline", "sort": "date"},
    {"q": '"partnership"', "speaker": "John Kerry"},
    {"q": "", "year": "2013", "per_page": "5", "page": "2"},
    {"q": "marker31 OR marker36 OR marker41"},
    {"q": "security", "topic": "Foreign policy", "sort": "-date", "per_page": "200"},
)


def request_of(params: Mapping[str, str]) -> SearchRequest:
    """A validated SearchRequest."""
    return SearchRequest.from_params(dict(params))


def answer(response: dict[str, Any], *, scores: bool = True) -> dict[str, Any]:
    """An API answer to compare; without `scores`, scores and the relevance order within equal hits are left out
    (BM25 statistics differ between an incremental index and a fresh build of the same files)."""
    if scores:
        return response
    result = dict(response)
    result["hits"] = sorted((dict(hit, score=None) for hit in response["hits"]), key=lambda hit: hit["id"])
    return result


def snapshot(engine: Engine, *, scores: bool = True) -> list[dict[str, Any]]:
    """The answers of `engine` to every request of REQUESTS."""
    return [answer(engine.search(request_of(params)).to_dict(), scores=scores) for params in REQUESTS]


def index_snapshot(index_dir: Path, *, scores: bool = True) -> list[dict[str, Any]]:
    """`snapshot` on a freshly opened Engine (what a new reader sees)."""
    with Engine(index_dir) as engine:
        return snapshot(engine, scores=scores)


def manage(*args: str) -> list[str]:
    """The command line running manage.py with this interpreter."""
    return [sys.executable, str(REPO / "manage.py"), *args]


def run_reindex(index_dir: Path, corpus: Path, *extra: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`manage.py --index DIR reindex CORPUS`, run to the end."""
    return subprocess.run(
        manage("--index", str(index_dir), "reindex", str(corpus), *extra),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_reindex(index_dir: Path, corpus: Path, *extra: str) -> subprocess.Popen[str]:
    """`manage.py --index DIR reindex CORPUS` started in the background."""
    return subprocess.Popen(
        manage("--index", str(index_dir), "reindex", str(corpus), *extra),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition: Any, *, limit: float = 60.0, step: float = 0.005) -> bool:
    """Poll `condition()` until it is true or `limit` seconds pass (a bound, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


def kill(process: subprocess.Popen[str]) -> int:
    """SIGKILL `process` (if it is still running) and reap it; its return code."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    return process.returncode


def leftovers(index_dir: Path) -> list[str]:
    """What a finished reindex must not leave: build folders and temporary pointer files."""
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("build-") or ".tmp-" in p.name)


def generations(index_dir: Path) -> list[str]:
    """The generation folders in `index_dir`."""
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))


def quantile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[rank]


@contextmanager
def serving(app: Flask, threads: int = 4) -> Iterator[int]:
    """`app` under waitress (the production server) on 127.0.0.1 and a free port, in a thread; the port.

    Stopping runs in the server's own loop (through its trigger): closing its sockets from
    another thread races with the loop's select() and leaves connections unclosed.
    """
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def close_everything() -> None:
        for dispatcher in list(server._map.values()):
            if dispatcher is not server.trigger:
                dispatcher.close()
        server.trigger.close()

    try:
        yield int(server.effective_port)
    finally:
        server.trigger.pull_trigger(close_everything)
        thread.join(timeout=60)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive(), "the server loop did not stop"
