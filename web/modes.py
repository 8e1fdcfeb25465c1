"""Search modes in the page: the switch's links, which modes can run here, messages without server paths."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from search.types import MODES
from web.urls import Params, replace

KEYWORD = "keyword"
MODE_LABELS = {"keyword": "Keyword", "semantic": "Semantic", "hybrid": "Hybrid"}
MODE_HINTS = {
    "keyword": "Utterances with these words",
    "semantic": "Utterances closest in meaning, even without these words",
    "hybrid": "Both lists ranked together: these words and closest in meaning",
}
MATCHED_BY_LABELS = {"keyword": "keyword", "semantic": "semantic", "both": "keyword + semantic"}
MATCHED_BY_HINTS = {
    "keyword": "Found by its words",
    "semantic": "Found by its meaning: close to the query, whatever the words",
    "both": "Found by its words and by its meaning",
}

# An absolute path (POSIX or Windows) that a message may carry, up to white space or final punctuation.
_PATH = re.compile(r"(?<![\w/\\])(?:/|[A-Za-z]:[\\/])[^\s`'\"]*[^\s`'\".,:;)]")
_INDEX_AT = re.compile(r"\bthe index at " + _PATH.pattern)


@dataclass(frozen=True)
class ModeLink:
    """One choice of the mode switch; `href` is None when the mode cannot run here (`title` says why)."""

    mode: str
    label: str
    href: str | None
    current: bool
    title: str


def mode_of(params: Params) -> str:
    """The page's mode: the last `mode` parameter if it is a known one, else keyword."""
    found = [value for name, value in params if name == "mode"]
    return found[-1] if found and found[-1] in MODES else KEYWORD


def mode_links(params: Params, url: Callable[[Params], str], reason: str | None) -> list[ModeLink]:
    """The switch: keyword always, semantic and hybrid only when `reason` (why they cannot run) is None."""
    current = mode_of(params)
    links = []
    for mode in MODES:
        available = mode == KEYWORD or reason is None
        links.append(
            ModeLink(
                mode=mode,
                label=MODE_LABELS[mode],
                href=url(replace(params, mode=None if mode == KEYWORD else mode)) if available else None,
                current=available and mode == current,
                title=MODE_HINTS[mode] if available else f"Unavailable: {reason}",
            )
        )
    return links


def public_message(message: str, known: Iterable[Path | str] = ()) -> str:
    """A message for the page or the API with the server's folders taken out (a path becomes its last part).

    `known` paths (the index folder, which may contain spaces) are replaced exactly; any
    other absolute path is found up to white space.
    """
    for path in sorted({str(p) for p in known if str(p)}, key=len, reverse=True):
        message = message.replace(f"the index at {path}", "this index").replace(path, _last_part(path))
    message = _INDEX_AT.sub("this index", message)
    return _PATH.sub(lambda found: _last_part(found.group()), message)


def _last_part(path: str) -> str:
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1] or "…"
