"""Routing tables and suites written by hand for the gate and `pytest --eval` tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def route(candidate: str, model: str, **config: Any) -> dict[str, Any]:
    return {"candidate": candidate, "model": model, "provider": model.split("/", 1)[0], "config": config}


def task_route(candidate: str, model: str, **config: Any) -> dict[str, Any]:
    """A task route with placeholder evidence: the gate reads only the route fields."""
    return {**route(candidate, model, **config), "suite": None,
            "score": {"mean": None, "low": None, "high": None, "n": 0}, "cost_per_call_usd": None,
            "monthly_cost_usd": None, "traffic_per_month": None, "reference": None, "decision": "written by a test",
            "criteria": {"min_score": None, "max_drop": 0.05, "alpha": 0.05}, "evidence": {}, "verdicts": []}


def table(routes: dict[str, dict[str, Any]], default: dict[str, Any] | None = None) -> dict[str, Any]:
    first = next(iter(routes.values()))
    return {"schema": "harness.routing/v1", "generated_at": "2025-01-01T00:00:00Z", "harness_version": "0.1.0",
            "default": default or {k: first[k] for k in ("candidate", "model", "provider", "config")},
            "routes": routes}


def write_table(path: Path, routes: dict[str, dict[str, Any]], default: dict[str, Any] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table(routes, default), indent=2))
    return path


def harness(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
            timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "NO_COLOR": "1", **(env or {})})
