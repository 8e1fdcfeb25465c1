"""Reading an own corpus's records (DESIGN §6): JSON Lines, a JSON array, CSV/TSV with a header.

Each reader is a pure function of a file's text that returns the records it could read, each
with its line number, and a `path:line: reason` problem for each one it could not. A bad line
or row never costs the others. Turning records into transcripts is `index.corpus`'s job.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from index.errors import TranscriptParseError

JSONL_SUFFIXES = (".jsonl",)
JSON_SUFFIXES = (".json",)
TABLE_SUFFIXES = (".csv", ".tsv")
RECORD_SUFFIXES = JSONL_SUFFIXES + JSON_SUFFIXES + TABLE_SUFFIXES


@dataclass(frozen=True)
class Record:
    """One utterance record as the file wrote it, and where."""

    line: int
    values: dict[str, Any]


@dataclass
class Records:
    """The records a file holds and the problems (bad lines or rows) met while reading it."""

    records: list[Record] = field(default_factory=list)
    problems: list[TranscriptParseError] = field(default_factory=list)
    columns: list[str] | None = None  # a table's header


def read_records(text: str, *, source: str, suffix: str) -> Records:
    """The records of a .jsonl, .json, .csv or .tsv file's text; raises TranscriptParseError when
    the whole file is unreadable as that form (with a hint at the form it looks like)."""
    suffix = suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return read_jsonl(text, source=source)
    if suffix in JSON_SUFFIXES:
        return read_json(text, source=source)
    return read_table(text, source=source, delimiter="\t" if suffix == ".tsv" else ",")


def _lines(text: str) -> list[str]:
    """Lines split at line ends only (str.splitlines also splits at U+2028, which JSON strings may hold)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _first_content_line(text: str) -> tuple[int, str]:
    """(number, stripped text) of the first non-blank line, or (1, "")."""
    for number, line in enumerate(_lines(text), 1):
        if line.strip():
            return number, line.strip()
    return 1, ""


def read_jsonl(text: str, *, source: str) -> Records:
    """One JSON object per line; a bad line is a problem, the others are read."""
    number, first = _first_content_line(text)
    if first.startswith("[") and _is_array_document(text, first):
        raise TranscriptParseError(
            source, number, "this is a JSON array, not JSON Lines (one object per line): rename the file to .json"
        )
    if first == "{":
        raise TranscriptParseError(
            source, number, "an object spread over several lines: JSON Lines needs one object per line "
            "(if the file is one JSON document, rename it to .json)"
        )
    result = Records()
    for number, line in enumerate(_lines(text), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            result.problems.append(TranscriptParseError(source, number, f"invalid JSON: {error.msg} (column {error.colno})"))
            continue
        if not isinstance(value, dict):
            result.problems.append(TranscriptParseError(source, number, f"expected a JSON object, found {_kind(value)}"))
            continue
        result.records.append(Record(number, value))
    return result


def _is_array_document(text: str, first: str) -> bool:
    """Whether a text whose first line opens with `[` is one JSON array (not a JSONL line that is one)."""
    try:
        json.loads(first)
    except json.JSONDecodeError:
        return True  # an array spread over several lines
    try:
        return isinstance(json.loads(text), list)
    except json.JSONDecodeError:
        return False


def read_json(text: str, *, source: str) -> Records:
    """An array of objects, or an object whose `utterances` key holds one; element lines are kept."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":
            reason = "several JSON values, one after another: this looks like JSON Lines; rename the file to .jsonl"
        else:
            reason = f"invalid JSON: {error.msg} (column {error.colno})"
        raise TranscriptParseError(source, error.lineno, reason) from None
    if isinstance(document, dict):
        if not isinstance(document.get("utterances"), list):
            keys = ", ".join(sorted(document)[:8]) or "none"
            raise TranscriptParseError(
                source, 1, f'expected an array of utterance objects or {{"utterances": [...]}}; found an object with keys: {keys}'
            )
        elements = document["utterances"]
    elif isinstance(document, list):
        elements = document
    else:
        raise TranscriptParseError(source, 1, f"expected an array of utterance objects, found {_kind(document)}")
    result = Records()
    for (line, value) in zip(_element_lines(text, isinstance(document, dict)), elements):
        if isinstance(value, dict):
            result.records.append(Record(line, value))
        else:
            result.problems.append(TranscriptParseError(source, line, f"expected a JSON object, found {_kind(value)}"))
    return result


def _element_lines(text: str, wrapped: bool) -> Iterator[int]:
    """The line on which each element of the (valid) document's utterance array starts."""
    decoder = json.JSONDecoder()
    position = _skip(text, 0)
    if wrapped:  # walk the object's keys up to "utterances"
        position = _skip(text, position + 1)
        while True:
            key, position = decoder.raw_decode(text, position)
            position = _skip(text, _skip(text, position) + 1)  # past ':'
            if key == "utterances":
                break
            _value, position = decoder.raw_decode(text, position)
            position = _skip(text, _skip(text, position) + 1)  # past ','
    position = _skip(text, position + 1)  # past '['
    while position < len(text) and text[position] != "]":
        yield text.count("\n", 0, position) + 1
        _value, position = decoder.raw_decode(text, position)
        position = _skip(text, position)
        if position < len(text) and text[position] == ",":
            position = _skip(text, position + 1)


def _skip(text: str, position: int) -> int:
    """The position of the next non-blank character."""
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def read_table(text: str, *, source: str, delimiter: str) -> Records:
    """Rows of a CSV/TSV file under its header row; empty cells are left out, a ragged row is a problem."""
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    result = Records()
    try:
        header = next(rows, None)
        if header is None or not any(cell.strip() for cell in header):
            raise TranscriptParseError(source, 1, "empty file: a header row naming the columns is required")
        names = [cell.strip() for cell in header]
        duplicates = sorted({name for name in names if name and names.count(name) > 1})
        if duplicates:
            raise TranscriptParseError(source, 1, f"column named twice in the header: {', '.join(duplicates)}")
        result.columns = names
        start = rows.line_num + 1
        for row in rows:
            line, start = start, rows.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                result.problems.append(
                    TranscriptParseError(source, line, f"{len(row)} cells where the header has {len(names)} columns")
                )
                continue
            values = {name: cell for name, cell in zip(names, row) if name and cell.strip()}
            result.records.append(Record(line, values))
    except csv.Error as error:
        raise TranscriptParseError(source, rows.line_num or 1, f"unreadable {'TSV' if delimiter == chr(9) else 'CSV'}: {error}") from None
    return result


def _kind(value: Any) -> str:
    """A JSON value's kind for messages: `an array`, `a string`, …"""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return "a number"
    return "an object"
