"""docs/python-api.md is executed here, block after block, so the public surface cannot drift from it.

Each `print(...)  # -> expected` line of the document is checked: a printed line must start with the
comment's text, up to a trailing "...".
"""

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import harness

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "python-api.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", DOC, flags=re.S)


def _expectations(block: str) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^\s*print\(.*\)\s+# -> (.*)$", block, flags=re.M)]


def test_the_examples_run_and_print_what_they_say(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    for key in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    namespace: dict = {}
    saved = dict(os.environ)
    checked = 0
    for block in BLOCKS:
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(block, "docs/python-api.md", "exec"), namespace)
        finally:  # the examples point the SDKs at the fake server: that must not leak into other tests
            os.environ.clear()
            os.environ.update(saved)
        printed = [line for line in out.getvalue().splitlines() if line.strip()]
        for want in _expectations(block):
            prefix = want.removesuffix("...").rstrip()
            assert any(line.strip().startswith(prefix) for line in printed), (want, printed)
            checked += 1
    assert checked >= 6


def test_every_public_name_is_in_the_table():
    table = {m.group(1) for m in re.finditer(r"^\| `harness\.(\w+)", DOC, flags=re.M)}
    names = set(harness.__all__) - {"__version__"}
    documented = {n for row in re.findall(r"^\| `harness\.[^|]*", DOC, flags=re.M) for n in re.findall(r"harness\.(\w+)", row)}
    assert names <= documented, names - documented
    assert table <= names | {"FakeProviders", "Script"}


def test_import_harness_loads_nothing_heavy():
    code = ("import sys, harness, harness.routing; heavy = [m for m in ('pandas', 'inspect_ai', 'matplotlib') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert harness.load_routing is harness.routing.load and harness.select.__name__ == "harness.select"


@pytest.mark.parametrize("name", sorted(set(harness.__all__) - {"__version__"}))
def test_each_public_name_resolves(name):
    assert getattr(harness, name) is not None
