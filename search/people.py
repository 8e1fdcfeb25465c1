"""People: every person who speaks in the index, with turns, years, roles over time, aliases,
places and topics, the words they use more than everyone else, and a speaker filter that
resolves `Putin` to the one person it names.

Built from the stored fields of one index generation (facet_speaker is the canonical person,
speaker_name the name its transcript gave, label the label as written) and the alias table the
reindex saved beside it; cached per generation, so a reindex is seen on the next request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import heapq
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index import labels as lb
from index.analysis import STOP_WORDS
from search.errors import BadQuery
from index.models import SPEECH
from index.people import fold, name_parts, read_table, same_person
from index.reader import open_generation
from index.schema import FACET_BY_NAME, MULTI_VALUE_SEPARATOR
from search.types import SearchRequest

SPEAKER = FACET_BY_NAME["speaker"].field
ROLE = FACET_BY_NAME["role"].field
PLACE = FACET_BY_NAME["place"].field
TOPIC = FACET_BY_NAME["topic"].field
# Words a person must say this often before their keyness counts (rarer words are noise).
MIN_KEYWORD_COUNT = 5
# Turns read for keyness, per person and for everyone (more are sampled evenly): one stored text
# each, about 0.1 ms.
KEYNESS_SAMPLE = 20_000
# Latest turns kept per person for their page.
LATEST_KEPT = 50
_WORD = re.compile(r"[^\W\d_]+(?:[’'-][^\W\d_]+)*")


@dataclass(frozen=True)
class RoleSpan:
    """One role of a person, from the first to the last date it was said with."""

    role: str
    first: dt.date
    last: dt.date
    turns: int

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "first": self.first.isoformat(), "last": self.last.isoformat(), "turns": self.turns}


@dataclass(frozen=True)
class Turn:
    """A turn of a person as a page lists it."""

    id: str
    transcript_id: str
    seq: int
    date: dt.date
    title: str
    role: str
    text: str
    place: str = ""
    url: str | None = None  # the original page's address, for citations


@dataclass
class Person:
    """Everything the index says about one person."""

    name: str
    slug: str = ""
    turns: int = 0
    first: dt.date = dt.date.max
    last: dt.date = dt.date.min
    roles: list[RoleSpan] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    places: Counter[str] = field(default_factory=Counter)
    topics: Counter[str] = field(default_factory=Counter)
    doc_numbers: list[int] = field(default_factory=list)
    # (date, seq, -document) of the latest turns (a heap): what the person's page lists. The
    # negated number keeps index order among turns of one date and seq, as a stable sort did.
    latest: list[tuple[dt.date, int, int]] = field(default_factory=list)

    @property
    def years(self) -> str:
        """Years active, `2008–2021` or `2013`."""
        return str(self.first.year) if self.first.year == self.last.year else f"{self.first.year}–{self.last.year}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON of /api/speakers."""
        return {
            "name": self.name,
            "slug": self.slug,
            "turns": self.turns,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "roles": [r.to_dict() for r in self.roles],
            "aliases": list(self.aliases),
        }


class SpeakerNotFound(BadQuery):
    """A speaker filter that names nobody; the message lists the closest names."""


class AmbiguousSpeaker(BadQuery):
    """A speaker filter that fits several people; the message lists them."""


def slugify(name: str) -> str:
    """`Vladimir Putin` → `vladimir-putin` (ASCII, accents dropped)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "person"


def _words(text: str) -> list[str]:
    return [fold(w) for w in _WORD.findall(lb.camel_split(text))]


def log_likelihood(a: int, b: int, c: int, d: int) -> float:
    """Dunning's G² of a word said `a` times in `c` words of one person and `b` times in `d` words of the rest."""
    total = a + b
    if not total or not c or not d:
        return 0.0
    e1 = c * total / (c + d)
    e2 = d * total / (c + d)
    g2 = (a * math.log(a / e1) if a else 0.0) + (b * math.log(b / e2) if b else 0.0)
    return 2 * g2


def content_words(text: str) -> Iterator[str]:
    """Lower-case words of a text without stop words and very short words, for keyness."""
    for word in _WORD.findall(text):
        folded = word.lower()
        if len(folded) > 2 and folded not in STOP_WORDS:
            yield folded


def _spells(spelling: str, name: str) -> bool:
    """Whether a label's name is a spelling of `name` (a variant, or the surname alone), not a
    label that took in other words (`Research Centre Vladimir Putin`)."""
    parts = name_parts(spelling)
    return same_person(spelling, name) or (len(parts) == 1 and parts[0] in name_parts(name))


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


class People:
    """The people of one index generation."""

    def __init__(self, generation: Path, keyness_sample: int = KEYNESS_SAMPLE) -> None:
        self.generation = generation
        self.keyness_sample = keyness_sample
        self._index = open_generation(generation)
        self.people: dict[str, Person] = {}
        self.by_slug: dict[str, Person] = {}
        self.anonymous: Counter[str] = Counter()
        self._word_totals: tuple[Counter[str], int] | None = None
        self._keywords: dict[str, list[tuple[str, float, int]]] = {}
        self._lock = threading.Lock()
        self._load()

    # --- building ------------------------------------------------------------------------------

    def _load(self) -> None:
        """One pass over the stored fields: turns, dates, roles, aliases, places, topics."""
        table = read_table(self.generation)
        role_spans: dict[str, dict[str, list[Any]]] = {}
        spellings: dict[str, Counter[str]] = {}
        with self._index.reader() as reader:
            for docnum, stored in reader.iter_docs():
                name = stored.get(SPEAKER)
                if not name:
                    if stored.get("kind") == SPEECH and stored.get("label"):
                        self.anonymous[lb.split_notes(stored["label"]).core] += 1
                    continue
                date = _as_date(stored["date"])
                person = self.people.get(name) or self.people.setdefault(name, Person(name))
                person.turns += 1
                person.first, person.last = min(person.first, date), max(person.last, date)
                person.doc_numbers.append(docnum)
                _keep_latest(person.latest, (date, int(stored.get("seq") or 0), -docnum))
                if stored.get(PLACE):
                    person.places[stored[PLACE]] += 1
                for topic in (stored.get(TOPIC) or "").split(MULTI_VALUE_SEPARATOR):
                    if topic:
                        person.topics[topic] += 1
                role = stored.get(ROLE) or ""
                if role:
                    span = role_spans.setdefault(name, {}).setdefault(role, [date, date, 0])
                    span[0], span[1], span[2] = min(span[0], date), max(span[1], date), span[2] + 1
                said = spellings.setdefault(name, Counter())
                said[stored.get("speaker_name") or name] += 1
                if stored.get("label"):
                    said[lb.split_role(lb.split_notes(stored["label"]).core, set())[0]] += 1
        merged: dict[str, list[str]] = {}
        for variant, canonical in table.items():
            merged.setdefault(canonical, []).append(variant)
        for name, person in self.people.items():
            person.roles = sorted(
                (RoleSpan(role, first, last, turns) for role, (first, last, turns) in role_spans.get(name, {}).items()),
                key=lambda span: (span.first, span.last, span.role),
            )
            seen = {lb.name_key(name)}
            for variant in merged.get(name, ()):  # the corpus-wide alias table: spellings of the same person
                if lb.name_key(variant) not in seen:
                    seen.add(lb.name_key(variant))
                    person.aliases.append(variant)
            for spelling, _ in spellings.get(name, Counter()).most_common():
                if spelling and lb.name_key(spelling) not in seen and _spells(spelling, name):
                    seen.add(lb.name_key(spelling))
                    person.aliases.append(spelling)
        for person in sorted(self.people.values(), key=lambda p: (-p.turns, p.name)):
            slug = base = slugify(person.name)
            number = 2
            while slug in self.by_slug:
                slug, number = f"{base}-{number}", number + 1
            person.slug = slug
            self.by_slug[slug] = person

    # --- listing and resolving -----------------------------------------------------------------

    def sorted(self) -> list[Person]:
        """Everyone, A–Z by name."""
        return sorted(self.people.values(), key=lambda p: (fold(p.name), p.name))

    def matching(self, q: str = "", limit: int | None = None) -> list[Person]:
        """People A–Z whose name or an alias contains every word of `q` (all of them for "")."""
        words = _words(q)
        found = [p for p in self.sorted() if not words or self._contains(p, words)]
        return found if limit is None else found[:limit]

    @staticmethod
    def _contains(person: Person, words: Sequence[str]) -> bool:
        for name in (person.name, *person.aliases):
            have = _words(name)
            if all(any(h.startswith(w) if len(w) >= 3 else h == w for h in have) for w in words):
                return True
        return False

    def resolve(self, text: str) -> str:
        """The canonical name of the one person `text` names (a name, an alias, or words of one);
        raises AmbiguousSpeaker or SpeakerNotFound (both BadQuery: HTTP 400, exit 2)."""
        key = lb.name_key(text)
        for person in self.people.values():
            if lb.name_key(person.name) == key:
                return person.name
        exact = [p for p in self.people.values() if any(lb.name_key(a) == key for a in p.aliases)]
        if len(exact) == 1:
            return exact[0].name
        found = exact or self.matching(text) or [
            p for p in self.people.values() if any(same_person(text, n) for n in (p.name, *p.aliases))
        ]  # "Dmitri Medvedev": another spelling of one person
        if len(found) == 1:
            return found[0].name
        if found:
            names = ", ".join(f"{p.name} ({p.turns})" for p in sorted(found, key=lambda p: -p.turns)[:10])
            more = f" and {len(found) - 10} more" if len(found) > 10 else ""
            raise AmbiguousSpeaker(f"speaker {text!r} fits {len(found)} people: {names}{more}; name one of them")
        if lb.name_key(text) in {lb.name_key(label) for label in self.anonymous}:
            raise SpeakerNotFound(
                f"{text!r} is an anonymous turn, not a person: search label:{text.split()[0].lower()} instead"
            )
        close = self.closest(text)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise SpeakerNotFound(f"no speaker named {text!r}{hint}")

    def closest(self, text: str, limit: int = 5) -> list[str]:
        """Names like `text`: whole-name look-alikes, then people with a word like one of its words."""
        names = [*self.people, *(a for p in self.people.values() for a in p.aliases)]
        found = difflib.get_close_matches(text, names, n=limit, cutoff=0.6)
        words = _words(text)
        by_turns = sorted(self.people.values(), key=lambda p: -p.turns)
        for person in by_turns:
            if len(found) >= limit:
                break
            have = _words(person.name)
            if person.name not in found and any(
                difflib.SequenceMatcher(None, w, h).ratio() >= 0.7 for w in words for h in have if len(w) >= 3
            ):
                found.append(person.name)
        return found

    def resolve_all(self, values: Iterable[str]) -> tuple[str, ...]:
        """Each speaker filter value resolved (duplicates dropped, order kept)."""
        return tuple(dict.fromkeys(self.resolve(v) for v in values))

    # --- one person's page ---------------------------------------------------------------------

    def latest_turns(self, person: Person, limit: int = 10) -> list[Turn]:
        """The person's latest turns, newest first (at most LATEST_KEPT)."""
        newest = sorted(person.latest, reverse=True)[:limit]
        with self._index.reader() as reader:
            stored = [reader.stored_fields(-negated) for _, _, negated in newest]
        return [
            Turn(
                id=s["id"],
                transcript_id=s["transcript_id"],
                seq=int(s["seq"]),
                date=_as_date(s["date"]),
                title=s.get("title", ""),
                role=s.get(ROLE) or "",
                text=s.get("text", ""),
                place=s.get(FACET_BY_NAME["place"].field) or "",
                url=s.get("url") or None,
            )
            for s in stored
        ]

    def _counts(self, doc_numbers: Sequence[int]) -> tuple[Counter[str], int]:
        """Content words of the documents (an even sample of `keyness_sample` of them when there are
        more), and the factor that scales the sample's counts up to all of them."""
        step = max(1, -(-len(doc_numbers) // self.keyness_sample))
        counts: Counter[str] = Counter()
        with self._index.reader() as reader:
            for docnum in doc_numbers[::step]:
                counts.update(content_words(reader.stored_fields(docnum).get("text", "")))
        return counts, step

    def word_totals(self) -> tuple[Counter[str], int]:
        """Content words of every person's turns, sampled like `_counts` (computed once per generation)."""
        with self._lock:
            if self._word_totals is None:
                self._word_totals = self._counts(sorted(d for p in self.people.values() for d in p.doc_numbers))
            return self._word_totals

    def keywords(self, person: Person, limit: int = 20) -> list[tuple[str, float, int]]:
        """(word, G², count) of the words `person` uses more than everyone else, by log-likelihood."""
        with self._lock:
            cached = self._keywords.get(person.name)
        if cached is not None:
            return cached[:limit]
        result = self._keywords_of(person)
        with self._lock:
            self._keywords[person.name] = result
        return result[:limit]

    def _keywords_of(self, person: Person, limit: int = 50) -> list[tuple[str, float, int]]:
        # Counts are read from at most KEYNESS_SAMPLE turns a side (all of them in a corpus under that
        # size) and scaled up: reading every stored text took minutes at 100 copies of the corpus.
        sample, mine_step = self._counts(person.doc_numbers)
        everyone, totals_step = self.word_totals()
        mine = Counter({word: n * mine_step for word, n in sample.items()})
        totals = Counter({word: n * totals_step for word, n in everyone.items()})
        c = sum(mine.values())
        d = sum(totals.values()) - c
        scored = []
        for word, a in mine.items():
            b = max(0, totals[word] - a)
            if a < MIN_KEYWORD_COUNT or d <= 0 or a / c <= b / d:
                continue
            scored.append((word, round(log_likelihood(a, b, c, d), 1), a))
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored[:limit]


def _keep_latest(latest: list[tuple[dt.date, int, int]], turn: tuple[dt.date, int, int]) -> None:
    """Add a turn to a person's LATEST_KEPT latest (a min-heap: the oldest kept is first)."""
    if len(latest) < LATEST_KEPT:
        heapq.heappush(latest, turn)
    elif turn > latest[0]:
        heapq.heapreplace(latest, turn)


def people_of(generation: Path) -> People:
    """The People of an index generation folder (callers that serve many requests keep it: Engine.people)."""
    return People(Path(generation))


def resolve_request(request: SearchRequest, people_now: Callable[[], People], known: Callable[[str], bool]) -> SearchRequest:
    """`request` with each speaker filter value that is not a speaker as indexed (`known`) resolved
    to the one person it names (`Putin` → `Vladimir Putin`); raises AmbiguousSpeaker / SpeakerNotFound."""
    values = request.filters.get("speaker", ())
    if not values or all(known(value) for value in values):
        return request
    people = people_now()
    resolved = tuple(dict.fromkeys(value if known(value) else people.resolve(value) for value in values))
    return dataclasses.replace(request, filters={**request.filters, "speaker": resolved})
