"""The fidelity rule: how a parsed speaker is compared with the ground truth from the page mark-up."""

from __future__ import annotations

import json
import re
from pathlib import Path

from index.models import SPEECH, Transcript
from index.people import same_person

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


def load_truth(corpus: Path) -> dict[str, dict[str, list[str]]]:
    """turns.jsonl by file name."""
    truth = {}
    for line in (corpus / "turns.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            truth[record["file"]] = record
    return truth
