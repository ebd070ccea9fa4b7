"""Compound candidates evaluated from results already collected, with a guarantee that survives tuning.

A cascade or a router is evaluated per sample from the answers its steps already gave: score = the
accepted answer's score, cost = the calls actually made. A tunable threshold (a confidence check,
the router's probability) is handled by Learn-then-Test (Angelopoulos et al. 2021): thresholds are
ordered before the data are seen, from the most conservative (escalate everything) to the least;
each gets the same paired non-inferiority test as any candidate; fixed-sequence testing rejects a
prefix of them with the family-wise error rate held over all thresholds tried; the cheapest
rejected threshold is chosen. A router learns on `train_share` of the samples (seeded) and every
test uses only the samples it never saw. The compound then enters the task's Holm family like any
candidate, tested at the level Holm gives it. See docs/compound.md.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import stats
from ..compound import CONFIDENCE_GRID, AgreeCheck, CascadeSpec, ConfidenceCheck, RouterSpec, TextRouter
from ..criteria import Criteria
from ..errors import InputError, Problem
from ..results import per_sample
from ._checks import ScorerInfo, agree, confident, needs_suite, passes
from ._router import train_router

# Share of requests sent to the cheap candidate, most conservative first. 0% is left out: it is the
# fallback itself, nothing to test.
ROUTER_SHARES = tuple(i / 20 for i in range(1, 21))


@dataclass(frozen=True)
class Wide:
    """A task's results side by side: one row per shared sample, one column per candidate."""

    score: pd.DataFrame
    cost: pd.DataFrame
    output: pd.DataFrame  # the first epoch's answer
    second: pd.DataFrame | None  # the second epoch's answer, when the task has epochs
    confidence: pd.DataFrame | None  # the answer's own probability, where the results carry it
    text: pd.Series  # the request (the last user message)
    clusters: np.ndarray | None


@dataclass(frozen=True)
class Point:
    """One threshold of a compound candidate, evaluated on its test samples."""

    threshold: float | None  # None: nothing to tune
    shares: tuple[float, ...]  # share of requests each step answered
    cost: float  # mean production USD per call
    score: float
    difference: float | None  # mean paired difference against the reference
    p_value: float  # the candidate's tests combined (intersection-union)


@dataclass
class CompoundEval:
    spec: CascadeSpec | RouterSpec
    points: list[Point]
    test_samples: list[str]  # the samples every test used (a router's: those it never learned on)
    train_samples: int = 0
    router: TextRouter | None = None
    scores: dict[int, np.ndarray] = field(default_factory=dict)  # point index -> per-sample score
    answered: dict[int, np.ndarray] = field(default_factory=dict)  # point index -> per-sample step index
    clusters: np.ndarray | None = None
    reference: np.ndarray | None = None  # the reference's scores on the test samples
    chosen: int | None = None  # set by `choose` once the task's family has given the level
    rejected: int = 0  # thresholds fixed-sequence testing rejected at that level
    info: ScorerInfo = field(default_factory=ScorerInfo)  # what the checks knew: a route's checks need it too

    @property
    def label(self) -> str:
        return self.spec.label()

    @property
    def p_value(self) -> float:
        """The family's view: the first (most conservative) threshold gates all the others."""
        return self.points[0].p_value

    def choose(self, level: float) -> Point | None:
        """The cheapest threshold among those fixed-sequence testing rejects at `level`."""
        self.rejected = stats.fixed_sequence([p.p_value for p in self.points], level)
        if not self.rejected:
            self.chosen = None
            return None
        self.chosen = min(range(self.rejected), key=lambda i: (self.points[i].cost, -self.points[i].score))
        return self.points[self.chosen]


def wide(g: pd.DataFrame) -> Wide:
    per = per_sample(g, cost=("prod_cost_usd", "mean"))
    score = per["score"].unstack("candidate").dropna()
    keep = score.index
    cost = per["cost"].unstack("candidate").reindex(keep)
    first = g.sort_values("epoch", kind="stable").drop_duplicates(["candidate", "sample_id"])

    def column(frame: pd.DataFrame, name: str) -> pd.DataFrame:
        return frame.pivot(index="sample_id", columns="candidate", values=name).reindex(keep)

    output = column(first, "output").fillna("").astype(str)
    epochs = g[g["epoch"] == 2]
    second = column(epochs, "output").fillna("").astype(str) if len(epochs) else None
    confidence = (column(first, "confidence").astype(float)
                  if "confidence" in g.columns and g["confidence"].notna().any() else None)
    text = first.drop_duplicates("sample_id").set_index("sample_id")["input"].reindex(keep).fillna("").astype(str)
    clusters = per["cluster"].groupby(level="sample_id", sort=False).first().reindex(keep)
    codes = pd.factorize(clusters)[0] if clusters.notna().all() else None
    return Wide(score, cost, output, second, confidence, text, codes)


def check_problems(spec: CascadeSpec | RouterSpec, w: Wide, info: ScorerInfo, task: str) -> list[Problem]:
    steps = spec.steps if isinstance(spec, CascadeSpec) else [spec.cheap, spec.fallback]
    named = [*steps, *(c.with_ for c in getattr(spec, "checks", []) if isinstance(c, AgreeCheck) and c.with_)]
    where = f"{task}: {spec.label()}"
    problems = [Problem(where, f"{n!r} is not a candidate of the task with results on its samples",
                        field="compound", hint=f"use one of {', '.join(map(str, w.score.columns))}")
                for n in dict.fromkeys(named) if n not in w.score.columns]
    for check in getattr(spec, "checks", []):
        if needs_suite(check) and info.kind is None:
            problems.append(Problem(where, "a `parses` check needs the task's scorer", field="compound",
                                    hint="pass the suite with --suite, or use a `regex` check"))
        if isinstance(check, ConfidenceCheck) and w.confidence is None:
            problems.append(Problem(where, "a `confidence` check needs the answers' probabilities, which these "
                                    "results do not carry", field="compound",
                                    hint="use a provider that returns log-probabilities, or another check"))
        if isinstance(check, AgreeCheck) and check.with_ is None and w.second is None:
            problems.append(Problem(where, "agreeing with its own second answer needs a task with `epochs: 2`",
                                    field="compound", hint="set epochs: 2, or agree `with:` another candidate"))
    return problems


def evaluate(spec: CascadeSpec | RouterSpec, w: Wide, info: ScorerInfo, c: Criteria, seed: int,
             task: str) -> CompoundEval:
    problems = check_problems(spec, w, info, task)
    if problems:
        raise InputError(problems, title="cannot build compound candidates")
    ev = _router(spec, w, c, seed, task) if isinstance(spec, RouterSpec) else _cascade(spec, w, info, c)
    ev.info = info
    return ev


def _cascade(spec: CascadeSpec, w: Wide, info: ScorerInfo, c: Criteria) -> CompoundEval:
    accepted = _fixed_checks(spec, w, info)
    tuned = next((s for s in range(len(spec.steps) - 1) if isinstance(spec.check_of(s), ConfidenceCheck)), None)
    grid: list[float | None] = [None]
    if tuned is not None:
        grid = list(spec.check_of(tuned).thresholds or CONFIDENCE_GRID)  # type: ignore[union-attr]
    ev = CompoundEval(spec, [], list(map(str, w.score.index)), clusters=w.clusters,
                      reference=w.score[c.reference].to_numpy() if c.reference else None)
    for t in grid:
        answered, scores, cost = _walk(spec, w, accepted, t)
        ev.scores[len(ev.points)] = scores
        ev.answered[len(ev.points)] = answered
        ev.points.append(_point(t, np.bincount(answered, minlength=len(spec.steps)) / len(scores), cost, scores,
                                w, c, w.clusters))
    return ev


def _fixed_checks(spec: CascadeSpec, w: Wide, info: ScorerInfo) -> list[np.ndarray | None]:
    """Per step but the last: which answers its check accepts (None for a confidence check: tuned later)."""
    out: list[np.ndarray | None] = []
    for s, name in enumerate(spec.steps[:-1]):
        check = spec.check_of(s)
        if isinstance(check, ConfidenceCheck):
            out.append(None)
        elif isinstance(check, AgreeCheck):
            other = w.output[check.with_] if check.with_ else w.second[name]  # type: ignore[index]
            out.append(np.array([agree(info, a, b) for a, b in zip(w.output[name], other)], dtype=bool))
        else:
            out.append(np.array([passes(check, info, out_) for out_ in w.output[name]], dtype=bool))
    return out


def _walk(spec: CascadeSpec, w: Wide, accepted: list[np.ndarray | None], t: float | None
          ) -> tuple[np.ndarray, np.ndarray, float]:
    """(step that answered, score, mean cost) per request, with the confidence threshold `t`."""
    n = len(w.score)
    answered = np.full(n, len(spec.steps) - 1)
    for s in reversed(range(len(spec.steps) - 1)):
        ok = accepted[s]
        if ok is None:
            conf = w.confidence[spec.steps[s]].to_numpy()  # type: ignore[index]
            ok = np.array([confident(x, t) for x in conf], dtype=bool)
        answered = np.where(ok, s, answered)
    scores = np.choose(answered, [w.score[name].to_numpy() for name in spec.steps])
    return answered, scores, _cascade_cost(spec, w, answered)


def outcome(e: CompoundEval, w: Wide, info: ScorerInfo, point: Point) -> tuple[np.ndarray, np.ndarray]:
    """Per-request score and cost of the compound at `point`'s threshold on other samples (`w`): what the
    route would have done on traffic it was not chosen on."""
    if isinstance(e.spec, RouterSpec):
        assert e.router is not None
        to_cheap = np.array([e.router.probability(t) for t in w.text]) >= (point.threshold
                                                                          if point.threshold is not None else math.inf)
        return (np.where(to_cheap, w.score[e.spec.cheap], w.score[e.spec.fallback]),
                np.where(to_cheap, w.cost[e.spec.cheap], w.cost[e.spec.fallback]))
    answered, scores, _ = _walk(e.spec, w, _fixed_checks(e.spec, w, info), point.threshold)
    return scores, _cascade_costs(e.spec, w, answered)


def _cascade_cost(spec: CascadeSpec, w: Wide, answered: np.ndarray) -> float:
    return float(np.mean(_cascade_costs(spec, w, answered)))


def _cascade_costs(spec: CascadeSpec, w: Wide, answered: np.ndarray) -> np.ndarray:
    """Cost of each request: every step up to the one that answered, and the candidates the checks asked.

    A candidate is paid once, from the first stage that calls it: step s at stage s, the `with:`
    candidate of step s's check at stage s too (the check runs once step s has answered)."""
    stage: dict[str, int] = {}
    for s_, name in enumerate(spec.steps):
        stage.setdefault(name, s_)
        check = spec.check_of(s_) if s_ < len(spec.steps) - 1 else None
        if isinstance(check, AgreeCheck) and check.with_:
            stage[check.with_] = min(stage.get(check.with_, s_), s_)
    return sum(w.cost[name].to_numpy() * (answered >= s_) for name, s_ in stage.items())


def _router(spec: RouterSpec, w: Wide, c: Criteria, seed: int, task: str) -> CompoundEval:
    ids = list(w.score.index)
    rng = random.Random(f"{seed}:{task}:{spec.label()}")
    train = set(rng.sample(ids, round(len(ids) * spec.train_share)))
    test = [i for i in ids if i not in train]
    if len(train) < 10 or len(test) < 10:
        raise InputError([Problem(f"{task}: {spec.label()}", f"{len(ids)} shared samples are too few to train a "
                                  "router and test it on others", field="compound",
                                  hint="a router needs at least 20 samples; score more")])
    cheap, fallback = w.score[spec.cheap], w.score[spec.fallback]
    good = (cheap >= fallback).to_numpy()
    is_train = np.array([i in train for i in ids])
    router = train_router(w.text[is_train].tolist(), good[is_train])
    train_p = np.array([router.probability(t) for t in w.text[is_train]])
    test_p = np.array([router.probability(t) for t in w.text[~is_train]])
    # Thresholds from the training samples only: the order of the tests is fixed before the test data.
    grid = [float(np.quantile(train_p, 1 - share)) for share in ROUTER_SHARES]
    sub = _subset(w, ~is_train)
    ev = CompoundEval(spec, [], list(map(str, sub.score.index)), train_samples=len(train), router=router,
                      clusters=sub.clusters, reference=sub.score[c.reference].to_numpy() if c.reference else None)
    for t in grid:
        to_cheap = test_p >= t
        scores = np.where(to_cheap, sub.score[spec.cheap], sub.score[spec.fallback])
        cost = float(np.where(to_cheap, sub.cost[spec.cheap], sub.cost[spec.fallback]).mean())
        share = float(to_cheap.mean())
        ev.scores[len(ev.points)] = scores
        ev.answered[len(ev.points)] = np.where(to_cheap, 0, 1)
        ev.points.append(_point(t, (share, 1 - share), cost, scores, sub, c, sub.clusters))
    return ev


def _subset(w: Wide, mask: np.ndarray) -> Wide:
    codes = w.clusters[mask] if w.clusters is not None else None
    return Wide(w.score[mask], w.cost[mask], w.output[mask], None if w.second is None else w.second[mask],
                None if w.confidence is None else w.confidence[mask], w.text[mask], codes)


def _point(t: float | None, shares, cost: float, scores: np.ndarray, w: Wide, c: Criteria,
           clusters: np.ndarray | None) -> Point:
    tests, diff = [], None
    if c.reference is not None:
        ref = w.score[c.reference].to_numpy()
        tests.append(stats.noninferiority_test(scores, ref, c.margin, clusters, c.alpha))
        diff = float((scores - ref).mean())
    if c.min_score is not None:
        tests.append(stats.min_score_test(scores, c.min_score, clusters, c.alpha))
    p = max(t.pvalue for t in tests) if tests else 1.0
    return Point(None if t is None or math.isinf(t) else float(t), tuple(float(s) for s in shares), cost,
                 float(scores.mean()), diff, float(p))


@dataclass(frozen=True)
class TaskCompounds:
    """The compound candidates a task asks for, and what evaluating them needs to know of the task."""

    specs: list[CascadeSpec | RouterSpec]
    info: ScorerInfo = ScorerInfo()
    seed: int = 0  # seeds a router's training split
