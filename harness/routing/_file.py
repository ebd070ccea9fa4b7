"""Reading and writing routing tables: strict validation on load, atomic pretty JSON on write."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, Problem
from ..files import write_atomic
from ._schema import SCHEMA, SUPPORTED_SCHEMAS, RoutingTable

_REGENERATE = "regenerate it with `harness select`"


def write(table: RoutingTable, path: Path | str) -> Path:
    """Write pretty JSON atomically (temp file + rename: a reader never sees half a table); NaN -> null."""
    path = Path(path)
    text = json.dumps(_finite(table.model_dump(mode="json")), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_atomic(path, text)


def load(path: Path | str) -> RoutingTable:
    """Read and validate a routing table; any problem is an InputError naming the file and field."""
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _error([Problem(where, "routing file not found", hint=f"check the path, or {_REGENERATE}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _error([Problem(where, f"cannot read the routing file: {exc}", hint=_REGENERATE)]) from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _error([Problem(where, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno,
                              hint=f"the file is damaged or was edited by hand; {_REGENERATE}")]) from None
    except ValueError as exc:
        raise _error([Problem(where, str(exc), hint=f"write null for a missing number, or {_REGENERATE}")]) from None
    return parse(data, where, text)


def parse(data: Any, source: str = "routing table", text: str | None = None) -> RoutingTable:
    """Validate an already-parsed routing document (strictly: no "1" for 1, no unknown fields)."""
    if not isinstance(data, dict):
        raise _error([Problem(source, f"expected a JSON object at the top level, got {_kind(data)}", hint=_REGENERATE)])
    schema = data.get("schema")
    if schema is None:
        raise _error([Problem(source, "missing: a routing table names its schema version", field="schema",
                              hint=f'add "schema": "{SCHEMA}", or {_REGENERATE}')])
    if schema not in SUPPORTED_SCHEMAS:
        # Report only this: the other fields of another version would be noise.
        raise _error([Problem(source, f"schema {schema!r} is not supported by this harness (supports "
                              f"{', '.join(SUPPORTED_SCHEMAS)})", field="schema",
                              hint=f"{_REGENERATE} or upgrade harness")])
    try:
        return RoutingTable.model_validate_json(text if text is not None else json.dumps(_finite(data)), strict=True)
    except ValidationError as exc:
        raise _error(validation_problems(exc, source)) from None


def validation_problems(exc: ValidationError, source: str, prefix: str = "") -> list[Problem]:
    problems = []
    for e in exc.errors(include_url=False):
        where = ".".join(str(p) for p in (*([prefix] if prefix else []), *e["loc"]))
        if e["type"] == "missing":
            problems.append(Problem(source, "required field is missing", field=where, hint=_REGENERATE))
        elif e["type"] == "routing_rule":  # a rule across fields: its own text and hint, no input dump
            problems.append(Problem(source, e["ctx"]["text"], field=where or None, hint=e["ctx"]["hint"]))
        elif e["type"] == "extra_forbidden":
            problems.append(Problem(source, "unknown field", field=where,
                                    hint="remove it (a file written by a newer harness needs a newer harness)"))
        else:
            problems.append(Problem(source, f"{e['msg'][0].lower()}{e['msg'][1:]}, got {_short(e.get('input'))}",
                                    field=where, hint=f"fix the value, or {_REGENERATE}"))
    return problems


def _error(problems: list[Problem]) -> InputError:
    return InputError(problems, title="invalid routing table")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value (JSON has no NaN or Infinity)")


def num(x: float | None) -> float | None:
    """JSON has no NaN: a missing or non-finite number (e.g. a cost without a price) is null."""
    return None if x is None or not math.isfinite(x) else float(x)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return num(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
