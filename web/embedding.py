"""Embedding vectors computed in the background while the server already answers keyword searches.

`make run` serves a fresh index at once: `serve --embed` starts this thread, the pages say
how far along it is, and meaning search switches on by itself when the vectors are complete
(the semantic index reloads them when their file changes).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)

EXTENSION = "verbatim-embedding"


@dataclass
class EmbedProgress:
    """How far the background embedding is: passages done of total; `finished` once saved."""

    done: int = 0
    total: int = 0
    finished: bool = False
    error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, done: int, total: int) -> None:
        """Progress callback of `sync_vectors`."""
        with self._lock:
            self.done, self.total = done, total

    def note(self) -> str | None:
        """A sentence for the page while meaning search is not ready yet; None once it is (or failed)."""
        with self._lock:
            if self.finished or self.error:
                return None
            if not self.total:
                return "Meaning search is being prepared (reading the transcripts); keyword search works now."
            percent = 100 * self.done // self.total
            return (
                f"Meaning search is being prepared: {self.done:,} of {self.total:,} passages embedded ({percent}%);"
                " keyword search works now. Reload to see the progress."
            )


def progress_note() -> str | None:
    """The current app's embedding note for templates and the mode switch (None when not embedding)."""
    progress = current_app.extensions.get(EXTENSION)
    return progress.note() if isinstance(progress, EmbedProgress) else None


def start_background_embedding(app: Flask, embedder: Any = None) -> threading.Thread:
    """Embed what the index lacks in a daemon thread; the app's pages report its progress."""
    from search.semantic import PassageEmbedder
    from search.vectors import sync_vectors

    progress = EmbedProgress()
    app.extensions[EXTENSION] = progress
    index_dir = app.config["VERBATIM_SETTINGS"].index_dir

    def run() -> None:
        try:
            summary = sync_vectors(index_dir, embedder or PassageEmbedder(), report=lambda p: progress.update(p.done, p.total))
        except Exception as error:  # the server keeps serving keyword search; the log says why
            log.exception("background embedding failed")
            progress.error = str(error) or type(error).__name__
        else:
            log.info("embedded %d utterances in the background", summary.added_utterances)
        finally:
            progress.finished = True

    thread = threading.Thread(target=run, name="verbatim-embed", daemon=True)
    thread.start()
    return thread


def init_app(app: Flask) -> None:
    """The note on every page while embedding runs."""
    app.context_processor(lambda: {"embedding_note": progress_note()})
