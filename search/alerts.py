"""Saved searches and what is new in them since the last look (`manage.py alerts`, for cron).

An alert is a name and the parameters of a search (as the API takes them). The file keeps,
per alert, the ids of the utterances it matched at its last run; a run reports the matches
not among them, whatever their date (a reindex may add an old transcript), and then
remembers the current ones. The file is replaced atomically, so a killed run loses nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from search.types import Hit, SearchRequest

log = logging.getLogger(__name__)

FILE_NAME = "alerts.json"
FORMAT_VERSION = 1


class AlertError(Exception):
    """A saved-search file that cannot be read, or a name that is missing or taken."""


class HitSource(Protocol):
    """What a run needs of the engine: every hit of a request, in result order."""

    def iter_hits(self, request: SearchRequest) -> Iterator[Hit]: ...


@dataclass(frozen=True)
class Alert:
    """A saved search: its name, its parameters, and what it matched when last run."""

    name: str
    params: Mapping[str, tuple[str, ...]]
    seen: frozenset[str] = frozenset()
    last_run: str | None = None

    def request(self) -> SearchRequest:
        """The search, newest first and with no facets (raises BadQuery for invalid parameters)."""
        raw = {name: list(values) for name, values in self.params.items()}
        raw.update(sort=["-date"], facet_limit=["0"])
        return SearchRequest.from_params(raw)

    def describe(self) -> str:
        """`"sanctions" speaker=Vladimir Putin from=2016-01-01` for listings."""
        q = " ".join(self.params.get("q", ()))
        filters = " ".join(f"{n}={v}" for n, values in self.params.items() if n != "q" for v in values)
        return " ".join(part for part in (f"“{q}”" if q else "(everything)", filters) if part)

    def to_dict(self) -> dict[str, Any]:
        """JSON form in the file; ids sorted so the file diffs well."""
        return {
            "name": self.name,
            "params": {n: list(v) for n, v in self.params.items()},
            "last_run": self.last_run,
            "seen": sorted(self.seen),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Alert":
        """Inverse of `to_dict`; raises KeyError/TypeError/ValueError on a malformed entry."""
        params = {str(n): tuple(str(v) for v in values) for n, values in data["params"].items()}
        return cls(
            name=str(data["name"]),
            params=params,
            seen=frozenset(str(i) for i in data.get("seen", ())),
            last_run=data.get("last_run"),
        )


@dataclass(frozen=True)
class RunResult:
    """One alert's run: the new hits, newest first, and how many it matches in all."""

    alert: Alert
    new: tuple[Hit, ...]
    total: int

    def to_dict(self) -> dict[str, Any]:
        """The `alerts run --json` entry of this alert."""
        return {
            "name": self.alert.name,
            "search": {n: list(v) for n, v in self.alert.params.items()},
            "total": self.total,
            "new": [hit.to_dict() for hit in self.new],
        }


@dataclass
class AlertStore:
    """The saved searches of one file (default `<index>/alerts.json`)."""

    path: Path
    alerts: list[Alert] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> "AlertStore":
        """The file's alerts (none if it does not exist yet); raises AlertError naming the file."""
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            alerts = [Alert.from_dict(entry) for entry in data["alerts"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise AlertError(f"{path}: not a saved-search file ({type(error).__name__}: {error})") from None
        return cls(path, alerts)

    def save(self) -> None:
        """Write the file atomically (a temporary file renamed over it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(
            {"version": FORMAT_VERSION, "alerts": [a.to_dict() for a in self.alerts]}, ensure_ascii=False, indent=1
        )
        handle, temporary = tempfile.mkstemp(prefix=".alerts-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(body + "\n")
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, name: str) -> Alert:
        """The alert called `name`; raises AlertError listing the names there are."""
        for alert in self.alerts:
            if alert.name == name:
                return alert
        names = ", ".join(a.name for a in self.alerts) or "none saved yet"
        raise AlertError(f"no saved search called {name!r} (there are: {names})")

    def add(self, alert: Alert) -> None:
        """Add a new alert; raises AlertError if the name is taken."""
        if any(a.name == alert.name for a in self.alerts):
            raise AlertError(f"a saved search called {alert.name!r} exists already; remove it first")
        self.alerts.append(alert)

    def remove(self, name: str) -> Alert:
        """Remove and return the alert called `name`."""
        alert = self.get(name)
        self.alerts.remove(alert)
        return alert

    def replace(self, alert: Alert) -> None:
        """Put an updated alert where the one of the same name was."""
        self.alerts = [alert if a.name == alert.name else a for a in self.alerts]


def alert_params(q: str, filters: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Alert parameters from a query and (name, value) filter pairs, values in order, no duplicates."""
    params: dict[str, tuple[str, ...]] = {"q": (q,)} if q.strip() else {}
    for name, value in filters:
        if value.strip():
            params[name] = tuple(dict.fromkeys((*params.get(name, ()), value.strip())))
    return params


def current_ids(engine: HitSource, alert: Alert) -> tuple[list[Hit], set[str]]:
    """Every hit of the alert's search (newest first) and their ids."""
    hits = list(engine.iter_hits(alert.request()))
    return hits, {hit.id for hit in hits}


def baseline(engine: HitSource, alert: Alert, now: dt.datetime) -> Alert:
    """The alert with everything it matches now marked as seen (a new alert reports only later additions)."""
    _, ids = current_ids(engine, alert)
    return dataclasses.replace(alert, seen=frozenset(ids), last_run=now.isoformat(timespec="seconds"))


def run_alert(engine: HitSource, alert: Alert, now: dt.datetime) -> tuple[RunResult, Alert]:
    """What the alert matches that it did not at its last run, and the alert updated to now."""
    hits, ids = current_ids(engine, alert)
    new = tuple(hit for hit in hits if hit.id not in alert.seen)
    updated = dataclasses.replace(alert, seen=frozenset(ids), last_run=now.isoformat(timespec="seconds"))
    return RunResult(alert, new, len(hits)), updated


def run_alerts(
    engine: HitSource, store: AlertStore, names: Sequence[str], now: dt.datetime
) -> list[RunResult]:
    """Run the named alerts (all if none are named), save what they have now seen, return what was new."""
    chosen = [store.get(name) for name in names] if names else list(store.alerts)
    results = []
    for alert in chosen:
        result, updated = run_alert(engine, alert, now)
        store.replace(updated)
        results.append(result)
    store.save()
    return results
