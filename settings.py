"""Run-time settings, built once from the environment with safe defaults.

A top-level module so that manage.py and web/ share it without the CLI loading Flask;
library code (index/, search/) never imports it, it takes plain arguments.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_INDEX = Path("instance") / "index"
DEFAULT_SAMPLES = Path(__file__).resolve().parent / "samples"


@dataclass(frozen=True)
class Settings:
    """Where the index lives and how the server listens. Library code takes plain arguments instead."""

    index_dir: Path = DEFAULT_INDEX
    host: str = "127.0.0.1"
    port: int = 5000
    debug: bool = False
    # The public address of this server (`https://verbatim.example.org`), for links that leave the
    # page: exports, citations, feeds. None: only non-loopback request addresses are used.
    base_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """Settings from VERBATIM_* variables; unset ones keep the safe defaults."""
        return cls(
            index_dir=Path(environ.get("VERBATIM_INDEX") or DEFAULT_INDEX),
            host=environ.get("VERBATIM_HOST") or "127.0.0.1",
            port=int(environ.get("VERBATIM_PORT") or 5000),
            base_url=(environ.get("VERBATIM_BASE_URL") or "").rstrip("/") or None,
        )
