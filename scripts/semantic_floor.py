"""Measure the similarity floor of meaning search on the paraphrase set (issue 17, item 5).

For each paraphrase in tests/data/paraphrases.jsonl: the similarity of the best hit in its
target transcript (the passage a reader wants), and its rank. For off-topic and nonsense
queries: the similarity of their best hits. A floor between the two keeps the answers and
drops the tail. Needs an index of the development corpus with vectors (`manage.py embed`).

    HF_HUB_OFFLINE=1 PYTHONPATH=. python scripts/semantic_floor.py INDEX_DIR [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from search.engine import Engine
from search.hybrid import SemanticIndex
from search.types import SearchRequest

PARAPHRASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "paraphrases.jsonl"
# Queries about nothing the corpus speaks of, and strings that mean nothing.
OFF_TOPIC = (
    "purple elephant trombone waffle",
    "asdf qwerty zxcv uiop",
    "lorem ipsum dolor sit amet consectetur",
    "recipe for banana bread with walnuts and cinnamon",
    "how to fix a flat bicycle tyre",
    "best pizza toppings for a birthday party",
    "my cat keeps knocking cups off the table",
    "knitting patterns for a wool scarf",
    "glitter unicorn sparkle rainbow",
    "xyzzy plugh frobozz",
    "which nail polish colour suits summer",
    "tips for growing tomatoes on a balcony",
)


def best(engine: Engine, query: str, per_page: int = 200) -> list[tuple[str, float]]:
    """(transcript id, similarity) of the semantic hits, best first."""
    response = engine.search(SearchRequest(q=query, mode="semantic", per_page=per_page, facet_limit=0))
    return [(hit.transcript_id, hit.score) for hit in response.hits]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in PARAPHRASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    with Engine(args.index, semantic=SemanticIndex(args.index)) as engine:
        targets = []
        for row in rows:
            hits = best(engine, row["query"])
            found = [(rank, score) for rank, (tid, score) in enumerate(hits, 1) if tid == row["transcript"]]
            rank, score = found[0] if found else (None, None)
            targets.append({"id": row["id"], "rank": rank, "similarity": score, "top": hits[0][1] if hits else None})
        noise = [{"query": q, "top": (best(engine, q, 1) or [("", 0.0)])[0][1]} for q in OFF_TOPIC]
        tails = [best(engine, row["query"])[-1][1] for row in rows[:10]]
    sims = sorted(t["similarity"] for t in targets if t["similarity"] is not None)
    report = {
        "paraphrases": len(rows),
        "target_found_in_200": len(sims),
        "target_similarity": {
            "min": min(sims),
            "p05": sims[max(0, int(0.05 * len(sims)) - 1)],
            "p10": sims[max(0, int(0.10 * len(sims)) - 1)],
            "median": statistics.median(sims),
        },
        "target_rank_within_10": sum(1 for t in targets if t["rank"] and t["rank"] <= 10),
        "off_topic_top": sorted((n["top"] for n in noise), reverse=True),
        "hit_200_similarity_of_paraphrases": sorted(tails),
        "targets": targets,
        "noise": noise,
    }
    if args.json:
        print(json.dumps(report, indent=1))
        return
    for key in ("paraphrases", "target_found_in_200", "target_similarity", "target_rank_within_10"):
        print(f"{key}: {report[key]}")
    print("off-topic best similarity:", [round(x, 3) for x in report["off_topic_top"]])
    print("similarity of hit #200 (paraphrases):", [round(x, 3) for x in report["hit_200_similarity_of_paraphrases"]])
    for t in sorted(targets, key=lambda t: t["similarity"] or 0)[:8]:
        print("  lowest target:", t)


if __name__ == "__main__":
    main()
