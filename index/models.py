"""The one data model that flows parse → index → search → web (DESIGN §1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from index.dates import DAY, format_partial, parse_partial_date

SPEECH = "speech"
ADDRESS = "address"
NARRATION = "narration"
KINDS = (SPEECH, ADDRESS, NARRATION)


@dataclass(frozen=True)
class Utterance:
    """One speaker turn: a label and the paragraphs after it, the unit that is indexed.

    `label` is the label as written (without its colon; "" for narration and address), `speaker`
    the canonical person it resolves to, None for an anonymous turn (`Question`, `Remark`: a
    labelled speech with nobody to name) and "" for narration, `role` the normalised job title.
    """

    id: str
    transcript_id: str
    seq: int
    speaker: str | None
    role: str
    kind: str
    text: str
    label: str = ""

    @property
    def anonymous(self) -> bool:
        """A labelled turn of a voice that is not a person (`Question`, `Remark`)."""
        return self.speaker is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (DESIGN §1 field names)."""
        return {
            "id": self.id,
            "transcript_id": self.transcript_id,
            "seq": self.seq,
            "speaker": self.speaker,
            "role": self.role,
            "kind": self.kind,
            "text": self.text,
            "label": self.label,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Utterance":
        """Inverse of `to_dict`."""
        return cls(
            id=data["id"],
            transcript_id=data["transcript_id"],
            seq=int(data["seq"]),
            speaker=data.get("speaker", ""),
            role=data.get("role", ""),
            kind=data.get("kind", SPEECH),
            text=data["text"],
            label=data.get("label", ""),
        )


@dataclass(frozen=True)
class Transcript:
    """One published document (meeting, press conference, address, interview)."""

    id: str
    title: str
    date: dt.date
    summary: str = ""
    time: str | None = None
    place: str | None = None
    section: str | None = None
    topics: tuple[str, ...] = ()
    geography: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    source: str = ""
    utterances: tuple[Utterance, ...] = field(default_factory=tuple)
    url: str | None = None
    # `date` is the first day of the period a partial date (`2011`, `2011-09`) stands for.
    date_precision: str = DAY
    # An own corpus's other fields (DESIGN §6), by name; `facets` names those offered as facets.
    meta: Mapping[str, str] = field(default_factory=dict, hash=False)
    facets: tuple[str, ...] = ()

    @property
    def date_text(self) -> str:
        """The date as written: `2011`, `2011-09` or `2011-09-21`."""
        return format_partial(self.date, self.date_precision)

    @property
    def speakers(self) -> tuple[str, ...]:
        """Distinct speakers in order of first appearance."""
        seen: dict[str, None] = {}
        for utterance in self.utterances:
            if utterance.speaker:
                seen.setdefault(utterance.speaker, None)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ISO date, lists, utterances as dicts."""
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "date": self.date_text,
            "time": self.time,
            "place": self.place,
            "section": self.section,
            "topics": list(self.topics),
            "geography": list(self.geography),
            "persons": list(self.persons),
            "source": self.source,
            "url": self.url,
            "meta": dict(self.meta),
            "facets": list(self.facets),
            "utterances": [u.to_dict() for u in self.utterances],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Transcript":
        """Inverse of `to_dict`."""
        date, precision = parse_partial_date(data["date"])
        return cls(
            id=data["id"],
            title=data["title"],
            summary=data.get("summary", ""),
            date=date,
            date_precision=precision,
            time=data.get("time"),
            place=data.get("place"),
            section=data.get("section"),
            topics=tuple(data.get("topics", ())),
            geography=tuple(data.get("geography", ())),
            persons=tuple(data.get("persons", ())),
            source=data.get("source", ""),
            utterances=tuple(Utterance.from_dict(u) for u in data.get("utterances", ())),
            url=data.get("url"),
            meta=dict(data.get("meta", {})),
            facets=tuple(data.get("facets", ())),
        )
