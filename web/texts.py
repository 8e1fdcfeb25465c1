"""Full utterance texts for hits (KWIC lines, CSV export), reading each transcript once."""

from __future__ import annotations

from index.errors import NotFound
from search.engine import Engine
from search.types import Hit


class UtteranceTexts:
    """Looks up a hit's full text; one instance per request, so nothing outlives it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._by_transcript: dict[str, dict[int, str]] = {}

    def __call__(self, hit: Hit) -> str:
        """The full text of the hit's utterance ("" if the transcript no longer has it)."""
        texts = self._by_transcript.get(hit.transcript_id)
        if texts is None:
            try:
                transcript = self._engine.get_transcript(hit.transcript_id)
            except NotFound:  # removed by a reindex since the search ran
                texts = {}
            else:
                texts = {u.seq: u.text for u in transcript.utterances}
            self._by_transcript[hit.transcript_id] = texts
        return texts.get(hit.seq, "")
