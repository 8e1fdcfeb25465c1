"""Shared fixtures: hand-written transcripts and a real Whoosh index built from them in tmp_path.

Do not change the fixture data below without updating every test that counts on it;
add new transcripts in new fixtures instead.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from embedders import WordHashEmbedder

from index.models import NARRATION, SPEECH, Transcript, Utterance
from index.writer import create_index, write_transcripts


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


@pytest.fixture
def transcripts() -> list[Transcript]:
    """Three small transcripts: three speakers, three dates in two years, two places."""
    return [
        make_transcript(
            "t-kerry",
            "Meeting with US Secretary of State John Kerry",
            dt.date(2013, 5, 7),
            [
                ("", "", "Vladimir Putin welcomed US Secretary of State John Kerry to the Kremlin."),
                (*PUTIN, "Mr Secretary of State, colleagues, we are very happy to welcome you to Moscow."),
                (*KERRY, "We have both embraced, in the Geneva Communique, a common approach to Syria."),
                (*PUTIN, "Cooperation in the war on terror matters to both our countries."),
                (*KERRY, "Thank you very, very much, Mr President."),
            ],
            place="The Kremlin, Moscow",
            topics=("Foreign policy",),
            geography=("United States",),
        ),
        make_transcript(
            "t-lavrov",
            "Meeting with Foreign Minister Sergei Lavrov",
            dt.date(2013, 11, 20),
            [
                (*PUTIN, "Mr Lavrov, how are the preparations for the Geneva conference on Syria?"),
                (*LAVROV, "The Geneva conference is prepared; the Communique remains our basis."),
                (*LAVROV, "Terrorists <script>alert(1)</script> must be fought together."),
            ],
            place="Novo-Ogaryovo, Moscow Region",
            topics=("Foreign policy", "National security"),
            geography=("Syria",),
        ),
        make_transcript(
            "t-economy",
            "Meeting on economic issues",
            dt.date(2014, 2, 3),
            [
                (*PUTIN, "Economic growth slowed; inflation was the lowest in twenty years."),
                (*PUTIN, "We must support investment and keep inflation low."),
            ],
            place="The Kremlin, Moscow",
            topics=("Economy and finance",),
        ),
    ]


@pytest.fixture
def index_dir(tmp_path: Path, transcripts: list[Transcript]) -> Path:
    """A real Whoosh index on disk holding the `transcripts` fixture."""
    path = tmp_path / "index"
    write_transcripts(create_index(path), transcripts)
    return path


@pytest.fixture
def corpus_dir() -> Path:
    """The real corpus named by VERBATIM_CORPUS; tests using it skip without it."""
    value = os.environ.get("VERBATIM_CORPUS")
    if not value or not Path(value).is_dir():
        pytest.skip("set VERBATIM_CORPUS to the kremlin corpus folder to run this test")
    return Path(value)


@pytest.fixture
def embedder() -> WordHashEmbedder:
    """The hashed bag-of-words embedder (tests/embedders.py): real vectors without the model."""
    return WordHashEmbedder()
