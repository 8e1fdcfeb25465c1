"""Stale vectors (issue 15 #6): after a reindex changes an utterance's text under the same id, its old
vector ranks nothing in semantic, hybrid or similar search; it counts as missing and `embed` redoes it.

A real index built by `reindex` from files, the small real WordHashEmbedder (texts sharing words are near).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from embedders import WordHashEmbedder

from search.errors import SemanticUnavailable
from index.reindex import reindex
from search.engine import Engine
from search.hybrid import SemanticIndex
from search.types import SearchRequest
from search.vectors import load_store, sync_vectors

PAGE = """Events
Meeting on {topic}
May 7, 2013
The Kremlin, Moscow
Vladimir Putin: {first}
Sergei Lavrov: {second}
"""
OLD = "Caviar sturgeon fisheries along the Volga river delta."
NEW = "Satellite launches from the Vostochny cosmodrome this autumn."


def write(path: Path, first: str, second: str = "Thank you, colleagues, for the meeting today.") -> None:
    path.write_text(PAGE.format(topic=path.stem, first=first, second=second), encoding="utf-8")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    write(folder / "fish.txt", OLD)
    write(folder / "space.txt", "Rocket engines and orbital stations, our space programme.")
    write(folder / "farm.txt", "Grain harvests and farm exports grew this year.")
    return folder


@pytest.fixture
def changed(corpus: Path, tmp_path: Path) -> Iterator[tuple[Path, WordHashEmbedder]]:
    """An index embedded, then reindexed with fish.txt's first turn changed (same id, fish:0)."""
    index = tmp_path / "index"
    reindex(index, [corpus])
    embedder = WordHashEmbedder()
    sync_vectors(index, embedder)
    write(corpus / "fish.txt", NEW)
    summary = reindex(index, [corpus])
    assert (summary.updated, summary.unchanged) == (1, 2)
    embedder.encoded.clear()
    yield index, embedder


def ids(engine: Engine, q: str, mode: str) -> list[str]:
    return [hit.id for hit in engine.search(SearchRequest(q=q, mode=mode, per_page=50)).hits]


def test_a_changed_utterance_is_never_ranked_by_its_old_vector(changed, caplog: pytest.LogCaptureFixture) -> None:
    index, embedder = changed
    with Engine(index, semantic=SemanticIndex(index, embedder)) as engine, caplog.at_level(logging.WARNING):
        for mode in ("semantic", "hybrid"):
            assert "fish:0" not in ids(engine, "caviar sturgeon volga", mode)  # what the old vector meant
        assert "fish:1" in ids(engine, "thank you colleagues meeting", "semantic")  # same text: still used
        assert "1 of them changed since `embed`" in caplog.text
        with pytest.raises(SemanticUnavailable, match="no vectors yet"):
            engine.similar("fish:0")


def test_embed_recomputes_the_stale_vector_and_only_that_one(changed) -> None:
    index, embedder = changed
    summary = sync_vectors(index, embedder)
    assert (summary.added_utterances, summary.dropped_utterances) == (1, 1)
    assert embedder.encoded == [NEW]
    with Engine(index, semantic=SemanticIndex(index, embedder)) as engine:
        assert ids(engine, "satellite cosmodrome launches", "semantic")[0] == "fish:0"
        assert "fish:0" not in ids(engine, "caviar sturgeon volga", "semantic")[:1]
    store = load_store(index)
    assert store is not None and len(set(store.file_hashes.tolist())) == 3  # every row keyed by its file's content
    embedder.encoded.clear()
    assert sync_vectors(index, embedder).added_utterances == 0 and embedder.encoded == []
