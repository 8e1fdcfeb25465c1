"""Fidelity on real data: the parser's speaker turns against the ground truth taken from the page mark-up.

Runs only with VERBATIM_CORPUS set (CI sets it). Run with `-s` to see the figure and the misses.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fidelity_rules import load_truth, speaker_matches, speech_turns

from index.errors import TranscriptParseError
from index.parse import iter_transcripts, parse_file, source_files

pytestmark = pytest.mark.corpus

THRESHOLD = 0.95


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
