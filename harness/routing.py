"""The routing table (`reports/routing.json`): schema, build, write, load, `pick(task)`, exports.

Applications load it at run time and pass the route to their SDK call::

    route = harness.routing.load("reports/routing.json").pick("ticket_routing")
    client.messages.create(**route.anthropic_kwargs(), messages=[...])

The document is versioned (`"schema": "harness.routing/v1"`) and validated on load by
pydantic models that forbid unknown fields and coercions: a hand-edit typo or a file from
another version fails loudly, naming the file and the field, instead of quietly routing
production traffic with half a config. Loading imports neither pandas nor inspect-ai, so it
stays cheap inside an application. The models live in `_routing_schema`, the LiteLLM and
Python exports in `_routing_export`; this module is the public surface. See docs/routing.md.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

from ._files import write_atomic
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from . import __version__
from ._routing_export import LOCAL_API_BASE, to_litellm, to_litellm_yaml, to_python
from ._routing_schema import (ANTHROPIC_DEFAULT_MAX_TOKENS, SCHEMA, SUPPORTED_SCHEMAS, CriteriaOut, Evidence,
                              GenerateSettings, Reference, Route, RoutingTable, Score, TaskRoute, Unrouted, VerdictRow)
from .errors import HarnessError, InputError, Problem

if TYPE_CHECKING:
    from .select import TaskDecision, Verdict

__all__ = ["ANTHROPIC_DEFAULT_MAX_TOKENS", "LOCAL_API_BASE", "SCHEMA", "SUPPORTED_SCHEMAS", "CriteriaOut", "Evidence",
           "GenerateSettings", "Reference", "Route", "RoutingTable", "Score", "TaskRoute", "Unrouted", "VerdictRow",
           "build_table", "load", "parse", "to_litellm", "to_litellm_yaml", "to_python", "write"]

_REGENERATE = "regenerate it with `harness select`"
# Candidate field names (harness results) -> inspect-ai GenerateConfig names used in the table.
_RENAMED = {"stop": "stop_seqs"}


# --- build ------------------------------------------------------------------------------------


def build_table(decisions: list[TaskDecision], default: Route | None = None,
                source: dict[str, Any] | None = None) -> RoutingTable:
    """The routing table of a selection: one route per task whose decision chose a candidate.

    Tasks with `chosen is None` are listed under `unrouted` and served by the default. When
    `default` is None it is the route of the routed task with the highest `traffic_per_month`
    (it already serves most calls, so it is the likeliest fit for unknown ones), or of the
    first routed task when no task gives traffic.
    """
    routes: dict[str, TaskRoute] = {}
    unrouted: dict[str, Unrouted] = {}
    for d in decisions:
        if d.task in routes or d.task in unrouted:
            raise HarnessError(f"task {d.task!r} appears in more than one decision; task names must be unique")
        if d.chosen is None:
            unrouted[d.task] = Unrouted(reason=d.summary, criteria=_criteria(d), verdicts=_verdict_rows(d))
        else:
            routes[d.task] = _task_route(d)
    if default is not None:
        default, default_from = _plain(default), "given"
    else:
        default, default_from = _default_route(decisions, routes)
    return RoutingTable(schema=SCHEMA, generated_at=datetime.now(timezone.utc).replace(microsecond=0),
                        harness_version=__version__, source=source or {}, default=default, default_from=default_from,
                        routes=routes, unrouted=unrouted)


def _default_route(decisions: list[TaskDecision], routes: dict[str, TaskRoute]) -> tuple[Route, str]:
    routed = [d for d in decisions if d.task in routes]
    if not routed:
        raise HarnessError("no task has a route, so there is no default to fall back on: "
                           "pass a default route (build_table(..., default=Route(...)))")
    with_traffic = [d for d in routed if d.traffic_per_month is not None]
    if with_traffic:
        top = max(with_traffic, key=lambda d: d.traffic_per_month or 0.0)  # max keeps the first of ties
        why = f"route of {top.task!r}, the task with the highest traffic_per_month ({top.traffic_per_month:g})"
    else:
        top = routed[0]
        why = f"route of {top.task!r}, the first routed task (no task gives traffic_per_month)"
    return _plain(routes[top.task]), why


def _plain(route: Route) -> Route:
    """Just the Route fields (the default of a table carries no evidence of its own)."""
    return Route(candidate=route.candidate, model=route.model, provider=route.provider, config=route.config)


def _task_route(d: TaskDecision) -> TaskRoute:
    assert d.chosen is not None
    v = d.verdict(d.chosen)
    config, notes = _settings(v, d.task)
    ref = d.reference
    return TaskRoute(
        candidate=v.candidate, model=v.model, provider=_provider(v.model), config=config, suite=d.suite,
        score=_score(v), cost_per_call_usd=_num(v.cost_per_call), monthly_cost_usd=_num(d.monthly(v.candidate)),
        traffic_per_month=_num(d.traffic_per_month),
        reference=None if ref is None else Reference(
            candidate=ref.candidate, model=ref.model, cost_per_call_usd=_num(ref.cost_per_call),
            monthly_cost_usd=_num(d.monthly(ref.candidate)), score=_score(ref)),
        decision=d.summary, criteria=_criteria(d), evidence=_evidence(d, v), verdicts=_verdict_rows(d),
        notes=[*d.notes, *notes])


def _settings(v: Verdict, task: str) -> tuple[GenerateSettings, list[str]]:
    known, dropped = {}, []
    for key, value in (v.config if isinstance(v.config, dict) else {}).items():
        key = _RENAMED.get(key, key)
        if key in GenerateSettings.model_fields:
            known[key] = value
        else:
            dropped.append(key)
    if not known.get("model_args"):
        known.pop("model_args", None)
    try:
        settings = GenerateSettings.model_validate(known)
    except ValidationError as exc:
        raise InputError(_problems(exc, "results", f"{task}.{v.candidate}.config"),
                         title="cannot build the routing table") from None
    notes = [f"config key(s) {', '.join(sorted(dropped))} of {v.candidate} are not generate settings "
             "harness knows; the route does not carry them"] if dropped else []
    return settings, notes


def _provider(model: str) -> str:
    # Results from other tools may name a bare model ("gpt-4o"); the SDK cannot be guessed then.
    return model.split("/", 1)[0] if "/" in model else "unknown"


def _score(v: Verdict) -> Score:
    s = v.score
    return Score(mean=_num(s.estimate), low=_num(s.low), high=_num(s.high), n=s.n)


def _criteria(d: TaskDecision) -> CriteriaOut:
    c = d.criteria
    return CriteriaOut(min_score=c.min_score, max_drop=c.max_drop, alpha=c.alpha)


def _evidence(d: TaskDecision, v: Verdict) -> Evidence:
    if d.reference is None or v.candidate == d.reference.candidate or v.difference is None:
        return Evidence()
    diff = v.difference
    return Evidence(n=diff.n, difference=_num(diff.estimate), interval=(_num(diff.low), _num(diff.high)),
                    confidence=diff.confidence,
                    p_value=_num(v.noninferiority.pvalue) if v.noninferiority else _num(v.p_value),
                    p_adjusted=_num(v.p_adjusted), margin=d.criteria.max_drop,
                    method=v.noninferiority.method if v.noninferiority else diff.method, decided_round=v.decided_round)


def _verdict_rows(d: TaskDecision) -> list[VerdictRow]:
    return [VerdictRow(candidate=v.candidate, model=v.model, status=v.status, reason=v.reason,
                       cost_per_call_usd=_num(v.cost_per_call), score=_num(v.score.estimate)) for v in d.verdicts]


# --- write / load -----------------------------------------------------------------------------


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
        raise _error(_problems(exc, source)) from None


def _problems(exc: ValidationError, source: str, prefix: str = "") -> list[Problem]:
    problems = []
    for e in exc.errors(include_url=False):
        where = ".".join(str(p) for p in (*([prefix] if prefix else []), *e["loc"]))
        if e["type"] == "missing":
            problems.append(Problem(source, "required field is missing", field=where, hint=_REGENERATE))
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


# --- helpers ----------------------------------------------------------------------------------


def _num(x: float | None) -> float | None:
    """JSON has no NaN: a missing or non-finite number (e.g. a cost without a price) is null."""
    return None if x is None or not math.isfinite(x) else float(x)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return _num(value)
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

