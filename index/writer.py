"""The index on disk: generations published atomically, one writer at a time, and the readers' entry point.

An index directory holds:

    current.json   {"generation": "gen-000007", "previous": "gen-000006", "schema_version": 1}
    writer.lock    flock()ed by the one process writing; holds its PID for the error message
    gen-000007/    the Whoosh index that readers open; `reindex` never writes into it again
    gen-000006/    the one before, kept so that readers which still have it open keep working
    build-<pid>/   a generation being built; left behind only by a process that died
    vectors/       embeddings (search/vectors.py); never touched here

`reindex` builds a new generation beside the current one (hard links to its segment files
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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, EmptyIndexError, FileIndex, Index
from whoosh.reading import IndexReader
from whoosh.writing import IndexWriter

from index.errors import IndexLocked, IndexMissing
from index.models import Transcript
from index.schema import SCHEMA_VERSION, build_schema, utterance_document

log = logging.getLogger(__name__)

POINTER_FILE = "current.json"
LOCK_FILE = "writer.lock"
GENERATION_PATTERN = re.compile(r"^gen-(\d{6,})$")
BUILD_PATTERN = re.compile(r"^build-\d+$")
POINTER_TEMP_PATTERN = re.compile(r"^current\.json\.tmp-\d+$")

# Reader generations combine ours with Whoosh's TOC generation (which restarts in every
# fresh build), so that `Searcher.up_to_date()` changes whenever either does.
_GENERATION_STRIDE = 1_000_000_000


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


class CurrentIndex(FileIndex):
    """A Whoosh index that follows current.json, so a long-lived reader sees every reindex."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._state = self._resolve(None)
        super().__init__(self._state[1])

    def _resolve(self, state: tuple[int, FileStorage] | None) -> tuple[int, FileStorage]:
        pointer = read_pointer(self.root)
        if pointer is None or not (self.root / pointer.generation).is_dir():
            raise IndexMissing(str(self.root))
        if state is not None and state[0] == pointer.number:
            return state
        return pointer.number, FileStorage(str(self.root / pointer.generation))

    def _current(self) -> tuple[int, FileStorage]:
        # One tuple, replaced in one assignment: threads never see a number from one
        # generation with the storage of another.
        state = self._resolve(self._state)
        if state is not self._state:
            self._state = state
            self.storage = state[1]
        return state

    def _read_toc(self) -> TOC:
        _, storage = self._current()
        return TOC.read(storage, self.indexname, schema=self._schema)

    def latest_generation(self) -> int:
        number, storage = self._current()
        return number * _GENERATION_STRIDE + TOC._latest_generation(storage, self.indexname)

    def last_modified(self) -> float:
        _, storage = self._current()
        toc_generation = TOC._latest_generation(storage, self.indexname)
        return storage.file_modified(TOC._filename(self.indexname, toc_generation))

    def reader(self, reuse: IndexReader | None = None) -> IndexReader:
        number, storage = self._current()
        toc = TOC.read(storage, self.indexname, schema=self._schema)
        generation = number * _GENERATION_STRIDE + toc.generation
        return self._reader(storage, toc.schema, toc.segments, generation, reuse=reuse)

    def writer(self, procs: int = 1, **kwargs: object) -> IndexWriter:
        self._current()
        return super().writer(procs=procs, **kwargs)


def open_index(index_dir: Path | str) -> Index:
    """Open the index for reading; the one entry point readers (search, web) use.

    The returned index follows later reindexes: each new searcher reads the generation
    published at that moment.
    """
    root = Path(index_dir)
    if not root.is_dir():
        raise IndexMissing(str(root))
    try:
        return CurrentIndex(root)
    except EmptyIndexError as error:
        raise IndexMissing(str(root)) from error


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


def create_index(index_dir: Path | str) -> Index:
    """A new, empty index published in `index_dir` (created if needed); replaces any index there."""
    root = Path(index_dir)
    with writer_lock(root):
        previous = remove_leftovers(root)
        build = start_build(root, None)
        FileIndex.create(FileStorage(str(build)), build_schema())
        publish_build(root, build, previous)
    return open_index(root)


def write_transcripts(ix: Index, transcripts: Iterable[Transcript]) -> int:
    """Add (or replace) the utterances of `transcripts` in one Whoosh commit; returns utterances written.

    Writes into the published generation in place: meant for test fixtures and one-off
    indexes; `index.reindex.reindex` is the incremental, atomic path.
    """
    count = 0
    with ix.writer() as writer:
        for transcript in transcripts:
            writer.delete_by_term("transcript_id", transcript.id)
            for utterance in transcript.utterances:
                writer.add_document(**utterance_document(transcript, utterance))
                count += 1
    return count
