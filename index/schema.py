"""The Whoosh schema, in one place: field names, facet fields, and the utterance → document mapping.

Two kinds of fields per attribute:
- query fields (`speaker`, `role`, `place`, `topic`, `geography`, `title`, `text`) are
  analysed, so `speaker:putin` and `speaker:"Vladimir Putin"` match case-insensitively;
- facet fields (`FACETS`) hold exact values for filters and counts; single-valued ones
  are sortable columns, multi-valued ones (topic, geography) are keyword fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from whoosh import fields, formats
from whoosh.analysis import RegexTokenizer

from index.analysis import exact_analyzer, name_analyzer, text_analyzer
from index.dates import last_day
from index.formats import CachedPositions
from index.models import Transcript, Utterance
from index.sources import web_address

# Separator of the values of a multi-valued facet field inside one indexed string.
MULTI_VALUE_SEPARATOR = "\x1f"

# Bump when the schema or analysis changes: `reindex` then rebuilds from scratch.
SCHEMA_VERSION = 9  # 7: label/speaker_name (people); 8: `url` holds the original page's address for site-layout text files too; 9: no `spell` field (suggestions read text_exact)

# Metadata facets an own corpus declares (DESIGN §6) are columns named META_FACET_PREFIX + name.
META_FACET_PREFIX = "meta_"
# The last day of a transcript's period (a partial date such as `2011` runs to 2011-12-31).
DAY_END_FIELD = "day_end"


@dataclass(frozen=True)
class FacetField:
    """A facet as the API names it, and the exact-valued index field behind it."""

    name: str
    field: str
    multi_valued: bool = False


FACETS: tuple[FacetField, ...] = (
    FacetField("speaker", "facet_speaker"),
    FacetField("role", "facet_role"),
    FacetField("year", "year"),
    FacetField("place", "facet_place"),
    FacetField("topic", "facet_topic", multi_valued=True),
    FacetField("geography", "facet_geography", multi_valued=True),
)
FACET_BY_NAME: dict[str, FacetField] = {facet.name: facet for facet in FACETS}

# Fields a user may name in the query language, e.g. `speaker:"Vladimir Putin"`.
QUERY_FIELDS = ("text", "title", "speaker", "role", "label", "place", "topic", "geography", "year", "case")
# The speaker as its transcript resolved it, before the corpus-wide alias table (index.people)
# maps it to its person's canonical name in `facet_speaker`.
SPEAKER_NAME_FIELD = "speaker_name"
DEFAULT_FIELD = "text"
# The utterance text as written (case- and accent-folded, stop words kept, no stems): quoted words;
# words with capitals are also indexed with their case (index.analysis.case_term) for `case:` queries.
EXACT_FIELD = "text_exact"
DAY_FIELD = "day"


def _multi_value_field() -> fields.KEYWORD:
    """Exact multi-valued field: values kept as written, split on MULTI_VALUE_SEPARATOR."""
    field = fields.KEYWORD(stored=True, scorable=False)
    field.analyzer = RegexTokenizer(r"[^" + MULTI_VALUE_SEPARATOR + r"]+")
    return field


def _one_term(field: fields.NUMERIC) -> fields.NUMERIC:
    """A numeric field indexed as one term per value instead of Whoosh's range-query tiers.

    Dates, days and positions are filtered and sorted through their columns (search.columns),
    never by range queries on the inverted index; the tiers (8 terms a value) were 18% of all
    postings a build writes.
    """
    field.shift_step = field.bits
    return field


def _one_pass(field: fields.TEXT) -> fields.TEXT:
    """The field with a format that reads its terms from its CachedAnalyzer in one pass (index.formats)."""
    boost = field.format.field_boost
    if type(field.format) is formats.Positions:
        field.format = CachedPositions(field_boost=boost)
    return field


def build_schema() -> fields.Schema:
    """A fresh Whoosh schema: one document per utterance.

    Fields analysed alike share one analyser, and so its cache of analysed words (it
    stays shared in the index: pickling keeps one object).
    """
    text = text_analyzer()
    names = name_analyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        transcript_id=fields.ID(stored=True),
        seq=_one_term(fields.NUMERIC(numtype=int, bits=32, stored=True, sortable=True)),
        kind=fields.ID(stored=True),
        text=_one_pass(fields.TEXT(analyzer=text, stored=True, phrase=True)),
        text_exact=_one_pass(fields.TEXT(analyzer=exact_analyzer(), phrase=True)),
        title=_one_pass(fields.TEXT(analyzer=text, stored=True, phrase=True)),
        speaker=_one_pass(fields.TEXT(analyzer=names, phrase=True)),
        role=_one_pass(fields.TEXT(analyzer=names, phrase=True)),
        # The label as written (stored); `label:question` finds anonymous turns, which have no speaker.
        label=_one_pass(fields.TEXT(analyzer=names, phrase=True, stored=True)),
        speaker_name=fields.ID(stored=True),
        place=_one_pass(fields.TEXT(analyzer=names, phrase=True)),
        topic=_one_pass(fields.TEXT(analyzer=names, phrase=True)),
        geography=_one_pass(fields.TEXT(analyzer=names, phrase=True)),
        facet_speaker=fields.ID(stored=True, sortable=True),
        facet_role=fields.ID(stored=True, sortable=True),
        facet_place=fields.ID(stored=True, sortable=True),
        facet_topic=_multi_value_field(),
        facet_geography=_multi_value_field(),
        year=fields.ID(stored=True, sortable=True),
        date=_one_term(fields.DATETIME(stored=True, sortable=True)),
        day=_one_term(fields.NUMERIC(numtype=int, bits=32, signed=False, sortable=True)),
        time=fields.STORED(),
        section=fields.STORED(),
        summary=fields.STORED(),
        persons=fields.STORED(),
        source=fields.ID(stored=True),
        url=fields.STORED(),
        content_hash=fields.ID(stored=True),
        date_precision=fields.STORED(),
        day_end=_one_term(fields.NUMERIC(numtype=int, bits=32, signed=False, sortable=True)),
        meta=fields.STORED(),
    )
    schema.add(META_FACET_PREFIX + "*", fields.ID(stored=True, sortable=True), glob=True)
    return schema


def day_number(date: dt.date) -> int:
    """A date as the integer YYYYMMDD of the day-level `day` field (fast range filters)."""
    return date.year * 10000 + date.month * 100 + date.day


def join_values(values: tuple[str, ...] | list[str]) -> str:
    """Values of a multi-valued facet as one indexable string."""
    return MULTI_VALUE_SEPARATOR.join(v.strip() for v in values if v.strip())


def utterance_document(
    transcript: Transcript,
    utterance: Utterance,
    content_hash: str = "",
    people: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The Whoosh document of one utterance, transcript fields copied onto it; `people` maps a
    speaker's name to its person's canonical name (index.people.alias_table)."""
    when = dt.datetime.combine(transcript.date, dt.time())
    document: dict[str, Any] = {
        "id": utterance.id,
        "transcript_id": transcript.id,
        "seq": utterance.seq,
        "kind": utterance.kind,
        "text": utterance.text,
        "text_exact": utterance.text,
        "title": transcript.title,
        "year": str(transcript.date.year),
        "date": when,
        "day": day_number(transcript.date),
        "time": transcript.time,
        "section": transcript.section,
        "summary": transcript.summary,
        "persons": list(transcript.persons),
        "source": transcript.source,
        # The page address survives the indexer's use of `source` for the file path.
        "url": transcript.url or web_address(transcript.source),
        "content_hash": content_hash,
        "date_precision": transcript.date_precision,
        "day_end": day_number(last_day(transcript.date, transcript.date_precision)),
    }
    if transcript.meta:
        document["meta"] = dict(transcript.meta)
    for name in transcript.facets:
        if transcript.meta.get(name):
            document[META_FACET_PREFIX + name] = transcript.meta[name]
    speaker = utterance.speaker or ""
    if speaker:
        document[SPEAKER_NAME_FIELD] = speaker
        speaker = (people or {}).get(speaker, speaker)
    if utterance.label:
        document["label"] = utterance.label
    # Empty strings are left out so that facets never list a "" value.
    for name, value in (
        ("speaker", speaker),
        ("role", utterance.role),
        ("place", transcript.place or ""),
    ):
        if value:
            document[name] = value
            document[FACET_BY_NAME[name].field] = value
    for name, values in (("topic", transcript.topics), ("geography", transcript.geography)):
        if values:
            document[name] = "\n".join(values)
            document[FACET_BY_NAME[name].field] = join_values(values)
    return document
