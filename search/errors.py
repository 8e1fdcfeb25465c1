"""Errors of searching, translated at the edges (CLI exit codes, HTTP 400/404/503 JSON, page messages).

Index-side errors (parse, missing or locked index) stay in `index.errors`.
"""

from __future__ import annotations

from index.errors import VerbatimError


class BadQuery(VerbatimError):
    """A search request the engine cannot run: malformed query or bad parameter."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message = message
        self.position = position
        super().__init__(message if position is None else f"{message} (at position {position})")


class SemanticUnavailable(VerbatimError):
    """Semantic search was requested but the optional [semantic] extra is not installed."""


class NotFound(VerbatimError):
    """No transcript or utterance with the requested id."""
