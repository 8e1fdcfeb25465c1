"""The benchmark's fixed mix of requests, each with its equivalent for the FTS5 baseline.

Words picked from the kremlin corpus (common ones are in 400–1,300 of its 5,586 utterances,
rare ones in 3–8), so every kind of request a user makes is timed: common and rare words,
phrases, boolean queries, speaker and date filters, facets, browsing, sorting, misspellings.
On another corpus the same requests still run; they just find other things.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bench.fts5 import FtsQuery

Params = Mapping[str, str | tuple[str, ...]]
PUTIN = "Vladimir Putin"


@dataclass(frozen=True)
class BenchQuery:
    """One request of the mix: our API parameters and the same request for FTS5."""

    kind: str
    params: Params
    fts: FtsQuery


def _q(kind: str, fts: str | None = None, where: Params | None = None, **params: str | tuple[str, ...]) -> BenchQuery:
    """A query whose FTS5 form is `fts` (default: our query text as is; None browses)."""
    text = params.get("q", "")
    assert isinstance(text, str)
    match = fts if fts is not None else (text or None)
    extra = {k: (v,) if isinstance(v, str) else v for k, v in (where or {}).items()}
    return BenchQuery(kind, params, FtsQuery(match, extra))


QUERIES: tuple[BenchQuery, ...] = (
    *(_q("common", q=w) for w in ("russia", "president", "people", "country", "development", "government", "economic", "question")),
    *(_q("rare", q=w) for w in ("propaganda", "ambulance", "explosives", "socialist", "pragmatic", "ancestors", "blogger", "applicants")),
    _q("phrase", q='"economic growth"'),
    _q("phrase", q='"united states"'),
    _q("phrase", q='"prime minister"'),
    _q("phrase", q='"armed forces"'),
    _q("phrase", q='"middle east"'),
    _q("phrase", q='"natural gas"'),
    _q("phrase", q='"thank you very much"'),
    _q("phrase", "NEAR(russia china, 5)", q='"russia china"~5'),
    _q("boolean", q="oil OR gas"),
    _q("boolean", q="syria NOT geneva"),
    _q("boolean", q="(china OR india) AND trade"),
    _q("boolean", q="ukraine AND crimea"),
    _q("boolean", q="sanctions OR embargo"),
    _q("boolean", q="energy NOT nuclear"),
    _q("boolean", q="terr*"),
    _q("boolean", q="invest* AND infrastructure"),
    _q("speaker", q="ukraine", speaker=PUTIN),
    _q("speaker", q="economy", speaker=PUTIN),
    _q("speaker", q="question", speaker="Dmitry Peskov"),
    _q("speaker", "sanctions", {"speaker": PUTIN}, q=f'speaker:"{PUTIN}" sanctions'),
    _q("speaker", q="regions", role="President of Russia"),
    _q("speaker", q="thank", speaker=(PUTIN, "Dmitry Peskov")),
    _q("speaker", q="media", speaker="Question"),
    _q("date", q="crimea", **{"from": "2014-01-01", "to": "2015-12-31"}),
    _q("date", q="cooperation", year=("2013", "2014")),
    _q("date", q="russia", **{"from": "2018-01-01"}),
    _q("date", q="sanctions", to="2014-12-31"),
    _q("date", q="economy", year="2019"),
    _q("date", q="president", **{"from": "2016-06-01", "to": "2016-12-31"}),
    _q("date", q="pension", year="2018"),
    _q("facet", q="investment", topic="Economy and finance"),
    _q("facet", q="energy", geography="Turkey"),
    _q("facet", q="russia", place="Sochi"),
    _q("facet", q="region", topic="Regions", year="2019"),
    _q("facet", q="development", place="The Kremlin, Moscow"),
    _q("browse", q=""),
    _q("browse", q="", speaker=PUTIN),
    _q("browse", q="", year="2016"),
    _q("browse", q="", topic="Energy"),
    _q("browse", q="", **{"from": "2013-01-01", "to": "2013-12-31"}),
    _q("browse", q="", page="3"),
    _q("browse", q="", sort="date"),
    _q("sort", q="sanctions", sort="-date"),
    _q("sort", q="question", page="3"),
    _q("sort", q="president", sort="date"),
    _q("misspelled", q="inflaton"),
    _q("misspelled", q="presdent"),
)
# Semantic and hybrid modes are timed on the queries that have words to embed.
SEMANTIC_KINDS = ("common", "rare", "phrase", "speaker", "date", "facet")
