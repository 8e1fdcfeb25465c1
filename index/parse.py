"""Read transcripts as published on the site (DESIGN §2), the site's own HTML pages and JSONL
utterance files into Transcripts.

`parse_transcript`, `parse_html` and `parse_jsonl` are pure functions of a string; `parse_file`,
`source_files` and `iter_transcripts` do the reading. Label recognition lives in `index.labels`,
the page layout (header, trailing blocks, paragraphs) in `index.layout`, the reading of HTML
mark-up in `index.html`; text and HTML pages share the turn grouping and speaker resolution here.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index import html as page_html
from index import labels as lb
from index import layout
from index.errors import TranscriptParseError
from index.models import ADDRESS, NARRATION, SPEECH, Transcript, Utterance

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl",)
HTML_SUFFIXES = page_html.HTML_SUFFIXES
# A page holds one transcript (the longest on the site is about 250 KB); a far bigger file is
# not one, and parsing it would take minutes and gigabytes. JSONL corpora have no limit.
MAX_PAGE_BYTES = 16 * 2**20
# The site prints quotation marks either way round (”…“ as often as “…”).
_OPENING_QUOTES = "“”\"«‘"

# Titles and leads that say whose words an unlabelled document is.
_NAME = r"(?P<name>(?:[A-Z][\w’'\-.]+ ){1,3}[A-Z][\w’'\-]+)"
_ADDRESS_PATTERNS = (
    re.compile(rf"^{_NAME}[’']s? (?:video )?(?:address|speech|article|statement|remarks|message|greetings|letter|interview)\b"),
    re.compile(rf"\b(?:[Aa]ddress|[Ss]peech|[Aa]rticle|[Ss]tatement|[Rr]emarks|[Mm]essage|[Ll]etter) by (?:[A-Z][\w-]* (?:of (?:the )?)?)*?{_NAME}\.?$"),
    re.compile(
        rf"^{_NAME},? (?:said|stated|noted|stressed|declared|addressed|spoke|wrote|writes|"
        r"made (?:a|an|his) (?:statement|address|speech)|delivered|gave (?:a|an) (?:speech|address)|"
        r"sent (?:a |his )?(?:message|greetings|condolences|telegram|letter))\b"
    ),
)


@dataclass
class _Turn:
    """A labelled turn or a stretch of narration while the body is being read."""

    label: lb.Label | None
    paragraphs: list[str] = field(default_factory=list)
    opening: str = ""  # the first paragraph as written, label included


def _split_lines(text: str) -> list[str]:
    """Lines without a BOM, invisible characters, CR/CRLF endings or trailing spaces."""
    text = text.translate(layout.INVISIBLE).replace("\r\n", "\n").replace("\r", "\n")
    return [line.rstrip() for line in text.split("\n")]


def _blocks(paragraphs: list[layout.Paragraph]) -> list[layout.Block]:
    """Paragraphs of a text page, with the labels recognised from their words."""
    blocks: list[layout.Block] = []
    for paragraph in paragraphs:
        matched = lb.match_label(paragraph.text) if paragraph.kind == layout.TEXT else None
        if matched:
            blocks.append(layout.Block(paragraph.kind, paragraph.text, *matched))
        else:
            blocks.append(layout.Block(paragraph.kind, paragraph.text))
    return blocks


def _turns(blocks: Iterable[layout.Block]) -> list[_Turn]:
    """Group paragraphs into turns: every label starts one; a separator ends the current one."""
    turns: list[_Turn] = []
    current: _Turn | None = None
    for block in blocks:
        if block.kind == layout.SEPARATOR:
            current = None
            continue
        if block.kind == layout.ELISION:
            if current is not None:
                current.paragraphs.append("…")
            continue
        if block.label is not None:
            current = _Turn(block.label, [block.rest] if block.rest else [], block.opening)
            turns.append(current)
            continue
        if current is None:
            current = _Turn(None)
            turns.append(current)
        current.paragraphs.append(block.opening)
    return _fold_quoted_sources(turns)


def _fold_quoted_sources(turns: list[_Turn]) -> list[_Turn]:
    """Put back into the reader's turn the statements a speaker reads out under their source
    (`Germany: “This is a matter of …”`): a label with no job title whose every turn in the
    document opens with a quotation mark, right after someone's turn, names a source, not a speaker."""
    quoted: dict[str, bool] = {}
    for turn in turns:
        if turn.label is not None:
            key = lb.name_key(turn.label.core)
            opens_quote = bool(turn.paragraphs) and turn.paragraphs[0][:1] in _OPENING_QUOTES
            quoted[key] = quoted.get(key, True) and opens_quote and not lb.has_role_word(turn.label.core)
    folded: list[_Turn] = []
    for turn in turns:
        previous = folded[-1] if folded else None
        if turn.label is not None and quoted[lb.name_key(turn.label.core)] and previous and previous.label:
            previous.paragraphs.extend([turn.opening, *turn.paragraphs[1:]])
        else:
            folded.append(turn)
    return folded


def _doc_phrases(texts: Iterable[str]) -> dict[str, str]:
    """Runs of 2–4 words from the title, lead and Persons block, by name key (to re-space `VladimirPutin`)."""
    phrases: dict[str, str] = {}
    for text in texts:
        words = re.findall(r"[\w’'\-]+", text)
        for size in (2, 3, 4):
            for start in range(len(words) - size + 1):
                phrase = " ".join(words[start : start + size])
                phrases.setdefault(lb.name_key(phrase), phrase)
    return phrases


def resolve_speakers(
    cores: list[str], *, persons: Iterable[str] = (), context: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(speaker, role) per label core: one best-written name and one role per person in the document."""
    persons = list(persons)
    known = {lb.name_key(core) for core in cores} | {lb.name_key(n) for n in lb.persons_names(persons)}
    split = [lb.split_role(core, known) for core in cores]
    forms: dict[str, list[str]] = {}
    roles: dict[str, str] = {}
    for name, role in split:
        key = lb.name_key(name)
        forms.setdefault(key, []).append(name)
        if role and not roles.get(key):
            roles[key] = role
    phrases: dict[str, str] | None = None
    best: dict[str, str] = {}
    for key, names in forms.items():
        name = lb.best_form(names)
        if " " not in name and lb.camel_split(name) != name:
            if phrases is None:
                phrases = _doc_phrases([*context, *lb.persons_names(persons)])
            name = phrases.get(key, name)
        best[key] = name
    return [(best[lb.name_key(name)], roles.get(lb.name_key(name), "")) for name, _ in split]


def address_speaker(title: str, summary: str) -> str:
    """Whose words an unlabelled document is, when its title or lead says so; else ""."""
    for text in (title, *summary.split("\n\n")[:1]):
        for pattern in _ADDRESS_PATTERNS:
            match = pattern.search(text)
            if match:
                name, _role = lb.split_role(match.group("name").rstrip("."), set())
                return name
    return ""


def _clean(text: str) -> str:
    """Utterance text with elision marks as a plain ellipsis."""
    return layout.ELISION_MARK.sub("…", text).strip()


Draft = tuple[str, str, str, str]  # (speaker, role, kind, text) before ids are assigned


def _body_drafts(
    turns: list[_Turn], *, title: str, summary: str, persons: tuple[str, ...], published_in: tuple[str, ...]
) -> list[Draft]:
    """Speech and narration drafts for a page with labels; one address (or narration) without."""
    labelled = [t.label.core for t in turns if t.label is not None]
    if not labelled:
        body = _clean("\n\n".join(p for turn in turns for p in turn.paragraphs))
        if not body:
            return []
        # A news report about someone is narration; only a transcript page is their own words.
        news_only = published_in and "Transcripts" not in published_in
        speaker = "" if news_only else address_speaker(title, summary)
        return [(speaker, "", ADDRESS if speaker else NARRATION, body)]
    speakers = iter(resolve_speakers(labelled, persons=persons, context=(title, summary)))
    drafts: list[Draft] = []
    for turn in turns:
        body = _clean("\n\n".join(turn.paragraphs))
        if turn.label is not None:
            drafts.append((*next(speakers), SPEECH, body))
        elif body:
            drafts.append(("", "", NARRATION, body))
    return drafts


def _utterances(tid: str, summary: str, drafts: list[Draft]) -> tuple[Utterance, ...]:
    """Numbered utterances: the summary as narration first, then the body's drafts."""
    if summary:
        drafts = [("", "", NARRATION, summary), *drafts]
    return tuple(
        Utterance(id=f"{tid}:{seq}", transcript_id=tid, seq=seq, speaker=s, role=r, kind=k, text=t)
        for seq, (s, r, k, t) in enumerate(drafts)
    )


def parse_transcript(text: str, *, source: str, transcript_id: str | None = None) -> Transcript:
    """One transcript from the text of a page in the site layout; raises TranscriptParseError."""
    lines = _split_lines(text)
    if not any(lines):
        raise TranscriptParseError(source, 1, "empty file")
    tid = transcript_id or Path(source).stem
    header = layout.parse_header(lines, source)
    tail = layout.parse_tail(lines, header.body_start)
    summary = "\n\n".join(_clean(p.text) for p in layout.paragraphs(header.lead) if p.kind == layout.TEXT)
    body_lines = list(enumerate(lines[header.body_start : tail.body_end], header.body_start + 1))
    turns = _turns(_blocks(layout.paragraphs(body_lines)))
    drafts = _body_drafts(
        turns, title=header.title, summary=summary, persons=tail.persons, published_in=tail.published_in
    )
    return Transcript(
        id=tid,
        title=header.title,
        date=header.date,
        summary=summary,
        time=header.time,
        place=header.place,
        section=header.section,
        topics=tail.topics,
        geography=tail.geography,
        persons=tail.persons,
        source=source,
        utterances=_utterances(tid, summary, drafts),
    )


def parse_html(text: str, *, source: str, transcript_id: str | None = None) -> Transcript:
    """One transcript from a page of the site as it serves it (HTML); raises TranscriptParseError.

    Its id is `kremlin-<page id>` (from og:url, the canonical link or `<id>.html`), the id of the
    text form of the same page; `source` is the page's address when the page states it."""
    if not text.strip():
        raise TranscriptParseError(source, 1, "empty file")
    page = page_html.read_page(text, source=source)
    tid = transcript_id or page.transcript_id or Path(source).stem
    summary = "\n\n".join(filter(None, (_clean(p) for p in page.summary)))
    drafts = _body_drafts(
        _turns(page.body), title=page.title, summary=summary, persons=page.persons, published_in=page.published_in
    )
    return Transcript(
        id=tid,
        title=page.title,
        date=page.date,
        summary=summary,
        time=page.time,
        place=page.place,
        section=page.section,
        topics=page.topics,
        geography=page.geography,
        persons=page.persons,
        source=page.url or source,
        utterances=_utterances(tid, summary, drafts),
    )


# --- JSONL -------------------------------------------------------------------------------------


def _jsonl_date(value: Any) -> dt.date:
    """ISO `2013-05-07` or the site's `May 7, 2013`."""
    if not isinstance(value, str):
        raise ValueError("date must be a string")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        parsed = layout.parse_date(value.strip())
        if parsed is None:
            raise ValueError(f"bad date {value!r} (expected YYYY-MM-DD)") from None
        return parsed


def _str_list(value: Any) -> tuple[str, ...]:
    """A JSON list of strings (or one string) as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError("expected a list of strings")


def parse_jsonl(text: str, *, source: str) -> list[Transcript]:
    """Transcripts from JSONL utterances (DESIGN §2); lines sharing a transcript_id form one transcript."""
    heads: dict[str, dict[str, Any]] = {}
    turns: dict[str, list[Utterance]] = {}
    for number, line in enumerate(_split_lines(text), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise TranscriptParseError(source, number, f"invalid JSON: {err.msg}") from None
        if not isinstance(record, dict):
            raise TranscriptParseError(source, number, "expected a JSON object")
        missing = [k for k in ("transcript_id", "text") if not isinstance(record.get(k), str)]
        if missing:
            raise TranscriptParseError(source, number, f"missing or non-string field(s): {', '.join(missing)}")
        tid = record["transcript_id"]
        if tid not in heads:
            if not isinstance(record.get("title"), str):
                raise TranscriptParseError(source, number, "missing or non-string field: title")
            try:
                heads[tid] = {
                    "title": record["title"],
                    "date": _jsonl_date(record.get("date")),
                    "place": record.get("place") or None,
                    "topics": _str_list(record.get("topics")),
                    "geography": _str_list(record.get("geography")),
                    "persons": _str_list(record.get("persons")),
                }
            except ValueError as err:
                raise TranscriptParseError(source, number, str(err)) from None
            turns[tid] = []
        speaker = record.get("speaker") or ""
        role = record.get("role") or ""
        if not isinstance(speaker, str) or not isinstance(role, str):
            raise TranscriptParseError(source, number, "speaker and role must be strings")
        seq = len(turns[tid])
        turns[tid].append(
            Utterance(
                id=f"{tid}:{seq}",
                transcript_id=tid,
                seq=seq,
                speaker=speaker,
                role=role,
                kind=SPEECH if speaker else NARRATION,
                text=_clean(record["text"]),
            )
        )
    if not heads:
        raise TranscriptParseError(source, 1, "no records")
    return [Transcript(id=tid, source=source, utterances=tuple(turns[tid]), **head) for tid, head in heads.items()]


# --- files -------------------------------------------------------------------------------------


def _is_transcript_jsonl(path: Path) -> bool:
    """Whether a .jsonl file holds utterances (its first record has transcript_id and text)."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    return isinstance(record, dict) and "transcript_id" in record and "text" in record
    except (OSError, ValueError):
        return True  # let parse_file report the problem with its line number
    return True


def _is_site_page(path: Path) -> bool:
    """Whether an .html file found in a folder is an article page of the site (not a listing,
    an index page or a page of another site); unreadable files are let through to be reported."""
    try:
        return page_html.is_site_page(path.read_bytes())
    except OSError:
        return True


def _wanted(path: Path) -> bool:
    """Whether a file found in a folder is read: transcripts, utterance JSONL, the site's article pages."""
    if path.suffix in JSONL_SUFFIXES and not _is_transcript_jsonl(path):
        log.info("%s: skipped, its records are not utterances (no transcript_id/text)", path)
        return False
    if path.suffix.lower() in HTML_SUFFIXES:
        if path.name.lower() in page_html.DUPLICATE_NAMES:
            return False  # the print/photo view of a page in a wget mirror
        if not _is_site_page(path):
            log.info("%s: skipped, not an article page of the site (no article text)", path)
            return False
    return True


def source_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given and, for folders, every *.txt / *.jsonl / *.html below them (sorted; no README*,
    no hidden files, no print/photo views or non-article pages of a wget mirror)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = sorted(
                p
                for p in path.rglob("*")
                if (p.suffix in TEXT_SUFFIXES + JSONL_SUFFIXES or p.suffix.lower() in HTML_SUFFIXES)
                and p.is_file()
                and not p.name.upper().startswith("README")
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            found.extend(candidate for candidate in candidates if _wanted(candidate))
        elif path.suffix in JSONL_SUFFIXES and path.is_file() and not _is_transcript_jsonl(path):
            log.info("%s: skipped, its records are not utterances (no transcript_id/text)", path)
        else:
            found.append(path)
    return found


def decode(data: bytes, source: str) -> str:
    """A file's text: UTF-8 (BOM or not) or UTF-16 with a BOM; raises TranscriptParseError for
    binary data or another encoding (guessing one could index garbled words without a word said)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise TranscriptParseError(source, 1, f"not valid UTF-16 ({err.reason})") from None
    nul = data.find(b"\0")
    if nul >= 0:
        raise TranscriptParseError(source, data.count(b"\n", 0, nul) + 1, "binary data (NUL byte), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        reason = f"not UTF-8 (byte {data[err.start]:#04x}); save it as UTF-8"
        raise TranscriptParseError(source, line, reason) from None


def parse_file(path: Path) -> list[Transcript]:
    """Transcripts in one file, by suffix (UTF-8, or UTF-16 with a BOM; any line ends); raises TranscriptParseError."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PAGE_BYTES and path.suffix not in JSONL_SUFFIXES:
            reason = f"file too large ({size / 2**20:.1f} MB > {MAX_PAGE_BYTES // 2**20} MB) for one transcript"
            raise TranscriptParseError(source, 0, reason)
        data = path.read_bytes()
    except OSError as err:
        raise TranscriptParseError(source, 0, f"cannot read: {err.strerror or err}") from None
    text = decode(data, source)
    if path.suffix in JSONL_SUFFIXES:
        return parse_jsonl(text, source=source)
    if path.suffix.lower() in HTML_SUFFIXES:
        return [parse_html(text, source=source)]
    return [parse_transcript(text, source=source)]


def iter_transcripts(
    paths: Iterable[str | Path], on_error: Callable[[TranscriptParseError], None] | None = None
) -> Iterator[Transcript]:
    """Every transcript under `paths`; a file that fails goes to `on_error` (default: a warning) and is skipped."""
    for path in source_files(paths):
        try:
            transcripts = parse_file(path)
        except TranscriptParseError as err:
            if on_error is None:
                log.warning("%s", err)
            else:
                on_error(err)
            continue
        yield from transcripts
