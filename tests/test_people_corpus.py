"""Speakers as people on the shared corpus (VERBATIM_CORPUS): no anonymous labels among the
speakers, the spelling variants the corpus shows to be one person resolve to one name, and
people who only look alike stay apart. Prints the counts for CI's output."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from index import labels as lb
from index.models import Transcript
from index.parse import iter_transcripts
from index.people import alias_groups, alias_table
from index.roles import role_key

pytestmark = [pytest.mark.corpus, pytest.mark.slow]  # parses the whole corpus

# Each group: spellings in the corpus (labels as written) that are one person, and the person.
ONE_PERSON = {
    "Vladimir Putin": ["Vladimir Putin", "Vladmir Putin"],
    "Valeriya Korableva": ["Valeriya Korableva", "Valeria Korableva"],
    "Kirill Kleymenov": ["Kirill Kleymenov", "Kirill Kleimenov"],
    "Sergei Chemezov": ["Sergei Chemezov", "Sergey Chemezov"],
    "Sergei Donskoy": ["Sergei Donskoy", "Sergey Donskoy"],
    "Sergei Krikalyov": ["Sergei Krikalyov", "Sergey Krikalyov"],
    "Sergei Ignatyev": ["Sergei Ignatyev", "Sergei Ignatiev", "Sergey Ignatiev"],
    "Fyodor Lukyanov": ["Fyodor Lukyanov", "Fydor Lukyanov"],
    "Patrick Pouyanne": ["Patrick Pouyanne", "Patrick Pouyanné"],
    "Dmitry Shchugorev": ["Dmitry Shchugorev", "Dmitry Schugorev"],
    "Angela Merkel": ["Angela Merkel", "Angela Markel"],
    "Margarita Papchenkova": ["Margarita Papchenkova", "M. Papchenkova"],
    "Marina Loshak": ["Marina Loshak", "Maria Loshak"],
    "Sergei Demin": ["Sergei Demin", "Sergei Dyomin"],
}
# Pairs of names in the corpus that are two people and must stay two.
TWO_PEOPLE = [
    ("Nikolai Patrushev", "Dmitry Patrushev"),
    ("Svetlana Lyulkovich", "Yekaterina Lyulkovich"),
    ("Yelisei Lyulkovich", "Richard Lyulkovich"),
    ("Dmitry Morozov", "Sergei Morozov"),
    ("Valeriya Korableva", "Viktoria Korablyova"),
    ("Yelena Kuzmenko", "Polina Kuzmenko"),
    ("Alexander Kozlov", "Alexandra Kozlova"),
    ("Viktor Smirnov", "Vitaly Smirnov"),
    ("Alexander Medvedev", "Dmitry Medvedev"),
    ("Vladimir Volkov", "Vladimir Kolokoltsev"),
]
ANONYMOUS = ("Question", "Remark", "Reply", "Response", "Comment", "Operator", "Question from Izhevsk")


@pytest.fixture(scope="module")
def transcripts() -> list[Transcript]:
    corpus = os.environ.get("VERBATIM_CORPUS")
    if not corpus or not Path(corpus).is_dir():
        pytest.skip("set VERBATIM_CORPUS to the kremlin corpus folder to run this test")
    return list(iter_transcripts([Path(corpus)]))


@pytest.fixture(scope="module")
def people(transcripts: list[Transcript]) -> tuple[Counter[str], dict[str, str]]:
    """(turns per speaker as the transcripts resolved them, the corpus-wide alias table)."""
    turns = Counter(u.speaker for t in transcripts for u in t.utterances if u.speaker)
    return turns, alias_table(turns)


def _person_of_spelling(transcripts: list[Transcript], table: dict[str, str], spelling: str) -> set[str]:
    """The people the turns labelled with `spelling` (at the end of the label) resolve to."""
    found = set()
    for transcript in transcripts:
        for u in transcript.utterances:
            core = lb.split_notes(u.label).core if u.label else ""
            if u.speaker and (core == spelling or core.endswith(" " + spelling) or core.startswith(spelling + ",")):
                found.add(table.get(u.speaker, u.speaker))
    return found


def test_speaker_facet_has_no_anonymous_labels(transcripts, people) -> None:
    turns, table = people
    speakers = set(table.values())
    assert not [s for s in speakers if lb.is_anonymous(s)]
    assert not set(ANONYMOUS) & speakers
    anonymous = Counter(lb.split_notes(u.label).core for t in transcripts for u in t.utterances if u.anonymous)
    assert anonymous["Question"] >= 200 and anonymous["Remark"] >= 100  # still there, as their own kind of turn
    roles = {u.role for t in transcripts for u in t.utterances if u.role}
    groups = alias_groups(table)
    print(
        f"\npeople in the speaker facet: {len(speakers)}; anonymous turns: {sum(anonymous.values())} "
        f"under {len(anonymous)} labels; corpus-wide alias groups: {len(groups)}; "
        f"distinct roles: {len(roles)} ({len({role_key(r) for r in roles})} up to case and articles)"
    )


@pytest.mark.parametrize("person", sorted(ONE_PERSON))
def test_spellings_resolve_to_one_person(transcripts, people, person: str) -> None:
    _, table = people
    for spelling in ONE_PERSON[person]:
        assert _person_of_spelling(transcripts, table, spelling) == {person}, spelling


@pytest.mark.parametrize(("a", "b"), TWO_PEOPLE)
def test_look_alikes_stay_apart(transcripts, people, a: str, b: str) -> None:
    _, table = people
    first, second = _person_of_spelling(transcripts, table, a), _person_of_spelling(transcripts, table, b)
    assert first and second, (a, b)
    assert not first & second


def test_putin_roles(transcripts) -> None:
    """Roles are normalised, and Putin's are the ones the corpus gives him (over 2000 turns)."""
    roles = Counter(u.role for t in transcripts for u in t.utterances if u.speaker == "Vladimir Putin")
    assert roles.most_common(1)[0][0] == "President of Russia"
    assert sum(roles.values()) > 2000
