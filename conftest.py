"""Repo-level pytest configuration.

Tests find the embedded default model where `make` puts it (.models/),
unless HARNESS_MODELS_DIR says otherwise.
"""

import os
from pathlib import Path

ROOT = Path(__file__).parent
os.environ.setdefault("HARNESS_MODELS_DIR", str(ROOT / ".models"))
