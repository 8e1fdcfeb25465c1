"""Opening the index for reading: the one entry point of readers (search, web, vectors).

The index returned follows current.json (index/generations.py), so a long-lived reader
sees every reindex: each new searcher reads the generation published at that moment.
"""

from __future__ import annotations

from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, EmptyIndexError, FileIndex, Index
from whoosh.reading import IndexReader
from whoosh.writing import IndexWriter

from index.errors import IndexMissing
from index.generations import read_pointer

# Reader generations combine ours with Whoosh's TOC generation (which restarts in every
# fresh build), so that `Searcher.up_to_date()` changes whenever either does.
_GENERATION_STRIDE = 1_000_000_000


class CurrentIndex(FileIndex):
    """A Whoosh index that follows current.json, so a long-lived reader sees every reindex."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._state = self._resolve(None)
        super().__init__(self._state[1])

    def _resolve(self, state: tuple[int, FileStorage] | None) -> tuple[int, FileStorage]:
        pointer = read_pointer(self.root)
        if pointer is None or not (self.root / pointer.generation).is_dir():
            raise IndexMissing(str(self.root))
        if state is not None and state[0] == pointer.number:
            return state
        return pointer.number, generation_storage(self.root / pointer.generation)

    def _current(self) -> tuple[int, FileStorage]:
        # One tuple, replaced in one assignment: threads never see a number from one
        # generation with the storage of another.
        state = self._resolve(self._state)
        if state is not self._state:
            self._state = state
            self.storage = state[1]
        return state

    def _read_toc(self) -> TOC:
        _, storage = self._current()
        return TOC.read(storage, self.indexname, schema=self._schema)

    def latest_generation(self) -> int:
        number, storage = self._current()
        return number * _GENERATION_STRIDE + TOC._latest_generation(storage, self.indexname)

    def last_modified(self) -> float:
        _, storage = self._current()
        toc_generation = TOC._latest_generation(storage, self.indexname)
        return storage.file_modified(TOC._filename(self.indexname, toc_generation))

    def reader(self, reuse: IndexReader | None = None) -> IndexReader:
        number, storage = self._current()
        toc = TOC.read(storage, self.indexname, schema=self._schema)
        generation = number * _GENERATION_STRIDE + toc.generation
        return self._reader(storage, toc.schema, toc.segments, generation, reuse=reuse)

    def writer(self, procs: int = 1, **kwargs: object) -> IndexWriter:
        self._current()
        return super().writer(procs=procs, **kwargs)


def open_index(index_dir: Path | str) -> Index:
    """Open the index for reading; it follows later reindexes (see the module's docstring)."""
    root = Path(index_dir)
    if not root.is_dir():
        raise IndexMissing(str(root))
    try:
        return CurrentIndex(root)
    except EmptyIndexError as error:
        raise IndexMissing(str(root)) from error


def generation_storage(path: Path | str) -> FileStorage:
    """The storage of one generation, read through its files rather than memory-mapped.

    With mmap, Whoosh wraps each file it opens inside a compound segment in a BytesIO, which
    copies it: every reader held a private copy of the whole index's postings and terms (350 MB
    at 20 copies of the corpus, ~2.5 GB at a million utterances; one per pooled searcher). Read
    through the file, a reader holds only what it reads, and the page cache is shared."""
    return FileStorage(str(path), supports_mmap=False)


def open_generation(path: Path | str) -> FileIndex:
    """The Whoosh index in one generation directory (`generation_storage`)."""
    return FileIndex(generation_storage(path))
