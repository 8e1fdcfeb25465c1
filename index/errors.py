"""Domain exceptions, translated at the edges (CLI exit codes, HTTP 400 JSON, page messages)."""

from __future__ import annotations


class VerbatimError(Exception):
    """Base class for every error Verbatim raises on purpose."""


class TranscriptParseError(VerbatimError):
    """A transcript file could not be parsed; reported as `path:line: reason` and skipped."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        super().__init__(f"{path}:{line}: {reason}")


class IndexMissing(VerbatimError):
    """There is no index at the given directory yet."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(
            f"no index at {path}: build one with `python manage.py reindex PATH…` "
            "or choose another with --index / VERBATIM_INDEX"
        )


class PruneRefused(VerbatimError):
    """A reindex would remove more than half of the indexed transcripts (files missing from the paths given)."""

    def __init__(self, removed: int, total: int, files: int) -> None:
        self.removed = removed
        self.total = total
        self.files = files
        super().__init__(
            f"this run would remove {removed} of the {total} indexed transcripts ({files} files not under "
            "the paths given); nothing was changed. Check the paths, or run again with --prune to remove them"
        )


class IndexLocked(VerbatimError):
    """Another process is updating the index."""
