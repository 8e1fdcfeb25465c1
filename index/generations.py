"""The index on disk: generations published atomically, one writer at a time.

An index directory holds:

    current.json   {"generation": "gen-000007", "previous": "gen-000006", "schema_version": 1}
    writer.lock    flock()ed by the one process writing; holds its PID for the error message
    gen-000007/    the Whoosh index that readers open; `reindex` never writes into it again
    gen-000006/    the one before, kept so that readers which still have it open keep working
    build-<pid>/   a generation being built; left behind only by a process that died
    vectors/       embeddings (search/vectors.py); never touched here

`index.reindex` builds a new generation beside the current one (hard links to its segment files
plus new segments, or from scratch with --full) and publishes it by replacing current.json
with a rename. Readers see the old index or the new one, never half of one; whatever a killed
writer leaves behind is removed by the next writer, under the lock.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.errors import IndexLocked, IndexMissing
from index.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

POINTER_FILE = "current.json"
LOCK_FILE = "writer.lock"
GENERATION_PATTERN = re.compile(r"^gen-(\d{6,})$")
BUILD_PATTERN = re.compile(r"^build-\d+$")
POINTER_TEMP_PATTERN = re.compile(r"^current\.json\.tmp-\d+$")



@dataclass(frozen=True)
class Pointer:
    """What current.json says: the published generation, the one before, and the schema it was built with."""

    generation: str
    previous: str | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def number(self) -> int:
        """The generation's sequence number (gen-000007 → 7)."""
        return generation_number(self.generation)


def generation_number(name: str) -> int:
    """The number in a generation directory's name."""
    match = GENERATION_PATTERN.match(name)
    if match is None:
        raise ValueError(f"not a generation name: {name!r}")
    return int(match.group(1))


def generation_name(number: int) -> str:
    """The directory name of generation `number`."""
    return f"gen-{number:06d}"


def read_pointer(index_dir: Path) -> Pointer | None:
    """The published generation of `index_dir`, or None if nothing was ever published there."""
    try:
        data = json.loads((index_dir / POINTER_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("unreadable %s: %s", index_dir / POINTER_FILE, error)
        return None
    generation = data.get("generation") if isinstance(data, dict) else None
    if not isinstance(generation, str) or not GENERATION_PATTERN.match(generation):
        log.warning("%s names no generation", index_dir / POINTER_FILE)
        return None
    previous = data.get("previous")
    return Pointer(
        generation=generation,
        previous=previous if isinstance(previous, str) and GENERATION_PATTERN.match(previous) else None,
        schema_version=int(data.get("schema_version", 0)),
    )


def write_pointer(index_dir: Path, pointer: Pointer) -> None:
    """Publish `pointer` atomically: write a temporary file, flush it to disk, rename it over current.json."""
    temp = index_dir / f"{POINTER_FILE}.tmp-{os.getpid()}"
    payload = {
        "generation": pointer.generation,
        "previous": pointer.previous,
        "schema_version": pointer.schema_version,
    }
    with open(temp, "w", encoding="utf-8") as stream:
        json.dump(payload, stream)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temp, index_dir / POINTER_FILE)
    _fsync_dir(index_dir)


def _fsync_dir(path: Path) -> None:
    """Make renames inside `path` durable (a no-op where directories cannot be fsynced)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def current_generation_dir(index_dir: Path | str) -> Path:
    """The directory of the published generation; raises IndexMissing if there is none."""
    root = Path(index_dir)
    pointer = read_pointer(root) if root.is_dir() else None
    if pointer is None or not (root / pointer.generation).is_dir():
        raise IndexMissing(str(root))
    return root / pointer.generation


@contextmanager
def writer_lock(index_dir: Path | str, timeout: float = 0.0) -> Iterator[None]:
    """Hold the index's writer lock, waiting at most `timeout` seconds; raises IndexLocked.

    flock() locks die with their process, so a killed writer never leaves a stale lock.
    """
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLocked(_locked_message(root, _lock_holder(fd))) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def _lock_holder(fd: int) -> int | None:
    """The PID the lock holder wrote, if it has written it yet."""
    try:
        return int(os.pread(fd, 32, 0).decode().strip())
    except (OSError, ValueError):
        return None


def _locked_message(root: Path, pid: int | None) -> str:
    holder = f"process {pid}" if pid is not None else "another process"
    return (
        f"the index at {root} is being updated by {holder}; "
        "wait for it to finish (or stop it) and run the command again"
    )


def remove_leftovers(index_dir: Path) -> Pointer | None:
    """Delete what killed writers left behind and generations no reader can still need; call under the lock.

    Returns the published pointer (None if nothing was published).
    """
    pointer = read_pointer(index_dir)
    keep = {pointer.generation, pointer.previous} if pointer is not None else set()
    for child in index_dir.iterdir():
        name = child.name
        if BUILD_PATTERN.match(name) or (GENERATION_PATTERN.match(name) and name not in keep):
            log.info("removing %s", child)
            shutil.rmtree(child, ignore_errors=True)
        elif POINTER_TEMP_PATTERN.match(name):
            child.unlink(missing_ok=True)
    return pointer


def start_build(index_dir: Path, base: Path | None) -> Path:
    """A private build directory: empty, or holding hard links to the files of generation `base`."""
    build = index_dir / f"build-{os.getpid()}"
    if build.exists():
        shutil.rmtree(build)
    build.mkdir()
    if base is not None:
        for source in base.iterdir():
            # Whoosh never rewrites a segment or TOC file once written (deletions are
            # recorded in the next TOC), so sharing them between generations is safe.
            if source.is_file() and not source.name.endswith("WRITELOCK"):
                _link_or_copy(source, build / source.name)
    return build


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def publish_build(index_dir: Path, build: Path, previous: Pointer | None) -> Pointer:
    """Make `build` the current generation: flush it, rename it, swap current.json, drop the one before the previous."""
    for path in build.iterdir():
        if path.is_file():
            with open(path, "rb") as stream:
                os.fsync(stream.fileno())
    _fsync_dir(build)
    name = generation_name(_next_generation_number(index_dir))
    os.rename(build, index_dir / name)
    pointer = Pointer(name, previous.generation if previous is not None else None)
    write_pointer(index_dir, pointer)
    for child in index_dir.iterdir():
        if GENERATION_PATTERN.match(child.name) and child.name not in {pointer.generation, pointer.previous}:
            shutil.rmtree(child, ignore_errors=True)
    log.info("published %s", index_dir / name)
    return pointer


def _next_generation_number(index_dir: Path) -> int:
    numbers = [generation_number(c.name) for c in index_dir.iterdir() if GENERATION_PATTERN.match(c.name)]
    return max(numbers, default=0) + 1
