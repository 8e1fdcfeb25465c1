"""Embedding speed: our embedder against a plain sentence-transformers encode, same passages, same run.

The machine this runs on is usually shared, so one measurement of each says little: the
embedders take turns (A B A B …) on the same passages and each reports the median of its
rounds. Words are white-space separated words of the passages, as a reader would count them.

    python -m bench.embed INDEX_DIR [--passages 600] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.semantic import Embedder, utterance_passages

log = logging.getLogger(__name__)

DEFAULT_PASSAGES = 600
DEFAULT_ROUNDS = 3


@dataclass(frozen=True)
class EmbedSpeed:
    """Median words/s of our embedder and of the baseline over interleaved rounds, and how alike their vectors are."""

    passages: int
    words: int
    ours: tuple[float, ...]
    baseline: tuple[float, ...]
    cosine_mean: float
    cosine_min: float

    @property
    def words_per_s(self) -> float:
        """Median words/s of our embedder."""
        return statistics.median(self.ours)

    @property
    def baseline_words_per_s(self) -> float:
        """Median words/s of the plain sentence-transformers encode."""
        return statistics.median(self.baseline)

    def to_dict(self) -> dict[str, object]:
        """The figures under the names `bench --json` reports."""
        return {
            "embed_words_per_s": round(self.words_per_s),
            "embed_baseline_words_per_s": round(self.baseline_words_per_s),
            "embed_speedup": round(self.words_per_s / self.baseline_words_per_s, 2),
            "embed_passages": self.passages,
            "embed_words": self.words,
            "embed_rounds": len(self.ours),
            "embed_cosine_mean": round(self.cosine_mean, 4),
            "embed_cosine_min": round(self.cosine_min, 4),
        }


def word_count(texts: Sequence[str]) -> int:
    """White-space separated words in `texts`."""
    return sum(len(text.split()) for text in texts)


def index_passages(index_dir: Path | str, embedder: Embedder, limit: int = DEFAULT_PASSAGES) -> list[str]:
    """Up to `limit` passage texts of the index, as `embed` would cut them, spread over the whole index."""
    from search.vectors import indexed_texts

    texts = indexed_texts(index_dir)
    ids = sorted(texts)
    passages: list[str] = []
    # Every k-th utterance, so the sample covers the corpus rather than its first transcripts.
    step = max(1, len(ids) // max(1, limit))
    for uid in ids[::step]:
        text = texts[uid]
        passages.extend(text[p.start : p.end] for p in utterance_passages(uid, text, embedder))
        if len(passages) >= limit:
            break
    return passages[:limit]


# Passages per turn: each embedder encodes the same slice in turn, so a burst of load from
# others falls on both alike (whole-run turns measured 0.3×–4× swings between rounds).
SLICE_PASSAGES = 128


def interleaved_rates(
    passages: Sequence[str],
    embedders: Mapping[str, Embedder],
    rounds: int = DEFAULT_ROUNDS,
    slice_passages: int = SLICE_PASSAGES,
) -> dict[str, list[float]]:
    """Words/s of each embedder per round; within a round the embedders take turns slice by slice (A B A B …)."""
    for embedder in embedders.values():
        embedder.encode(list(passages[:8]))  # loads the model: not part of the rate
    slices = [list(passages[i : i + slice_passages]) for i in range(0, len(passages), slice_passages)]
    words = word_count(passages)
    rates: dict[str, list[float]] = {name: [] for name in embedders}
    for number in range(rounds):
        seconds = dict.fromkeys(embedders, 0.0)
        for part in slices:
            for name, embedder in embedders.items():
                started = time.perf_counter()
                embedder.encode(part)
                seconds[name] += time.perf_counter() - started
        for name in embedders:
            rates[name].append(words / seconds[name])
            log.info("round %d %s: %.0f words/s", number + 1, name, rates[name][-1])
    return rates


def measure(
    passages: Sequence[str], ours: Embedder, baseline: Embedder, rounds: int = DEFAULT_ROUNDS
) -> EmbedSpeed:
    """Our embedder against the baseline on the same passages, interleaved; medians and vector agreement."""
    rates = interleaved_rates(passages, {"ours": ours, "baseline": baseline}, rounds)
    sample = list(passages[:64])
    cosines = np.einsum("ij,ij->i", ours.encode(sample), baseline.encode(sample))
    return EmbedSpeed(
        passages=len(passages),
        words=word_count(passages),
        ours=tuple(rates["ours"]),
        baseline=tuple(rates["baseline"]),
        cosine_mean=float(cosines.mean()),
        cosine_min=float(cosines.min()),
    )


def measure_index(
    index_dir: Path | str, passages: int = DEFAULT_PASSAGES, rounds: int = DEFAULT_ROUNDS
) -> EmbedSpeed:
    """The production embedder against a plain sentence-transformers encode on passages of an index."""
    from search.semantic import PassageEmbedder, SentenceTransformerEmbedder

    ours = PassageEmbedder()
    return measure(index_passages(index_dir, ours, passages), ours, SentenceTransformerEmbedder(), rounds)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: measure on an existing index and print a line (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--passages", type=int, default=DEFAULT_PASSAGES)
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    speed = measure_index(args.index, args.passages, args.rounds)
    if args.json:
        print(json.dumps(speed.to_dict()))
    else:
        print(
            f"{speed.passages} passages, {speed.words} words, {len(speed.ours)} rounds: "
            f"ours {speed.words_per_s:,.0f} words/s, sentence-transformers {speed.baseline_words_per_s:,.0f} "
            f"words/s ({speed.words_per_s / speed.baseline_words_per_s:.2f}×), "
            f"cosine mean {speed.cosine_mean:.4f} min {speed.cosine_min:.4f}"
        )


if __name__ == "__main__":
    main()


# --- what a semantic query costs from a cold start (issue 16: ≤ 2× a keyword CLI search)

_LOAD_SCRIPT = """
import json, sys, time
started = time.perf_counter()
import onnxruntime, tokenizers
imported = time.perf_counter()
from search.semantic import MiniLMEmbedder
embedder = MiniLMEmbedder(threads=1)
embedder.model()
loaded = time.perf_counter()
embedder.encode(["sanctions against the banks"])
encoded = time.perf_counter()
heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules)
print(json.dumps({"import_s": imported - started, "load_s": loaded - imported,
                  "first_query_s": encoded - loaded, "heavy_modules": heavy}))
"""


def query_start_costs(cwd: Path | str = ".") -> dict[str, object]:
    """In a fresh interpreter: seconds to import ONNX Runtime and tokenizers, to load the model, to embed one query."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _LOAD_SCRIPT], cwd=cwd, capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def cli_search_seconds(
    index_dir: Path | str, queries: Sequence[str], rounds: int = 3, cwd: Path | str = "."
) -> dict[str, float]:
    """Median wall time of `manage.py search QUERY --mode M` per mode (keyword and semantic interleaved)."""
    import subprocess
    import sys

    times: dict[str, list[float]] = {"keyword": [], "semantic": []}
    for _ in range(rounds):
        for query in queries:
            for mode in times:
                started = time.perf_counter()
                subprocess.run(
                    [sys.executable, "manage.py", "--index", str(index_dir), "search", query, "--mode", mode],
                    cwd=cwd, check=True, capture_output=True,
                )
                times[mode].append(time.perf_counter() - started)
    return {f"cli_{mode}_s": statistics.median(values) for mode, values in times.items()}
