"""Run manage.py in this process and SIGKILL it at a named stage of a reindex: a fixed kill point.

    python tests/crash_driver.py STAGE [manage.py arguments…]

The stage's function in index/reindex.py or index/generations.py is wrapped here, in this
process only, so the production code runs unchanged up to the point where the process dies.
A stage that is never reached lets the command finish (exit status 0), which the crash test
reports as a failure: a renamed stage function cannot make the test pass unnoticed.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import index.generations as generations  # noqa: E402
import index.reindex as reindexing  # noqa: E402


def die() -> None:
    """SIGKILL this process: no cleanup, no finally blocks, no flushing — like a power cut."""
    os.kill(os.getpid(), signal.SIGKILL)


def kill_before(module: ModuleType | Any, name: str) -> None:
    """Die when `module.name` is called, before it runs."""
    original = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        die()
        return original(*args, **kwargs)

    setattr(module, name, wrapper)


def kill_after(module: ModuleType | Any, name: str) -> None:
    """Die as soon as `module.name` returns."""
    original = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        die()
        return result

    setattr(module, name, wrapper)


class _OsDyingOnPointerRename:
    """`os` for index/generations.py, except that renaming a temporary file over current.json kills."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def replace(self, source: Any, target: Any) -> None:
        if Path(target).name == generations.POINTER_FILE:
            die()
        os.replace(source, target)


# Stage → (how to arm it, whether the new generation is published when the process dies there).
STAGES: dict[str, tuple[Callable[[], None], bool]] = {
    # The writer lock is held and leftovers are gone; nothing is built yet.
    "locked": (lambda: kill_after(reindexing, "remove_leftovers"), False),
    # Every document is in the build's writer; nothing committed.
    "written": (lambda: kill_after(reindexing, "_write_changes"), False),
    # The build's segments are committed to disk in build-<pid>/; not yet renamed or published.
    "committed": (lambda: kill_before(reindexing, "publish_build"), False),
    # build-<pid>/ is renamed to gen-N/; current.json still names the old generation.
    "renamed": (lambda: kill_before(generations, "write_pointer"), False),
    # The new pointer is written to current.json.tmp-<pid> and flushed; not renamed over current.json.
    "pointer-written": (lambda: setattr(generations, "os", _OsDyingOnPointerRename()), False),
    # current.json names the new generation; the one before the previous is not removed yet.
    "published": (lambda: kill_after(generations, "write_pointer"), True),
}


def main(argv: list[str]) -> None:
    """Arm the kill point named by argv[0], then run manage.py with the remaining arguments."""
    if not argv or argv[0] not in STAGES:
        sys.exit(f"usage: crash_driver.py {{{','.join(STAGES)}}} [manage.py arguments…]")
    arm, _ = STAGES[argv[0]]
    arm()
    import manage

    manage.cli(argv[1:], prog_name="manage.py")


if __name__ == "__main__":
    main(sys.argv[1:])
