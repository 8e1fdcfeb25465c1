"""The search's state carried to the transcript page and back, and the passage a hit arrived at.

"In context" links carry every parameter of the search (filters, mode, sort, page), plus the
turn (`at`) and, for a semantic hit, the character span of the passage that matched
(`passage=START-END`). The transcript page uses `q` to highlight and returns the rest
unchanged in its "← Search results" link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import url_for
from markupsafe import Markup, escape

from index.models import Transcript
from web.urls import Params, query_string

# Parameters that belong to the transcript page only, not to the search it came from.
CONTEXT_ONLY = ("at", "passage")
_SPAN = re.compile(r"(\d{1,9})-(\d{1,9})")


def context_params(search_params: Params, seq: int, passage: tuple[int, int] | None = None) -> Params:
    """The parameters of an "In context" link: the whole search, the turn, the matched passage."""
    kept = [(n, v) for n, v in search_params if n not in CONTEXT_ONLY]
    kept.append(("at", str(seq)))
    if passage is not None:
        kept.append(("passage", f"{passage[0]}-{passage[1]}"))
    return kept


def back_params(transcript_params: Iterable[tuple[str, str]]) -> Params:
    """The search a transcript page was reached from: its parameters without the page's own."""
    return [(n, v) for n, v in transcript_params if n not in CONTEXT_ONLY and v.strip()]


def arrival(transcript_params: Iterable[tuple[str, str]]) -> tuple[int | None, tuple[int, int] | None]:
    """(turn, passage span) a link arrived at; None for what is absent or malformed (ignored, not an error)."""
    pairs = dict(transcript_params)
    at = pairs.get("at", "")
    seq = int(at) if at.isdigit() and len(at) < 10 else None
    found = _SPAN.fullmatch(pairs.get("passage", ""))
    span = (int(found.group(1)), int(found.group(2))) if found else None
    if span is not None and span[0] >= span[1]:
        span = None
    return seq, span


def marked_paragraphs(text: str, start: int, end: int) -> list[Markup]:
    """The paragraphs of `text` (split at blank lines), escaped, with `text[start:end]` in <mark>s.

    Each paragraph gets its own <mark> so the markup stays nested inside the <p>s.
    """
    result: list[Markup] = []
    offset = 0
    for paragraph in text.split("\n\n"):
        lo, hi = max(start, offset), min(end, offset + len(paragraph))
        if lo < hi:
            a, b = lo - offset, hi - offset
            result.append(
                escape(paragraph[:a])
                + Markup('<mark class="passage">')
                + escape(paragraph[a:b])
                + Markup("</mark>")
                + escape(paragraph[b:])
            )
        else:
            result.append(escape(paragraph))
        offset += len(paragraph) + 2
    return result


def transcript_arrival(
    transcript: Transcript, pairs: Iterable[tuple[str, str]], texts: Mapping[int, Markup]
) -> dict[str, Any]:
    """Template variables of the transcript page for where the reader came from and goes back to."""
    pairs = list(pairs)
    back = back_params(pairs)
    seq, span = arrival(pairs)
    utterance = next((u for u in transcript.utterances if u.seq == seq), None)
    paragraphs: dict[int, list[Markup]] = {}
    if utterance is not None and span is not None and span[1] <= len(utterance.text):
        paragraphs[utterance.seq] = marked_paragraphs(utterance.text, *span)
    elif utterance is not None and utterance.seq in texts:
        paragraphs[utterance.seq] = [Markup(p) for p in texts[utterance.seq].split("\n\n")]
    return {
        "back_url": url_for("pages.search") + (query_string(back) if back else ""),
        "arrived_seq": utterance.seq if utterance is not None else None,
        "passage_marked": bool(paragraphs) and span is not None,
        "paragraphs": paragraphs,
        "search_mode": dict(back).get("mode", "keyword"),
    }
