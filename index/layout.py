"""The site's page layout (DESIGN §2): header lines, trailing metadata blocks, and paragraphs
rebuilt from lines that the page source broke in the middle of sentences and labels."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from index import labels as lb
from index.errors import TranscriptParseError

MONTHS = (
    "January February March April May June July August September October November December".split()
)
_MONTH = "|".join(MONTHS)
_DASH = r"\s*[−–—-]\s*"
DATE_LINE = re.compile(
    rf"^(?:[A-Z][a-z]+, )?(?P<month>{_MONTH}) (?P<day>\d{{1,2}})"
    rf"(?:{_DASH}(?:(?:{_MONTH}) )?\d{{1,2}})?,? (?P<year>\d{{4}})$"
)
TIME_LINE = re.compile(r"^\d{1,2}:\d{2}$")
COUNTER_LINE = re.compile(r"^\d+ of \d+$")
SEPARATOR_LINE = re.compile(r"^\*(?:\s*\*)+$")
ELISION_MARK = re.compile(r"[<‹]\s*(?:…|\.\.\.)\s*[>›]")
MORE_LINE = re.compile(r"^\d+ more$")
BOX_HEADINGS = frozenset({"See also", "Additional"})
TAG_HEADINGS = {"Geography": "geography", "Topics": "topics", "Persons": "persons"}
_TRAILER = re.compile(r"^(?:Publication status|Text version|Published in sections?:.*|Publication date:.*)$")
_TERMINAL = ".!?…:;>"
_CLOSERS = "\"'”“»’)]"
_PULL_QUOTE = re.compile(r"^[”“\"](?P<quote>.+)[”“\"]$")
# A pull quote repeats words of a line at most this many lines away (the HTML pages mark them
# as <blockquote>: 6 lines finds the most of them without dropping quotations that are text).
_QUOTE_REACH = 6

# Words a sentence cannot end on: a line ending with one was broken mid-sentence ("About" / "President Trump: …").
_DANGLING = frozenset(
    """of the and or but for on in to at with about by from a an than as that which who whom whose into onto
    between among against over under our my your their his her its this these those is are was were be
    has have had will would can could should""".split()
)
TEXT, SEPARATOR, ELISION = "text", "separator", "elision"
# Invisible characters inside words (soft hyphens, zero-width spaces): not part of the text.
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))


@dataclass(frozen=True)
class Header:
    """What the lines above the body say."""

    section: str | None
    title: str
    lead: list[tuple[int, str]]
    date: dt.date
    time: str | None
    place: str | None
    body_start: int


@dataclass(frozen=True)
class Tail:
    """Where the body ends and the tag lists that follow it."""

    body_end: int
    topics: tuple[str, ...] = ()
    geography: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    published_in: tuple[str, ...] = ()  # site sections from "Published in sections: News, Transcripts"


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of the body (or a separator / elision marker) and the line it starts on."""

    kind: str
    text: str
    line: int


@dataclass(frozen=True)
class Block:
    """A paragraph ready to be grouped into turns: `label` is set when it opens a speaker turn
    (`rest` is then its text after the colon); `opening` is the paragraph as written."""

    kind: str
    opening: str
    label: lb.Label | None = None
    rest: str = ""


def parse_date(line: str) -> dt.date | None:
    """The (first) day of a date line: `May 7, 2013`, `Announcement, April 7 − 8, 2013`."""
    match = DATE_LINE.match(line.strip())
    if not match:
        return None
    try:
        return dt.date(int(match["year"]), MONTHS.index(match["month"]) + 1, int(match["day"]))
    except ValueError:
        return None


def _box_end(lines: list[str], start: int, stop: int) -> int | None:
    """End of a `See also` box at `start`: entries of 1–3 title lines and a date line, or one
    undated link (`News of Security Council`); None if no entry follows."""
    index = start + 1
    entries = 0
    while index < stop:
        for width in (1, 2, 3):
            if index + width < stop and parse_date(lines[index + width]) and all(lines[index : index + width]):
                index += width + 1
                entries += 1
                break
        else:
            break
    if entries:
        return index
    if index < stop and lines[index].strip() and len(lines[index]) <= 200:
        return index + 1
    return None


def _is_place(lines: list[str], index: int) -> bool:
    """A short capitalised line after the date and time, such as `Novo-Ogaryovo, Moscow Region`."""
    line = lines[index]
    following = lines[index + 1] if index + 1 < len(lines) else ""
    words = line.replace(",", " ").split()
    if not words or len(words) > 8 or any(ch in line for ch in ".!?:;") or COUNTER_LINE.match(line):
        return False
    if line in BOX_HEADINGS or line in TAG_HEADINGS or _TRAILER.match(line) or SEPARATOR_LINE.match(line):
        return False
    if not (lb.is_capitalised(words[0]) and lb.is_capitalised(words[-1])) or following[:1].islower():
        return False
    # "President of Russia" / "Vladimir Putin:" is a broken label, "The Kremlin, Moscow" / "Vladimir Putin:" is not
    return not (":" in following and lb.has_role_word(line) and lb.match_label(f"{line} {following}"))


def _date_line(lines: list[str], source: str) -> tuple[int, dt.date]:
    """Index and day of the header's date line; the header ends at the first separator, photo or box."""
    for index, line in enumerate(lines):
        date = parse_date(line)
        if date is not None:
            return index, date
        if SEPARATOR_LINE.match(line) or COUNTER_LINE.match(line) or line in BOX_HEADINGS or _TRAILER.match(line):
            break
    raise TranscriptParseError(source, 1, "no date line (such as 'May 7, 2013') above the body")


def parse_header(lines: list[str], source: str) -> Header:
    """Section, title, lead, date, time and place; raises TranscriptParseError without a date line."""
    date_index, date = _date_line(lines, source)
    above = [(i + 1, line.strip()) for i, line in enumerate(lines[:date_index]) if line.strip()]
    if not above:
        raise TranscriptParseError(source, date_index + 1, "no title above the date line")
    section = above.pop(0)[1] if len(above) >= 2 and re.fullmatch(r"[A-Z][a-z]+", above[0][1]) else None
    title = above.pop(0)[1]
    index = date_index + 1
    time = place = None
    if index < len(lines) and TIME_LINE.match(lines[index]):
        time = lines[index]
        index += 1
    if index < len(lines) and _is_place(lines, index):
        place = lines[index].strip()
        index += 1
    while index < len(lines):
        if COUNTER_LINE.match(lines[index]):
            index += 2  # the counter and the photo caption under it
        elif lines[index] in BOX_HEADINGS and (end := _box_end(lines, index, len(lines))) is not None:
            index = end
        else:
            break
    return Header(section, title, above, date, time, place, min(index, len(lines)))


def _tag_items(lines: list[str]) -> tuple[str, ...] | None:
    """The entries of a Geography/Topics/Persons list (without `5 more`), or None if these are not tags."""
    if any(len(line) > 120 or line.endswith(".") for line in lines):
        return None
    return tuple(line.strip() for line in lines if line.strip() and not MORE_LINE.match(line.strip()))


def parse_tail(lines: list[str], start: int) -> Tail:
    """Strip the publication trailer, tag lists and `See also` boxes from the end of the page."""
    end = len(lines)
    published_in: tuple[str, ...] = ()
    while end > start and (not lines[end - 1].strip() or _TRAILER.match(lines[end - 1])):
        end -= 1
        if lines[end].startswith("Published in section"):
            published_in = tuple(part.strip() for part in lines[end].partition(":")[2].split(","))
    tags: dict[str, tuple[str, ...]] = {}
    while end > start:
        heading = None
        for index in range(end - 1, start - 1, -1):
            if lines[index] in TAG_HEADINGS or lines[index] in BOX_HEADINGS:
                heading = index
                break
            if len(lines[index]) > 300:
                break
        if heading is None:
            break
        name = lines[heading]
        if name in TAG_HEADINGS:
            items = _tag_items(lines[heading + 1 : end])
            if items is None or TAG_HEADINGS[name] in tags:
                break
            tags[TAG_HEADINGS[name]] = items
        elif _box_end(lines, heading, end) != end:
            break
        end = heading
    return Tail(end, tags.get("topics", ()), tags.get("geography", ()), tags.get("persons", ()), published_in)


def join_lines(head: str, tail: str) -> str:
    """Repair a line break inside a sentence: `Mr Obama` + `and I` and `[Sergei Lavrov` + `] on`."""
    opening_quote = tail[:1] == "”" and tail[1:2].isalnum()  # the site's ”…“ the wrong way round
    if (tail[:1] in ",.;:!?)]}”’" and not opening_quote) or head.endswith(("[", "(", "“", "‘")):
        return head + tail
    if head.endswith("-") and not head.endswith(" -") and tail[:1].islower():
        return head + tail
    return f"{head} {tail}"


def continues(head: str, tail: str) -> bool:
    """Whether `tail` carries on the paragraph `head` (the page broke a line) rather than starting one."""
    if tail[:1].islower() or tail[:1] in ",.;:!?)]}":
        return True
    stripped = head.rstrip(_CLOSERS)
    if not stripped or stripped[-1] in _TERMINAL or head.endswith(")"):
        return False
    return stripped[-1] != ","


def _open_ended(text: str) -> bool:
    """The paragraph so far stops in mid-sentence (no full stop, colon or the like at its end)."""
    stripped = text.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] not in _TERMINAL


def _starts_label(text: str, line: str) -> bool:
    """`line` opens a speaker turn, unless it reads as the rest of a sentence broken off in `text`
    (`…the Russian` / `Federation: the government loan…`)."""
    matched = lb.match_label(line)
    if not matched:
        return False
    if not _open_ended(text):
        return True
    dangling = text.split()[-1].lower() in _DANGLING
    return not (dangling or line[:1].islower() or matched[1][:1].islower())


def _broken_label(text: str, line: str, following: str) -> bool:
    """`text` + `line` (+ `following`) is one label the page broke over lines."""
    if not lb.is_label_fragment(text):
        return False
    if ":" in line:
        return bool(lb.match_label(f"{text} {line}"))
    joined = f"{text} {line}"
    return ":" in following and lb.is_label_fragment(joined) and bool(lb.match_label(f"{joined} {following}"))


def _split_label_ahead(text: str, line: str, following: str) -> bool:
    """This line and the next form one label broken in two (`President of Russia` / `Vladimir Putin:`),
    rather than this line ending a broken heading before a complete `President of Russia …:` label."""
    if ":" not in following or not lb.is_label_fragment(line) or not lb.match_label(f"{line} {following}"):
        return False
    alone = lb.match_label(following)
    complete = bool(alone) and alone[0].core.split()[0].lower() in lb.ROLE_WORDS
    return not (complete and continues(text, line))


def _is_label_only(text: str) -> bool:
    """A paragraph that is just `Vladimir Putin:`; its text is on the next line."""
    matched = lb.match_label(text)
    return bool(matched) and not matched[1]


def _pull_quote(lines: list[tuple[int, str]], index: int) -> bool:
    """A highlighted quote in ”…“ marks that repeats words of a neighbouring paragraph."""
    match = _PULL_QUOTE.match(lines[index][1])
    if not match:
        return False
    words = set(re.findall(r"\w+", match["quote"].lower()))
    if len(words) < 4:
        return False
    nearby: set[str] = set()
    for _, line in lines[max(0, index - _QUOTE_REACH) : index] + lines[index + 1 : index + 1 + _QUOTE_REACH]:
        nearby.update(re.findall(r"\w+", line.lower()))
    return len(words & nearby) >= 0.7 * len(words)


def paragraphs(lines: list[tuple[int, str]]) -> list[Paragraph]:
    """Paragraphs from numbered lines: broken lines and broken labels joined, photo captions and pull quotes dropped."""
    result: list[Paragraph] = []
    text = ""
    first = 0

    def flush() -> None:
        nonlocal text
        if text:
            result.append(Paragraph(TEXT, text, first))
            text = ""

    texts = [raw.strip() for _, raw in lines]
    skip_to = 0
    for position, ((number, _), line) in enumerate(zip(lines, texts)):
        following = texts[position + 1] if position + 1 < len(texts) else ""
        if position < skip_to:
            continue
        if line in BOX_HEADINGS and (end := _box_end(texts, position, len(texts))) is not None:
            flush()  # a `See also` box in the middle of the text
            skip_to = end
        elif not line:
            flush()
        elif COUNTER_LINE.match(line):
            flush()
            skip_to = position + 2  # the counter and the photo caption under it
        elif SEPARATOR_LINE.match(line) or ELISION_MARK.fullmatch(line):
            flush()
            kind = SEPARATOR if line.startswith("*") else ELISION
            result.append(Paragraph(kind, "…" if kind == ELISION else "", number))
        elif _pull_quote(lines, position):
            continue
        elif not text:
            text, first = line, number
        elif _is_label_only(text):
            flush()
            text, first = line, number
        elif _broken_label(text, line, following):
            text = f"{text} {line}"
        elif _starts_label(text, line) or _split_label_ahead(text, line, following) or not continues(text, line):
            flush()
            text, first = line, number
        else:
            text = join_lines(text, line)
    flush()
    return result
