#!/usr/bin/env python
"""Verbatim management commands (DESIGN §4): parse, reindex, search, stats, serve, …

Each command parses its options, calls one library function and prints the result.
Exit status: 0 success, 2 bad usage or malformed query, 1 other errors.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import click

from web.settings import DEFAULT_SAMPLES, Settings

log = logging.getLogger("verbatim")


@click.group()
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="VERBATIM_INDEX",
    default=None,
    help="Index directory (default: instance/index, or $VERBATIM_INDEX).",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, index_dir: Path | None, verbose: int) -> None:
    """Verbatim: search political transcripts by who said what, when and where."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    if index_dir is not None:
        settings = dataclasses.replace(settings, index_dir=index_dir)
    ctx.obj = settings


# --- parse (index/parse.py) ---

# --- reindex, stats (index/writer.py) ---

# --- search (search/) ---

# --- serve (web/) ---


if __name__ == "__main__":
    cli()
