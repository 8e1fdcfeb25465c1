"""The search page's state lives in its URL: small pure helpers that derive one URL from another."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from search.types import FACET_NAMES, NOT_FACETS

Params = list[tuple[str, str]]

# Parameters that narrow the hits (shown as removable chips).
FILTER_NAMES = (*FACET_NAMES, "from", "to")


def is_filter(name: str) -> bool:
    """Whether a parameter narrows the hits: a built-in facet, a date, or a corpus's metadata facet."""
    return name in FILTER_NAMES or (name not in NOT_FACETS and name.isidentifier() and name.islower())


def params_of(pairs: Iterable[tuple[str, str]]) -> Params:
    """(name, value) pairs of a query string, in order, without empty values."""
    return [(name, value) for name, value in pairs if value.strip()]


def query_string(params: Params) -> str:
    """`?a=1&b=2`, or `?` alone for no parameters (a link to the bare page)."""
    return "?" + urlencode(params)


def toggle(params: Params, name: str, value: str) -> Params:
    """Add the filter value if absent, remove it if present; back to page 1."""
    present = (name, value) in params
    kept = [(n, v) for n, v in params if n != "page" and (n, v) != (name, value)]
    return kept if present else [*kept, (name, value)]


def replace(params: Params, **changes: str | None) -> Params:
    """Set single-valued parameters (None or "" removes them); any change but `page` → page 1."""
    names = {_param_name(name) for name in changes}
    kept = [(n, v) for n, v in params if n not in names and n != "page"]
    for name, value in changes.items():
        if value:
            kept.append((_param_name(name), value))
    return kept


def without(params: Params, *names: str) -> Params:
    """Parameters with every value of `names` removed; back to page 1."""
    return [(n, v) for n, v in params if n not in names and n != "page"]


def _param_name(keyword: str) -> str:
    """Python keyword arguments cannot be called `from`: accept `from_` for it."""
    return keyword.rstrip("_")
