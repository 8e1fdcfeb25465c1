#!/usr/bin/env python
"""Load test of `manage.py serve` on loopback: see bench/load.py (also `manage.py bench --load`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
