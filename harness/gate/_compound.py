"""A compound route as one side of a swap: its candidates are scored, then its policy is replayed on them.

The steps (and the candidates its `agree` checks ask) are scored like any candidate, from `--results`,
finished logs and the journal first. The policy is then evaluated per sample at the threshold the
routing table fixes (select's own walk, `harness.select.compound_rows`): the gate checks the route that
would ship, it does not tune it again. A router is replayed with the model its table's artifact holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..candidates import Candidate
from ..compound import CascadeSpec, RouterSpec
from ..routing import CascadePolicy, Route, RouterPolicy
from ..select import ScorerInfo, compound_rows
from . import _eval as ev


def policy_of(route: Route) -> CascadePolicy | RouterPolicy | None:
    return getattr(route, "compound", None)


@dataclass(frozen=True)
class CompoundSide:
    """A compound route, and the candidates (by the policy's ids) whose answers it is made of."""

    route: Route
    parts: tuple[tuple[str, Candidate], ...]
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)  # parts already scored (--results)

    @property
    def policy(self) -> CascadePolicy | RouterPolicy:
        p = policy_of(self.route)
        assert p is not None
        return p

    def missing(self) -> list[tuple[str, Candidate]]:
        return [(name, c) for name, c in self.parts if name not in self.rows]

    def with_rows(self, rows: dict[str, pd.DataFrame]) -> CompoundSide:
        return CompoundSide(self.route, self.parts, {**self.rows, **rows})

    def combine(self, scored: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
        """The route's own rows: per sample, what its policy answered and what its calls cost."""
        got = {**self.rows, **(scored or {})}
        frames = [got[name].assign(candidate=name) for name, _ in self.parts]
        p = self.policy
        if isinstance(p, RouterPolicy):
            spec: CascadeSpec | RouterSpec = RouterSpec(kind="router", cheap=p.steps[0].candidate,
                                                        fallback=p.steps[1].candidate)
            info, router = ScorerInfo(), p.router.model
        else:
            spec = CascadeSpec(kind="cascade", steps=[s.candidate for s in p.steps], checks=list(p.checks))
            info, router = p.scorer.info(), None
        return compound_rows(pd.concat(frames, ignore_index=True), spec, info, p.threshold, router,
                             self.route.candidate)


def side_of(route: Route) -> Candidate | CompoundSide:
    """What scores a route: its candidate, or a compound route's parts (its steps and agreed-with candidates)."""
    p = policy_of(route)
    if p is None:
        return ev.candidate_from_route(route)
    routes = [*p.steps, *getattr(p, "agree_with", [])]
    return CompoundSide(route, tuple((r.candidate, ev.candidate_from_route(r)) for r in routes))


def label(side: Candidate | CompoundSide) -> str:
    """The id a side is reported under: the candidate's, or the compound route's."""
    return side.route.candidate if isinstance(side, CompoundSide) else side.label()


def same_policy(a: Route, b: Route) -> bool:
    """Whether two routes serve requests the same way. A compound route changes when its steps, checks,
    threshold or router change (its `signature`), not only its model name, which is always compound/<kind>."""
    pa, pb = policy_of(a), policy_of(b)
    if pa is None and pb is None:
        return a.model == b.model and a.config == b.config
    return pa is not None and pb is not None and pa.signature() == pb.signature()


def given_rows(df: pd.DataFrame, task: str, side: Candidate | CompoundSide
               ) -> tuple[Candidate | CompoundSide, pd.DataFrame | None]:
    """What `--results` scores of a side: a candidate's rows, or a compound's parts (its own rows once every
    part is there; the parts still missing are scored like any cell)."""
    if not isinstance(side, CompoundSide):
        return side, ev.rows_for(df, task, side)
    found = {name: rows for name, c in side.parts if (rows := ev.rows_for(df, task, c)) is not None}
    side = side.with_rows(found)
    return side, (side.combine() if not side.missing() else None)


def runnable_problem(task, side: Candidate | CompoundSide) -> str | None:
    """Why a side cannot run on `task` (a part's prompt variant the task does not define), else None."""
    for c in ([c for _, c in side.missing()] if isinstance(side, CompoundSide) else [side]):
        why = ev.runnable_problem(task, c)
        if why:
            return why
    return None


def sample_sets(side: Candidate | CompoundSide | None, rows: pd.DataFrame | None) -> list[set[str]]:
    """The sample ids a side already has scores for: its rows, or the parts given."""
    if rows is not None:
        return [set(rows["sample_id"])]
    if isinstance(side, CompoundSide):
        return [set(r["sample_id"]) for r in side.rows.values()]
    return []


def route_side(task, route: Route) -> Candidate | CompoundSide:
    """What scores `route` on `task`: its candidates matched to the suite's own (their logs are reused)."""
    return relabel(side_of(route), lambda c: ev.as_suite_candidate(task, c))


def describe(side: Candidate | CompoundSide) -> str:
    """A side as a failure report names it: id, model and settings, or the compound route's policy."""
    if isinstance(side, CompoundSide):
        return f"{side.route.candidate} ({side.policy.describe()})"
    settings = side.model_dump(exclude={"id", "model", "model_args", "cache_prompt"}, exclude_none=True)
    shown = ", ".join(f"{k}={v}" for k, v in settings.items())
    return f"{side.label()} ({side.model}{', ' + shown if shown else ''})"


def candidates(side: Candidate | CompoundSide | None) -> list[Candidate]:
    if side is None:
        return []
    return [c for _, c in side.parts] if isinstance(side, CompoundSide) else [side]


def relabel(side: Candidate | CompoundSide, fix) -> Candidate | CompoundSide:
    """`side` with each candidate passed through `fix` (a suite's own candidate, a distinct id)."""
    if isinstance(side, CompoundSide):
        return CompoundSide(side.route, tuple((name, fix(c)) for name, c in side.parts), side.rows)
    return fix(side)


def distinct(old: Candidate | CompoundSide, new: Candidate | CompoundSide
             ) -> tuple[Candidate | CompoundSide, Candidate | CompoundSide]:
    """Two different configurations must not share an id across the sides: results rows are told apart by it."""
    olds, news = candidates(old), candidates(new)
    clash = {a.label() for a in olds for b in news if a.label() == b.label() and not ev.same_settings(a, b)}

    def tag(suffix: str):
        return lambda c: c.model_copy(update={"id": f"{c.label()}@{suffix}"}) if c.label() in clash else c

    return relabel(old, tag("base")), relabel(new, tag("head"))
