"""Building the routing table of a selection: one route per task whose decision chose a candidate."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter, ValidationError

from ..checks import ScorerInfo
from ..compound import AgreeCheck, CascadeSpec, CompoundSpec, ConfidenceCheck, ParsesCheck, RouterSpec
from ..criteria import Criteria
from ..errors import HarnessError, InputError
from ..version import __version__
from ._compound import COMPOUND_PROVIDER, CascadePolicy, Price, RouterArtifact, RouterPolicy, ScorerSpec, Step
from ._file import artifact_names, num, validation_problems
from ._prompt import PromptSpec
from ._schema import (SCHEMA, V2, Evidence, GenerateSettings, Reference, Route, RoutingTable, Score, TaskRoute, Unrouted,
                      VerdictRow)

if TYPE_CHECKING:
    from ..select import TaskDecision, Verdict

# Candidate field names (harness results) -> inspect-ai GenerateConfig names used in the table.
_RENAMED = {"stop": "stop_seqs"}
PromptMode = Literal["text", "hash"]
_TABLE = Path("routing.json")  # a router artifact is named after the table; write() renames it after the real one
NO_PROMPT_GIVEN = ("no prompt was given for this task (results decided without the suite that defines it): the "
                   "route carries none, so `messages()` cannot build its messages")
# A task's prompt: the chosen candidate's, or why none is known; for a compound route, one per step candidate.
TaskPrompt = PromptSpec | str | Mapping[str, PromptSpec | str]
COMPOUND_NOTE = ("a compound route: `route.call(client_fn, record)` runs it (its steps, their checks, its router); "
                 "the LiteLLM and Python exports cannot apply the checks or the router (docs/routing.md)")


def build_table(decisions: list[TaskDecision], default: Route | None = None, source: dict[str, Any] | None = None,
                *, task_prompts: Mapping[str, TaskPrompt] | None = None,
                prompts: PromptMode = "text", prices: Mapping[str, Price | None] | None = None) -> RoutingTable:
    """The routing table of a selection: one route per task whose decision chose a candidate.

    Tasks with `chosen is None` are listed under `unrouted` and served by the default. When
    `default` is None it is the route of the routed task with the highest `traffic_per_month`
    (it already serves most calls, so it is the likeliest fit for unknown ones), or of the
    first routed task when no task gives traffic.

    `task_prompts[task]` is the prompt the task's chosen candidate was evaluated with, or a
    sentence saying why none is known (it goes into the route's notes); only the caller knows
    the suites; for a task whose chosen candidate is compound, a mapping of its step candidates'
    prompts. With `prompts="hash"` routes keep only the sha256 of each prompt (`--no-prompts`).
    `prices[model]` is a compound step's list price per million tokens (None or absent: unknown).
    """
    if prompts not in ("text", "hash"):
        raise ValueError(f"prompts is 'text' or 'hash', not {prompts!r}")
    given = task_prompts or {}
    routes: dict[str, TaskRoute] = {}
    unrouted: dict[str, Unrouted] = {}
    for d in decisions:
        if d.task in routes or d.task in unrouted:
            raise HarnessError(f"task {d.task!r} appears in more than one decision; task names must be unique")
        if d.chosen is None:
            unrouted[d.task] = Unrouted(reason=d.summary, criteria=_criteria(d), verdicts=_verdict_rows(d))
        else:
            routes[d.task] = _task_route(d, given.get(d.task, NO_PROMPT_GIVEN), prompts, prices or {})
    if default is not None:
        default, default_from = _plain(default, prompts), "given"
    else:
        default, default_from = _default_route(decisions, routes)
    schema = SCHEMA if any(r.compound is not None for r in routes.values()) else V2
    return RoutingTable(schema=schema, generated_at=datetime.now(timezone.utc).replace(microsecond=0),
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
    compound = routes[top.task].compound
    if compound is not None:
        why += (f"; of its compound route, the final step {compound.final.candidate}: the checks and the router were "
                "fitted to that task, and the default serves others")
    return _plain(routes[top.task]), why


def _plain(route: Route, prompts: PromptMode = "text") -> Route:
    """Just the Route fields (the default of a table carries no evidence of its own); a compound route's
    final step, the one that answers whatever its checks pass on."""
    compound = getattr(route, "compound", None)
    if compound is not None:
        route = compound.final
    return Route(candidate=route.candidate, model=route.model, provider=route.provider, config=route.config,
                 prompt=_shown(route.prompt, prompts))


def _shown(prompt: PromptSpec | None, prompts: PromptMode) -> PromptSpec | None:
    return prompt.hashed() if prompt is not None and prompts == "hash" else prompt


def _task_route(d: TaskDecision, prompt: TaskPrompt, prompts: PromptMode,
                prices: Mapping[str, Price | None]) -> TaskRoute:
    assert d.chosen is not None
    v = d.verdict(d.chosen)
    compound = None
    if v.model.startswith(COMPOUND_PROVIDER + "/"):
        compound, notes = _policy(d, v, prompt, prompts, prices)
        config, prompt, notes = GenerateSettings(), None, [*notes, COMPOUND_NOTE]
    else:
        config, notes = _settings(v, d.task)
        prompt = _one_prompt(prompt, v.candidate)
        if isinstance(prompt, str):
            notes.append(prompt)
    ref = d.reference
    return TaskRoute(
        candidate=v.candidate, model=v.model, provider=_provider(v.model), config=config, compound=compound,
        prompt=None if prompt is None or isinstance(prompt, str) else _shown(prompt, prompts), suite=d.suite,
        score=_score(v), cost_per_call_usd=num(v.cost_per_call), monthly_cost_usd=num(d.monthly(v.candidate)),
        traffic_per_month=num(d.traffic_per_month),
        reference=None if ref is None else Reference(
            candidate=ref.candidate, model=ref.model, cost_per_call_usd=num(ref.cost_per_call),
            monthly_cost_usd=num(d.monthly(ref.candidate)), score=_score(ref)),
        decision=d.summary, criteria=_criteria(d), evidence=_evidence(d, v), verdicts=_verdict_rows(d),
        notes=[*d.notes, *notes])


def _one_prompt(prompt: TaskPrompt, candidate: str) -> PromptSpec | str:
    if isinstance(prompt, (PromptSpec, str)):
        return prompt
    return prompt.get(candidate, NO_PROMPT_GIVEN)


def _policy(d: TaskDecision, v: Verdict, prompt: TaskPrompt, prompts: PromptMode,
            prices: Mapping[str, Price | None]) -> tuple[CascadePolicy | RouterPolicy, list[str]]:
    """A compound verdict as a route: its steps are the task's own candidates, from their verdicts."""
    e = v.compound  # select's CompoundEval: the trained router and the scorer info the checks used
    spec = e.spec if e is not None else TypeAdapter(CompoundSpec).validate_python(v.config["compound"])
    notes: list[str] = []

    def step(candidate: str, logprobs: bool = False) -> Step:
        try:
            sv = d.verdict(candidate)
        except StopIteration:
            raise HarnessError(f"task {d.task!r}: compound {v.candidate!r} names {candidate!r}, which has no "
                               "verdict of its own") from None
        config, dropped = _settings(sv, d.task)
        p = _one_prompt(prompt, candidate)
        notes.extend(f"step {candidate}: {n}" for n in [*dropped, *([p] if isinstance(p, str) else [])])
        return Step(candidate=candidate, model=sv.model, provider=_provider(sv.model), config=config,
                    prompt=None if isinstance(p, str) else _shown(p, prompts), price=prices.get(sv.model),
                    cost_per_call_usd=num(sv.cost_per_call), logprobs=logprobs)

    threshold = v.config.get("threshold")
    shares = v.config.get("shares")
    if isinstance(spec, RouterSpec):
        if e is None or e.router is None:
            raise HarnessError(f"task {d.task!r}: router {v.candidate!r} has no trained model in its verdict; "
                               "build the table from select's decisions")
        (name,) = artifact_names(_TABLE, [d.task]).values()
        return RouterPolicy(kind="router", steps=[step(spec.cheap), step(spec.fallback)], threshold=threshold,
                            shares=shares, router=RouterArtifact.of(e.router, name)), notes
    assert isinstance(spec, CascadeSpec)
    steps = [step(name, isinstance(spec.check_of(s), ConfidenceCheck) if s < len(spec.steps) - 1 else False)
             for s, name in enumerate(spec.steps)]
    others = [c.with_ for c in spec.checks if isinstance(c, AgreeCheck) and c.with_ and c.with_ not in spec.steps]
    info = e.info if e is not None else ScorerInfo()
    labels = info.kind == "exact" and any(isinstance(c, ParsesCheck) for c in spec.checks)
    return CascadePolicy(kind="cascade", steps=steps, checks=list(spec.checks),
                         agree_with=[step(name) for name in dict.fromkeys(others)], threshold=threshold,
                         shares=shares, scorer=ScorerSpec.of(info, labels)), notes


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
        raise InputError(validation_problems(exc, "results", f"{task}.{v.candidate}.config"),
                         title="cannot build the routing table") from None
    notes = [f"config key(s) {', '.join(sorted(dropped))} of {v.candidate} are not generate settings "
             "harness knows; the route does not carry them"] if dropped else []
    return settings, notes


def _provider(model: str) -> str:
    # Results from other tools may name a bare model ("gpt-4o"); the SDK cannot be guessed then.
    return model.split("/", 1)[0] if "/" in model else "unknown"


def _score(v: Verdict) -> Score:
    s = v.score
    return Score(mean=num(s.estimate), low=num(s.low), high=num(s.high), n=s.n)


def _criteria(d: TaskDecision) -> Criteria:
    return d.criteria.without_reference()  # the route names its reference in a block of its own


def _evidence(d: TaskDecision, v: Verdict) -> Evidence:
    if d.reference is None or v.candidate == d.reference.candidate or v.difference is None:
        return Evidence()
    diff = v.difference
    return Evidence(n=diff.n, difference=num(diff.estimate), interval=(num(diff.low), num(diff.high)),
                    confidence=diff.confidence,
                    p_value=num(v.noninferiority.pvalue) if v.noninferiority else num(v.p_value),
                    p_adjusted=num(v.p_adjusted), margin=d.criteria.max_drop,
                    method=v.noninferiority.method if v.noninferiority else diff.method, decided_round=v.decided_round)


def _verdict_rows(d: TaskDecision) -> list[VerdictRow]:
    return [VerdictRow(candidate=v.candidate, model=v.model, status=v.status, reason=v.reason,
                       cost_per_call_usd=num(v.cost_per_call), score=num(v.score.estimate)) for v in d.verdicts]
