"""The fidelity rule: how a parsed speaker is compared with the ground truth from the page mark-up."""

from __future__ import annotations

import json
import re
from pathlib import Path

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


def speaker_matches(label: str, merged: str, speaker: str, role: str) -> bool:
    """The parsed speaker is the label without its role and notes (or the ground truth's merged name)."""
    if not key(speaker):
        return False
    bare = without_notes(label)
    if key(merged) != key(bare):  # the ground truth itself merged a role prefix: that name exactly
        return key(speaker) == key(without_notes(merged))
    return key(speaker) == key(bare) or key(speaker) == key(without_role(bare, role) or "")


def load_truth(corpus: Path) -> dict[str, dict[str, list[str]]]:
    """turns.jsonl by file name."""
    truth = {}
    for line in (corpus / "turns.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            truth[record["file"]] = record
    return truth
