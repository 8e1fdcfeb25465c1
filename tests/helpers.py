"""Helpers the tests share (plain functions and constants; fixtures live in conftest.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from index.models import NARRATION, SPEECH, Transcript, Utterance
from index.reader import open_index


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


# Transcript files in the site's text layout (DESIGN §2), for the indexer and CLI tests.

KERRY_MEETING = """Events
Meeting with US Secretary of State John Kerry
Vladimir Putin welcomed US Secretary of State John Kerry to the Kremlin.
May 7, 2013
18:30
The Kremlin, Moscow
1 of 2
Meeting with US Secretary of State John Kerry.
The two sides exchanged views on key issues.
* * *
President of Russia Vladimir Putin: Mr Secretary of State, colleagues, we are very happy to welcome you to Moscow.
US Secretary of State John Kerry: Thank you, Mr President. We have both embraced, in the Geneva Communique, a common approach.
Vladimir Putin: Cooperation in the war on terror matters to both our countries.
Geography
United States
Topics
Foreign policy
Publication status
Published in sections: News, Transcripts
Publication date: May 7, 2013, 18:30
Text version"""

LAVROV_MEETING = """Events
Meeting with Foreign Minister Sergei Lavrov
November 20, 2013
Novo-Ogaryovo, Moscow Region
The President met with the Foreign Minister.
President of Russia Vladimir Putin: Mr Lavrov, how are the preparations for the Geneva conference on Syria?
Foreign Minister Sergei Lavrov: The conference is prepared; the Communique remains our basis.
Topics
Foreign policy
National security
Text version"""

NO_DATE = """Events
A page without a date line
President of Russia Vladimir Putin: Good afternoon.
Text version"""


NO_UTTERANCES = """Events
A page with nothing but its title
May 8, 2013
Text version"""


def stored_documents(index_dir: Path) -> dict[str, dict[str, Any]]:
    """Every live document of the published index, by utterance id."""
    with open_index(index_dir).searcher() as searcher:
        return {fields["id"]: fields for fields in searcher.all_stored_fields()}
