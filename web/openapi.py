"""The OpenAPI 3.1 description of /api, written by hand to match DESIGN §5."""

from __future__ import annotations

from typing import Any

from search.types import DEFAULT_FACET_LIMIT, FACET_NAMES, MAX_PER_PAGE, MODES, SORTS


def _param(name: str, description: str, schema: dict[str, Any], *, repeated: bool = False) -> dict[str, Any]:
    if repeated:
        return {
            "name": name,
            "in": "query",
            "description": description,
            "schema": {"type": "array", "items": schema},
            "style": "form",
            "explode": True,
        }
    return {"name": name, "in": "query", "description": description, "schema": schema}


_QUERY = _param(
    "q",
    'Query: words (stemmed, ANDed), "exact phrase", "phrase"~3, AND/OR/NOT, (), wild*, '
    'fields such as speaker:"Vladimir Putin" or year:2018. Empty browses, newest first.',
    {"type": "string", "maxLength": 2000},
)
_FILTERS = [
    _param(
        name,
        f"Filter by {name}; repeat for OR within the facet (AND across facets).",
        {"type": "string"},
        repeated=True,
    )
    for name in FACET_NAMES
] + [
    _param(
        "filter",
        "NAME=VALUE for any facet, built-in or declared by the corpus (e.g. country=NOR; an unknown NAME is a 400); "
        "a declared facet may also be given as NAME=VALUE itself. Repeatable.",
        {"type": "string"},
        repeated=True,
    )
]
_DATES = [
    _param("from", "First date, inclusive (YYYY-MM-DD); a partial date (2011) matches when its period overlaps.", {"type": "string", "format": "date"}),
    _param("to", "Last date, inclusive (YYYY-MM-DD).", {"type": "string", "format": "date"}),
]
_SEARCH_PARAMS = [
    _QUERY,
    *_FILTERS,
    *_DATES,
    _param("sort", "relevance, date (oldest first) or -date (newest first).", {"type": "string", "enum": list(SORTS)}),
    _param("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "default": 1}),
    _param("per_page", "Hits per page.", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20}),
    _param("mode", "Keyword, semantic or hybrid search.", {"type": "string", "enum": list(MODES)}),
    _param(
        "facet_limit",
        "Values per facet (0 for all).",
        {"type": "integer", "minimum": 0, "default": DEFAULT_FACET_LIMIT},
    ),
]

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "position": {"type": "integer", "description": "Character offset in q where the query went wrong."},
    },
}
_HIT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "examples": ["kremlin-17890:9"]},
        "transcript_id": {"type": "string"},
        "seq": {"type": "integer"},
        "speaker": {
            "type": ["string", "null"],
            "description": "The canonical person; null for an anonymous turn (Question, Remark), \"\" for narration.",
        },
        "label": {"type": "string", "description": "The speaker label as written on the page; \"\" if none."},
        "role": {"type": "string"},
        "kind": {"type": "string", "enum": ["speech", "address", "narration"]},
        "date": {"type": "string", "description": "As written: 2013-05-07, or a partial date such as 2011 or 2011-09."},
        "title": {"type": "string"},
        "place": {"type": "string"},
        "score": {"type": "number"},
        "snippet": {"type": "string", "description": "Escaped text; only <mark> tags are added."},
        "matched_by": {
            "type": "string",
            "enum": ["keyword", "semantic", "both"],
            "description": "Why it is a hit: its words, its meaning (semantic and hybrid modes) or both.",
        },
        "url": {
            "type": ["string", "null"],
            "description": "The original page's address (e.g. on en.kremlin.ru), null when unknown.",
        },
        "meta": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "An own corpus's metadata of the hit's transcript (e.g. country, session).",
        },
    },
}
_FACET_VALUES = {
    "type": "array",
    "items": {"type": "object", "properties": {"value": {"type": "string"}, "count": {"type": "integer"}}},
}
_SEARCH_RESULT = {
    "type": "object",
    "properties": {
        "query": {"type": "string"},
        "mode": {"type": "string"},
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "facets": {
            "type": "object",
            "description": "Per facet, values by descending count, counted with the other facets' filters.",
            "properties": {name: _FACET_VALUES for name in FACET_NAMES},
            "additionalProperties": _FACET_VALUES,
        },
        "suggestion": {"type": ["string", "null"], "description": "A corrected query, if likely misspelt."},
        "transcripts": {"type": "integer", "description": "Distinct transcripts among all hits."},
    },
}
_UTTERANCE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "transcript_id": {"type": "string"},
        "seq": {"type": "integer"},
        "speaker": {"type": ["string", "null"], "description": "null for an anonymous turn (Question, Remark)."},
        "role": {"type": "string"},
        "kind": {"type": "string"},
        "text": {"type": "string"},
        "label": {"type": "string", "description": "The speaker label as written on the page."},
    },
}
_TRANSCRIPT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "summary": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "time": {"type": ["string", "null"]},
        "place": {"type": ["string", "null"]},
        "section": {"type": ["string", "null"]},
        "topics": {"type": "array", "items": {"type": "string"}},
        "geography": {"type": "array", "items": {"type": "string"}},
        "persons": {"type": "array", "items": {"type": "string"}},
        "source": {"type": "string"},
        "url": {"type": ["string", "null"], "description": "The original page's address, null when unknown."},
        "utterances": {"type": "array", "items": {"$ref": "#/components/schemas/Utterance"}},
    },
}
_TREND = {
    "type": "object",
    "properties": {
        "query": {"type": "string"},
        "filters": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "from": {"type": ["string", "null"], "format": "date"},
        "to": {"type": ["string", "null"], "format": "date"},
        "total": {"type": "integer"},
        "years": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "year": {"type": "integer"},
                    "hits": {"type": "integer"},
                    "utterances": {
                        "type": "integer",
                        "description": "Utterances of that year admitted by the same filters, without the query.",
                    },
                    "per_10k": {"type": "number", "description": "hits per 10,000 of those utterances."},
                    "matches": {"type": "integer", "description": "Occurrences of the query (one series only)."},
                    "words": {"type": "integer", "description": "Words spoken that year under the same filters."},
                    "per_10k_words": {"type": "number", "description": "matches per 10,000 of those words."},
                },
            },
        },
        "series": {
            "type": "array",
            "description": "One per term (several q), or per speaker (one q with several speaker, or by=speaker).",
            "items": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "q": {"type": "string"},
                    "speaker": {"type": ["string", "null"]},
                    "total": {"type": "integer"},
                    "years": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
    },
}

_SIMILAR = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
    },
}

_ROLE_SPAN = {
    "type": "object",
    "properties": {
        "role": {"type": "string"},
        "first": {"type": "string", "format": "date"},
        "last": {"type": "string", "format": "date"},
        "turns": {"type": "integer"},
    },
}
_SPEAKER = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "The canonical name (spelling variants merged)."},
        "slug": {"type": "string", "description": "The person's page is /people/<slug>."},
        "turns": {"type": "integer", "description": "Equal to the speaker facet count."},
        "first": {"type": "string", "format": "date"},
        "last": {"type": "string", "format": "date"},
        "roles": {"type": "array", "items": _ROLE_SPAN, "description": "Roles over time, by first date."},
        "aliases": {"type": "array", "items": {"type": "string"}, "description": "Other spellings."},
    },
}
_COUNTS = {"type": "array", "items": {"type": "object", "properties": {"value": {"type": "string"}, "count": {"type": "integer"}}}}
_SPEAKER_DETAILS = {
    "type": "object",
    "properties": {
        **_SPEAKER["properties"],
        "places": _COUNTS,
        "topics": _COUNTS,
        "keywords": {
            "type": "array",
            "description": "Words used more than by everyone else, by log-likelihood (G²).",
            "items": {"type": "object", "properties": {"word": {"type": "string"}, "g2": {"type": "number"}, "count": {"type": "integer"}}},
        },
        "latest": {"type": "array", "items": {"type": "object"}, "description": "Latest turns, newest first."},
    },
}


_QUOTE_RESULT = {
    "type": "object",
    "properties": {
        "query": {"type": "string"},
        "matches": {
            "type": "array",
            "description": "Source utterances, best first: verbatim, then altered, then paraphrase.",
            "items": {
                "type": "object",
                "properties": {
                    "transcript_id": {"type": "string"},
                    "seq": {"type": "integer"},
                    "speaker": {"type": "string"},
                    "role": {"type": "string"},
                    "date": {"type": "string", "format": "date"},
                    "title": {"type": "string"},
                    "text": {"type": "string", "description": "The whole utterance."},
                    "score": {"type": "number"},
                    "verdict": {"type": "string", "enum": ["verbatim", "altered", "paraphrase"]},
                    "diff": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "op": {"type": "string", "enum": ["equal", "insert", "delete", "replace"]},
                                "quote": {"type": "string"},
                                "source": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    },
}


def _json(schema_ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


_BAD = _json("#/components/schemas/Error", "Malformed query or bad parameter.")


def openapi_document(server_url: str) -> dict[str, Any]:
    """The OpenAPI document, with this server as its base URL."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Verbatim API",
            "version": "1",
            "description": "Search political transcripts by who said what, when and where.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Search utterances",
                    "parameters": [
                        *_SEARCH_PARAMS,
                        _param(
                            "format",
                            "json (default) or csv (every hit, not one page).",
                            {"type": "string", "enum": ["json", "csv"]},
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "One page of hits with facet counts; with format=csv every hit "
                            "as CSV (id, date, speaker, role, title, place, text, link, url), UTF-8 with a byte-order mark.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/SearchResult"}},
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        },
                        "400": _BAD,
                    },
                }
            },
            "/api/transcripts/{transcript_id}": {
                "get": {
                    "summary": "A transcript with its utterances",
                    "parameters": [
                        {"name": "transcript_id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": _json("#/components/schemas/Transcript", "The transcript."),
                        "404": _json("#/components/schemas/Error", "No transcript with that id."),
                    },
                }
            },
            "/api/trend": {
                "get": {
                    "summary": "Use per year: per 10,000 utterances and per 10,000 words, per term or per speaker",
                    "parameters": [
                        {**_QUERY, "required": True, "description": "The term; repeat (up to 3) to compare terms."},
                        *_FILTERS,
                        *_DATES,
                        _param("by", "speaker: one series per speaker filter value.", {"type": "string", "enum": ["speaker"]}),
                    ],
                    "responses": {
                        "200": _json("#/components/schemas/Trend", "Every year with utterances."),
                        "400": _BAD,
                    },
                }
            },
            "/api/similar/{utterance_id}": {
                "get": {
                    "summary": "More like this: utterances of other transcripts nearest in meaning (semantic)",
                    "parameters": [
                        {"name": "utterance_id", "in": "path", "required": True, "schema": {"type": "string"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
                        },
                    ],
                    "responses": {
                        "200": _json("#/components/schemas/Similar", "The nearest utterances, best first."),
                        "400": _json(
                            "#/components/schemas/Error",
                            "Bad limit, or semantic search unavailable (no [semantic] extra or no vectors).",
                        ),
                        "404": _json("#/components/schemas/Error", "No utterance with that id."),
                    },
                }
            },
            "/api/quote": {
                "get": {
                    "summary": "Find the source of a quote: score, verdict and word diff of each source",
                    "parameters": [
                        _param(
                            "q",
                            "The quote as printed: … for omissions, [brackets] for inserted words.",
                            {"type": "string", "maxLength": 2000},
                        )
                    ],
                    "responses": {
                        "200": _json("#/components/schemas/QuoteResult", "The sources found (none for a fabricated quote)."),
                        "400": _json("#/components/schemas/Error", "No quote, or one too long."),
                    },
                }
            },
            "/api/speakers": {
                "get": {
                    "summary": "People A–Z with turns, years, roles over time and aliases",
                    "parameters": [
                        _param("q", "Only people whose name or an alias contains these words.", {"type": "string"}),
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000}},
                    ],
                    "responses": {
                        "200": {
                            "description": "The people.",
                            "content": {"application/json": {"schema": {"type": "object", "properties": {
                                "speakers": {"type": "array", "items": {"$ref": "#/components/schemas/Speaker"}}}}}},
                        },
                        "400": _BAD,
                    },
                }
            },
            "/api/speakers/{slug}": {
                "get": {
                    "summary": "One person: roles over time, aliases, places, topics, keywords, latest turns",
                    "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": _json("#/components/schemas/SpeakerDetails", "The person."),
                        "404": _json("#/components/schemas/Error", "No person with that slug."),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This description",
                    "responses": {"200": {"description": "OpenAPI 3.1 document.", "content": {"application/json": {}}}},
                }
            },
        },
        "components": {
            "schemas": {
                "Error": _ERROR,
                "Hit": _HIT,
                "SearchResult": _SEARCH_RESULT,
                "Utterance": _UTTERANCE,
                "Transcript": _TRANSCRIPT,
                "Trend": _TREND,
                "Similar": _SIMILAR,
                "QuoteResult": _QUOTE_RESULT,
                "Speaker": _SPEAKER,
                "SpeakerDetails": _SPEAKER_DETAILS,
            }
        },
    }
