"""What an index holds: transcripts, utterances, speakers, date range and size (`manage.py stats`)."""

from __future__ import annotations

import datetime as dt
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.reading import IndexReader

from index.dates import DAY, format_partial
from index.generations import current_generation_dir
from index.reader import open_generation
from index.schema import DAY_FIELD, FACET_BY_NAME, META_FACET_PREFIX


@dataclass(frozen=True)
class IndexStats:
    """Counts and extent of the published index."""

    index_dir: str
    generation: str
    transcripts: int
    utterances: int
    speakers: int
    first_date: dt.date | None
    last_date: dt.date | None
    index_bytes: int
    disk_bytes: int
    # Metadata facets an own corpus declared (DESIGN §6): name -> number of distinct values.
    facets: dict[str, int] = field(default_factory=dict)
    # The precision of the first and last dates (a partial date is shown as written: `2011`).
    first_precision: str = DAY
    last_precision: str = DAY

    @property
    def dates(self) -> tuple[str, str] | None:
        """The first and last dates as written, or None for an empty index."""
        if self.first_date is None or self.last_date is None:
            return None
        return format_partial(self.first_date, self.first_precision), format_partial(self.last_date, self.last_precision)

    @property
    def empty(self) -> bool:
        """Whether the index holds no utterance at all."""
        return self.utterances == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO dates)."""
        return {
            "index_dir": self.index_dir,
            "generation": self.generation,
            "transcripts": self.transcripts,
            "utterances": self.utterances,
            "speakers": self.speakers,
            "first_date": self.dates[0] if self.dates else None,
            "last_date": self.dates[1] if self.dates else None,
            "index_bytes": self.index_bytes,
            "disk_bytes": self.disk_bytes,
            "facets": dict(self.facets),
        }


def index_stats(index_dir: Path | str) -> IndexStats:
    """Statistics of the index published in `index_dir`; raises IndexMissing if there is none."""
    root = Path(index_dir)
    generation = current_generation_dir(root)
    with open_generation(generation).searcher() as searcher:
        reader = searcher.reader()
        days = live_column_values(reader, DAY_FIELD)
        precisions = _end_precisions(reader) if days else (DAY, DAY)
        speakers = live_column_values(reader, FACET_BY_NAME["speaker"].field)
        transcripts = count_terms(reader, "transcript_id")
        utterances = searcher.doc_count()
        facets = {
            name[len(META_FACET_PREFIX) :]: len({v for v in live_column_values(reader, name) if v})
            for name in sorted(reader.indexed_field_names())
            if name.startswith(META_FACET_PREFIX)
        }
    return IndexStats(
        index_dir=str(root),
        generation=generation.name,
        transcripts=transcripts,
        utterances=utterances,
        speakers=len({s for s in speakers if s}),
        first_date=_day_to_date(min(days)) if days else None,
        last_date=_day_to_date(max(days)) if days else None,
        index_bytes=folder_bytes(generation),
        disk_bytes=folder_bytes(root),
        facets=facets,
        first_precision=precisions[0],
        last_precision=precisions[1],
    )


def _end_precisions(reader: IndexReader) -> tuple[str, str]:
    """The date precision of the earliest and of the latest document."""
    column = reader.column_reader(DAY_FIELD)
    docs = list(reader.all_doc_ids())
    first, last = min(docs, key=column.__getitem__), max(docs, key=column.__getitem__)
    return tuple(reader.stored_fields(doc).get("date_precision") or DAY for doc in (first, last))  # type: ignore[return-value]


def count_index(generation_dir: Path) -> tuple[int, int]:
    """(transcripts, utterances) in one generation directory."""
    with open_generation(generation_dir).searcher() as searcher:
        return count_terms(searcher.reader(), "transcript_id"), searcher.doc_count()


def count_terms(reader: IndexReader, field: str) -> int:
    """Distinct values of `field` among live documents (the lexicon still lists deleted ones)."""
    return sum(1 for term in reader.lexicon(field) if reader.postings(field, term).is_active())


def live_column_values(reader: IndexReader, field: str) -> list[Any]:
    """The column values of `field` for every live document (none in an empty index, which has no columns)."""
    if reader.doc_count() == 0 or not reader.has_column(field):
        return []
    column = reader.column_reader(field)
    return [column[docnum] for docnum in reader.all_doc_ids()]


def folder_bytes(path: Path) -> int:
    """Total size of the files under `path` (hard-linked files counted once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for file in path.rglob("*"):
        try:
            info = file.lstat()
        except FileNotFoundError:  # removed by a writer while we walked
            continue
        if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) not in seen:
            seen.add((info.st_dev, info.st_ino))
            total += info.st_size
    return total


def _day_to_date(day: int) -> dt.date:
    return dt.date(day // 10000, day // 100 % 100, day % 100)
