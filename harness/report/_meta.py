"""Run metadata for the report: what was run, with which versions, and where the evidence lives.

Hashes are of the files as they are when the report is written: a reviewer can check that the
suite and data they are looking at are the ones that produced these numbers.
"""

from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from ..version import __version__
from ._data import pretty_config

if TYPE_CHECKING:
    from ..routing import RoutingTable

_FILE_KEYS = ("dataset", "shots")  # suite fields that name data files next to the suite


@dataclass
class FileHash:
    path: str
    sha256: str | None  # None: the file is gone (or unreadable) now
    kind: str  # "suite" | "data"


@dataclass
class ModelRow:
    task: str
    candidate: str
    model: str
    config: str


@dataclass
class Meta:
    generated_at: str
    decided_at: str | None
    versions: list[tuple[str, str]]
    results_path: str
    routing_path: str | None
    files: list[FileHash]
    models: list[ModelRow]
    rows: int
    samples: int
    errors: int
    log_dir: str | None
    log_files: int
    default_route: str | None = None
    extra: list[str] = field(default_factory=list)


def collect(df: pd.DataFrame, table: RoutingTable | None, results_path: Path | str, routing_path: Path | str | None,
            out_dir: Path, suite_paths: list[Path] | None = None) -> Meta:
    paths = suite_paths if suite_paths is not None else _suites_of(table)
    logs = out_dir / "logs"
    n_logs = len(list(logs.glob("*.eval"))) if logs.is_dir() else 0
    default = None
    if table is not None:
        default = f"{table.default.candidate} ({table.default.model})" + (
            f": {table.default_from}" if table.default_from else "")
    return Meta(
        generated_at=_now(), decided_at=table.generated_at.isoformat() if table is not None else None,
        versions=_versions(), results_path=str(results_path), routing_path=str(routing_path) if routing_path else None,
        files=_hashes(paths), models=_models(df), rows=len(df),
        samples=int(df.groupby("task")["sample_id"].nunique().sum()), errors=int(df["error"].notna().sum()),
        log_dir=str(logs) if n_logs else None, log_files=n_logs, default_route=default)


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _versions() -> list[tuple[str, str]]:
    out = [("harness", __version__)]
    for dist in ("inspect-ai", "genai-prices"):
        try:
            out.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            out.append((dist, "not installed"))
    out.append(("python", platform.python_version()))
    return out


def _suites_of(table: RoutingTable | None) -> list[Path]:
    suites = (table.source or {}).get("suites") if table is not None else None
    return [Path(s) for s in suites if isinstance(s, str)] if isinstance(suites, list) else []


def _hashes(suites: list[Path]) -> list[FileHash]:
    out, seen = [], set()
    for suite in suites:
        for path, kind in [(suite, "suite"), *[(p, "data") for p in _data_files(suite)]]:
            key = str(path)
            if key not in seen:
                seen.add(key)
                out.append(FileHash(key, _sha256(path), kind))
    return out


def _data_files(suite: Path) -> list[Path]:
    """Dataset and shot files a suite names (best effort: a broken suite just yields none)."""
    try:
        raw = yaml.safe_load(suite.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    found: list[Path] = []
    _walk(raw, suite.parent, found)
    return found


def _walk(node: Any, base: Path, found: list[Path]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _FILE_KEYS and isinstance(value, str) and (base / value).is_file():
                found.append(base / value)
            elif key == "task" and isinstance(value, str) and "@" in value and (base / value.split("@")[0]).is_file():
                found.append(base / value.split("@")[0])
            else:
                _walk(value, base, found)
    elif isinstance(node, list):
        for item in node:
            _walk(item, base, found)


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _models(df: pd.DataFrame) -> list[ModelRow]:
    rows = []
    for (task, cand), g in df.groupby(["task", "candidate"], sort=False):
        model, config = g["model"].iloc[0], g["config"].iloc[0]
        rows.append(ModelRow(str(task), str(cand), _plain(model, "(not in the results)"), pretty_config(config)))
    return rows


def _plain(value: Any, missing: str) -> str:
    return missing if value is None or (isinstance(value, float) and value != value) else str(value)
