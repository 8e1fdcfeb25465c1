"""The benchmark's baseline: the same utterances and requests through SQLite FTS5 (stdlib `sqlite3`).

One row per utterance, FTS5 with the porter tokenizer, facet counts by `GROUP BY` over the
matching rows with the other facets' filters applied (as DESIGN §5 asks of us), snippets by
FTS5's `snippet()`. A request matches once into a temporary table and every count, the page
and the facets read from it: the way a competent engineer would use FTS5, so the baseline is
a strong one. It answers with the same JSON shape as our API (no spelling suggestion).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.models import Transcript
from index.schema import day_number
from search.types import FACET_NAMES, SearchRequest

# Facets held in a column of `utterance`, and multi-valued ones held in a table of their own.
SINGLE_FACETS = ("speaker", "role", "year", "place")
MULTI_FACETS = ("topic", "geography")
SNIPPET_TOKENS = 32
LEAD_CHARS = 240

_SCHEMA = """
CREATE TABLE utterance (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, transcript_id TEXT NOT NULL, seq INTEGER NOT NULL,
    speaker TEXT, role TEXT, kind TEXT, day INTEGER NOT NULL, year TEXT NOT NULL,
    title TEXT, place TEXT
);
CREATE VIRTUAL TABLE fts USING fts5(text, tokenize = 'porter unicode61');
CREATE TABLE topic (rowid INTEGER NOT NULL, value TEXT NOT NULL);
CREATE TABLE geography (rowid INTEGER NOT NULL, value TEXT NOT NULL);
"""
# Built after the rows are in (faster than maintaining them row by row).
_INDEXES = """
CREATE INDEX utterance_speaker ON utterance (speaker);
CREATE INDEX utterance_role ON utterance (role);
CREATE INDEX utterance_year ON utterance (year);
CREATE INDEX utterance_place ON utterance (place);
CREATE INDEX utterance_day ON utterance (day);
CREATE INDEX topic_value ON topic (value, rowid);
CREATE INDEX topic_row ON topic (rowid);
CREATE INDEX geography_value ON geography (value, rowid);
CREATE INDEX geography_row ON geography (rowid);
"""


@dataclass(frozen=True)
class FtsQuery:
    """A request's query text in FTS5 terms: a MATCH expression (None browses) and exact-value conditions.

    `where` stands in for our field queries (`speaker:"Vladimir Putin"` → speaker = 'Vladimir Putin').
    """

    match: str | None
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def build_fts5(path: Path, transcripts: Iterable[Transcript]) -> int:
    """Write every utterance of `transcripts` into a new FTS5 database at `path`; returns rows written."""
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    try:
        connection.executescript(_SCHEMA)
        rows = 0
        with connection:
            for transcript in transcripts:
                rows += _insert_transcript(connection, transcript, rows)
            connection.executescript(_INDEXES)
            # Merge FTS5's b-trees into one, as one would before serving queries.
            connection.execute("INSERT INTO fts (fts) VALUES ('optimize')")
        connection.execute("ANALYZE")
        return rows
    finally:
        connection.close()


def _insert_transcript(connection: sqlite3.Connection, transcript: Transcript, first: int) -> int:
    """Rows for the utterances of one transcript, numbered from `first` + 1."""
    day = day_number(transcript.date)
    year = str(transcript.date.year)
    rows = []
    texts = []
    topics = []
    places = []
    for number, utterance in enumerate(transcript.utterances, start=first + 1):
        rows.append(
            (
                number,
                utterance.id,
                transcript.id,
                utterance.seq,
                utterance.speaker or None,
                utterance.role or None,
                utterance.kind,
                day,
                year,
                transcript.title,
                transcript.place or None,
            )
        )
        texts.append((number, utterance.text))
        topics.extend((number, value) for value in transcript.topics)
        places.extend((number, value) for value in transcript.geography)
    connection.executemany("INSERT INTO utterance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    connection.executemany("INSERT INTO fts (rowid, text) VALUES (?, ?)", texts)
    connection.executemany("INSERT INTO topic VALUES (?, ?)", topics)
    connection.executemany("INSERT INTO geography VALUES (?, ?)", places)
    return len(rows)


def open_fts5(path: Path) -> sqlite3.Connection:
    """A connection for queries, with the temporary table a request matches into."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TEMP TABLE matched (rowid INTEGER PRIMARY KEY, score REAL)")
    # Statistics saying the table is small: without any, SQLite plans for a huge one and
    # builds a Bloom filter over every utterance in each facet query (milliseconds each).
    connection.execute("INSERT INTO temp.matched VALUES (1, 0)")
    connection.execute("ANALYZE temp")
    connection.execute("DELETE FROM temp.matched")
    return connection


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join('?' * len(values))})"


def _facet_condition(name: str, values: tuple[str, ...]) -> str:
    if name in MULTI_FACETS:
        return f"u.rowid IN (SELECT rowid FROM {name} WHERE {_in('value', values)})"
    return _in(f"u.{name}", values)


def _conditions(
    query: FtsQuery, request: SearchRequest, skip: str | None = None
) -> tuple[str, list[Any]]:
    """SQL conditions (and parameters) for the date range, field conditions and facet filters but `skip`."""
    clauses = ["1"]
    params: list[Any] = []
    if request.date_from is not None:
        clauses.append("u.day >= ?")
        params.append(day_number(request.date_from))
    if request.date_to is not None:
        clauses.append("u.day <= ?")
        params.append(day_number(request.date_to))
    for name, values in query.where.items():
        clauses.append(_facet_condition(name, values))
        params.extend(values)
    for name, values in request.filters.items():
        if name != skip and values:
            clauses.append(_facet_condition(name, values))
            params.extend(values)
    return " AND ".join(clauses), params


def _order(request: SearchRequest, browse: bool) -> str:
    if request.sort == "date":
        return "u.day, u.transcript_id, u.seq"
    if request.sort == "-date" or browse:
        return "u.day DESC, u.transcript_id, u.seq"
    return "m.score, u.day DESC, u.transcript_id, u.seq"


def _facet_counts(
    connection: sqlite3.Connection, source: str, query: FtsQuery, request: SearchRequest
) -> dict[str, list[dict[str, Any]]]:
    """Each facet counted over the matching rows with the other facets' filters applied."""
    limit = f" LIMIT {int(request.facet_limit)}" if request.facet_limit else ""
    facets: dict[str, list[dict[str, Any]]] = {}
    for name in FACET_NAMES:
        where, params = _conditions(query, request, skip=name)
        if name in MULTI_FACETS:
            sql = (
                f"SELECT f.value, count(*) AS c FROM {source} CROSS JOIN {name} f ON f.rowid = u.rowid "
                f"WHERE {where} GROUP BY f.value ORDER BY c DESC, f.value{limit}"
            )
        else:
            sql = (
                # NULLs dropped after grouping: a condition on u here makes SQLite build a
                # Bloom filter over the whole table for every request.
                f"SELECT u.{name}, count(*) AS c FROM {source} WHERE {where} "
                f"GROUP BY u.{name} HAVING u.{name} IS NOT NULL ORDER BY c DESC, u.{name}{limit}"
            )
        facets[name] = [{"value": v, "count": c} for v, c in connection.execute(sql, params)]
    return facets


def _snippets(connection: sqlite3.Connection, query: FtsQuery, rowids: list[int]) -> dict[int, str]:
    """rowid → snippet of the page's rows: FTS5's snippet() for a query, the text's lead when browsing."""
    if not rowids:
        return {}
    marks = ", ".join("?" * len(rowids))
    if query.match is None:
        sql = f"SELECT rowid, substr(text, 1, {LEAD_CHARS}) FROM fts WHERE rowid IN ({marks})"
        return dict(connection.execute(sql, rowids))
    sql = (
        f"SELECT rowid, snippet(fts, 0, '<mark>', '</mark>', '…', {SNIPPET_TOKENS}) FROM fts "
        f"WHERE fts MATCH ? AND rowid IN ({marks})"
    )
    return dict(connection.execute(sql, [query.match, *rowids]))


def fts5_search(connection: sqlite3.Connection, query: FtsQuery, request: SearchRequest) -> dict[str, Any]:
    """One full request (hits, total, all facet counts, snippets) as the API JSON dict."""
    browse = query.match is None
    if browse:
        source = "utterance u"
    else:
        connection.execute("DELETE FROM temp.matched")
        score = "bm25(fts)" if request.sort == "relevance" else "0"
        connection.execute(
            f"INSERT INTO temp.matched SELECT rowid, {score} FROM fts WHERE fts MATCH ?", (query.match,)
        )
        # CROSS JOIN keeps the matches as the outer loop: SQLite's planner would rather walk a
        # whole facet index and probe the matches, which is many times slower for few matches.
        source = "temp.matched m CROSS JOIN utterance u ON u.rowid = m.rowid"
    where, params = _conditions(query, request)
    total = connection.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchone()[0]
    score_column = "0" if browse else "m.score"
    page = connection.execute(
        f"SELECT u.rowid, u.id, u.transcript_id, u.seq, u.speaker, u.role, u.kind, u.day, u.title, "
        f"u.place, {score_column} FROM {source} WHERE {where} ORDER BY {_order(request, browse)} "
        "LIMIT ? OFFSET ?",
        [*params, request.per_page, (request.page - 1) * request.per_page],
    ).fetchall()
    snippets = _snippets(connection, query, [row[0] for row in page])
    hits = [
        {
            "id": row[1],
            "transcript_id": row[2],
            "seq": row[3],
            "speaker": row[4] or "",
            "role": row[5] or "",
            "kind": row[6],
            "date": f"{row[7] // 10000:04d}-{row[7] // 100 % 100:02d}-{row[7] % 100:02d}",
            "title": row[8],
            "place": row[9] or "",
            "score": -round(row[10], 4),
            "snippet": snippets.get(row[0], ""),
        }
        for row in page
    ]
    return {
        "query": request.q,
        "mode": "keyword",
        "total": total,
        "page": request.page,
        "per_page": request.per_page,
        "hits": hits,
        "facets": _facet_counts(connection, source, query, request),
        "suggestion": None,
    }


def fts5_request_json(connection: sqlite3.Connection, query: FtsQuery, request: SearchRequest) -> str:
    """The request answered and serialised, as an API would send it."""
    return json.dumps(fts5_search(connection, query, request), ensure_ascii=False)
