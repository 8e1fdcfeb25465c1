"""Verbatim web: Flask app factory, search page, transcript page and JSON API."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from index.errors import IndexMissing
from search import hybrid
from search.engine import Engine
from search.hybrid import SemanticIndex
from search.semantic import semantic_available
from search.types import SearchRequest
from settings import Settings

log = logging.getLogger(__name__)

EXTENSION = "verbatim"

# Everything comes from this server; no inline scripts or styles, no frames, no plugins.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Flask:
    """The Flask app: opens the index once (or later, once it exists) and registers pages and API."""
    from web import api, embedding, exports, feeds, links, people, quote, trends, views  # noqa: F401 (quote adds its routes to both blueprints)

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["VERBATIM_SETTINGS"] = settings
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep DESIGN §5 field order
    app.extensions[EXTENSION] = engine if engine is not None else _open_engine(settings)
    app.add_template_filter(thousands)
    app.add_template_filter(longdate)
    app.add_template_filter(isodate)
    app.add_template_filter(source_name)
    app.add_template_test(is_web_url, "web_url")
    app.register_blueprint(views.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(trends.bp)
    links.init_app(app)
    embedding.init_app(app)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(people.bp)
    app.after_request(_add_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(IndexMissing, _index_missing)
    if not settings.debug:  # in debug mode, let Werkzeug's debugger show the traceback
        app.register_error_handler(Exception, _unexpected_error)
    return app


def current_engine() -> Engine:
    """The app's Engine; opens the index on first use if it was missing at start-up."""
    engine = current_app.extensions.get(EXTENSION)
    if engine is None:
        engine = new_engine(current_app.config["VERBATIM_SETTINGS"].index_dir)
        current_app.extensions[EXTENSION] = engine
    return engine


def new_engine(index_dir: Path) -> Engine:
    """An Engine with semantic search when the [semantic] extra is installed (the model loads on first use)."""
    semantic = SemanticIndex(index_dir) if semantic_available() else None
    return Engine(index_dir, semantic=semantic)


def _open_engine(settings: Settings) -> Engine | None:
    """The Engine, or None while there is no index yet (the pages then say how to build one)."""
    try:
        return new_engine(settings.index_dir)
    except IndexMissing as error:
        log.warning("%s", error)
        return None


def warm_up(app: Flask) -> threading.Thread | None:
    """Run one semantic search in the background, so the first real one does not wait.

    That loads the embedding model (seconds) and the vectors' maps (most of a second).
    Only when semantic search can run (extra installed, vectors present); keyword requests
    are served meanwhile. Returns the thread (None if there is nothing to warm).

    The people of the index are not built here: under gunicorn's gevent workers a "thread"
    is a greenlet, and building them (30 s at 100 copies of the corpus, all CPU) would hold
    up the worker's requests and its heartbeat; they are built on first use, under their own lock.
    """
    engine = app.extensions.get(EXTENSION)
    if engine is None or hybrid.unavailable_reason(engine.semantic_index()) is not None:
        return None

    def load() -> None:
        try:
            engine.search(SearchRequest(q="warming up", mode="semantic", per_page=1, facet_limit=0))
        except Exception:  # a failed warm-up only means the first query pays for the load
            log.exception("could not load the embedding model in the background")
        else:
            log.info("embedding model loaded")

    thread = threading.Thread(target=load, name="verbatim-warm-up", daemon=True)
    thread.start()
    return thread


def wants_json() -> bool:
    """True for API requests, which get JSON errors instead of pages."""
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(status: int, message: str, **extra: Any) -> tuple[Response | str, int]:
    """An error as JSON `{"error": …}` for the API, or as a page for people."""
    if wants_json():
        return jsonify({"error": message, **extra}), status
    return render_template("message.html", status=status, message=message, **extra), status


def thousands(number: int | None) -> str:
    """1204 → "1,204" (template filter)."""
    return "" if number is None else f"{number:,}"


def longdate(date: dt.date, precision: str = "day") -> str:
    """2013-05-07 → "7 May 2013"; a partial date as written: "2011", "September 2011" (template filter)."""
    if precision == "year":
        return f"{date.year}"
    if precision == "month":
        return f"{date:%B %Y}"
    return f"{date.day} {date:%B %Y}"


def isodate(date: dt.date, precision: str = "day") -> str:
    """A date for `<time datetime>`: `2011`, `2011-09` or `2011-09-21` (template filter)."""
    from index.dates import format_partial

    return format_partial(date, precision)


def source_name(source: str) -> str:
    """A URL as it is, a file path as its name only: pages should not reveal the server's folders."""
    if "://" in source:
        return source
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def is_web_url(source: str | None) -> bool:
    """Whether a transcript's source is a web page (linked as "Original page") rather than a file."""
    return bool(source) and source.lower().startswith(("http://", "https://")) and len(source) > len("https://")


def _add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _http_error(error: HTTPException) -> Any:
    if error.code is None or error.code < 400:
        return error
    return error_response(error.code, error.description or error.name, title=error.name)


def _index_missing(error: IndexMissing) -> Any:
    log.warning("%s", error)  # the path is for whoever runs the server, not for the page
    message = "There is no search index yet: build one with `python manage.py reindex PATH…`."
    return error_response(503, message, title="No index yet", no_index=True)


def public_source(source: str) -> str:
    """A transcript's `source` fit for a response: the original URL, or the file's name (no server path)."""
    return source if is_web_url(source) else source_name(source)


def absolute_url(relative: str) -> str:
    """A link for output read outside this page (CSV, OpenAPI): the configured base URL in front,
    else the relative link as it is; never built from the request's Host header."""
    base = current_app.config["VERBATIM_SETTINGS"].base_url
    return f"{base}{relative}" if base else relative


def _unexpected_error(error: Exception) -> Any:
    log.exception("unexpected error on %s", request.path)
    return error_response(500, "Something went wrong on our side; the error was logged.", title="Error")
