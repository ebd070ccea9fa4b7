"""Reading and writing routing tables: strict validation on load, atomic pretty JSON on write.

A router's trained model is a file of its own beside the table (`<table>.router-<task>.json`):
`write` writes it (atomically, before the table that names it), `load` reads it back and refuses it
when its sha256 is not the one the table records, so a route never runs a model it was not
evaluated with.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, Problem
from ..files import write_atomic
from ..compound import TextRouter
from ._compound import KINDS, artifact_sha256, artifact_text
from ._schema import SCHEMA, SUPPORTED_SCHEMAS, RoutingTable

_REGENERATE = "regenerate it with `harness select`"


def write(table: RoutingTable, path: Path | str) -> Path:
    """Write pretty JSON atomically (temp file + rename: a reader never sees half a table); NaN -> null."""
    path = Path(path)
    routers = {task: r.compound.router for task, r in table.routes.items() if r.compound and r.compound.kind == "router"}
    names = artifact_names(path, list(routers))
    for task, artifact in routers.items():
        write_atomic(path.parent / names[task], artifact_text(artifact.model))
    data = _finite(table.model_dump(mode="json", by_alias=True))
    for task in routers:  # named after the table it is written beside, so two tables in one folder do not clash
        data["routes"][task]["compound"]["router"]["file"] = names[task]
    return write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def artifact_names(path: Path, tasks: list[str]) -> dict[str, str]:
    """`<table stem>.router-<task>.json` per task, the task's name made safe for a file name."""
    names: dict[str, str] = {}
    for task in tasks:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", task)
        name = f"{path.stem}.router-{safe}.json"
        n = 2
        while name in names.values():
            name, n = f"{path.stem}.router-{safe}-{n}.json", n + 1
        names[task] = name
    return names


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
    table = parse(data, where, text)
    _load_routers(table, path)
    return table


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
    unknown = _unknown_kinds(data, source)
    if unknown:  # a newer harness's kind of route: what it does cannot be guessed, so nothing is run
        raise _error(unknown)
    try:
        return RoutingTable.model_validate_json(text if text is not None else json.dumps(_finite(data)), strict=True)
    except ValidationError as exc:
        raise _error(validation_problems(exc, source)) from None


def _unknown_kinds(data: dict[str, Any], source: str) -> list[Problem]:
    routes = data.get("routes")
    problems = []
    for task, route in (routes.items() if isinstance(routes, dict) else []):
        compound = route.get("compound") if isinstance(route, dict) else None
        kind = compound.get("kind") if isinstance(compound, dict) else None
        if compound is not None and kind not in KINDS:
            problems.append(Problem(source, f"compound route kind {kind!r} is not supported by this harness (supports "
                                    f"{', '.join(KINDS)}): it cannot run this route", field=f"routes.{task}.compound.kind",
                                    hint="upgrade harness, or regenerate the table with `harness select`"))
    return problems


def _load_routers(table: RoutingTable, path: Path) -> None:
    """Attach each router's model, read from beside the table; a missing or changed file is refused."""
    problems = []
    for task, route in table.routes.items():
        if route.compound is None or route.compound.kind != "router":
            continue
        artifact = route.compound.router
        file = path.parent / artifact.file
        where = f"routes.{task}.compound.router"
        try:
            raw = file.read_bytes()
        except FileNotFoundError:
            problems.append(Problem(str(path), f"the router artifact {file} is missing", field=where,
                                    hint="keep the router's file beside its routing table (copy both), or "
                                         f"{_REGENERATE}"))
            continue
        except OSError as exc:
            problems.append(Problem(str(path), f"cannot read the router artifact {file}: {exc}", field=where,
                                    hint=_REGENERATE))
            continue
        if artifact_sha256(raw) != artifact.sha256:
            problems.append(Problem(str(path), f"the router artifact {file} does not match its sha256 in the table: "
                                    "it was changed after the route was evaluated", field=where,
                                    hint=f"restore the file written with the table, or {_REGENERATE}"))
            continue
        try:
            artifact._model = TextRouter.model_validate_json(raw, strict=True)
        except ValidationError as exc:
            problems += validation_problems(exc, str(file))
    if problems:
        raise _error(problems)


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
