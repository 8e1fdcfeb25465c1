"""`manage.py bench`: index build and full-request latency, ours and SQLite FTS5's, in one run.

The corpus is replicated `scale` times by hard-linking its (resolved) files into copy folders; the
parser given to `index.reindex.reindex` gives copy k ids `<id>~k` and dates k days later
(same years, speakers and places, so facets look like those of a bigger corpus of the same
era). The build therefore goes through exactly the code path of `manage.py reindex --full`.
A request is timed as the API serves it: `Engine.search` (match, six facet counts, 20
snippets, suggestion) plus the JSON; the baseline answers the same requests (bench/fts5.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import json
import logging
import os
import re
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from index.analysis import WORD_PATTERN
from index.models import Transcript
from index.parse import parse_file, source_files
from index.reindex import MULTIPROCESS_MIN_FILES, reindex
from index.schema import build_schema, utterance_document
from index.generations import current_generation_dir
from index.reader import open_index
from bench.queries import QUERIES, SEMANTIC_KINDS, BenchQuery
from bench.quotes import quote_seconds, sample_quotes
from bench.report import BenchResult, Latency, QueryTiming, format_table, load_average, machine_info
from search.engine import Engine
from bench.fts5 import build_fts5, fts5_request_json, open_fts5
from search.errors import BadQuery
from search.types import SearchRequest

log = logging.getLogger(__name__)

Report = Callable[[str], None]
__all__ = ["QUERIES", "BenchMismatch", "BenchQuery", "BenchResult", "Latency", "format_table", "run_bench"]

_COPY = re.compile(r"copy-(\d{4})$")
DEFAULT_REPEAT = 5


# --- the corpus, replicated


def replicate_corpus(corpus: Path, target: Path, scale: int) -> list[Path]:
    """Hard links (copies where links fail) of the corpus's real files in `target/copy-k/…`; the copy folders.

    Each file is resolved first, so a corpus of symbolic links replicates the files they
    point to (linking a symbolic link would copy the link, and every copy would resolve to
    the same file, which `reindex` reads once). Two names for one file are replicated once.
    """
    files = source_files([corpus])
    if not files:
        raise FileNotFoundError(f"no transcript files (.txt, .jsonl) in {corpus}")
    root = corpus if corpus.is_dir() else corpus.parent
    distinct = distinct_files(files)
    folders = []
    for k in range(scale):
        folder = target / f"copy-{k:04d}"
        for path, real in distinct:
            destination = folder / path.relative_to(root)
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(real, destination, follow_symlinks=True)
            except OSError:
                shutil.copyfile(real, destination)
        folders.append(folder)
    return folders


def distinct_files(files: Sequence[Path]) -> list[tuple[Path, Path]]:
    """(name, resolved file) for each file, leaving out names of a file already listed."""
    seen: dict[Path, Path] = {}
    for path in files:
        real = path.resolve()
        if real in seen:
            log.info("%s: skipped, it is %s again (already replicated as %s)", path, real, seen[real])
            continue
        seen[real] = path
    return [(path, real) for real, path in seen.items()]


def copy_number(path: Path) -> int:
    """k of the `copy-k` folder a replicated file is in (0 outside one)."""
    for part in reversed(path.parts):
        found = _COPY.match(part)
        if found:
            return int(found.group(1))
    return 0


def replica(transcript: Transcript, k: int) -> Transcript:
    """Copy k of a transcript: id `<id>~k`, dated k days later; copy 0 is the transcript itself."""
    if k == 0:
        return transcript
    tid = f"{transcript.id}~{k}"
    utterances = tuple(
        dataclasses.replace(u, id=f"{tid}:{u.seq}", transcript_id=tid) for u in transcript.utterances
    )
    return dataclasses.replace(
        transcript, id=tid, date=transcript.date + dt.timedelta(days=k), utterances=utterances
    )


class ReplicatingParser:
    """`parse_file`, renaming each copy's transcripts; remembers the time spent parsing and what it returned."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.parsed: dict[Path, int] = {}  # a full build reads each file twice (names first): counted once

    def __call__(self, path: Path) -> list[Transcript]:
        started = time.perf_counter()
        try:
            k = copy_number(path)
            transcripts = [replica(t, k) for t in parse_file(path)]
        finally:
            self.seconds += time.perf_counter() - started
        self.parsed[path] = sum(len(t.utterances) for t in transcripts)
        return transcripts

    @property
    def utterances(self) -> int:
        """Utterances of every file parsed."""
        return sum(self.parsed.values())

    def tokens(self) -> int:
        """Tokens (`count_tokens`) of every file parsed, counted once per distinct content (copies share texts)."""
        per_file: dict[bytes, int] = {}
        total = 0
        for path in self.parsed:
            key = hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
            if key not in per_file:
                per_file[key] = count_tokens(parse_file(path))
            total += per_file[key]
        return total


class BenchMismatch(Exception):
    """The two engines did not index the same utterances: their figures cannot be compared."""


@dataclass(frozen=True)
class Indexed:
    """What one engine was given (`parsed`, `tokens`) and what its index holds (`utterances`)."""

    utterances: int
    parsed: int
    tokens: int


def mismatch(ours: Indexed, fts5: Indexed) -> str | None:
    """Why the two builds cannot be compared (None when they indexed the same utterances and tokens)."""
    problems = []
    if ours.utterances != ours.parsed:
        problems.append(f"our index holds {ours.utterances:,} utterances of the {ours.parsed:,} parsed")
    if fts5.utterances != fts5.parsed:
        problems.append(f"FTS5 holds {fts5.utterances:,} rows of the {fts5.parsed:,} utterances parsed")
    if ours.utterances != fts5.utterances:
        problems.append(f"our index holds {ours.utterances:,} utterances, FTS5 {fts5.utterances:,}")
    if ours.tokens != fts5.tokens:
        problems.append(f"our build was given {ours.tokens:,} tokens, FTS5's {fts5.tokens:,}")
    return "; ".join(problems) or None


# --- index build


def _reset_peak_memory() -> None:
    """Start the peak-RSS count afresh (Linux: VmHWM), so the figure is the build's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_memory_bytes() -> int:
    """Peak resident memory of this process and of its finished children (the writer workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                own = int(line.split()[1]) * 1024
    except OSError:
        pass
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return max(own, children)


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process and of its finished children (the writer workers): work done, whatever else runs."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def count_tokens(transcripts: Sequence[Transcript]) -> int:
    """Words of the utterance texts as the text analyser splits them (stop words included)."""
    pattern = regex.compile(WORD_PATTERN)
    return sum(len(pattern.findall(u.text)) for t in transcripts for u in t.utterances)


def analysis_seconds(transcripts: Sequence[Transcript], scale: int) -> float:
    """Time of the analysis the writer does (every indexed field of every document), for `scale` copies.

    Timed on one copy with fresh analysers (cold caches) and again (warm), as the copies
    after the first find the analysers' caches warm.
    """
    schema = build_schema()
    documents = [utterance_document(t, u) for t in transcripts for u in t.utterances]

    def one_pass() -> float:
        started = time.perf_counter()
        for document in documents:
            for name, value in document.items():
                if value is not None and name in schema and schema[name].indexed:
                    for _ in schema[name].index(value):
                        pass
        return time.perf_counter() - started

    cold = one_pass()
    return cold + (one_pass() * (scale - 1) if scale > 1 else 0.0)


def folder_bytes(path: Path) -> int:
    """Bytes of the files in a folder (recursively)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def segment_count(index_dir: Path) -> int:
    """Whoosh segments in the published generation (a multi-process build leaves one per worker)."""
    with open_index(index_dir).reader() as reader:
        return sum(1 for _ in reader.leaf_readers())


# --- requests


def time_requests(run: Callable[[int], str], count: int, repeat: int) -> tuple[list[float], list[list[float]]]:
    """(first-run ms per request, then `repeat` timed runs per request), after one pass to warm up.

    The collector is frozen after the warm-up, as a server would do after start-up, so a
    full collection of long-lived objects does not land in one request.
    """
    first = []
    for number in range(count):
        started = time.perf_counter()
        run(number)
        first.append((time.perf_counter() - started) * 1000)
    gc.collect()
    gc.freeze()
    try:
        runs: list[list[float]] = [[] for _ in range(count)]
        for _ in range(repeat):
            for number in range(count):
                started = time.perf_counter()
                run(number)
                runs[number].append((time.perf_counter() - started) * 1000)
    finally:
        gc.unfreeze()
    return first, runs


def _flat(runs: list[list[float]]) -> list[float]:
    return [ms for per_query in runs for ms in per_query]


def _engine_runner(engine: Engine, requests: Sequence[SearchRequest]) -> Callable[[int], str]:
    def run(number: int) -> str:
        try:
            return json.dumps(engine.search(requests[number]).to_dict(), ensure_ascii=False)
        except BadQuery as error:
            # A speaker filter naming nobody in this corpus (the query set is the kremlin corpus's;
            # `speaker=Question` is an anonymous label there) answers an error, timed like any answer.
            return json.dumps({"total": 0, "error": error.message}, ensure_ascii=False)

    return run


def _fts5_runner(
    connection: sqlite3.Connection, queries: Sequence[BenchQuery], requests: Sequence[SearchRequest]
) -> Callable[[int], str]:
    def run(number: int) -> str:
        return fts5_request_json(connection, queries[number].fts, requests[number])

    return run


def _totals(run: Callable[[int], str], count: int) -> list[int]:
    return [int(json.loads(run(number))["total"]) for number in range(count)]


# --- semantic


class DedupEmbedder:
    """An embedder that encodes each distinct text once: the corpus copies share their texts."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._vectors: dict[str, Any] = {}
        self._spans: dict[str, list[tuple[int, int]]] = {}

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """The inner embedder's spans, once per distinct text."""
        if text not in self._spans:
            self._spans[text] = self.inner.token_spans(text)
        return self._spans[text]

    def encode(self, texts: Sequence[str]) -> Any:
        """The inner embedder's vectors, encoding only texts not seen before."""
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.inner.encode(missing)):
                self._vectors[text] = vector
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])


def semantic_latency(
    engine: Engine, index_dir: Path, queries: Sequence[BenchQuery], repeat: int
) -> tuple[Latency, Latency, float]:
    """(semantic, hybrid) request latency after embedding the index; and the seconds embedding took."""
    from search.hybrid import SemanticIndex
    from search.semantic import PassageEmbedder
    from search.vectors import sync_vectors

    embedder = DedupEmbedder(PassageEmbedder())
    started = time.perf_counter()
    sync_vectors(index_dir, embedder)
    embed_seconds = time.perf_counter() - started
    engine.semantic = SemanticIndex(index_dir, embedder)
    chosen = [q for q in queries if q.kind in SEMANTIC_KINDS]
    found = []
    for mode in ("semantic", "hybrid"):
        requests = [SearchRequest.from_params({**q.params, "mode": mode}) for q in chosen]
        _, runs = time_requests(_engine_runner(engine, requests), len(requests), repeat)
        found.append(Latency.of(_flat(runs)))
    return found[0], found[1], embed_seconds


# --- the whole run


def run_bench(
    corpus: Path,
    scale: int = 1,
    *,
    repeat: int = DEFAULT_REPEAT,
    semantic: bool = False,
    workdir: Path | None = None,
    queries: Sequence[BenchQuery] = QUERIES,
    report: Report | None = None,
) -> BenchResult:
    """Build our index and the FTS5 baseline of `corpus` × `scale`, then time `queries` on both.

    `workdir` keeps the indexes (default: a temporary folder, removed afterwards).
    :raises FileNotFoundError: the corpus holds no transcript files.
    """
    if scale < 1 or repeat < 1:
        raise ValueError("scale and repeat must be at least 1")
    say = report or (lambda message: log.info("%s", message))
    with tempfile.TemporaryDirectory(prefix="verbatim-bench-") as temporary:
        work = Path(workdir) if workdir is not None else Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        return _run(Path(corpus), scale, repeat, semantic, work, queries, say)


@dataclass(frozen=True)
class _Build:
    """Our index build as `_build` timed it."""

    transcripts: int
    utterances: int
    seconds: float
    cpu_seconds: float
    main_cpu_seconds: float
    parse_seconds: float
    peak_rss_bytes: int
    parser: ReplicatingParser
    processes: int


def _build(corpus_copies: Path, index_dir: Path, say: Report) -> _Build:
    """`reindex --full` of the replicated corpus, timed from the first file read to the published index."""
    _warm_imports()
    parser = ReplicatingParser()
    files = len(source_files([corpus_copies]))
    processes = 2 if files >= MULTIPROCESS_MIN_FILES and (os.cpu_count() or 1) > 1 else 1  # as `reindex --full`
    gc.collect()
    _reset_peak_memory()
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    summary = reindex(index_dir, [corpus_copies], full=True, parse=parser, processes=processes)
    seconds = time.perf_counter() - started
    main, workers = (after - before for after, before in zip(cpu_seconds(), cpu_before))
    build = _Build(
        summary.transcripts,
        summary.utterances,
        seconds,
        main + workers,
        main,
        parser.seconds,
        peak_memory_bytes(),
        parser,
        processes,
    )
    for line in summary.skipped:
        say(f"skipped {line}")
    say(
        f"built: {build.utterances:,} utterances in {seconds:.1f} s ({build.cpu_seconds:.0f} CPU s, "
        f"{processes} writer processes), peak memory {build.peak_rss_bytes / 2**20:.0f} MB, "
        f"{folder_bytes(current_generation_dir(index_dir)) / 2**20:.0f} MB on disk, "
        f"{segment_count(index_dir)} segments, load average {load_average()}"
    )
    return build


def _run(
    corpus: Path,
    scale: int,
    repeat: int,
    semantic: bool,
    work: Path,
    queries: Sequence[BenchQuery],
    say: Report,
) -> BenchResult:
    """`run_bench` inside its working folder."""
    load_at_start = load_average()
    shutil.rmtree(work / "corpus", ignore_errors=True)
    folders = replicate_corpus(corpus, work / "corpus", scale)
    index_dir = work / "index"
    shutil.rmtree(index_dir, ignore_errors=True)

    say(f"indexing {corpus} × {scale}")
    build = _build(work / "corpus", index_dir, say)

    say("timing analysis alone")
    first_copy = list(_parsed(folders[:1], ReplicatingParser()))
    analysis = analysis_seconds(first_copy, scale)

    say("building the FTS5 baseline")
    fts5_path = work / "fts5.sqlite3"
    fts5_parser = ReplicatingParser()
    started = time.perf_counter()
    fts5_rows = build_fts5(fts5_path, _parsed(folders, fts5_parser))
    fts5_seconds = time.perf_counter() - started

    tokens = build.parser.tokens()
    problem = mismatch(
        Indexed(build.utterances, build.parser.utterances, tokens),
        Indexed(fts5_rows, fts5_parser.utterances, fts5_parser.tokens()),
    )
    if problem is not None:
        raise BenchMismatch(f"the two engines did not index the same corpus, so no ratio is given: {problem}")

    requests = [SearchRequest.from_params(q.params) for q in queries]
    say(f"timing {len(requests)} requests × {repeat}")
    with Engine(index_dir) as engine:
        ours = _engine_runner(engine, requests)
        first, runs = time_requests(ours, len(requests), repeat)
        totals = _totals(ours, len(requests))
        connection = open_fts5(fts5_path)
        try:
            theirs = _fts5_runner(connection, queries, requests)
            _, fts5_runs = time_requests(theirs, len(requests), repeat)
            fts5_totals = _totals(theirs, len(requests))
        finally:
            connection.close()
        say("timing the quote finder")
        quotes = sample_quotes(first_copy)
        quote_latency = Latency.of([seconds * 1000 for seconds in quote_seconds(engine, quotes, repeat)]) if quotes else None
        semantic_figures: tuple[Latency | None, Latency | None, float | None] = (None, None, None)
        if semantic:
            say("embedding and timing semantic and hybrid requests")
            semantic_figures = semantic_latency(engine, index_dir, queries, repeat)

    return BenchResult(
        corpus=str(corpus),
        scale=scale,
        transcripts=build.transcripts,
        utterances=build.utterances,
        tokens=tokens,
        index_seconds=build.seconds,
        index_cpu_seconds=build.cpu_seconds,
        index_main_cpu_seconds=build.main_cpu_seconds,
        parse_seconds=build.parse_seconds,
        analysis_seconds=analysis,
        index_bytes=folder_bytes(current_generation_dir(index_dir)),
        index_segments=segment_count(index_dir),
        peak_rss_bytes=build.peak_rss_bytes,
        query=Latency.of(_flat(runs)),
        query_first=Latency.of(first),
        fts5_index_seconds=fts5_seconds,
        fts5_insert_seconds=max(0.0, fts5_seconds - fts5_parser.seconds),
        fts5_index_bytes=fts5_path.stat().st_size,
        fts5_query=Latency.of(_flat(fts5_runs)),
        queries=tuple(
            QueryTiming(q.kind, q.params, total, statistics.median(ours_ms), fts5_total, statistics.median(fts5_ms))
            for q, total, ours_ms, fts5_total, fts5_ms in zip(queries, totals, runs, fts5_totals, fts5_runs)
        ),
        semantic=semantic_figures[0],
        hybrid=semantic_figures[1],
        embed_seconds=semantic_figures[2],
        quote=quote_latency,
        machine=machine_info(load_at_start),
        writer_processes=build.processes,
    )


def _warm_imports() -> None:
    """Load nltk (about a second of imports) before the clock starts: a start-up cost, not throughput."""
    schema = build_schema()
    for name in ("text", "text_exact", "speaker"):
        for _ in schema[name].index("Warming up the analysers"):
            pass


def _parsed(folders: Sequence[Path], parser: ReplicatingParser) -> Iterator[Transcript]:
    """The replicated corpus parsed file by file with `parser` (which times itself)."""
    for path in source_files(folders):
        try:
            yield from parser(path)
        except Exception as error:  # the build reported it
            log.debug("skipping %s: %s", path, error)
