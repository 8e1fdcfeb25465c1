"""The quote finder on the web: the `/quote` page (the quote against its sources, word by word) and `/api/quote`."""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request

from search.errors import BadQuery
from search.quote import MAX_QUOTE_CHARS, MAX_QUOTE_WORDS, PARAPHRASE
from web import current_engine
from web.api import bp as api
from web.views import semantic_reason, bp as pages

VERDICT_LABELS = {"verbatim": "Verbatim", "altered": "Altered", PARAPHRASE: "Paraphrase"}


@api.get("/quote")
def api_quote() -> Any:
    """The sources of a quote: `{"query", "matches": [...]}` (DESIGN §5)."""
    text = request.args.get("q", "")
    return jsonify(current_engine().find_quote(text).to_dict())


@pages.get("/quote")
def quote_page() -> Any:
    """Paste a quote, see its sources best first with the diff of quote against source."""
    engine = current_engine()
    text = request.args.get("q", "").strip()
    result, error, status = None, None, 200
    if text:
        try:
            result = engine.find_quote(text)
        except BadQuery as refused:
            error, status = refused.message, 400
    # Why meaning is not compared (no model, or no vectors for this index), without server paths.
    paraphrase_off = semantic_reason(engine)
    return (
        render_template(
            "quote.html", q="", quote=text, result=result, error=error, paraphrase_off=paraphrase_off,
            verdict_labels=VERDICT_LABELS, max_chars=MAX_QUOTE_CHARS, max_words=MAX_QUOTE_WORDS,
        ),
        status,
    )  # fmt: skip

