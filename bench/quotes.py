"""Quote-finder latency for the benchmark: press-style quotes cut from the corpus itself.

Any corpus can be benchmarked, so the quotes are made from it: a dozen words of an utterance,
half of them with an omission marked `…` in the middle (a third of the words left out), the
way the press prints a quote. Deterministic for a given corpus and seed.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Sequence

from index.analysis import WORD_PATTERN
from index.models import Transcript
from search.engine import Engine

QUOTE_WORDS = 12
QUOTES = 40
SEED = 1212
_WORD = re.compile(WORD_PATTERN)


def sample_quotes(transcripts: Sequence[Transcript], count: int = QUOTES, seed: int = SEED) -> list[str]:
    """`count` quotes of QUOTE_WORDS words from utterances long enough, every other one with an omission."""
    rng = random.Random(seed)
    long_enough = [u for t in transcripts for u in t.utterances if len(_WORD.findall(u.text)) >= 2 * QUOTE_WORDS]
    if not long_enough:
        return []
    quotes = []
    for number in range(count):
        text = rng.choice(long_enough).text
        spans = [m.span() for m in _WORD.finditer(text)]
        first = rng.randrange(0, len(spans) - (3 * QUOTE_WORDS) // 2 + 1)
        if number % 2:
            cut = first + QUOTE_WORDS // 2
            skipped = cut + QUOTE_WORDS // 3
            end = skipped + QUOTE_WORDS - QUOTE_WORDS // 2
            quotes.append(f"{text[spans[first][0]:spans[cut - 1][1]]} … {text[spans[skipped][0]:spans[end - 1][1]]}")
        else:
            quotes.append(text[spans[first][0] : spans[first + QUOTE_WORDS - 1][1]])
    return quotes


def quote_seconds(engine: Engine, quotes: Sequence[str], repeat: int) -> list[float]:
    """Seconds per `find_quote` call: every quote once to warm up, then `repeat` timed rounds."""
    for text in quotes:
        engine.find_quote(text)
    timings = []
    for _ in range(repeat):
        for text in quotes:
            started = time.perf_counter()
            engine.find_quote(text)
            timings.append(time.perf_counter() - started)
    return timings
