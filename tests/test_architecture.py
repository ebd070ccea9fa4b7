"""The layout's rules hold: the flow's layers (import-linter), no private imports across packages.

`make test` runs `lint-imports` itself; these tests run the same contracts from pytest, show that
they catch an upward import, and walk every import of the package with `ast` for the private-module
rule, so a broken rule fails whichever command a developer runs.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "harness"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, function-local and TYPE_CHECKING ones too."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]  # `from pkg import _private`
    return found


def private_imports_across_packages() -> list[str]:
    """Imports of `harness.pkg._private` from outside `harness.pkg` (its parent package and below)."""
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = _module_name(path)
        for line, imported in _imports(path):
            parts = imported.split(".")
            if parts[0] != "harness":
                continue
            for i, part in enumerate(parts[1:], start=1):
                if part.startswith("_") and not part.startswith("__"):
                    owner = ".".join(parts[:i])
                    if not (importer == owner or importer.startswith(owner + ".")):
                        bad.append(f"{path.relative_to(ROOT)}:{line}: imports {'.'.join(parts[: i + 1])}")
                    break
    return list(dict.fromkeys(bad))


def test_no_module_imports_another_packages_private_module():
    assert private_imports_across_packages() == []


def test_the_walker_sees_a_private_import_across_packages(tmp_path, monkeypatch):
    bad = tmp_path / "harness" / "run" / "_bad.py"
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "harness")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    bad.parent.mkdir(parents=True)
    bad.write_text("def f():\n    from ..batch._store import add_requests\n    from ..batch import _store\n")
    assert private_imports_across_packages() == ["harness/run/_bad.py:2: imports harness.batch._store",
                                                 "harness/run/_bad.py:3: imports harness.batch._store"]


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.fail("lint-imports is missing: install the test extras (pip install -e '.[test]')")
    # import-linter finds `harness` by importing it: the copy in `tree` comes first on the path.
    return subprocess.run([str(exe), "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=tree,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)


def test_the_layers_hold():
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_an_upward_import_breaks_the_layers(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    plan = tmp_path / "harness" / "run" / "_plan.py"
    plan.write_text(plan.read_text() + "\n\ndef _peek():\n    from ..select import tracks  # the run layer asks select\n")
    proc = _lint_imports(tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "harness.run is not allowed to import harness.select" in proc.stdout
    assert "harness.run._plan -> harness.select" in proc.stdout
