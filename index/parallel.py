"""Whoosh's multi-process writer, made safe to cancel and to kill.

`MpWriter(multisegment=True)` indexes in worker processes (≈1.5–1.7× faster on two cores,
NOTES.md) but, as shipped, its `cancel()` cannot reach the workers (it sets a flag on the
parent's copy of the Process object) and a killed parent leaves them blocked on the job
queue forever. Here workers are daemons, are terminated on cancel, and exit by themselves
once their parent is gone.

Memory: a Whoosh writer keeps every posting in a pool and, past `limitmb`, pickles sorted
runs to disk and merges them back at the end, in Python (at 100 copies of the corpus that
made the build 3× slower, BENCHMARKS.md). Here a worker whose pool reaches `segment_mb`
instead writes its pool out as a finished segment, from memory, and starts a new one: the
build's memory is bounded and nothing is spilled; a big build leaves a few more segments.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import signal
import sys
import threading
import time
from collections.abc import Iterator
from multiprocessing.queues import Queue
from typing import Any

from whoosh.filedb.filestore import Storage
from whoosh.index import Index
from whoosh.multiproc import MpWriter
from whoosh.codec.base import Segment
from whoosh.writing import IndexingError, SegmentWriter

log = logging.getLogger(__name__)

# How often a worker checks that the process that started it is still alive.
_ORPHAN_CHECK_SECONDS = 0.5


class GuardedMpWriter(MpWriter):
    """An MpWriter whose worker processes never outlive a cancelled or killed parent, and each
    write a segment every `segment_mb` of postings (Whoosh's estimate) rather than spill to disk."""

    def __init__(self, ix: Index, procs: int, segment_mb: float, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        self.segment_bytes = int(segment_mb * 1024 * 1024)
        # What a worker failed with (errno, message): the parent reports it once, as its own error.
        self.errors: Queue[tuple[int | None, str]] = self._mpctx.Queue()
        self._failure: tuple[int | None, str] | None = None
        self._jobs = self.jobqueue
        # Start every worker now, before any queue feeder or progress-bar thread exists:
        # forking a multi-threaded process risks deadlocks (and warns on Python 3.12+).
        # Ctrl+C is held back while forking: arriving in the fork's hooks it was lost ("Exception
        # ignored") and the build went on; held, it is raised right after, in ordinary code.
        with _sigint_held():
            while len(self.tasks) < self.procs:
                self._new_task()
        # The parent's puts give up when the workers are gone (the queue is bounded: a put
        # after both workers died of a full disk waited for ever).
        self.jobqueue = _WatchedJobs(self._jobs, self)

    def _new_task(self) -> Any:
        task = self._mpctx.Process(
            target=_guarded_subwriter,
            args=(
                self.storage, self.indexname, self._jobs, self.resultqueue, self.subargs, self.segment_bytes, os.getpid(),
                self.errors,
            ),
            daemon=True,
        )
        self.tasks.append(task)
        task.start()
        return task

    def commit(self, *args: Any, **kwargs: Any) -> None:
        """Commit; when a worker failed (a full disk), raise its error instead of whatever followed from it,
        and never commit without a worker's documents."""
        try:
            super().commit(*args, **kwargs)
        except Exception as error:
            failure = self.worker_error(wait=1.0)
            if failure is None:
                raise
            raise _as_os_error(failure) from error
        failure = self.worker_error(wait=0.0)
        if failure is not None:
            raise _as_os_error(failure)

    def worker_error(self, wait: float = 0.0) -> tuple[int | None, str] | None:
        """The first error a worker reported (or that one stopped), if any."""
        if self._failure is None or self._failure[0] is None:
            try:
                self._failure = self.errors.get(timeout=wait) if wait else self.errors.get_nowait()
            except queue.Empty:
                if self._failure is None and any(task.exitcode not in (None, 0) for task in self.tasks):
                    self._failure = (None, "an indexing worker stopped")
        return self._failure

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        """MpWriter's multisegment commit, taking every segment each worker wrote (one or more)."""
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        segments: list[Segment] = []
        for _ in self.tasks:
            segments.extend(self._next_result())
        for task in self.tasks:
            task.join()
        if self._added:
            segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments + segments)
        self._finish()

    def _next_result(self) -> list[Segment]:
        """The segments a worker reports when done; raises IndexingError if the workers died first."""
        while True:
            try:
                return self.resultqueue.get(timeout=1)
            except queue.Empty:
                if all(task.exitcode is not None for task in self.tasks) and self.resultqueue.empty():
                    codes = [task.exitcode for task in self.tasks]
                    raise IndexingError(f"an indexing worker ended without its segments (exit codes {codes})") from None

    def cancel(self) -> None:
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join()
        SegmentWriter.cancel(self)


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Block SIGINT in this thread for the duration (where the platform can)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _WatchedJobs:
    """The job queue as the parent uses it: a put that stops waiting once a worker has failed."""

    def __init__(self, jobs: Queue[Any], writer: GuardedMpWriter) -> None:
        self._jobs = jobs
        self._writer = writer

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        while True:
            try:
                self._jobs.put(item, timeout=0.5)
                return
            except queue.Full:
                failure = self._writer.worker_error()
                if failure is not None:
                    raise _as_os_error(failure) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jobs, name)


def _as_os_error(failure: tuple[int | None, str]) -> OSError:
    """A worker's failure as the parent's error (`[Errno 28] No space left on device`)."""
    code, message = failure
    return OSError(code, message) if code else OSError(f"indexing worker failed: {message}")


def _guarded_subwriter(
    storage: Storage,
    indexname: str,
    jobqueue: Queue[Any],
    resultqueue: Queue[Any],
    kwargs: dict[str, Any],
    segment_bytes: int,
    parent: int,
    errors: Queue[tuple[int | None, str]],
) -> None:
    """Whoosh's worker loop, plus a watchdog that ends the worker when its parent dies.

    A failure is handed to the parent, which reports it once: no traceback per worker on the
    terminal (a full disk printed two before the one clear error). Ctrl+C is the parent's to
    handle: it cancels the build and terminates the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    try:
        _write_segments(storage, indexname, jobqueue, resultqueue, kwargs, segment_bytes)
    except Exception as error:  # noqa: BLE001 — reported by the parent
        log.debug("indexing worker %s failed", os.getpid(), exc_info=True)
        errors.put((getattr(error, "errno", None), getattr(error, "strerror", None) or str(error) or type(error).__name__))
        sys.exit(1)


def _write_segments(
    storage: Storage,
    indexname: str,
    jobqueue: Queue[Any],
    resultqueue: Queue[Any],
    kwargs: dict[str, Any],
    segment_bytes: int,
) -> None:
    """Whoosh's worker loop, writing a segment each `segment_bytes` of postings; puts the list of
    its segments on `resultqueue`."""
    ix = storage.open_index(indexname)
    writer = SegmentWriter(ix, _lk=False, **kwargs)
    segments: list[Segment] = []
    while (job := jobqueue.get()) is not None:
        _add_job(writer, *job)
        if writer.pool.currentsize >= segment_bytes:
            segments.append(writer._finalize_segment())
            writer = SegmentWriter(ix, _lk=False, **kwargs)
    if writer._added:
        segments.append(writer._finalize_segment())
    else:
        writer._close_segment()
    resultqueue.put(segments)


def _add_job(writer: SegmentWriter, filename: str, count: int) -> None:
    """Add the `count` documents the parent pickled into `filename` (in the writers' shared temp folder)."""
    temporary = writer.temp_storage()
    with temporary.open_file(filename).raw_file() as stream:
        for _ in range(count):
            code, fields = pickle.load(stream)
            assert code == 0
            writer.add_document(**fields)
    temporary.delete_file(filename)


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_ORPHAN_CHECK_SECONDS)
    log.warning("indexing worker %s: parent %s is gone, exiting", os.getpid(), parent)
    os._exit(1)
