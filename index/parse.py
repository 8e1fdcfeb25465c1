"""Read transcripts as published on the site (DESIGN §2), the site's own HTML pages and own
corpora (DESIGN §6: .jsonl, .json, .csv/.tsv records, .txt speeches listed in a manifest) into
Transcripts.

`parse_transcript`, `parse_html`, `parse_jsonl` and `parse_records` are pure functions of a string;
`read_file`, `parse_file`, `source_files` and `iter_transcripts` do the reading (records in
`index.records`, records and manifests into transcripts in `index.corpus`). Label recognition lives in `index.labels`,
the page layout (header, trailing blocks, paragraphs) in `index.layout`, the reading of HTML
mark-up in `index.html`; text and HTML pages share the turn grouping and speaker resolution here.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index import corpus, records
from index import manifest as listed
from index import html as page_html
from index import labels as lb
from index import layout
from index import people
from index import roles as rl
from index.errors import TranscriptParseError
from index.models import ADDRESS, NARRATION, SPEECH, Transcript, Utterance
from index.reading import (
    MAX_CORPUS_FILE_BYTES,
    MAX_TRANSCRIPT_BYTES,
    guarded,
    input_problem,
    looping_links,
    read_input,
    size_limit,
)
from index.sources import site_url

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = records.JSONL_SUFFIXES
RECORD_SUFFIXES = records.RECORD_SUFFIXES
HTML_SUFFIXES = page_html.HTML_SUFFIXES
# The caps live in index.reading (`size_limit`, `read_input`), with the other checks every input
# file gets. A page holds one transcript (the longest on the site is about 250 KB); a far bigger
# file is not one. A record file (.jsonl, .json, .csv, .tsv) is read whole: 256 MB of text is about
# a million utterances and a few GB of memory while parsing; split a bigger corpus into several files.
MAX_PAGE_BYTES = MAX_TRANSCRIPT_BYTES
MAX_RECORDS_BYTES = MAX_CORPUS_FILE_BYTES
MAX_TABLE_BYTES = MAX_RECORDS_BYTES
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


Resolved = tuple[str | None, str]  # (speaker, or None for an anonymous voice; normalised role)


def resolve_speakers(
    cores: list[str], *, persons: Iterable[str] = (), context: Iterable[str] = ()
) -> list[Resolved]:
    """(speaker, role) per label core: one best-written name and one role per person in the document;
    spelling variants and short forms (`Putin`) of one person merged; None for anonymous voices."""
    persons = list(persons)
    known = {lb.name_key(core) for core in cores} | {lb.name_key(n) for n in lb.persons_names(persons)}
    anonymous = [lb.is_anonymous(core) for core in cores]
    split = [lb.split_role(core, known) for core in cores]
    forms: dict[str, list[str]] = {}
    roles: dict[str, str] = {}
    for (name, role), anon in zip(split, anonymous):
        if anon:
            continue
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
    turns = Counter(best[lb.name_key(name)] for (name, _), anon in zip(split, anonymous) if not anon)
    person = people.alias_table(turns)
    for short, full in people.short_forms(sorted(set(person.values()))).items():
        person[short] = person.get(full, full)
    person_role: dict[str, str] = {}
    for key, name in best.items():
        if roles.get(key):
            person_role.setdefault(person[name], roles[key])
    resolved: list[Resolved] = []
    for core, (name, _), anon in zip(cores, split, anonymous):
        if anon:
            resolved.append((None, rl.normalise_role(core) if lb.has_role_word(core) and "," not in core else ""))
            continue
        speaker = person[best[lb.name_key(name)]]
        resolved.append((speaker, rl.normalise_role(person_role.get(speaker, ""))))
    return resolved


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


Draft = tuple[str | None, str, str, str, str]  # (speaker, role, kind, text, label) before ids are assigned


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
        return [(speaker, "", ADDRESS if speaker else NARRATION, body, "")]
    speakers = iter(resolve_speakers(labelled, persons=persons, context=(title, summary)))
    drafts: list[Draft] = []
    for turn in turns:
        body = _clean("\n\n".join(turn.paragraphs))
        if turn.label is not None:
            speaker = next(speakers)
            if body:  # a label with no words after it is no utterance (a file of labels alone made 60,000)
                drafts.append((*speaker, SPEECH, body, lb.label_text(turn.label)))
        elif body:
            drafts.append(("", "", NARRATION, body, ""))
    return drafts


def _utterances(tid: str, summary: str, drafts: list[Draft]) -> tuple[Utterance, ...]:
    """Numbered utterances: the summary as narration first, then the body's drafts."""
    if summary:
        drafts = [("", "", NARRATION, summary, ""), *drafts]
    return tuple(
        Utterance(id=f"{tid}:{seq}", transcript_id=tid, seq=seq, speaker=s, role=r, kind=k, text=t, label=label)
        for seq, (s, r, k, t, label) in enumerate(drafts)
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
        url=site_url(tid),
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
        url=page.url or site_url(tid),
    )


# --- own corpora: JSONL, JSON, CSV/TSV, manifest-listed speeches (DESIGN §6; index.corpus) ---


def parse_jsonl(text: str, *, source: str) -> list[Transcript]:
    """Transcripts from JSONL utterances (DESIGN §6); raises the first problem if a line is bad."""
    transcripts, problems = parse_records(text, source=source, suffix=".jsonl")
    if problems:
        raise problems[0]
    return transcripts


def parse_records(
    text: str, *, source: str, suffix: str, config: corpus.CorpusConfig | None = None
) -> tuple[list[Transcript], list[TranscriptParseError]]:
    """Transcripts from a .jsonl/.json/.csv/.tsv file's text and its bad lines (each skipped)."""
    found = records.read_records(text, source=source, suffix=suffix)
    config = config or corpus.CorpusConfig()
    if not found.records and not found.problems:
        if found.columns is None or not text.strip():
            raise TranscriptParseError(source, 1, "no records: the file is empty")
        corpus.transcripts_from_records(found, source=source, config=config)  # a first row naming no field says so
        raise TranscriptParseError(source, 1, "no records: a header row and no rows below it")
    return corpus.transcripts_from_records(found, source=source, config=config)


# --- files -------------------------------------------------------------------------------------

# Keys that make a record file found in a folder worth reading (others, e.g. ground-truth
# JSONL such as turns.jsonl, are left alone); a file given by name is always read.
_RECORD_KEY_NAMES = frozenset(("transcript_id", "text", "id", "doc_id", "document_id", "content", "speech", "utterance"))


@dataclass(frozen=True)
class ParsedFile:
    """What one file gave: its transcripts and the problems met (bad lines or rows, each skipped).
    A file with problems and no transcripts failed as a whole."""

    transcripts: tuple[Transcript, ...]
    problems: tuple[TranscriptParseError, ...] = ()


def _looks_like_records(path: Path) -> bool:
    """Whether a .jsonl/.json/.csv/.tsv file found in a folder holds utterance records, judged
    by the keys or header at its start (and verbatim.toml's column names); unreadable: yes."""
    if input_problem(path):
        return True  # not opened: read_file reports why
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            start = handle.read(65536)
        config = corpus.read_config(path.parent)
    except (OSError, TranscriptParseError):
        return True
    columns = {column.lower() for column in (*config.fields.values(), "transcript_id", "text")}
    if path.suffix.lower() in records.TABLE_SUFFIXES:
        header = start.splitlines()[0] if start.strip() else ""
        cells = {cell.strip().strip('"').lower() for cell in re.split(r"[,\t]", header)}
        return bool(cells & (columns | _RECORD_KEY_NAMES))
    keys = {key.lower() for key in re.findall(r'"([^"\\]+)"\s*:', start)}
    return bool(keys & (columns | _RECORD_KEY_NAMES))


def _is_site_page(path: Path) -> bool:
    """Whether an .html file found in a folder is an article page of the site (not a listing,
    an index page or a page of another site); unreadable files are let through to be reported."""
    try:
        return page_html.is_site_page(read_input(path))
    except TranscriptParseError:
        return True


def _manifest_of(folder: Path) -> tuple[Path | None, dict[str, listed.ManifestRow] | None]:
    """A folder's manifest and its rows by file name (none without one; None when the manifest
    or verbatim.toml cannot be read, so that each text file fails with the reason); bad rows are logged."""
    try:
        config = corpus.read_config(folder)
        manifest = listed.find_manifest(folder, config)
        if manifest is None:
            return None, {}
        rows, problems = listed.manifest_rows(manifest, config)
    except (TranscriptParseError, OSError):
        return folder / listed.MANIFEST_NAMES[0], None
    for problem in problems:
        log.warning("%s", problem)
    for name, row in rows.items():
        if not (folder / name).is_file():
            log.warning("%s:%d: %s is listed but there is no such file in %s (correct its file cell, or add the file)",
                        row.manifest, row.line, name, folder)
    return manifest, rows


def _listed_but_missing(manifests: dict[Path, tuple[Path | None, dict[str, listed.ManifestRow] | None]]) -> list[Path]:
    """The files manifests list that are not there: returned so that reading them fails and the run
    says so (exit 1), rather than indexing fewer speeches than the manifest promises in silence."""
    return [folder / name for folder, (_manifest, rows) in manifests.items()
            for name in rows or () if not (folder / name).is_file()]


def _wanted(path: Path, manifests: dict[Path, tuple[Path | None, dict[str, listed.ManifestRow] | None]]) -> bool:
    """Whether a file found in a folder is read: transcripts, utterance records, the site's
    article pages, the texts a manifest lists (not the manifest or the config themselves)."""
    folder = path.parent
    if folder not in manifests:
        manifests[folder] = _manifest_of(folder)
    manifest, rows = manifests[folder]
    suffix = path.suffix.lower()
    if manifest is not None and (path == manifest or path.name in listed.MANIFEST_NAMES):
        return False
    if suffix in TEXT_SUFFIXES and manifest is not None and rows is not None and path.name not in rows:
        if not (folder / corpus.CONFIG_NAME).exists() and looks_like_site_page(path):
            return True  # a page of the site beside a manifest that describes pages
        log.warning("%s: skipped, not listed in %s", path, manifest.name)
        return False
    if suffix in RECORD_SUFFIXES and not _looks_like_records(path):
        if suffix in records.TABLE_SUFFIXES:  # perhaps a corpus whose header row is missing: say so
            log.warning("%s: skipped, its first row names no field (transcript_id, text, …): "
                        "a header row is required", path)
        else:
            log.info("%s: skipped, its records are not utterances (no transcript_id/text)", path)
        return False
    if suffix in HTML_SUFFIXES:
        if path.name.lower() in page_html.DUPLICATE_NAMES:
            return False  # the print/photo view of a page in a wget mirror
        if not _is_site_page(path):
            log.info("%s: skipped, not an article page of the site (no article text)", path)
            return False
    return True


def _is_candidate(path: Path, root: Path) -> bool:
    """A file below a folder that may hold transcripts: known suffix, no README, nothing hidden."""
    return (
        (path.suffix in TEXT_SUFFIXES or path.suffix.lower() in RECORD_SUFFIXES + HTML_SUFFIXES)
        and path.is_file()
        and not path.name.upper().startswith("README")
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def source_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given and, for folders, every transcript, record file and site page below them
    (sorted; no README*, no hidden files, no print/photo views or non-article pages of a wget
    mirror; in a folder with a manifest, the .txt files it lists). A manifest given by name
    stands for the files it lists."""
    found: list[Path] = []
    manifests: dict[Path, tuple[Path | None, dict[str, listed.ManifestRow] | None]] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if _is_candidate(p, path))
            found.extend(candidate for candidate in candidates if _wanted(candidate, manifests))
            found.extend(looping_links(path, (*TEXT_SUFFIXES, *RECORD_SUFFIXES, *HTML_SUFFIXES)))  # reported when read
        elif path.is_file() and path.name in listed.MANIFEST_NAMES + _named_manifest(path):
            _manifest, rows = _manifest_of(path.parent)
            found.extend(sorted(path.parent / name for name in rows) if rows is not None else [path])
        else:
            found.append(path)
    return found + _listed_but_missing(manifests)


def _named_manifest(path: Path) -> tuple[str, ...]:
    """The manifest name verbatim.toml gives in the file's folder, if any."""
    try:
        name = corpus.read_config(path.parent).manifest
    except TranscriptParseError:
        return ()
    return (name,) if name else ()


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


def size_cap(path: Path) -> int:
    """The largest file of this form read (a page holds one transcript; record files many)."""
    return size_limit(path)


def read_capped(path: Path, limit: int) -> bytes:
    """A file's bytes, its size checked against `limit` before reading (and only a regular file:
    index.reading.read_input); raises TranscriptParseError."""
    return read_input(path, limit)


def read_file(path: Path) -> ParsedFile:
    """Transcripts in one file, by suffix and folder (UTF-8, or UTF-16 with a BOM; any line ends),
    with the bad lines or rows that were skipped; raises TranscriptParseError when the file fails."""
    source = str(path)
    suffix = path.suffix.lower()
    text = decode(read_capped(path, size_cap(path)), source)
    if suffix in RECORD_SUFFIXES:
        transcripts, problems = parse_records(text, source=source, suffix=suffix, config=corpus.read_config(path.parent))
        if not transcripts:
            raise problems[0] if len(problems) == 1 else _all_failed(source, problems)
        return ParsedFile(tuple(transcripts), tuple(problems))
    if suffix in HTML_SUFFIXES:
        return ParsedFile((parse_html(text, source=source),))
    if path.suffix in TEXT_SUFFIXES and listed.is_manifest_text(path) and _is_speech(path, text):
        return ParsedFile((_manifest_speech(path, text),))
    return ParsedFile((parse_transcript(text, source=source),))


def _all_failed(source: str, problems: list[TranscriptParseError]) -> TranscriptParseError:
    """One error for a file none of whose records could be used: the first reason and how many."""
    first = problems[0]
    return TranscriptParseError(source, first.line, f"{first.reason} (and {len(problems) - 1} more bad lines; nothing read)")


# A page of the site has its date line among the first lines of its header.
_HEADER_LINES = 12


def _has_site_header(text: str) -> bool:
    """Whether a text starts like a page of the site: a title, then a date line (`May 7, 2013`)."""
    lines = [line.strip() for line in text.splitlines()[:100] if line.strip()][:_HEADER_LINES]
    return any(layout.parse_date(line) is not None for line in lines[1:])


def looks_like_site_page(path: Path) -> bool:
    """Whether a .txt file starts like a page of the site (unreadable: no)."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            return _has_site_header(handle.read(8192))
    except OSError:
        return False


def _is_speech(path: Path, text: str) -> bool:
    """Whether a .txt in a manifest folder is a plain speech: always with a verbatim.toml, else
    unless it reads as a page of the site (a manifest may describe a folder of such pages)."""
    return (path.parent / corpus.CONFIG_NAME).exists() or not _has_site_header(text)


def _manifest_speech(path: Path, text: str) -> Transcript:
    """A plain-text speech with the fields of its manifest row."""
    config = corpus.read_config(path.parent)
    manifest = listed.find_manifest(path.parent, config)
    assert manifest is not None
    rows, _problems = listed.manifest_rows(manifest, config)
    row = rows.get(path.name)
    if row is None:
        raise TranscriptParseError(str(path), 0, f"not listed in {manifest} (add a row with file = {path.name})")
    return listed.speech_transcript(text, source=str(path), row=row, facets=tuple(config.facets))


def parse_file(path: Path) -> list[Transcript]:
    """Transcripts in one file (see `read_file`); skipped bad lines are logged as warnings."""
    parsed = read_file(path)
    for problem in parsed.problems:
        log.warning("%s", problem)
    return list(parsed.transcripts)


def iter_transcripts(
    paths: Iterable[str | Path], on_error: Callable[[TranscriptParseError], None] | None = None
) -> Iterator[Transcript]:
    """Every transcript under `paths`; a file or line that fails goes to `on_error` (default: a
    warning) and is skipped."""
    report = on_error or (lambda error: log.warning("%s", error))
    for path in source_files(paths):
        try:
            parsed = guarded(read_file, path)  # any error in one file: reported, the rest read
        except TranscriptParseError as err:
            report(err)
            continue
        for problem in parsed.problems:
            report(problem)
        yield from parsed.transcripts
