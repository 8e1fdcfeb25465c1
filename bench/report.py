"""What `manage.py bench` measured: the result objects, their JSON, and the table for people."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import whoosh

from bench.queries import Params


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
    index_main_cpu_seconds: float
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
    # The quote finder (bench.quotes): press-style quotes cut from the corpus, words only.
    quote: Latency | None = None
    machine: Mapping[str, Any] = field(default_factory=dict)
    writer_processes: int = 1

    @property
    def idle_estimate_seconds(self) -> float:
        """The build's time on otherwise idle cores: its busiest process's CPU time.

        Workers split the documents evenly, and the main process parses
        while they index, so the build cannot end before the busiest of them is done. On a
        machine shared with other work, wall time is longer: compare this to `index_seconds`.
        """
        workers = self.index_cpu_seconds - self.index_main_cpu_seconds
        return max(self.index_main_cpu_seconds, workers / max(1, self.writer_processes)) if workers > 0 else self.index_cpu_seconds

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
            "index_main_cpu_seconds": round(self.index_main_cpu_seconds, 3),
            "index_idle_estimate_seconds": round(self.idle_estimate_seconds, 3),
            "parse_seconds": round(self.parse_seconds, 3),
            "analysis_seconds": round(self.analysis_seconds, 3),
            "write_seconds": round(self.write_seconds, 3),
            "index_bytes": self.index_bytes,
            "index_segments": self.index_segments,
            "writer_processes": self.writer_processes,
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
        if self.quote is not None:
            result.update(_latency_keys("quote", self.quote))
            result["quote_runs"] = self.quote.runs
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


def machine_info(load_at_start: float | None = None) -> dict[str, Any]:
    """Where the figures were measured (other processes' load included: the cores may be shared)."""
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
        "load_average_start": load_at_start,
        "load_average_end": load_average(),
    }


def load_average() -> float | None:
    """The one-minute load average, where the system reports one."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


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
        f"write {figures['write_seconds']:.2f} s; CPU {figures['index_cpu_seconds']:.2f} s "
        f"(busiest process {figures['index_idle_estimate_seconds']:.2f} s); "
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
    if "quote_p50_ms" in figures:
        lines.append(
            f"Quote finder p50/p95 {figures['quote_p50_ms']:.1f}/{figures['quote_p95_ms']:.1f} ms "
            f"over {figures['quote_runs']} lookups of quotes cut from the corpus"
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
