"""Helpers the tests share (plain functions and constants; fixtures live in conftest.py)."""

from __future__ import annotations

import datetime as dt

from index.models import NARRATION, SPEECH, Transcript, Utterance


def make_transcript(
    transcript_id: str,
    title: str,
    date: dt.date,
    turns: list[tuple[str, str, str]],
    *,
    place: str | None = None,
    topics: tuple[str, ...] = (),
    geography: tuple[str, ...] = (),
) -> Transcript:
    """A Transcript from (speaker, role, text) turns; an empty speaker is narration."""
    utterances = tuple(
        Utterance(
            id=f"{transcript_id}:{seq}",
            transcript_id=transcript_id,
            seq=seq,
            speaker=speaker,
            role=role,
            kind=SPEECH if speaker else NARRATION,
            text=text,
        )
        for seq, (speaker, role, text) in enumerate(turns)
    )
    return Transcript(
        id=transcript_id,
        title=title,
        date=date,
        place=place,
        topics=topics,
        geography=geography,
        source=f"tests/{transcript_id}.txt",
        utterances=utterances,
    )


PUTIN = ("Vladimir Putin", "President of Russia")
KERRY = ("John Kerry", "US Secretary of State")
LAVROV = ("Sergei Lavrov", "Foreign Minister")
