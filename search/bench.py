"""`manage.py bench`: index build and full-request latency, ours and SQLite FTS5's, in one run.

The corpus is replicated `scale` times by hard-linking its files into copy folders; the
parser given to `index.reindex.reindex` gives copy k ids `<id>~k` and dates k days later
(same years, speakers and places, so facets look like those of a bigger corpus of the same
era). The build therefore goes through exactly the code path of `manage.py reindex --full`.
A request is timed as the API serves it: `Engine.search` (match, six facet counts, 20
snippets, suggestion) plus the JSON; the baseline answers the same requests (search/fts5.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import json
import logging
import math
import os
import platform
import re
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
import whoosh

from index.analysis import WORD_PATTERN
from index.models import Transcript
from index.parse import parse_file, source_files
from index.reindex import reindex
from index.schema import build_schema, utterance_document
from index.writer import current_generation_dir, open_index
from search.engine import Engine
from search.fts5 import FtsQuery, build_fts5, fts5_request_json, open_fts5
from search.types import SearchRequest

log = logging.getLogger(__name__)

Params = Mapping[str, str | tuple[str, ...]]
Report = Callable[[str], None]

_COPY = re.compile(r"copy-(\d{4})$")
DEFAULT_REPEAT = 5
PUTIN = "Vladimir Putin"


@dataclass(frozen=True)
class BenchQuery:
    """One request of the mix: our API parameters and the same request for FTS5."""

    kind: str
    params: Params
    fts: FtsQuery


def _q(kind: str, fts: str | None = None, where: Params | None = None, **params: str | tuple[str, ...]) -> BenchQuery:
    """A query whose FTS5 form is `fts` (default: our query text as is; None browses)."""
    text = params.get("q", "")
    assert isinstance(text, str)
    match = fts if fts is not None else (text or None)
    extra = {k: (v,) if isinstance(v, str) else v for k, v in (where or {}).items()}
    return BenchQuery(kind, params, FtsQuery(match, extra))


# Words picked from the kremlin corpus: common ones in 400–1,300 utterances, rare ones in 3–8.
QUERIES: tuple[BenchQuery, ...] = (
    *(_q("common", q=w) for w in ("russia", "president", "people", "country", "development", "government", "economic", "question")),
    *(_q("rare", q=w) for w in ("propaganda", "ambulance", "explosives", "socialist", "pragmatic", "ancestors", "blogger", "applicants")),
    _q("phrase", q='"economic growth"'),
    _q("phrase", q='"united states"'),
    _q("phrase", q='"prime minister"'),
    _q("phrase", q='"armed forces"'),
    _q("phrase", q='"middle east"'),
    _q("phrase", q='"natural gas"'),
    _q("phrase", q='"thank you very much"'),
    _q("phrase", "NEAR(russia china, 5)", q='"russia china"~5'),
    _q("boolean", q="oil OR gas"),
    _q("boolean", q="syria NOT geneva"),
    _q("boolean", q="(china OR india) AND trade"),
    _q("boolean", q="ukraine AND crimea"),
    _q("boolean", q="sanctions OR embargo"),
    _q("boolean", q="energy NOT nuclear"),
    _q("boolean", q="terr*"),
    _q("boolean", q="invest* AND infrastructure"),
    _q("speaker", q="ukraine", speaker=PUTIN),
    _q("speaker", q="economy", speaker=PUTIN),
    _q("speaker", q="question", speaker="Dmitry Peskov"),
    _q("speaker", "sanctions", {"speaker": PUTIN}, q=f'speaker:"{PUTIN}" sanctions'),
    _q("speaker", q="regions", role="President of Russia"),
    _q("speaker", q="thank", speaker=(PUTIN, "Dmitry Peskov")),
    _q("speaker", q="media", speaker="Question"),
    _q("date", q="crimea", **{"from": "2014-01-01", "to": "2015-12-31"}),
    _q("date", q="cooperation", year=("2013", "2014")),
    _q("date", q="russia", **{"from": "2018-01-01"}),
    _q("date", q="sanctions", to="2014-12-31"),
    _q("date", q="economy", year="2019"),
    _q("date", q="president", **{"from": "2016-06-01", "to": "2016-12-31"}),
    _q("date", q="pension", year="2018"),
    _q("facet", q="investment", topic="Economy and finance"),
    _q("facet", q="energy", geography="Turkey"),
    _q("facet", q="russia", place="Sochi"),
    _q("facet", q="region", topic="Regions", year="2019"),
    _q("facet", q="development", place="The Kremlin, Moscow"),
    _q("browse", q=""),
    _q("browse", q="", speaker=PUTIN),
    _q("browse", q="", year="2016"),
    _q("browse", q="", topic="Energy"),
    _q("browse", q="", **{"from": "2013-01-01", "to": "2013-12-31"}),
    _q("browse", q="", page="3"),
    _q("browse", q="", sort="date"),
    _q("sort", q="sanctions", sort="-date"),
    _q("sort", q="question", page="3"),
    _q("sort", q="president", sort="date"),
    _q("misspelled", q="inflaton"),
    _q("misspelled", q="presdent"),
)
# Semantic and hybrid modes are timed on the queries that have words to embed.
SEMANTIC_KINDS = ("common", "rare", "phrase", "speaker", "date", "facet")


@dataclass(frozen=True)
class Latency:
    """Milliseconds per request over every timed run."""

    p50_ms: float
    p95_ms: float
    max_ms: float
    runs: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> "Latency":
        """Median, nearest-rank 95th percentile and maximum of `samples` (ms)."""
        ordered = sorted(samples)
        if not ordered:
            return cls(0.0, 0.0, 0.0, 0)
        p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
        return cls(statistics.median(ordered), p95, ordered[-1], len(ordered))


@dataclass(frozen=True)
class QueryTiming:
    """One query of the mix: hits found and median latency, ours and the baseline's."""

    kind: str
    params: Params
    total: int
    p50_ms: float
    fts5_total: int
    fts5_p50_ms: float


@dataclass(frozen=True)
class BenchResult:
    """Everything one `bench` run measured; `to_dict` is the `--json` object."""

    corpus: str
    scale: int
    transcripts: int
    utterances: int
    tokens: int
    index_seconds: float
    index_cpu_seconds: float
    parse_seconds: float
    analysis_seconds: float
    index_bytes: int
    index_segments: int
    peak_rss_bytes: int
    query: Latency
    query_first: Latency
    fts5_index_seconds: float
    fts5_insert_seconds: float
    fts5_index_bytes: int
    fts5_query: Latency
    queries: tuple[QueryTiming, ...]
    semantic: Latency | None = None
    hybrid: Latency | None = None
    embed_seconds: float | None = None
    machine: Mapping[str, Any] = field(default_factory=dict)

    @property
    def write_seconds(self) -> float:
        """What the build spent beyond parsing and analysis: postings, stored fields, commit."""
        return max(0.0, self.index_seconds - self.parse_seconds - self.analysis_seconds)

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON: sizes, throughput, latencies (ms), ratios ours / FTS5 (above 1: we are slower)."""
        ours_rate = _rate(self.tokens, self.index_seconds)
        fts5_rate = _rate(self.tokens, self.fts5_index_seconds)
        result: dict[str, Any] = {
            "corpus": self.corpus,
            "scale": self.scale,
            "transcripts": self.transcripts,
            "utterances": self.utterances,
            "tokens": self.tokens,
            "index_seconds": round(self.index_seconds, 3),
            "index_tokens_per_s": round(ours_rate),
            "index_utterances_per_s": round(_rate(self.utterances, self.index_seconds)),
            "index_cpu_seconds": round(self.index_cpu_seconds, 3),
            "parse_seconds": round(self.parse_seconds, 3),
            "analysis_seconds": round(self.analysis_seconds, 3),
            "write_seconds": round(self.write_seconds, 3),
            "index_bytes": self.index_bytes,
            "index_segments": self.index_segments,
            "peak_rss_bytes": self.peak_rss_bytes,
            **_latency_keys("query", self.query),
            **_latency_keys("query_first", self.query_first),
            "fts5_index_seconds": round(self.fts5_index_seconds, 3),
            "fts5_insert_seconds": round(self.fts5_insert_seconds, 3),
            "fts5_index_tokens_per_s": round(fts5_rate),
            "fts5_index_bytes": self.fts5_index_bytes,
            **_latency_keys("fts5_query", self.fts5_query),
            "ratio_index": _ratio(self.index_seconds, self.fts5_index_seconds),
            "ratio_p50": _ratio(self.query.p50_ms, self.fts5_query.p50_ms),
            "ratio_p95": _ratio(self.query.p95_ms, self.fts5_query.p95_ms),
            "ratio_size": _ratio(self.index_bytes, self.fts5_index_bytes),
        }
        if self.semantic is not None and self.hybrid is not None:
            result.update(_latency_keys("semantic", self.semantic))
            result.update(_latency_keys("hybrid", self.hybrid))
            result["embed_seconds"] = round(self.embed_seconds or 0.0, 3)
        result["kinds"] = kind_medians(self.queries)
        result["queries"] = [
            {
                "kind": q.kind,
                "params": dict(q.params),
                "total": q.total,
                "p50_ms": round(q.p50_ms, 3),
                "fts5_total": q.fts5_total,
                "fts5_p50_ms": round(q.fts5_p50_ms, 3),
            }
            for q in self.queries
        ]
        result["machine"] = dict(self.machine)
        return result


def _rate(amount: float, seconds: float) -> float:
    return amount / seconds if seconds > 0 else 0.0


def _ratio(ours: float, theirs: float) -> float | None:
    return round(ours / theirs, 2) if theirs > 0 else None


def _latency_keys(prefix: str, latency: Latency) -> dict[str, float]:
    return {
        f"{prefix}_p50_ms": round(latency.p50_ms, 3),
        f"{prefix}_p95_ms": round(latency.p95_ms, 3),
        f"{prefix}_max_ms": round(latency.max_ms, 3),
    }


def kind_medians(queries: Sequence[QueryTiming]) -> dict[str, dict[str, float]]:
    """Median latency per kind of query, ours and FTS5's."""
    kinds: dict[str, list[QueryTiming]] = {}
    for query in queries:
        kinds.setdefault(query.kind, []).append(query)
    return {
        kind: {
            "p50_ms": round(statistics.median(q.p50_ms for q in group), 3),
            "fts5_p50_ms": round(statistics.median(q.fts5_p50_ms for q in group), 3),
        }
        for kind, group in kinds.items()
    }


# --- the corpus, replicated


def replicate_corpus(corpus: Path, target: Path, scale: int) -> list[Path]:
    """Hard links (copies where links fail) of the corpus files in `target/copy-k/…`; the copy folders."""
    files = source_files([corpus])
    if not files:
        raise FileNotFoundError(f"no transcript files (.txt, .jsonl) in {corpus}")
    root = corpus if corpus.is_dir() else corpus.parent
    folders = []
    for k in range(scale):
        folder = target / f"copy-{k:04d}"
        for path in files:
            destination = folder / path.relative_to(root)
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, destination)
            except OSError:
                shutil.copyfile(path, destination)
        folders.append(folder)
    return folders


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
    """`parse_file`, renaming each copy's transcripts; remembers the time spent parsing."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, path: Path) -> list[Transcript]:
        started = time.perf_counter()
        try:
            k = copy_number(path)
            return [replica(t, k) for t in parse_file(path)]
        finally:
            self.seconds += time.perf_counter() - started


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


def cpu_seconds() -> float:
    """CPU time of this process and its finished children: the build's work whatever else runs."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


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
        return json.dumps(engine.search(requests[number]).to_dict(), ensure_ascii=False)

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
    from search.semantic import MiniLMEmbedder
    from search.vectors import sync_vectors

    embedder = DedupEmbedder(MiniLMEmbedder())
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


def machine_info() -> dict[str, Any]:
    """Where the figures were measured."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "whoosh": whoosh.versionstring(),
        "sqlite": sqlite3.sqlite_version,
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


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
    shutil.rmtree(work / "corpus", ignore_errors=True)
    folders = replicate_corpus(corpus, work / "corpus", scale)
    index_dir = work / "index"
    shutil.rmtree(index_dir, ignore_errors=True)

    say(f"indexing {corpus} × {scale}")
    _warm_imports()
    parser = ReplicatingParser()
    gc.collect()
    _reset_peak_memory()
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    summary = reindex(index_dir, [work / "corpus"], full=True, parse=parser)
    index_seconds = time.perf_counter() - started
    index_cpu = cpu_seconds() - cpu_before
    peak = peak_memory_bytes()
    for line in summary.skipped:
        say(f"skipped {line}")

    say("timing analysis alone")
    first_copy = list(_parsed(folders[:1], ReplicatingParser()))
    tokens = count_tokens(first_copy) * scale
    analysis = analysis_seconds(first_copy, scale)

    say("building the FTS5 baseline")
    fts5_path = work / "fts5.sqlite3"
    fts5_parser = ReplicatingParser()
    started = time.perf_counter()
    build_fts5(fts5_path, _parsed(folders, fts5_parser))
    fts5_seconds = time.perf_counter() - started

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
        semantic_figures: tuple[Latency | None, Latency | None, float | None] = (None, None, None)
        if semantic:
            say("embedding and timing semantic and hybrid requests")
            semantic_figures = semantic_latency(engine, index_dir, queries, repeat)

    return BenchResult(
        corpus=str(corpus),
        scale=scale,
        transcripts=summary.transcripts,
        utterances=summary.utterances,
        tokens=tokens,
        index_seconds=index_seconds,
        index_cpu_seconds=index_cpu,
        parse_seconds=parser.seconds,
        analysis_seconds=analysis,
        index_bytes=folder_bytes(current_generation_dir(index_dir)),
        index_segments=segment_count(index_dir),
        peak_rss_bytes=peak,
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
        machine=machine_info(),
    )


def _warm_imports() -> None:
    """Load nltk (about a second of imports) before the clock starts: a start-up cost, not throughput."""
    schema = build_schema()
    for name in ("text", "spell", "speaker"):
        for _ in schema[name].index("Warming up the analysers"):
            pass


def _parsed(folders: Sequence[Path], parser: ReplicatingParser) -> Iterator[Transcript]:
    """The replicated corpus parsed file by file with `parser` (which times itself)."""
    for path in source_files(folders):
        try:
            yield from parser(path)
        except Exception as error:  # the build reported it
            log.debug("skipping %s: %s", path, error)


# --- text output


def format_table(result: BenchResult) -> list[str]:
    """The figures for people: ours beside FTS5, then per kind of query."""
    figures = result.to_dict()
    mb = 1e6
    lines = [
        f"Corpus {figures['corpus']} × {figures['scale']}: {figures['transcripts']:,} transcripts, "
        f"{figures['utterances']:,} utterances, {figures['tokens']:,} tokens",
        f"{'':28}{'Verbatim':>12}{'FTS5':>12}{'ours/FTS5':>11}",
        _row("index build (s)", figures["index_seconds"], figures["fts5_index_seconds"], figures["ratio_index"]),
        _row("  tokens/s", figures["index_tokens_per_s"], figures["fts5_index_tokens_per_s"], None, "{:,.0f}"),
        _row("index size (MB)", figures["index_bytes"] / mb, figures["fts5_index_bytes"] / mb, figures["ratio_size"]),
        _row("request p50 (ms)", figures["query_p50_ms"], figures["fts5_query_p50_ms"], figures["ratio_p50"]),
        _row("request p95 (ms)", figures["query_p95_ms"], figures["fts5_query_p95_ms"], figures["ratio_p95"]),
        _row("request max (ms)", figures["query_max_ms"], figures["fts5_query_max_ms"], None),
        f"Build: parse {figures['parse_seconds']:.2f} s, analysis {figures['analysis_seconds']:.2f} s, "
        f"write {figures['write_seconds']:.2f} s; CPU {figures['index_cpu_seconds']:.2f} s; "
        f"{figures['index_utterances_per_s']:,} utterances/s; "
        f"{figures['index_segments']} segments; peak memory {figures['peak_rss_bytes'] / mb:.0f} MB",
        f"First run of each request: p50 {figures['query_first_p50_ms']:.2f} ms, "
        f"p95 {figures['query_first_p95_ms']:.2f} ms",
    ]
    if "semantic_p50_ms" in figures:
        lines.append(
            f"Semantic p50/p95 {figures['semantic_p50_ms']:.1f}/{figures['semantic_p95_ms']:.1f} ms, "
            f"hybrid {figures['hybrid_p50_ms']:.1f}/{figures['hybrid_p95_ms']:.1f} ms "
            f"(embedding took {figures['embed_seconds']:.0f} s)"
        )
    lines.append("Median per kind (ms), ours / FTS5:")
    lines.extend(
        f"  {kind:<12}{values['p50_ms']:>9.2f}{values['fts5_p50_ms']:>9.2f}"
        for kind, values in figures["kinds"].items()
    )
    return lines


def _row(label: str, ours: float, theirs: float, ratio: float | None, form: str = "{:,.2f}") -> str:
    shown = f"{ratio:.2f}" if ratio is not None else ""
    return f"{label:<28}{form.format(ours):>12}{form.format(theirs):>12}{shown:>11}"
