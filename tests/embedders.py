"""A small real embedder for tests: hashed bag of words, so texts that share words are close.

Shared by the semantic and web-mode tests, which must run without the [semantic] extra.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from index.analysis import STOP_WORDS
from search.semantic import whitespace_spans


class WordHashEmbedder:
    """Each lower-cased word but stop words hashed to a signed unit direction; a text is their normalised sum."""

    name = "test/word-hash"
    dim = 256

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return whitespace_spans(text)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                if word in STOP_WORDS:
                    continue
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                vectors[row, digest[0] % self.dim] += 1.0 if digest[1] % 2 else -1.0
            norm = np.linalg.norm(vectors[row])
            if norm:
                vectors[row] /= norm
        return vectors
