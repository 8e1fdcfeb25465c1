"""Stored documents ↔ the data model: the reverse of `index.schema.utterance_document`.

Kept beside the schema so that a field renamed or added there is mapped back here, in
the same layer; search/ reads documents only through these functions and names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from index.dates import DAY
from index.models import SPEECH, Transcript, Utterance
from index.schema import FACET_BY_NAME, META_FACET_PREFIX, MULTI_VALUE_SEPARATOR

ID_FIELD = "id"
TRANSCRIPT_FIELD = "transcript_id"
SEQ_FIELD = "seq"
TEXT_FIELD = "text"
LABEL_FIELD = "label"


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split(MULTI_VALUE_SEPARATOR) if v)


def stored_text(stored: dict[str, Any]) -> str:
    """The utterance's full text as stored ("" if absent)."""
    return stored.get(TEXT_FIELD, "")


def stored_speaker(stored: dict[str, Any]) -> str | None:
    """The canonical speaker of a stored utterance: None for an anonymous turn (a label, no person)."""
    speaker = stored.get(FACET_BY_NAME["speaker"].field, "")
    if not speaker and stored.get(LABEL_FIELD) and stored.get("kind") == SPEECH:
        return None
    return speaker


def hit_fields(stored: dict[str, Any]) -> dict[str, Any]:
    """The result-list fields of one stored utterance (`search.types.Hit` without score and snippet)."""
    return {
        "id": stored[ID_FIELD],
        "transcript_id": stored[TRANSCRIPT_FIELD],
        "seq": int(stored[SEQ_FIELD]),
        "speaker": stored_speaker(stored),
        "label": stored.get(LABEL_FIELD, ""),
        "role": stored.get(FACET_BY_NAME["role"].field, ""),
        "kind": stored.get("kind", ""),
        "date": _as_date(stored["date"]),
        "title": stored.get("title", ""),
        "place": stored.get(FACET_BY_NAME["place"].field, ""),
        "date_precision": stored.get("date_precision") or DAY,
        "meta": stored.get("meta") or {},
        "url": stored.get("url") or None,
    }


def utterance_from_stored(stored: dict[str, Any]) -> Utterance:
    """An Utterance from one document's stored fields."""
    return Utterance(
        id=stored[ID_FIELD],
        transcript_id=stored[TRANSCRIPT_FIELD],
        seq=int(stored[SEQ_FIELD]),
        speaker=stored_speaker(stored),
        role=stored.get(FACET_BY_NAME["role"].field, ""),
        kind=stored.get("kind", ""),
        text=stored_text(stored),
        label=stored.get(LABEL_FIELD, ""),
    )


def transcript_from_stored(documents: list[dict[str, Any]]) -> Transcript:
    """A Transcript from the stored fields of its utterances (already in seq order)."""
    first = documents[0]
    return Transcript(
        id=first[TRANSCRIPT_FIELD],
        title=first.get("title", ""),
        date=_as_date(first["date"]),
        summary=first.get("summary") or "",
        time=first.get("time"),
        place=first.get(FACET_BY_NAME["place"].field) or None,
        section=first.get("section"),
        topics=_split(first.get(FACET_BY_NAME["topic"].field)),
        geography=_split(first.get(FACET_BY_NAME["geography"].field)),
        persons=tuple(first.get("persons") or ()),
        source=first.get("url") or first.get("source", ""),
        utterances=tuple(utterance_from_stored(d) for d in documents),
        url=first.get("url"),
        date_precision=first.get("date_precision") or DAY,
        meta=first.get("meta") or {},
        facets=tuple(name[len(META_FACET_PREFIX) :] for name in sorted(first) if name.startswith(META_FACET_PREFIX)),
    )
