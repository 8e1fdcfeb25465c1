"""An own corpus (DESIGN §6): utterance records and manifest-listed speeches into Transcripts.

`verbatim.toml` (optional, in the corpus folder) maps the corpus's column names to our fields,
names the manifest and declares which metadata columns are offered as facets:

    manifest = "manifest.tsv"
    [fields]
    speaker = "speaker_name"
    date = "year"
    [facets]
    country = "country_code"

Every key a record holds that is not a field is kept as metadata of its transcript. A record
that cannot be used is a `path:line: reason` problem; the others are still read.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import logging
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.dates import DAY, parse_partial_date
from index.layout import ELISION_MARK, parse_date
from index.errors import TranscriptParseError
from index.labels import is_generic_voice
from index.models import NARRATION, SPEECH, Transcript, Utterance
from index.records import Record, Records
from index.roles import normalise_role

log = logging.getLogger(__name__)

CONFIG_NAME = "verbatim.toml"
MANIFEST_NAMES = ("manifest.tsv", "manifest.csv")  # looked for in this order (index.manifest)
REQUIRED = ("transcript_id", "text")
# Fields a record may give (DESIGN §6); list fields take a JSON list or `;`-separated text.
FIELDS = (
    "transcript_id", "text", "title", "date", "speaker", "role", "place", "topics", "geography", "seq",
    "time", "section", "summary", "url", "persons",
)
LIST_FIELDS = ("topics", "geography", "persons")
# Manifest rows give a transcript's fields and the file that holds its text.
MANIFEST_FIELDS = tuple(f for f in FIELDS if f not in ("text", "seq")) + ("file",)
# Names no metadata facet may take: the built-in facets and the search parameters.
RESERVED_FACETS = frozenset(
    ("speaker", "role", "year", "place", "topic", "geography", "q", "from", "to", "sort", "page", "per_page",
     "mode", "facet_limit", "format", "filter", "kind", "date", "title", "text", "id")
)
# Names users give a field that we can point at with "did you mean".
_ALIASES = {"id": "transcript_id", "doc_id": "transcript_id", "document_id": "transcript_id",
            "content": "text", "speech": "text", "utterance": "text", "name": "speaker", "year": "date"}


@dataclass(frozen=True)
class CorpusConfig:
    """What a corpus folder's verbatim.toml says (all empty without one)."""

    fields: Mapping[str, str] = field(default_factory=dict)  # our field -> the corpus's column
    facets: Mapping[str, str] = field(default_factory=dict)  # facet name -> column
    manifest: str | None = None
    path: str | None = None

    def __hash__(self) -> int:  # cached manifests are keyed by their config
        return hash((tuple(self.fields.items()), tuple(self.facets.items()), self.manifest, self.path))

    def rename(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A record with the corpus's column names turned into our field and facet names."""
        columns = {column: name for name, column in self.fields.items()}
        facet_columns = {column: name for name, column in self.facets.items()}
        renamed: dict[str, Any] = {}
        for key, value in values.items():
            name = columns.get(key) or facet_columns.get(key) or field_name(key, values)
            if name in renamed and key not in columns and key not in facet_columns:
                continue  # a mapped column wins over a column that happens to bear the field's name
            renamed[name] = value
        return renamed


def field_name(column: str, values: Mapping[str, Any]) -> str:
    """A column named like a field but for its case (`Speaker`, `Date`: spreadsheets capitalise
    headers) is that field, unless the record also has the field under its own name."""
    lower = column.lower()
    if lower != column and lower in FIELDS + ("file",) and lower not in values:
        return lower
    return column


def read_config(folder: Path) -> CorpusConfig:
    """The verbatim.toml of `folder`, or the empty config; raises TranscriptParseError when it is wrong."""
    path = folder / CONFIG_NAME
    if not path.is_file():
        return CorpusConfig()
    try:
        stat = path.stat()
    except OSError as error:
        raise TranscriptParseError(str(path), 0, f"cannot read: {error.strerror or error}") from None
    return _read_config(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _read_config(source: str, _mtime_ns: int, _size: int) -> CorpusConfig:
    """A parsed verbatim.toml (cached by path, modification time and size: read once per run)."""
    text = Path(source).read_text(encoding="utf-8-sig")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TranscriptParseError(source, 1, f"invalid TOML: {error}") from None
    return config_from_toml(data, source=source, text=text)


def _line_of(text: str, key: str) -> int:
    """The line where a key is written (for messages), or 1."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith(key):
            return number
    return 1


def config_from_toml(data: Mapping[str, Any], *, source: str, text: str = "") -> CorpusConfig:
    """A CorpusConfig from verbatim.toml's data; raises TranscriptParseError naming the wrong key."""

    def fail(key: str, reason: str) -> TranscriptParseError:
        return TranscriptParseError(source, _line_of(text, key), reason)

    for key in data:
        if key not in ("fields", "facets", "manifest"):
            raise fail(key, f"unknown key {key!r}{did_you_mean(key, ('fields', 'facets', 'manifest'))}; "
                            "verbatim.toml knows manifest, [fields] and [facets]")
    manifest = data.get("manifest")
    if manifest is not None and (not isinstance(manifest, str) or "/" in manifest or not manifest.strip()):
        raise fail("manifest", "manifest must be the name of a file in the corpus folder, e.g. \"manifest.tsv\"")
    fields_ = _string_table(data.get("fields", {}), "fields", fail)
    for name in fields_:
        if name not in FIELDS + ("file",):
            raise fail(name, f"[fields] {name}: not a field{did_you_mean(name, FIELDS + ('file',))}; "
                             f"fields are {', '.join(FIELDS + ('file',))}")
    facets = _string_table(data.get("facets", {}), "facets", fail)
    for name in facets:
        if not name.isidentifier() or not name.islower() or name in RESERVED_FACETS or name.startswith("_"):
            raise fail(name, f"[facets] {name}: a facet name is lower-case letters, digits and _ "
                             "and not one of the built-in names (speaker, role, year, place, topic, …)")
    return CorpusConfig(fields=fields_, facets=facets, manifest=manifest, path=source)


def _string_table(value: Any, name: str, fail: Any) -> dict[str, str]:
    """A TOML table of strings (name = "column")."""
    if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
        raise fail(name, f'[{name}] must be a table of name = "column" strings')
    return dict(value)


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """` (did you mean transcript_id?)` when `key` looks like one of `known`, else ""."""
    lowered = key.lower().replace("-", "_").replace(" ", "_")
    if lowered in known and lowered != key:
        return f" (did you mean {lowered}?)"
    alias = _ALIASES.get(lowered)
    if alias in known:
        return f" (did you mean {alias}?)"
    close = difflib.get_close_matches(lowered, list(known), n=1, cutoff=0.8)
    return f" (did you mean {close[0]}?)" if close else ""


# --- records → transcripts -------------------------------------------------------------------


def _text_value(value: Any, name: str) -> str:
    """A scalar field as text; raises ValueError for lists and objects."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise ValueError(f"{name} must be text, found {type(value).__name__}")
    return str(value)


def _list_value(value: Any, name: str) -> tuple[str, ...]:
    """A list field: a JSON list of strings or `;`-separated text."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise ValueError(f"{name} must be a list of strings or text separated by ';'")


def _meta_value(value: Any) -> str | None:
    """Metadata as text: scalars as written, lists joined with '; ', nothing for null or ''."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        text = "; ".join(str(v) for v in value if v is not None and not isinstance(v, (list, dict)))
        return text or None
    if isinstance(value, dict):
        return None
    text = str(value).strip()
    return text or None


def missing_field_reason(values: Mapping[str, Any], required: Iterable[str]) -> str | None:
    """Why a record lacks a required field, with the key it probably meant; None if it has them all."""
    missing = [name for name in required if not (isinstance(values.get(name), (str, int)) and str(values[name]).strip())]
    if not missing:
        return None
    hints = []
    for name in missing:
        for key in values:
            if key not in FIELDS and did_you_mean(key, (name,)):
                hints.append(f"found {key!r}: did you mean {name}? (rename it, or map it in verbatim.toml: "
                             f'[fields] {name} = "{key}")')
                break
    hint = "; " + "; ".join(hints) if hints else ""
    return f"missing {' and '.join(missing)}{hint}"


@dataclass
class Draft:
    """A transcript being assembled from its records."""

    line: int
    head: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    turns: list[tuple[float, int, str, str, str]] = field(default_factory=list)  # (seq, line, speaker, role, text)


def transcripts_from_records(records: Records, *, source: str, config: CorpusConfig) -> tuple[list[Transcript], list[TranscriptParseError]]:
    """Transcripts from utterance records (lines sharing a transcript_id form one, in file order,
    or in `seq` order when given), and the problems: bad records and transcripts without a date."""
    if records.columns is not None:
        named = set(config.rename({column: "" for column in records.columns}))
        if not named & set(FIELDS):
            raise TranscriptParseError(
                source, 1, f"the first row names none of the fields ({', '.join(FIELDS)}): "
                "a header row naming the columns is required (or map your column names in verbatim.toml [fields])"
            )
    problems = list(records.problems)
    drafts: dict[str, Draft] = {}
    warned: set[str] = set()
    for record in records.records:
        values = config.rename(record.values)
        _warn_lookalikes(values, source, record.line, warned)
        try:
            tid, turn, head, meta = read_record(values, record.line)
        except ValueError as error:
            problems.append(TranscriptParseError(source, record.line, str(error)))
            continue
        draft = drafts.setdefault(tid, Draft(record.line))
        for key, value in head.items():
            draft.head.setdefault(key, value)
        for key, value in meta.items():
            draft.meta.setdefault(key, value)
        draft.turns.append(turn)
    transcripts = []
    for tid, draft in drafts.items():
        try:
            transcripts.append(build_transcript(tid, draft, source=source, facets=tuple(config.facets)))
        except ValueError as error:
            problems.append(TranscriptParseError(source, draft.line, f"transcript {tid!r}: {error}"))
    problems.sort(key=lambda problem: problem.line)
    return transcripts, problems


def _warn_lookalikes(values: Mapping[str, Any], source: str, line: int, warned: set[str]) -> None:
    """Log once per key a metadata key that looks like a misspelt field (it is kept as metadata)."""
    for key in values:
        if key in FIELDS or key in warned:
            continue
        hint = did_you_mean(key, [f for f in FIELDS if f not in values])
        if hint:
            warned.add(key)
            log.warning("%s:%d: key %r is kept as metadata%s", source, line, key, hint)


def read_record(values: Mapping[str, Any], line: int) -> tuple[str, tuple[float, int, str, str, str], dict[str, Any], dict[str, str]]:
    """(transcript id, turn, transcript fields, metadata) of one record; raises ValueError."""
    reason = missing_field_reason(values, REQUIRED)
    if reason:
        raise ValueError(reason)
    tid = _text_value(values["transcript_id"], "transcript_id")
    if any(c in tid for c in "/\\:#?") or not tid.isprintable():
        raise ValueError(f"transcript_id {tid!r} may not contain / \\ : # ? or control characters")
    text = ELISION_MARK.sub("…", _text_value(values["text"], "text")).strip()
    speaker = _text_value(values.get("speaker") or "", "speaker")
    role = _text_value(values.get("role") or "", "role")
    seq_value = values.get("seq")
    try:
        seq = float(seq_value) if seq_value not in (None, "") and not isinstance(seq_value, bool) else float(line)
    except (TypeError, ValueError):
        raise ValueError(f"seq must be a number, found {seq_value!r}") from None
    head: dict[str, Any] = {}
    for name in ("title", "time", "section", "summary", "url", "place"):
        if values.get(name) not in (None, ""):
            head[name] = _text_value(values[name], name)
    if values.get("date") not in (None, ""):
        head["date"] = _date(_text_value(values["date"], "date"))
    for name in LIST_FIELDS:
        if values.get(name) not in (None, ""):
            head[name] = _list_value(values[name], name)
    meta = {key: text_ for key, value in values.items() if key not in FIELDS and (text_ := _meta_value(value))}
    return tid, (seq, line, speaker, role, text), head, meta


def _date(text: str) -> tuple[dt.date, str]:
    """(first day, precision) of `2011`, `2011-09`, `2011-09-21` or the site's `May 7, 2013`."""
    try:
        return parse_partial_date(text)
    except ValueError:
        day = parse_date(text)
        if day is None:
            raise
        return day, DAY


def build_transcript(tid: str, draft: Draft, *, source: str, facets: tuple[str, ...]) -> Transcript:
    """The transcript of a draft; raises ValueError when no record gave its date."""
    head = draft.head
    if "date" not in head:
        raise ValueError('no record gives its date (add a "date" such as 2011, 2011-09 or 2011-09-21)')
    date, precision = head["date"]
    turns = sorted(draft.turns, key=lambda turn: (turn[0], turn[1]))
    utterances = tuple(
        Utterance(
            id=f"{tid}:{seq}", transcript_id=tid, seq=seq, role=normalise_role(role),
            # The corpus's speaker is the label; a voice (`Question`, `Audience`) is nobody.
            speaker=None if speaker and is_generic_voice(speaker) else speaker, label=speaker,
            kind=SPEECH if speaker else NARRATION, text=text,
        )
        for seq, (_order, _line, speaker, role, text) in enumerate(turns)
    )
    return Transcript(
        id=tid,
        title=head.get("title") or tid,
        date=date,
        date_precision=precision,
        summary=head.get("summary", ""),
        time=head.get("time"),
        place=head.get("place"),
        section=head.get("section"),
        topics=head.get("topics", ()),
        geography=head.get("geography", ()),
        persons=head.get("persons", ()),
        source=source,
        url=head.get("url"),
        utterances=utterances,
        meta=draft.meta,
        facets=tuple(name for name in facets if name in draft.meta),
    )
