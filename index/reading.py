"""Reading input files safely: only regular files, never more than a size cap, and any failure of
one file reported as `path:line: reason` instead of stopping the whole run.

Every input form goes through `read_input` (the size cap lives in `size_limit`), so a new
form gets the same checks: a FIFO or `/dev/zero` named on the command line is refused
before it is opened for reading (it would block `reindex` forever while it holds the
writer lock), a 300 MB file is refused from its size before a byte is read, and a file
that grows while it is read is cut at the cap and refused.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from index.errors import TranscriptParseError

log = logging.getLogger(__name__)

# A page holds one transcript (the longest on the site is about 250 KB); a far bigger file is
# not one, and parsing it would take minutes and gigabytes.
MAX_TRANSCRIPT_BYTES = 16 * 2**20
# Forms that hold many transcripts in one file (JSONL, JSON, CSV/TSV): a whole corpus may be
# one file, so the cap is higher, but there is one (a 50 MB line used to be read and indexed).
MAX_CORPUS_FILE_BYTES = 256 * 2**20
CORPUS_FILE_SUFFIXES = frozenset({".jsonl", ".json", ".csv", ".tsv"})  # index.records.RECORD_SUFFIXES

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)

T = TypeVar("T")


def size_limit(path: Path) -> int:
    """The most bytes an input file of this form may hold."""
    return MAX_CORPUS_FILE_BYTES if path.suffix.lower() in CORPUS_FILE_SUFFIXES else MAX_TRANSCRIPT_BYTES


def _too_large(size: int, limit: int) -> str:
    what = "for one transcript" if limit == MAX_TRANSCRIPT_BYTES else "to read at once; split it into several files"
    return f"file too large ({size / 2**20:.1f} MB > {limit // 2**20} MB) {what}"


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def input_problem(path: Path, limit: int | None = None) -> str | None:
    """Why `path` is not read as an input file (not a regular file, a symlink loop, more than
    `limit` bytes, by default `size_limit(path)`), else None. Looks at metadata only: nothing is opened."""
    if path.is_symlink() and (loop := _loop_reason(path)):
        return loop
    try:
        info = path.stat()
    except OSError as error:
        return f"cannot read: {error.strerror or error}"
    if not stat.S_ISREG(info.st_mode):
        return f"not a regular file ({_kind(info.st_mode)}): not read"
    limit = size_limit(path) if limit is None else limit
    if info.st_size > limit:
        return _too_large(info.st_size, limit)
    return None


def open_input(path: Path, limit: int | None = None) -> int:
    """A file descriptor on a regular input file; raises TranscriptParseError for anything else.

    Opened non-blocking, so a FIFO that appears between the check and the open cannot hang us."""
    problem = input_problem(path, limit)
    if problem is not None:
        raise TranscriptParseError(str(path), 0, problem)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise TranscriptParseError(str(path), 0, f"cannot read: {error.strerror or error}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise TranscriptParseError(str(path), 0, f"not a regular file ({_kind(mode)}): not read")
    return fd


def read_input(path: Path, limit: int | None = None) -> bytes:
    """The bytes of one input file, at most `limit` (default `size_limit(path)`) of them; raises
    TranscriptParseError."""
    limit = size_limit(path) if limit is None else limit
    fd = open_input(path, limit)
    try:
        with os.fdopen(fd, "rb") as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        raise TranscriptParseError(str(path), 0, f"cannot read: {error.strerror or error}") from None
    if len(data) > limit:  # it grew after the size check
        raise TranscriptParseError(str(path), 0, _too_large(len(data), limit))
    return data


def read_blocks(path: Path, block: int = 1 << 20) -> Iterator[bytes]:
    """The bytes of one input file in blocks (for hashing), with the checks of `read_input`."""
    fd = open_input(path)
    with os.fdopen(fd, "rb") as stream:
        yield from iter(lambda: stream.read(block), b"")


def guarded(parse: Callable[[Path], T], path: Path) -> T:
    """`parse(path)`, any unexpected error turned into a TranscriptParseError naming the file.

    One malformed file must not stop a run (a deeply nested page raised RecursionError and
    every reindex died); the traceback goes to the debug log for whoever fixes the parser."""
    try:
        return parse(path)
    except TranscriptParseError:
        raise
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except Exception as error:  # noqa: BLE001 — reported per file, the run goes on
        log.debug("parsing %s failed", path, exc_info=True)
        reason = str(error).splitlines()[0] if str(error) else ""
        name = type(error).__name__
        raise TranscriptParseError(str(path), 0, f"cannot parse ({name}{': ' + reason if reason else ''})") from None


def looping_links(folder: Path, suffixes: Sequence[str]) -> list[Path]:
    """Symbolic links under `folder` that loop: to each other, or to a folder that holds them.

    The folder walk follows no folder links and skips broken ones, so these were left out
    without a word; they are reported instead. Hidden folders are not looked into."""
    found: list[Path] = []
    wanted = tuple(suffix.lower() for suffix in suffixes)
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        for name in (*dirs, *files):
            candidate = Path(root) / name
            if name.startswith(".") or not candidate.is_symlink():
                continue
            if name in files and not name.lower().endswith(wanted):
                continue
            if _loop_reason(candidate):
                found.append(candidate)
    return sorted(found)


def _loop_reason(link: Path) -> str | None:
    """Why a symbolic link loops (a cycle of links, or a link to a folder that holds it), else None."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 says "Symlink loop" this way
        return _CYCLE
    except OSError as error:
        return _CYCLE if error.errno == errno.ELOOP else None
    if target.is_dir() and link.parent.resolve().is_relative_to(target):
        return "symbolic link loop: it points to a folder that holds it; not followed"
    return None


_CYCLE = "symbolic link loop: the links point to each other, never to a file"
