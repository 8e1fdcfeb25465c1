"""index.formats: postings written through the one-pass formats are exactly Whoosh's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from whoosh import formats
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex, Index

from index.formats import CachedPositions
from index.models import Transcript
from index.schema import build_schema, utterance_document


def _build(path: Path, transcripts: list[Transcript], *, plain: bool) -> Index:
    schema = build_schema()
    if plain:  # the same schema with Whoosh's own formats
        for name in schema.names():
            field = schema[name]
            if type(field.format) is CachedPositions:
                field.format = formats.Positions(field_boost=field.format.field_boost)
    path.mkdir()
    ix = FileIndex.create(FileStorage(str(path)), schema)
    with ix.writer() as writer:
        for transcript in transcripts:
            for utterance in transcript.utterances:
                writer.add_document(**utterance_document(transcript, utterance))
    return ix


def _postings(ix: Index) -> tuple[dict[tuple[str, Any], list[tuple[int, float, bytes]]], list[list[int]]]:
    found = {}
    with ix.reader() as reader:
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            rows = []
            while matcher.is_active():
                rows.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            found[(fieldname, text)] = rows
        lengths = [
            [reader.doc_field_length(doc, name, 0) for name in ("text", "text_exact", "title", "speaker")]
            for doc in range(reader.doc_count_all())
        ]
    return found, lengths


def test_one_pass_formats_write_whooshs_postings(tmp_path: Path, transcripts: list[Transcript]) -> None:
    ours = _build(tmp_path / "ours", transcripts, plain=False)
    whooshs = _build(tmp_path / "whoosh", transcripts, plain=True)
    assert type(ours.schema["text"].format) is CachedPositions
    assert type(ours.schema["text_exact"].format) is CachedPositions
    found, expected = _postings(ours), _postings(whooshs)
    assert found == expected
    assert ("text", b"geneva") in found[0] and ("text_exact", b"geneva") in found[0]
