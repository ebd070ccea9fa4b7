"""Dataset records for a suite task: inline lists, JSONL or CSV files next to the suite."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ._problems import Validator
from ._yaml import Path_


def load_records(v: Validator, spec: str | list[dict[str, Any]], at: Path_, target_field: str,
                 cluster_field: str | None) -> list[dict[str, Any]]:
    """Records as dicts with a string `id`; problems are reported to `v` with file and line."""
    if isinstance(spec, str):
        path = v.path.parent / spec
        if not path.is_file():
            v.add(at, f"dataset file {spec!r} not found (looked in {path.parent})",
                  "put the file next to the suite or fix the path")
            return []
        records, where = _read_file(v, path, at)
    else:
        records, where = spec, [None] * len(spec)
    if not records:
        v.add(at, "dataset is empty", "add at least one record")
        return []
    src = v.path.parent / spec if isinstance(spec, str) else None

    def add(line: int | None, rec_at: Path_, msg: str, hint: str) -> None:
        if src is None:
            v.add(rec_at, msg, hint)
        else:
            v.add_in_file(src, line, msg, hint)

    out, seen = [], set()
    for i, (rec, line) in enumerate(zip(records, where)):
        rec_at = at if src else at + (i,)
        if not isinstance(rec, dict):
            add(line, rec_at, "a record must be an object with named fields", "write {field: value, ...}")
            continue
        if target_field not in rec:
            add(line, rec_at, f"record has no target field {target_field!r}",
                f"add it, or set the task's `target:` to one of {', '.join(rec)}")
        if cluster_field and cluster_field not in rec:
            add(line, rec_at, f"record has no cluster field {cluster_field!r}", "add it or drop `cluster:`")
        rid = str(rec.get("id", i + 1))
        if rid in seen:
            add(line, rec_at, f"duplicate record id {rid!r}", "record ids must be unique")
        seen.add(rid)
        out.append({**rec, "id": rid})
    return out


def _read_file(v: Validator, path: Path, at: Path_) -> tuple[list[Any], list[int | None]]:
    if path.suffix == ".jsonl":
        records, lines = [], []
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not text.strip():
                continue
            try:
                records.append(json.loads(text))
            except json.JSONDecodeError as exc:
                v.add_in_file(path, n, f"invalid JSON ({exc.msg})", "one JSON object per line")
                continue
            lines.append(n)
        return records, lines
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return rows, list(range(2, len(rows) + 2))
    v.add(at, f"unsupported dataset format {path.suffix!r}", "use .jsonl or .csv")
    return [], []
