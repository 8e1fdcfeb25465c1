"""Embedding vectors beside the index (`<index>/vectors/`), kept in step with it, and nearest neighbours.

One row per passage: its unit vector, its utterance id, its number and character span
in the utterance text, a hash of that text (so a changed utterance is embedded again) and
the content hash of the file the utterance came from when it was embedded. A vector counts
for its utterance only while the text is the same: after a reindex changes an utterance under
the same id, `stale_documents` finds it (cheaply, through the file hashes) and search treats
it like one without vectors until `embed` computes it again.
The store is a single `.npz` file replaced atomically; above `ANN_THRESHOLD` passages a
faiss HNSW index (approximate) is saved next to it, below it search is exact (numpy).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.reader import open_index
from search.semantic import MAX_PASSAGE_TOKENS, Embedder, Passage, utterance_passages

log = logging.getLogger(__name__)

VECTORS_DIR = "vectors"
STORE_FILE = "vectors.npz"
STORE_FORMAT = 1
# Exact search over 50k × 384 floats is a ~10 ms matrix product; above that, HNSW.
ANN_THRESHOLD = 50_000
HNSW_NEIGHBOURS = 32
# Passages embedded (at most) between two saves, so an interrupted `embed` keeps most of its work.
CHECKPOINT_PASSAGES = 2_000
# Seconds (at most) between two saves, for a machine so busy that 2,000 passages take minutes.
CHECKPOINT_SECONDS = 60.0
# The indexed field holding the hash of an utterance's file (index/schema.py, per document).
CONTENT_HASH_FIELD = "content_hash"


def vectors_dir(index_dir: Path | str) -> Path:
    """Where the vectors of the index in `index_dir` live."""
    return Path(index_dir) / VECTORS_DIR


def text_hash(text: str) -> str:
    """A short fingerprint of an utterance's text: a changed text is embedded again."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@dataclass(frozen=True)
class VectorStore:
    """Passage vectors and what each row belongs to; rows of one utterance are contiguous."""

    model: str
    dim: int
    max_tokens: int
    vectors: np.ndarray
    utterance_ids: np.ndarray
    passage_numbers: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    hashes: np.ndarray
    # Content hash of the utterance's file when it was embedded ("" in stores written before it was kept).
    file_hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=str))
    generation: str = ""
    # Derived arrays, computed on first use (the store itself never changes).
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.file_hashes.shape[0] != self.vectors.shape[0]:  # not given: unknown for every row
            object.__setattr__(self, "file_hashes", np.full(self.vectors.shape[0], "", dtype="<U1"))

    @classmethod
    def empty(cls, model: str, dim: int, max_tokens: int) -> "VectorStore":
        """A store without rows."""
        return cls(
            model=model,
            dim=dim,
            max_tokens=max_tokens,
            vectors=np.zeros((0, dim), dtype=np.float32),
            utterance_ids=np.zeros(0, dtype=str),
            passage_numbers=np.zeros(0, dtype=np.int32),
            starts=np.zeros(0, dtype=np.int32),
            ends=np.zeros(0, dtype=np.int32),
            hashes=np.zeros(0, dtype=str),
            file_hashes=np.zeros(0, dtype=str),
        )

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def utterance_hashes(self) -> dict[str, str]:
        """Utterance id → hash of the text its vectors were computed from."""
        return dict(zip(self.utterance_ids.tolist(), self.hashes.tolist()))

    def utterances(self) -> np.ndarray:
        """The distinct utterance ids, in the order `row_utterance` numbers them."""
        return self._cached_ordinals()[0]

    def row_utterance(self) -> np.ndarray:
        """For each row, the number of its utterance in `utterances()`."""
        return self._cached_ordinals()[1]

    def rows_of(self, utterance_id: str) -> np.ndarray:
        """Row numbers of one utterance's passages (empty if it has no vectors)."""
        return np.flatnonzero(self.utterance_ids == utterance_id)

    def _cached_ordinals(self) -> tuple[np.ndarray, np.ndarray]:
        if "ordinals" not in self._cache:
            self._cache["ordinals"] = np.unique(self.utterance_ids, return_inverse=True)
        return self._cache["ordinals"]

    def select(self, keep: np.ndarray) -> "VectorStore":
        """A store of the rows where the boolean `keep` is true."""
        return _replace_rows(self, {name: getattr(self, name)[keep] for name in _ROW_FIELDS})

    def extend(self, other: "VectorStore") -> "VectorStore":
        """This store with the rows of `other` appended."""
        return _replace_rows(
            self,
            {
                name: np.concatenate([getattr(self, name), getattr(other, name)])
                for name in _ROW_FIELDS
            },
        )


_ROW_FIELDS = ("vectors", "utterance_ids", "passage_numbers", "starts", "ends", "hashes", "file_hashes")


def _replace_rows(store: VectorStore, rows: dict[str, np.ndarray]) -> VectorStore:
    return VectorStore(
        model=store.model, dim=store.dim, max_tokens=store.max_tokens, generation="", **rows
    )


def load_store(index_dir: Path | str) -> VectorStore | None:
    """The saved vectors of the index in `index_dir`, or None if `embed` never ran there."""
    path = vectors_dir(index_dir) / STORE_FILE
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        manifest = json.loads(str(data["manifest"]))
        if manifest.get("format") != STORE_FORMAT:
            log.warning("ignoring vectors in an unknown format at %s", path)
            return None
        return VectorStore(
            model=manifest["model"],
            dim=int(manifest["dim"]),
            max_tokens=int(manifest["max_tokens"]),
            generation=manifest["generation"],
            **{name: _row_field(data, name) for name in _ROW_FIELDS},
        )


def _row_field(data: Any, name: str) -> np.ndarray:
    """One saved array; file hashes of a store saved before they were kept are "" (unknown)."""
    if name == "file_hashes" and name not in data.files:
        return np.full(data["hashes"].shape[0], "", dtype="<U1")
    return data[name]


def save_store(
    index_dir: Path | str, store: VectorStore, ann_threshold: int = ANN_THRESHOLD
) -> str:
    """Write the store atomically (temp file, then rename), with an HNSW index if large; its generation."""
    folder = vectors_dir(index_dir)
    folder.mkdir(parents=True, exist_ok=True)
    generation = uuid.uuid4().hex[:12]
    manifest = {
        "format": STORE_FORMAT,
        "model": store.model,
        "dim": store.dim,
        "max_tokens": store.max_tokens,
        "generation": generation,
        "passages": len(store),
        "utterances": int(len(store.utterances())),
    }
    if len(store) >= ann_threshold:
        # Saved before the store that names it, so a reader never finds a store without its index.
        write_hnsw(build_hnsw(store.vectors), folder / hnsw_file(generation))
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".vectors-", suffix=".npz")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez(
                handle,
                manifest=np.array(json.dumps(manifest)),
                **{name: getattr(store, name) for name in _ROW_FIELDS},
            )
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the vectors are as public as the index
        os.replace(temporary, folder / STORE_FILE)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for old in folder.glob("hnsw-*.faiss"):
        if old.name != hnsw_file(generation):
            old.unlink(missing_ok=True)
    return generation


def hnsw_file(generation: str) -> str:
    """File name of the HNSW index that belongs to one generation of the store."""
    return f"hnsw-{generation}.faiss"


def build_hnsw(vectors: np.ndarray) -> Any:
    """A faiss HNSW index (inner product = cosine on unit vectors) over `vectors`."""
    import faiss

    index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def write_hnsw(index: Any, path: Path) -> None:
    """Save a faiss index atomically."""
    import faiss

    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}")
    faiss.write_index(index, str(temporary))
    os.replace(temporary, path)


class NeighbourSearch:
    """Nearest passages to a query vector: exact below `ann_threshold` rows or within a subset, HNSW above."""

    def __init__(
        self, store: VectorStore, ann_threshold: int = ANN_THRESHOLD, hnsw_path: Path | None = None
    ) -> None:
        self.store = store
        self.ann_threshold = ann_threshold
        self._hnsw_path = hnsw_path
        self._hnsw: Any = None

    @property
    def approximate(self) -> bool:
        """Whether unrestricted searches go through the HNSW index."""
        return len(self.store) >= self.ann_threshold

    def passage_scores(self, query: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Cosine similarity of every passage (or of `rows`) to the query: the exact way."""
        vectors = self.store.vectors if rows is None else self.store.vectors[rows]
        # einsum runs on one thread: a multi-threaded BLAS product, this small, waits for
        # a second core that torch or other requests hold (measured p90 8–12 ms vs 0.7 ms).
        return np.einsum("ij,j->i", vectors, query.astype(np.float32))

    def top_utterances(
        self, query: np.ndarray, limit: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, int, float]]:
        """The best `limit` utterances as (utterance number, best row, score), best first.

        `allowed` is a boolean mask over `store.utterances()`; a restricted search is exact
        over the admitted rows, so a filter never loses hits to the approximation.
        """
        if limit <= 0 or not len(self.store):
            return []
        if allowed is None and self.approximate:
            rows, scores = self._hnsw_rows(query, limit)
        else:
            rows = None if allowed is None else np.flatnonzero(allowed[self.store.row_utterance()])
            scores = self.passage_scores(query, rows)
            rows = np.arange(len(self.store)) if rows is None else rows
        return best_per_utterance(rows, scores, self.store.row_utterance(), limit)

    def _hnsw_rows(self, query: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        index = self.hnsw()
        # Several passages may belong to one utterance: ask for more rows than utterances.
        wanted = min(len(self.store), max(limit * 4, 64))
        index.hnsw.efSearch = max(128, wanted)
        scores, rows = index.search(query.reshape(1, -1).astype(np.float32), wanted)
        found = rows[0] >= 0
        return rows[0][found], scores[0][found]

    def hnsw(self) -> Any:
        """The HNSW index: the saved one of this generation, else built now (once)."""
        if self._hnsw is None:
            if self._hnsw_path is not None and self._hnsw_path.is_file():
                import faiss

                self._hnsw = faiss.read_index(str(self._hnsw_path))
            else:
                self._hnsw = build_hnsw(self.store.vectors)
        return self._hnsw


def best_per_utterance(
    rows: np.ndarray, scores: np.ndarray, row_utterance: np.ndarray, limit: int
) -> list[tuple[int, int, float]]:
    """Group passage scores by utterance (an utterance scores as its best passage); the top `limit`."""
    if not len(rows):
        return []
    wanted = limit * 8
    if len(rows) > wanted:
        # The first `limit` distinct utterances among the best passages are the answer whenever
        # the best `wanted` passages hold that many; sorting those few is much cheaper.
        best = np.argpartition(-scores, wanted)[:wanted]
        found = best_per_utterance(rows[best], scores[best], row_utterance, limit)
        if len(found) == limit:
            return found
    order = np.argsort(-scores, kind="stable")
    utterances = row_utterance[rows[order]]
    _, first = np.unique(utterances, return_index=True)
    best = np.sort(first)[:limit]
    return [
        (int(utterances[i]), int(rows[order[i]]), float(scores[order[i]])) for i in best
    ]


def stale_documents(store: VectorStore, reader: Any, doc_utterance: np.ndarray) -> np.ndarray:
    """Boolean mask of the documents whose vectors (`doc_utterance[doc]` in `store.utterances()`)
    were computed from another text than the one indexed now.

    Only documents whose file changed since `embed` (file hash in the index ≠ in the store) have
    their stored text read and hashed, so the check costs little after a small reindex."""
    stale = np.zeros(doc_utterance.size, dtype=bool)
    mapped = np.flatnonzero(doc_utterance >= 0)
    if not mapped.size:
        return stale
    doc_file = np.full(doc_utterance.size, "", dtype=object)
    for term in reader.field_terms(CONTENT_HASH_FIELD):
        text = term.decode("utf-8") if isinstance(term, bytes) else str(term)
        doc_file[np.fromiter(reader.postings(CONTENT_HASH_FIELD, term).all_ids(), dtype=np.int64)] = text
    first_rows = np.unique(store.utterance_ids, return_index=True)[1]
    utterance_file = store.file_hashes[first_rows].astype(object)
    utterance_text = store.hashes[first_rows]
    changed = mapped[(doc_file[mapped] != utterance_file[doc_utterance[mapped]]) | (doc_file[mapped] == "")]
    for doc in changed.tolist():
        text = reader.stored_fields(doc).get("text", "")
        stale[doc] = text_hash(text) != utterance_text[doc_utterance[doc]]
    return stale


def open_neighbours(
    index_dir: Path | str, ann_threshold: int = ANN_THRESHOLD
) -> NeighbourSearch | None:
    """Nearest-neighbour search over the saved vectors of an index, or None if there are none."""
    store = load_store(index_dir)
    if store is None:
        return None
    return NeighbourSearch(
        store, ann_threshold, vectors_dir(index_dir) / hnsw_file(store.generation)
    )


@dataclass(frozen=True)
class EmbedSummary:
    """What `sync_vectors` did."""

    added_utterances: int
    added_passages: int
    dropped_utterances: int
    utterances: int
    passages: int
    seconds: float
    model: str

    @property
    def passages_per_second(self) -> float:
        """Embedding throughput of this run."""
        return self.added_passages / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class EmbedProgress:
    """How far one `embed` run is: passages done of those it has to embed, words done, seconds so far."""

    done: int
    total: int
    words: int
    seconds: float


class ProgressLines:
    """Writes a progress line every `interval` seconds and at the end: done, rate, time left (for logs, not a terminal)."""

    def __init__(self, write: Callable[[str], None], interval: float = 5.0) -> None:
        self.write = write
        self.interval = interval
        self._last = float("-inf")

    def __call__(self, progress: EmbedProgress) -> None:
        finished = progress.done >= progress.total
        if progress.seconds - self._last < self.interval and not finished:
            return
        self._last = progress.seconds
        self.write(progress_line(progress))


def progress_line(progress: EmbedProgress) -> str:
    """`embedding: 2,000/11,347 passages (18%), 231 passages/s, 15,302 words/s, about 40 s left`."""
    seconds = max(progress.seconds, 1e-9)
    rate = progress.done / seconds
    left = (progress.total - progress.done) / rate if rate > 0 else float("inf")
    share = 100 * progress.done / progress.total if progress.total else 100
    return (
        f"embedding: {progress.done:,}/{progress.total:,} passages ({share:.0f}%), "
        f"{rate:,.0f} passages/s, {progress.words / seconds:,.0f} words/s, {_duration(left)} left"
    )


def _duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "unknown time"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 5400:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def indexed_texts(index_dir: Path | str) -> dict[str, str]:
    """Utterance id → text of every utterance in the index."""
    return {uid: text for uid, (text, _) in indexed_utterances(index_dir).items()}


def indexed_utterances(index_dir: Path | str) -> dict[str, tuple[str, str]]:
    """Utterance id → (text, content hash of its file) of every utterance in the index."""
    with open_index(index_dir).searcher() as searcher:
        return {
            fields["id"]: (fields.get("text", ""), fields.get(CONTENT_HASH_FIELD, ""))
            for fields in searcher.all_stored_fields()
        }


def sync_vectors(
    index_dir: Path | str,
    embedder: Embedder,
    *,
    progress: bool = False,
    report: Callable[[EmbedProgress], None] | None = None,
    max_tokens: int = MAX_PASSAGE_TOKENS,
    ann_threshold: int = ANN_THRESHOLD,
) -> EmbedSummary:
    """Embed the utterances that have no (or outdated) vectors and drop those no longer indexed.

    `progress` shows a bar (for a terminal); `report` is called after every encoded chunk
    (for logs: see `ProgressLines`). Work is saved every CHECKPOINT_PASSAGES passages, so
    an interrupted run loses at most that much and the next run resumes from there.
    """
    began = time.perf_counter()
    indexed = indexed_utterances(index_dir)
    texts = {uid: text for uid, (text, _) in indexed.items()}
    files = {uid: file_hash for uid, (_, file_hash) in indexed.items()}
    hashes = {uid: text_hash(text) for uid, text in texts.items()}
    store = load_store(index_dir)
    needs_save = store is None
    if store is None or (store.model, store.dim, store.max_tokens) != (
        embedder.name,
        embedder.dim,
        max_tokens,
    ):
        if store is not None:
            log.info("vectors made by %s (%d tokens): recomputing", store.model, store.max_tokens)
            needs_save = True
        store = VectorStore.empty(embedder.name, embedder.dim, max_tokens)
    stored = store.utterance_hashes()
    dropped = sum(1 for uid, old in stored.items() if hashes.get(uid) != old)
    if dropped:
        pairs = zip(store.utterance_ids.tolist(), store.hashes.tolist())
        keep = np.array([hashes.get(uid) == old for uid, old in pairs], dtype=bool)
        store = store.select(keep)
        needs_save = True
    rekeyed = _current_file_hashes(store, files)
    if rekeyed is not None:  # the same text in a changed (or re-saved) file: no need to embed it again
        store = _replace_rows(store, {**{name: getattr(store, name) for name in _ROW_FIELDS}, "file_hashes": rekeyed})
        needs_save = True
    missing = [uid for uid in texts if stored.get(uid) != hashes[uid]]
    passages = [
        passage
        for uid in missing
        for passage in utterance_passages(uid, texts[uid], embedder, max_tokens)
    ]
    for batch in _embedded_batches(passages, texts, hashes, files, embedder, progress, report):
        store = store.extend(batch)
        save_store(index_dir, store, ann_threshold)
        needs_save = False
    if needs_save:
        save_store(index_dir, store, ann_threshold)
    return EmbedSummary(
        added_utterances=len({p.utterance_id for p in passages}),
        added_passages=len(passages),
        dropped_utterances=dropped,
        utterances=int(len(store.utterances())),
        passages=len(store),
        seconds=time.perf_counter() - began,
        model=embedder.name,
    )


# Passages given to the embedder at once: small enough for a smooth progress bar.
ENCODE_CHUNK = 256


def _current_file_hashes(store: VectorStore, files: dict[str, str]) -> np.ndarray | None:
    """The stored rows' file hashes brought up to date, or None when they already are."""
    current = np.array([files.get(uid, "") for uid in store.utterance_ids.tolist()], dtype=str)
    if current.shape == store.file_hashes.shape and bool((current == store.file_hashes).all()):
        return None
    return current


def _embedded_batches(
    passages: list[Passage],
    texts: dict[str, str],
    hashes: dict[str, str],
    files: dict[str, str],
    embedder: Embedder,
    progress: bool,
    report: Callable[[EmbedProgress], None] | None = None,
) -> Iterator[VectorStore]:
    """Stores of newly embedded passages, whole utterances only, one per checkpoint.

    A checkpoint falls every CHECKPOINT_PASSAGES passages or CHECKPOINT_SECONDS seconds,
    whichever comes first, so a slow (shared) machine loses little when interrupted.
    """
    from tqdm import tqdm

    began = last_save = time.perf_counter()
    done_words = 0
    pending: list[Passage] = []
    pending_vectors: list[np.ndarray] = []
    with tqdm(total=len(passages), unit="passage", desc="embedding", disable=not progress) as bar:
        for first in range(0, len(passages), ENCODE_CHUNK):
            part = passages[first : first + ENCODE_CHUNK]
            texts_of_part = [texts[p.utterance_id][p.start : p.end] for p in part]
            pending.extend(part)
            pending_vectors.append(embedder.encode(texts_of_part))
            bar.update(len(part))
            done_words += sum(len(text.split()) for text in texts_of_part)
            now = time.perf_counter()
            done = first + len(part)
            if report is not None:
                report(EmbedProgress(done, len(passages), done_words, now - began))
            due = len(pending) >= CHECKPOINT_PASSAGES or now - last_save >= CHECKPOINT_SECONDS
            if not due and done < len(passages):
                continue
            # A checkpoint never splits an utterance: it would look complete when read back.
            cut = len(pending)
            if done < len(passages) and passages[done].number != 0:
                while cut > 0 and pending[cut - 1].number != 0:
                    cut -= 1
                cut -= 1  # the first passage of the unfinished utterance stays pending too
            if cut <= 0:
                continue
            vectors = np.concatenate(pending_vectors)
            yield _rows(pending[:cut], vectors[:cut], hashes, files, embedder)
            pending, pending_vectors = pending[cut:], [vectors[cut:]]
            last_save = time.perf_counter()


def _rows(
    passages: list[Passage], vectors: np.ndarray, hashes: dict[str, str], files: dict[str, str], embedder: Embedder
) -> VectorStore:
    """A store holding freshly embedded passages."""
    return VectorStore(
        model=embedder.name,
        dim=embedder.dim,
        max_tokens=0,
        vectors=np.asarray(vectors, dtype=np.float32).reshape(len(passages), embedder.dim),
        utterance_ids=np.array([p.utterance_id for p in passages]),
        passage_numbers=np.array([p.number for p in passages], dtype=np.int32),
        starts=np.array([p.start for p in passages], dtype=np.int32),
        ends=np.array([p.end for p in passages], dtype=np.int32),
        hashes=np.array([hashes[p.utterance_id] for p in passages]),
        file_hashes=np.array([files[p.utterance_id] for p in passages], dtype=str),
    )
