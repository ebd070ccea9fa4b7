"""Repo-level pytest configuration.

Tests marked `slow` find the embedded default model where `make` puts it (.models/), unless
HARNESS_MODELS_DIR says otherwise. Every other test sees an empty models folder, so a test that
runs the real local model without the mark fails (in its subprocesses too) instead of quietly
making the inner loop (`pytest -m "not slow"`) slow.
"""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent
os.environ.setdefault("HARNESS_MODELS_DIR", str(ROOT / ".models"))


@pytest.fixture(autouse=True)
def _models_only_for_slow_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                                tmp_path_factory: pytest.TempPathFactory) -> None:
    if request.node.get_closest_marker("slow") is None:
        monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path_factory.mktemp("no-local-models")))

# `pytest --eval` (harness/pytest_plugin.py). An installed harness registers it through its pytest11
# entry point, which pytest loads before this file; listing it again would fail ("already
# registered"), so it is listed only when the entry point did not load it (an install without
# the entry point, or PYTEST_DISABLE_PLUGIN_AUTOLOAD=1), and not when `-p no:harness` turned it off.
_loaded = "harness.pytest_plugin" in sys.modules
_turned_off = "no:harness" in " ".join([*sys.argv[1:], os.environ.get("PYTEST_ADDOPTS", "")])
pytest_plugins = [] if _loaded or _turned_off else ["harness.pytest_plugin"]
