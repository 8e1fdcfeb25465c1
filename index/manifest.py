"""Plain-text speeches listed in a manifest (DESIGN §6): `manifest.tsv` or `manifest.csv` with a
`file` column beside the `.txt` files; each listed file is one transcript of unlabelled text, an
utterance per paragraph, its row giving the fields (other columns are metadata).
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from index.corpus import (
    CONFIG_NAME,
    MANIFEST_NAMES,
    CorpusConfig,
    did_you_mean,
    Draft,
    read_record,
    build_transcript,
    read_config,
)
from index.errors import TranscriptParseError
from index.models import ADDRESS, NARRATION, Transcript

__all__ = ["CONFIG_NAME", "MANIFEST_NAMES", "ManifestRow", "find_manifest", "is_manifest_text", "manifest_rows", "speech_transcript"]

@dataclass(frozen=True)
class ManifestRow:
    """A manifest's row for one file: the row's line and its fields renamed by verbatim.toml."""

    manifest: str
    line: int
    values: Mapping[str, str]


def find_manifest(folder: Path, config: CorpusConfig) -> Path | None:
    """The manifest of `folder`: the one verbatim.toml names, else manifest.tsv or manifest.csv."""
    names = (config.manifest,) if config.manifest else MANIFEST_NAMES
    for name in names:
        if (folder / name).is_file():
            return folder / name
    return None


def manifest_rows(manifest: Path, config: CorpusConfig) -> tuple[dict[str, ManifestRow], list[TranscriptParseError]]:
    """{file name: row} of a manifest and its bad rows; raises TranscriptParseError without a file column."""
    stat = manifest.stat()
    return _manifest_rows(str(manifest), stat.st_mtime_ns, stat.st_size, config)


@functools.lru_cache(maxsize=8)
def _manifest_rows(
    source: str, _mtime_ns: int, _size: int, config: CorpusConfig
) -> tuple[dict[str, ManifestRow], list[TranscriptParseError]]:
    """Read once per run however many files the manifest lists (cached by path, time and size)."""
    from index.parse import MAX_TABLE_BYTES, decode, read_capped
    from index.records import read_table

    text = decode(read_capped(Path(source), MAX_TABLE_BYTES), source)
    table = read_table(text, source=source, delimiter="\t" if source.endswith(".tsv") else ",")
    problems = list(table.problems)
    rows: dict[str, ManifestRow] = {}
    if not _header_has_file(text, config, source):
        raise TranscriptParseError(source, 1, f"no 'file' column{_header_hint(text, source)}: the manifest "
                                              "names each text file in a column called file (or map it in verbatim.toml: [fields] file = \"…\")")
    for record in table.records:
        values = config.rename(record.values)
        name = str(values.get("file", "")).strip()
        if not name:
            problems.append(TranscriptParseError(source, record.line, "no file named in the file column"))
        elif name in rows:
            problems.append(TranscriptParseError(source, record.line, f"{name} is listed twice (first on line {rows[name].line})"))
        else:
            rows[name] = ManifestRow(source, record.line, values)
    return rows, problems


def _header(text: str, source: str) -> list[str]:
    """The manifest's column names."""
    first = text.splitlines()[0] if text.strip() else ""
    return [cell.strip() for cell in next(csv.reader([first], delimiter="\t" if source.endswith(".tsv") else ","), [])]


def _header_has_file(text: str, config: CorpusConfig, source: str) -> bool:
    return "file" in config.rename({name: "x" for name in _header(text, source)})


def _header_hint(text: str, source: str) -> str:
    """` (did you mean …)` for a header cell that looks like `file`, or a delimiter hint."""
    names = _header(text, source)
    for name in names:
        hint = did_you_mean(name, ("file", "filename"))
        if hint and name != "file":
            return f" (column {name!r}: did you mean file?)"
    if len(names) == 1 and ("," in names[0] or "\t" in names[0]):
        return " (the header has one column: is the file a .csv named .tsv or the other way round?)"
    return ""


def is_manifest_text(path: Path) -> bool:
    """Whether a .txt file lies in a folder with a manifest (so it is not a page of the site layout)."""
    try:
        return find_manifest(path.parent, read_config(path.parent)) is not None
    except (TranscriptParseError, OSError):
        return True


def paragraphs(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each paragraph: blocks separated by blank lines, wrapped lines joined."""
    found: list[tuple[int, str]] = []
    block: list[str] = []
    start = 1
    for number, line in enumerate([*text.splitlines(), ""], 1):
        if line.strip():
            if not block:
                start = number
            block.append(line.strip())
        elif block:
            found.append((start, " ".join(block)))
            block = []
    return found


def speech_transcript(text: str, *, source: str, row: ManifestRow, facets: tuple[str, ...]) -> Transcript:
    """One speech from its text and manifest row: unlabelled text, an utterance per paragraph
    (kind address when the row names the speaker); raises TranscriptParseError."""
    values = dict(row.values)
    values.setdefault("transcript_id", Path(source).stem)
    values["text"] = "x"  # the text comes from the file, not the row
    try:
        tid, _turn, head, meta = read_record(values, row.line)
    except ValueError as error:
        raise TranscriptParseError(row.manifest, row.line, str(error)) from None
    if "date" not in head:
        raise TranscriptParseError(row.manifest, row.line, f'no date for {values["file"]} (add a date column: 2011, 2011-09 or 2011-09-21)')
    meta.pop("file", None)
    speaker = _turn[2]
    role = _turn[3]
    blocks = paragraphs(text)
    if not blocks:
        raise TranscriptParseError(source, 1, "empty file")
    draft = Draft(row.line, head=head, meta=meta)
    draft.turns = [(float(n), n, speaker, role, body) for n, body in blocks]
    transcript = build_transcript(tid, draft, source=source, facets=facets)
    kind = ADDRESS if speaker else NARRATION
    return _with_kind(transcript, kind)


def _with_kind(transcript: Transcript, kind: str) -> Transcript:
    """The transcript with every utterance of the given kind."""
    return replace(transcript, utterances=tuple(replace(u, kind=kind) for u in transcript.utterances))
