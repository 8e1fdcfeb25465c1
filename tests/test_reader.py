"""Opening an index for reading costs memory for what is read, not for the whole index."""

from __future__ import annotations

import datetime as dt
import random
import tracemalloc
from pathlib import Path

import pytest

from index.generations import current_generation_dir
from index.reader import open_generation, open_index
from index.reindex import index_transcripts
from tests.helpers import make_transcript


@pytest.fixture(scope="module")
def big_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The root of an index of a few MB: 200 utterances of 200 random made-up words each."""
    index_dir = tmp_path_factory.mktemp("reader") / "index"
    rng = random.Random(7)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)) for _ in range(20_000)]
    transcripts = [
        make_transcript(
            f"t{n}",
            f"Meeting {n}",
            dt.date(2015, 1, 1) + dt.timedelta(days=n),
            [("Anna Ivanova", "", " ".join(rng.choice(vocabulary) for _ in range(200))) for _ in range(20)],
        )
        for n in range(10)
    ]
    index_transcripts(index_dir, transcripts, full=True)
    return index_dir


def _allocated_while(open_reader) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        reader = open_reader()
        allocated, _ = tracemalloc.get_traced_memory()
        reader.close()
    finally:
        tracemalloc.stop()
    return allocated


def test_a_reader_does_not_copy_the_index_into_memory(big_index: Path) -> None:
    generation = current_generation_dir(big_index)
    on_disk = sum(path.stat().st_size for path in generation.iterdir())
    assert on_disk > 2_000_000
    # Memory-mapped, Whoosh copied every file of a compound segment into a BytesIO on opening.
    for open_reader in (open_generation(generation).reader, open_index(big_index).reader):
        assert _allocated_while(open_reader) < on_disk / 4


def test_a_reader_reads_what_the_index_holds(big_index: Path) -> None:
    with open_index(big_index).searcher() as searcher:
        assert searcher.doc_count() == 200
        word = next(iter(searcher.reader().lexicon("text"))).decode("utf-8")
        assert len(list(searcher.documents(transcript_id="t3"))) == 20
        assert searcher.reader().doc_frequency("text", word) >= 1


def test_columns_read_by_segment_are_whooshs_values(tmp_path: Path) -> None:
    """The engine's arrays (read a segment at a time, numeric columns as bytes) hold what Whoosh
    gives document by document, on several segments with deletions."""
    from search.columns import load_columns

    index_dir = tmp_path / "index"
    day = dt.date(2015, 1, 1)
    batches = [
        [make_transcript(f"t{b}-{n}", "Talks", day + dt.timedelta(days=40 * b + n), [("Anna Ivanova", "", "Oil."), ("", "", "Gas.")], place=f"Place {n % 3}", topics=(f"Topic {n % 2}",)) for n in range(5)]
        for b in range(3)
    ]
    everything: list = []  # type: ignore[type-arg]
    for batch in batches:  # each run adds a segment; the last one also replaces t0-1 and drops t1-2
        everything = [t for t in everything if t.id not in {"t0-1", "t1-2"}] + batch
        index_transcripts(index_dir, everything)
    with open_index(index_dir).searcher() as searcher:
        reader = searcher.reader()
        assert len(reader.leaf_readers()) > 1 and reader.has_deletions()
        columns = load_columns(reader)
        for docnum in range(reader.doc_count_all()):
            live = not reader.is_deleted(docnum)
            assert columns.live[docnum] == live
            if not live:
                continue
            stored = reader.stored_fields(docnum)
            assert columns.seq[docnum] == stored["seq"]
            assert columns.day[docnum] == int(stored["date"].strftime("%Y%m%d"))
            place = columns.facets["place"]
            assert place.values[place.doc_ordinal[docnum]] == stored["facet_place"]
        live_ids = {columns.transcript_ids[columns.transcript[d]] for d in range(columns.size) if columns.live[d]}
        assert live_ids == {t.id for t in everything}
