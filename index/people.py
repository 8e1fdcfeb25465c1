"""One person, many spellings: group the speaker names of a transcript or a corpus into people.

Two names are one person when they share a surname and their given names agree up to a small
spelling difference or an initial (`Vladmir Putin`, `V. Putin`, `VladimirPutin`, `Sergey Chemezov`),
or share the given names and their surnames differ by one letter (`Kirill Kleimenov`). Merging two
different people is worse than leaving a variant, so anything ambiguous stays apart: an initial that
fits two people, given names that differ only by a final `a` (`Alexander` / `Alexandra`), single-word
names, and groups whose members do not all agree with each other.

A user fixes the grouping with an alias file (`aliases.toml` in the corpus or the index folder):

    # canonical name = its other spellings (merged whatever the rules say)
    "Vladimir Putin" = ["Vladmir Putin", "V. Putin"]

    [apart]
    # names never merged by the rules with the names listed
    "Sergei Ivanov" = ["Sergey Ivanov"]
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from index import labels as lb
from index.errors import TranscriptParseError
from index.roles import edit_distance

if TYPE_CHECKING:
    from whoosh.reading import IndexReader

ALIAS_FILE = "aliases.toml"
# Given names this short differ by a letter from too many others (`Yan` / `Yana`, `Ivan` / `Iван`).
MIN_FUZZY_GIVEN = 4
# Surnames this short are one letter from other surnames (`Ivanov` / `Ivanova` is guarded separately).
MIN_FUZZY_SURNAME = 6


def fold(text: str) -> str:
    """Lower case without accents: `Pouyanné` and `Pouyanne` meet."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Russian ё is written `yo` or `e` (`Dyomin` / `Demin`, `Semyonov` / `Semenov`, `Krikalyov` / `Krikalev`).
_YO = re.compile(r"(?<=[bcdfghjklmnpqrstvwxz])yo")


def name_parts(name: str) -> list[str]:
    """Words of a name, camel case and initials split, folded: `V.Putin` → [`v`, `putin`],
    `Sergei Dyomin` → [`sergei`, `demin`]."""
    spaced = lb.camel_split(name).replace(".", ". ")
    return [_YO.sub("e", fold(part).strip(".,")) for part in spaced.split() if part.strip(".,")]


def _is_initial(part: str) -> bool:
    return len(part) == 1


def _given_match(a: str, b: str) -> bool:
    """Whether two given names may be one: equal, an initial of the other, or one letter apart
    (not a final `a` more or less, which makes `Alexandra` of `Alexander`)."""
    if a == b:
        return True
    if _is_initial(a) or _is_initial(b):
        return a[0] == b[0]
    if min(len(a), len(b)) < MIN_FUZZY_GIVEN or a[0] != b[0]:
        return False
    if a + "a" == b or b + "a" == a or a.rstrip("a") == b.rstrip("a"):
        return False
    return edit_distance(a, b, 1) <= 1


def _surname_match(a: str, b: str) -> bool:
    """Equal, or one letter apart in a long surname that is not a feminine form (`Ivanov` / `Ivanova`)."""
    if a == b:
        return True
    if min(len(a), len(b)) < MIN_FUZZY_SURNAME or a[0] != b[0] or a + "a" == b or b + "a" == a:
        return False
    return edit_distance(a, b, 1) <= 1


def same_person(a: str, b: str) -> bool:
    """Whether two names are spellings of one person by the rules above (no alias file)."""
    pa, pb = name_parts(a), name_parts(b)
    if pa == pb:
        return len(pa) >= 1
    if len(pa) < 2 or len(pb) < 2:
        return False
    if _is_initial(pa[-1]) or _is_initial(pb[-1]):
        return False
    surname_equal = pa[-1] == pb[-1]
    if not surname_equal and (_is_initial(pa[0]) or _is_initial(pb[0])):
        return False  # an initial and a misspelt surname is too little to go on
    if not _surname_match(pa[-1], pb[-1]):
        return False
    if not surname_equal and pa[0] != pb[0]:
        return False  # both halves spelt differently: two people as likely as one
    if not _given_match(pa[0], pb[0]):
        return False
    middle_a, middle_b = pa[1:-1], pb[1:-1]
    if middle_a and middle_b and not all(_given_match(x, y) for x, y in zip(middle_a, middle_b)):
        return False  # "Barack H Obama" = "Barack Obama", but not "John A Smith" = "John B Smith"
    return True


@dataclass(frozen=True)
class Aliases:
    """A user's corrections: names forced together (variant → canonical) and pairs kept apart."""

    merge: Mapping[str, str] = field(default_factory=dict)
    apart: frozenset[frozenset[str]] = frozenset()

    def kept_apart(self, a: str, b: str) -> bool:
        return frozenset((lb.name_key(a), lb.name_key(b))) in self.apart


NO_ALIASES = Aliases()


def parse_aliases(text: str, source: str) -> Aliases:
    """An alias file's merges and separations; raises TranscriptParseError naming the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise TranscriptParseError(source, getattr(err, "lineno", 1) or 1, f"bad alias file: {err}") from None
    merge: dict[str, str] = {}
    apart: set[frozenset[str]] = set()
    for key, value in data.items():
        if key == "apart" and isinstance(value, dict):
            for name, others in value.items():
                for other in _names(others, source, name):
                    apart.add(frozenset((lb.name_key(name), lb.name_key(other))))
            continue
        for variant in _names(value, source, key):
            merge[lb.name_key(variant)] = key
        merge[lb.name_key(key)] = key
    return Aliases(merge=merge, apart=frozenset(apart))


def _names(value: object, source: str, key: str) -> list[str]:
    """The list of names under one key of the alias file."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    line = 1
    raise TranscriptParseError(source, line, f"bad alias file: {key!r} must map to a list of names")


def find_alias_file(folders: Iterable[Path]) -> Path | None:
    """The first `aliases.toml` in the given folders (index folder first, then corpus folders)."""
    for folder in folders:
        candidate = Path(folder) / ALIAS_FILE
        if candidate.is_file():
            return candidate
    return None


def load_aliases(folders: Iterable[Path]) -> Aliases:
    """The alias file of the first folder that has one, or no aliases."""
    path = find_alias_file(folders)
    if path is None:
        return NO_ALIASES
    return parse_aliases(path.read_text(encoding="utf-8-sig"), str(path))


class _Groups:
    """Union-find over names."""

    def __init__(self, names: Sequence[str]) -> None:
        self.parent = {name: name for name in names}

    def find(self, name: str) -> str:
        while self.parent[name] != name:
            self.parent[name] = self.parent[self.parent[name]]
            name = self.parent[name]
        return name

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _canonical(members: Sequence[str], turns: Mapping[str, int]) -> str:
    """The name a group is shown under: a full name (not `M. Papchenkova`), most turns, best-written."""
    full = [m for m in members if not any(_is_initial(p) for p in name_parts(m))] or list(members)
    best = max(turns.get(m, 0) for m in full)
    return lb.best_form([m for m in full if turns.get(m, 0) == best])


def _compatible(a: str, b: str) -> bool:
    """Two members of one group: given names and surnames each agree up to the allowed difference
    (`Sergey Ignatiev` and `Sergei Ignatyev`, joined through `Sergei Ignatiev`)."""
    pa, pb = name_parts(a), name_parts(b)
    return len(pa) >= 2 and len(pb) >= 2 and _given_match(pa[0], pb[0]) and _surname_match(pa[-1], pb[-1])


def _consistent(members: Sequence[str], aliases: Aliases) -> bool:
    """A group is kept only if every pair of its full names may be one person."""
    full = [m for m in members if not any(_is_initial(p) for p in name_parts(m))]
    return all(
        _compatible(a, b) and not aliases.kept_apart(a, b) for i, a in enumerate(full) for b in full[i + 1 :]
    )


def _initial_targets(name: str, candidates: Sequence[str]) -> list[str]:
    return [c for c in candidates if c != name and same_person(name, c)]


def alias_table(turns: Mapping[str, int], aliases: Aliases = NO_ALIASES) -> dict[str, str]:
    """Every name (with its turn count) → the canonical name of its person; names alone map to themselves."""
    names = sorted(turns)
    groups = _Groups(names)
    by_surname: dict[str, list[str]] = {}
    for name in names:
        parts = name_parts(name)
        if len(parts) >= 2:
            by_surname.setdefault(parts[-1][:1], []).append(name)
    for bucket in by_surname.values():
        full = [n for n in bucket if not any(_is_initial(p) for p in name_parts(n)[:-1])]
        for i, a in enumerate(full):
            for b in full[i + 1 :]:
                if same_person(a, b) and not aliases.kept_apart(a, b):
                    groups.union(a, b)
        for name in bucket:
            if name in full:
                continue
            targets = {groups.find(t) for t in _initial_targets(name, full) if not aliases.kept_apart(name, t)}
            if len(targets) == 1:  # "V. Putin" only when one full name fits
                groups.union(targets.pop(), name)
    members: dict[str, list[str]] = {}
    for name in names:
        members.setdefault(groups.find(name), []).append(name)
    table: dict[str, str] = {}
    for group in members.values():
        if len(group) > 1 and not _consistent(group, aliases):
            group_canon = {name: name for name in group}
        else:
            canonical = _canonical(group, turns)
            group_canon = {name: canonical for name in group}
        table.update(group_canon)
    for name in names:  # the user's word is final
        forced = aliases.merge.get(lb.name_key(name))
        if forced is not None:
            table[name] = forced
            for other, canonical in list(table.items()):
                if canonical == name:
                    table[other] = forced
    return table


def alias_groups(table: Mapping[str, str]) -> dict[str, list[str]]:
    """Canonical name → its other spellings, for people with more than one."""
    groups: dict[str, list[str]] = {}
    for name, canonical in sorted(table.items()):
        if name != canonical:
            groups.setdefault(canonical, []).append(name)
    return groups


def short_forms(names: Iterable[str]) -> dict[str, str]:
    """Within one transcript: a one-word name that is the surname, or else the first name, of exactly
    one full name there (`Putin:` after `Vladimir Putin:`, `Alina:` after `Alina Chaban:`) → that name."""
    names = list(dict.fromkeys(names))
    full = [(n, name_parts(n)) for n in names if len(name_parts(n)) >= 2]
    found: dict[str, str] = {}
    for name in names:
        parts = name_parts(name)
        if len(parts) != 1 or _is_initial(parts[0]):
            continue
        by_surname = {n for n, p in full if p[-1] == parts[0]}
        by_given = {n for n, p in full if p[0] == parts[0]}
        matches = by_surname or by_given
        if len(matches) == 1:
            found[name] = matches.pop()
    return found


# --- the corpus-wide pass at reindex time -------------------------------------------------------
#
# Each utterance document keeps the name its transcript resolved (`speaker_name`) and the canonical
# name of its person (`facet_speaker`, what facets, filters and hits read). After a reindex has
# written its changes, and before the generation is published, the alias table is recomputed from
# every name in the new generation (plus the alias file) and saved beside it (PEOPLE_FILE); the
# files whose documents carry a canonical name the new table disagrees with are written again.
# Incremental reindexing so stays correct: a new spelling, a deleted file or an edited alias file
# changes exactly the documents whose person it changes.

PEOPLE_FILE = "people.json"


def speaker_turns(reader: "IndexReader") -> dict[str, int]:
    """{name as its transcript resolved it: live utterances} over the whole index."""
    turns: dict[str, int] = {}
    if "speaker_name" not in reader.indexed_field_names():
        return turns
    for term in reader.lexicon("speaker_name"):
        count = sum(1 for _ in reader.postings("speaker_name", term).all_ids())
        if count:
            turns[term.decode("utf-8")] = count
    return turns


def stale_sources(reader: "IndexReader", table: Mapping[str, str]) -> set[str]:
    """Sources (files) holding a document whose canonical speaker is not what `table` says."""
    stale: set[str] = set()
    if "speaker_name" not in reader.indexed_field_names():
        return stale
    column = reader.column_reader("facet_speaker")
    for term in reader.lexicon("speaker_name"):
        name = term.decode("utf-8")
        expected = table.get(name, name)
        for docnum in reader.postings("speaker_name", term).all_ids():
            if column[docnum] != expected:
                stale.add(reader.stored_fields(docnum)["source"])
    return stale


def write_table(folder: Path, table: Mapping[str, str]) -> None:
    """Save the alias table (only names that map elsewhere) beside an index generation."""
    merged = {name: canonical for name, canonical in sorted(table.items()) if name != canonical}
    (Path(folder) / PEOPLE_FILE).write_text(json.dumps({"aliases": merged}, ensure_ascii=False, indent=1), "utf-8")


def read_table(folder: Path) -> dict[str, str]:
    """The alias table saved beside a generation ({} if none): variant → canonical name."""
    path = Path(folder) / PEOPLE_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    aliases = data.get("aliases") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in aliases.items()} if isinstance(aliases, dict) else {}
