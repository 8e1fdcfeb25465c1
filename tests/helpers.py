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


# Transcripts of the people tests (web and browser): spellings, roles, anonymous turns.
PAGES = {
    "a": (
        "Talks with the Energy Minister",
        "May 7, 2013",
        "The Kremlin, Moscow",
        "President of Russia Vladimir Putin: Colleagues, oil and gas and oil again.\n"
        "Energy Minister Alexander Novak: Oil output grew.\n"
        "Question: What about <script>alert(1)</script> prices?\n"
        "Vladimir Putin: Oil prices are stable, oil is fine.",
    ),
    "b": (
        "Meeting with the Minister of Energy",
        "June 1, 2015",
        "Novo-Ogaryovo, Moscow Region",
        "Vladmir Putin: Tell me about oil and the oil fields.\n"
        "Minister of Energy Alexander Novak: Oil exports grew, and gas too.\n"
        "Remark: Thank you.",
    ),
    "c": (
        "Meeting with Sergei Ivanov and Viktor Ivanov",
        "March 3, 2016",
        "The Kremlin, Moscow",
        "Sergei Ivanov: Good afternoon.\nViktor Ivanov: Good afternoon.\n"
        "Prime Minister Dmitry Medvedev: Hello.\nVladimir Putin: Hello, oil, oil.",
    ),
}


def people_page(title: str, date: str, place: str, body: str) -> str:
    return f"Events\n{title}\n{date}\n{place}\n{body}\n"


def site_samples(folder: Path) -> Path:
    """A copy of the bundled samples in `folder`, the seed renamed to its site id (kremlin-17890) so
    it has an original URL."""
    import shutil

    from settings import DEFAULT_SAMPLES

    shutil.copytree(DEFAULT_SAMPLES, folder)
    (folder / "seed-1.txt").rename(folder / "kremlin-17890.txt")
    return folder


def reindexed(index: Path, corpus: Path) -> Path:
    """`corpus` indexed into `index` by the real `manage.py reindex` command."""
    from click.testing import CliRunner

    from manage import cli

    result = CliRunner().invoke(cli, ["--index", str(index), "reindex", str(corpus)])
    assert result.exit_code == 0, result.output
    return index
