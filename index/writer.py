"""Writing transcripts to the Whoosh index, and opening it for readers."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import Index

from index.errors import IndexMissing
from index.models import Transcript
from index.schema import build_schema, utterance_document


def open_index(index_dir: Path | str) -> Index:
    """Open the index for reading; the one entry point readers (search, web) use."""
    path = Path(index_dir)
    if not path.is_dir() or not whoosh_index.exists_in(str(path)):
        raise IndexMissing(str(path))
    return whoosh_index.open_dir(str(path))


def create_index(index_dir: Path | str) -> Index:
    """A new, empty index in `index_dir` (created if needed)."""
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(path), build_schema())


def write_transcripts(ix: Index, transcripts: Iterable[Transcript]) -> int:
    """Add (or replace) the utterances of `transcripts` in one commit; returns utterances written."""
    count = 0
    with ix.writer() as writer:
        for transcript in transcripts:
            writer.delete_by_term("transcript_id", transcript.id)
            for utterance in transcript.utterances:
                writer.add_document(**utterance_document(transcript, utterance))
                count += 1
    return count
