"""Fidelity on real data: the parser's speaker turns against the ground truth taken from the page mark-up.

Runs only with VERBATIM_CORPUS set (CI sets it). Run with `-s` to see the figure and the misses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from index.errors import TranscriptParseError
from index.models import SPEECH, Transcript
from index.people import same_person
from index.parse import iter_transcripts, parse_file, source_files

pytestmark = pytest.mark.corpus

THRESHOLD = 0.95
_NOTE = re.compile(r"\s*\([^()]*\)\s*$")


def key(text: str) -> str:
    """Case-, space- and punctuation-insensitive form, as the fidelity rule compares."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def without_notes(label: str) -> str:
    """A label without its trailing `(retranslated)`-style notes."""
    while (match := _NOTE.search(label)) and match.start() > 0:
        label = label[: match.start()]
    return label


def without_role(label: str, role: str) -> str | None:
    """The label without `role` when the label spells it: as a prefix before a name of 2+ words
    (`President of Russia Vladimir Putin`) or after a comma (`Alexei Kudrin, Chairman of …`)."""
    if not key(role):
        return None
    words = label.split()
    for cut in range(1, len(words)):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        if key(head) == key(role) and len(tail.split()) >= 2:
            return tail
        if head.endswith(",") and key(tail) == key(role):
            return head
    if " of " in label:  # `King Abdullah II of Jordan` with role `King of Jordan`
        before, _, place = label.rpartition(" of ")
        title, _, name = before.partition(" ")
        if name and key(f"{title} of {place}") == key(role):
            return name
    return None


def names_in_label(speaker: str, bare: str) -> bool:
    """The label names the speaker in another spelling or order the parser resolved: a normalised role
    before the name (`Energy Minister Alexander Novak` → `Alexander Novak`, `Minister of Energy`), a
    spelling variant (`Vladmir Putin`), the surname alone later in the document (`Putin`)."""
    if len(speaker.split()) < 2:
        return False
    if key(bare).endswith(key(speaker)):
        return True
    words = bare.split()
    tail = " ".join(words[-len(speaker.split()) :]) if words else ""
    if same_person(speaker, tail):
        return True
    return len(words) == 1 and key(words[0]) in {key(w) for w in speaker.split()}


def speaker_matches(label: str, merged: str, speaker: str, role: str) -> bool:
    """The parsed speaker is the label without its role and notes (or the ground truth's merged name);
    an anonymous turn (`Question`) is compared by its label."""
    if not key(speaker):
        return False
    bare = without_notes(label)
    if key(merged) != key(bare):  # the ground truth itself merged a role prefix: that name exactly
        return key(speaker) == key(without_notes(merged)) or names_in_label(speaker, without_notes(merged))
    return key(speaker) == key(bare) or key(speaker) == key(without_role(bare, role) or "") or names_in_label(speaker, bare)


def speech_turns(transcript: Transcript) -> list[tuple[str, str]]:
    """(speaker, role) of each speech turn; an anonymous turn by its label without notes."""
    return [
        (u.speaker if u.speaker is not None else without_notes(u.label), u.role)
        for u in transcript.utterances
        if u.kind == SPEECH
    ]


def test_speaker_matches_rule() -> None:
    """The comparison accepts role prefixes, `Name, role` forms and notes, and nothing looser."""
    assert speaker_matches("President of Russia Vladimir Putin", "Vladimir Putin", "Vladimir Putin", "President of Russia")
    assert speaker_matches("Question (retranslated)", "Question", "Question", "")
    assert speaker_matches("VladimirPutin", "VladimirPutin", "Vladimir Putin", "President of Russia")
    assert speaker_matches("Alexei Kudrin, Chairman of the Accounts Chamber", "Alexei Kudrin, Chairman of the Accounts Chamber",
                           "Alexei Kudrin", "Chairman of the Accounts Chamber")
    assert speaker_matches("King Abdullah II of Jordan", "King Abdullah II of Jordan", "Abdullah II", "King of Jordan")
    assert not speaker_matches("President of Russia Vladimir Putin", "Vladimir Putin", "Putin", "President of Russia Vladimir")
    assert not speaker_matches("Dmitry Peskov", "Dmitry Peskov", "Dmitry", "Peskov")
    assert not speaker_matches("Question", "Question", "Remark", "")
    assert speaker_matches("Energy Minister Alexander Novak", "Energy Minister Alexander Novak", "Alexander Novak", "Minister of Energy")
    assert speaker_matches("Vladmir Putin", "Vladmir Putin", "Vladimir Putin", "President of Russia")
    assert speaker_matches("Putin", "Putin", "Vladimir Putin", "President of Russia")
    assert not speaker_matches("Dmitry Medvedev", "Dmitry Medvedev", "Vladimir Putin", "President of Russia")
    assert not speaker_matches("Dmitry Peskov", "Dmitry Peskov", "Dmitry Medvedev", "")


def load_truth(corpus: Path) -> dict[str, dict[str, list[str]]]:
    """turns.jsonl by file name."""
    truth = {}
    for line in (corpus / "turns.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            truth[record["file"]] = record
    return truth


def compare(corpus: Path) -> tuple[int, list[str]]:
    """(documents with turns, descriptions of the documents whose speaker sequence differs)."""
    truth = load_truth(corpus)
    checked, misses = 0, []
    for path in sorted(corpus.glob("kremlin-*.txt")):
        record = truth[path.name]
        if not record["turn_labels"]:
            continue
        checked += 1
        (transcript,) = parse_file(path)
        turns = speech_turns(transcript)
        labels, merged = record["turn_labels"], record["speakers"]
        if len(turns) != len(labels):
            misses.append(f"{path.name}: {len(turns)} speech turns, ground truth has {len(labels)}")
            continue
        wrong = [
            f"{label!r} → {speaker!r} / {role!r}"
            for label, name, (speaker, role) in zip(labels, merged, turns)
            if not speaker_matches(label, name, speaker, role)
        ]
        if wrong:
            misses.append(f"{path.name}: {len(wrong)} speaker(s) differ, e.g. {wrong[0]}")
    return checked, misses


def test_every_file_parses(corpus_dir: Path) -> None:
    """All files of the corpus parse; none is reported as an error."""
    errors: list[TranscriptParseError] = []
    transcripts = list(iter_transcripts([corpus_dir], on_error=errors.append))
    assert errors == []
    assert len(transcripts) == len(list(corpus_dir.glob("kremlin-*.txt")))
    assert all(t.date.year >= 1999 and t.title for t in transcripts)


def test_turns_jsonl_is_not_a_transcript_file(corpus_dir: Path) -> None:
    """The ground-truth file beside the corpus is skipped, not reported as a failure."""
    files = source_files([corpus_dir])
    assert corpus_dir / "turns.jsonl" not in files
    assert all(p.suffix == ".txt" and not p.name.startswith("README") for p in files)


def test_speaker_sequences_match_ground_truth(corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """At least 95% of documents with turns have exactly the ground truth's speaker sequence."""
    checked, misses = compare(corpus_dir)
    figure = 1 - len(misses) / checked
    with capsys.disabled():  # the figure belongs in CI's output
        print(f"\nfidelity: {checked - len(misses)}/{checked} documents = {figure:.1%}")
        for miss in misses:
            print("  " + miss)
    assert checked > 0
    assert figure >= THRESHOLD
