"""Per-task decision for results collected in rounds (`harness run --sequential`).

The same function serves the round loop of harness/pipeline (who still gets samples
next round) and `select` (the verdicts), so a decision read back from the results table is the
one the run acted on: every quantity is recomputed from the rows up to each
round, in a fixed order (round, then sample id) that does not depend on any
outcome.

Per candidate and look (the end of a round), at level alpha / K (Bonferroni over
the K tested candidates; valid for anytime-valid tests under any stopping rule):
- non-inferiority: the betting test of the paired difference against -max_drop
  (`stats.log_capital` on y = (d + 1) / 2); pass when the lower process rejects,
  fail when the upper one does;
- min_score: the same on the candidate's own scores against min_score;
- both set: pass when both have passed (intersection-union), fail when either fails.
A candidate stops receiving samples when it has passed or failed, when its
predictive probability of passing by the end of the planned samples is below
`stats.FUTILITY_BELOW` (futile), or when it can no longer be chosen (a cheaper
candidate has passed, or it costs more per call than the reference). The
reference runs while any candidate does, so comparisons stay paired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd

from .. import stats
from ..results import per_sample


class TrackState(StrEnum):
    """Where a candidate of a run in rounds stands after its last round."""

    PASSED = "passed"
    FAILED = "failed"
    FUTILE = "futile"  # can no longer realistically pass by the end of the planned samples
    NOT_NEEDED = "not needed"  # a cheaper candidate passed, or it costs more than the reference
    OPEN = "open"


PASSED, FAILED, FUTILE, NOT_NEEDED, OPEN = (TrackState.PASSED, TrackState.FAILED, TrackState.FUTILE,
                                            TrackState.NOT_NEEDED, TrackState.OPEN)
Decided = Literal["pass", "fail"]


@dataclass(frozen=True)
class Track:
    """One candidate's course through the rounds of a sequential run."""

    candidate: str
    samples: int  # samples it was scored on
    last_round: int  # the last round it received samples in
    decided: Decided | None
    decided_round: int | None
    decided_at: int | None  # samples seen at the deciding look
    state: TrackState  # after its last round
    why: str  # the state in words
    pass_probability: float | None  # predictive probability of passing by the planned end (last look)
    difference: stats.Interval | None = None  # anytime-valid bounds at the candidate's level
    noninferiority: stats.OneSidedTest | None = None
    min_score: stats.OneSidedTest | None = None
    p_value: float | None = None  # anytime-valid, intersection-union over its tests
    p_adjusted: float | None = None  # Bonferroni


@dataclass(frozen=True)
class SequentialSummary:
    """What stopping early saved on a task (shown in the report)."""

    rounds: int  # rounds run
    planned_samples: int | None  # samples per candidate had nothing stopped early
    samples_used: int  # calls made, every candidate and the reference
    samples_fixed: int | None  # calls a fixed-size run of the planned samples would make
    spent_usd: float  # eval cost of the calls made
    fixed_usd: float | None  # eval cost of the fixed-size run (each candidate's mean cost per call)

    @property
    def samples_saved(self) -> int | None:
        return None if self.samples_fixed is None else self.samples_fixed - self.samples_used

    @property
    def samples_saved_share(self) -> float | None:
        saved = self.samples_saved
        return None if saved is None or not self.samples_fixed else saved / self.samples_fixed

    @property
    def usd_saved(self) -> float | None:
        return None if self.fixed_usd is None else self.fixed_usd - self.spent_usd

    def text(self) -> str:
        """One line for the console."""
        if self.samples_fixed is None:
            return f"sequential: {self.rounds} round(s), {self.samples_used} calls"
        return (f"sequential: {self.rounds} round(s), {self.samples_used} calls of the {self.samples_fixed} a "
                f"fixed-size run would make")


def is_sequential(g: pd.DataFrame) -> bool:
    return "round" in g.columns and g["round"].notna().any()


@dataclass(frozen=True)
class _Tests:
    """The round of the first pass / fail of each of a candidate's tests (None: not yet)."""

    passes: list[int | None]
    fails: list[int | None]


def tracks(g: pd.DataFrame, min_score: float | None, margin: float | None, alpha: float,
           reference: str | None, family: list[str] | None = None,
           selecting: bool = True) -> tuple[dict[str, Track], SequentialSummary]:
    """Each candidate's track and the task's summary, from its rows (with `round`).

    `family`: the candidates tested (default: every candidate with a criterion to test, the
    reference too when min_score is set); alpha is split over them. `selecting`: stop candidates
    that can no longer be chosen ("not needed"); the gate judges one swap whatever it costs."""
    per = per_sample(g, round=("round", "min"), cost=("prod_cost_usd", "mean"), spent=("cost_usd", "sum"),
                     calls=("score", "size")).reset_index()
    per["round"] = per["round"].astype(int)
    per = per.sort_values(["round", "sample_id"], kind="stable")
    planned = _planned(g)
    candidates = list(dict.fromkeys(g["candidate"]))
    tested = family if family is not None else [
        k for k in candidates if min_score is not None or (reference is not None and k != reference)]
    level = stats.bonferroni_alpha(alpha, max(len(tested), 1))
    series = {k: per[per["candidate"] == k].set_index("sample_id") for k in candidates}
    last_round = int(per["round"].max())
    # Per candidate: looks (samples seen at each round end), first pass / fail look, pass probability per look.
    looks, first, probs = {}, {}, {}
    for k in tested:
        looks[k], first[k], probs[k] = _look_tests(series[k], series.get(reference) if reference else None,
                                                   k == reference, min_score, margin, level, planned)
    # The passes known after each round (a dearer candidate is not needed once a cheaper one passed).
    passed_by = {r: [k for k in tested if _decision(first[k], looks[k], r)[0] == "pass"]
                 for r in range(1, last_round + 1)}
    # Mean cost per call known after round r, for the rounds some candidate stopped in.
    stops = {int(series[k]["round"].max()) for k in candidates}
    costs_after = {r: {c: _mean_cost(series[c], r) for c in candidates} for r in stops}
    result: dict[str, Track] = {}
    for k in candidates:
        s = series[k]
        last = int(s["round"].max())
        if k not in tested:  # the reference without min_score: runs while others do
            result[k] = Track(k, len(s), last, None, None, None, OPEN, "the reference: runs while any candidate does",
                              None)
            continue
        decided, at_look = _decision(first[k], looks[k], last)
        decided_round = looks[k][1][at_look] if decided else None
        costs = costs_after[last]
        cheaper_passed = [c for c in passed_by[last] if c != k and costs[c] < costs[k]]
        pp = probs[k][-1] if probs[k] is not None and len(probs[k]) else None
        if decided == "pass":
            state, why = PASSED, f"passed at round {decided_round} ({looks[k][0][at_look]} samples)"
        elif decided == "fail":
            state, why = FAILED, f"failed at round {decided_round} ({looks[k][0][at_look]} samples)"
        elif pp is not None and pp < stats.FUTILITY_BELOW:
            state, why = FUTILE, (f"dropped after round {last} ({len(s)} samples): probability of passing by "
                                  f"{planned} samples {pp:.1%}")
        elif selecting and cheaper_passed:
            cheapest = min(cheaper_passed, key=lambda c: costs[c])
            state, why = NOT_NEEDED, f"not needed after round {last}: {cheapest}, which is cheaper, passed"
        elif selecting and reference is not None and k != reference and costs[k] >= costs[reference]:
            state, why = NOT_NEEDED, f"not needed after round {last}: it costs more per call than the reference"
        else:
            state, why = OPEN, f"still open after round {last} ({len(s)} samples)"
        result[k] = _with_tests(Track(k, len(s), last, decided, decided_round,
                                      looks[k][0][at_look] if decided else None, state, why, pp),
                                series[k], series.get(reference) if reference else None, k == reference,
                                min_score, margin, level, len(tested))
    calls = int(per["calls"].sum())
    fixed_calls = fixed_usd = None
    if planned is not None:
        epochs = per.groupby("candidate")["calls"].mean()
        fixed_calls = int(round(sum(planned * epochs[k] for k in candidates)))
        fixed_usd = float(sum(planned * epochs[k] * series[k]["spent"].sum() / max(series[k]["calls"].sum(), 1)
                              for k in candidates))
        fixed_usd = fixed_usd if math.isfinite(fixed_usd) else None  # a candidate without a price
    summary = SequentialSummary(rounds=last_round, planned_samples=planned, samples_used=calls,
                                samples_fixed=fixed_calls, spent_usd=float(per["spent"].sum()), fixed_usd=fixed_usd)
    return result, summary


def open_candidates(g: pd.DataFrame, min_score: float | None, margin: float | None, alpha: float,
                    reference: str | None) -> list[str]:
    """Candidates that receive the next round: those still open after the last round run (and the reference
    while any is). A task without criteria keeps every candidate to the end of its data."""
    if min_score is None and reference is None:
        return list(dict.fromkeys(g["candidate"]))
    found, _ = tracks(g, min_score, margin, alpha, reference)
    last = int(g["round"].max())
    keep = [k for k, t in found.items() if t.last_round == last and t.state == OPEN and k != reference]
    if keep and reference is not None:
        keep.append(reference)
    return keep


def _planned(g: pd.DataFrame) -> int | None:
    if "planned_samples" not in g.columns or g["planned_samples"].isna().all():
        return None
    return int(g["planned_samples"].dropna().max())


def _mean_cost(s: pd.DataFrame, upto: int) -> float:
    part = s[s["round"] <= upto]["cost"]
    return float(part.mean()) if len(part) else math.inf


def _observations(own: pd.DataFrame, ref: pd.DataFrame | None, is_reference: bool):
    """(paired differences or None, own scores, round of each paired / own observation)."""
    if ref is None or is_reference:
        return None, own["score"].to_numpy(), own["round"].to_numpy(), None
    both = own.index.intersection(ref.index, sort=False)
    pair = own.loc[both]
    diffs = pair["score"].to_numpy() - ref.loc[both, "score"].to_numpy()
    return diffs, own["score"].to_numpy(), own["round"].to_numpy(), pair["round"].to_numpy()


def _round_looks(rounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(samples seen at the end of each round with data, that round)."""
    ends = np.flatnonzero(np.r_[rounds[1:] != rounds[:-1], True]) + 1
    return ends, rounds[ends - 1]


def _first_look(log_k: np.ndarray, at: np.ndarray, threshold: float) -> int:
    hit = log_k[at - 1] >= threshold
    return int(hit.argmax()) if hit.any() else at.size


def _look_tests(own, ref, is_reference, min_score, margin, level, planned):
    """For one candidate: ((samples at each look, round of each look), _Tests, pass probability per look).

    Looks are in rounds; a test's first pass / fail is mapped to the round it happened in."""
    diffs, scores, own_rounds, pair_rounds = _observations(own, ref, is_reference)
    threshold = math.log(1.0 / level)
    # Each criterion as (values, threshold their mean must exceed, round of each value, values are paired
    # differences in [-1, 1]): the difference against -max_drop, the score against min_score.
    criteria = []
    if diffs is not None and margin is not None:
        criteria.append((diffs, -margin, pair_rounds, True))
    if min_score is not None:
        criteria.append((scores, min_score, own_rounds, False))
    passes_r, fails_r, pps = [], [], []
    for values, bar, rounds_of, paired in criteria:
        if values.size == 0:  # nothing paired with the reference (yet): the comparison cannot pass
            passes_r.append(None)
            fails_r.append(None)
            continue
        at, rounds = _round_looks(rounds_of)
        # the betting test runs on [0, 1]: differences d in [-1, 1] as (d + 1) / 2
        x, m = (np.clip((values + 1.0) / 2.0, 0.0, 1.0), (bar + 1.0) / 2.0) if paired else (values, bar)
        up = _first_look(stats.log_capital(x, m, level, stats.SEQUENTIAL_HORIZON), at, threshold) if m < 1.0 \
            else at.size
        down = _first_look(stats.log_capital(1.0 - x, 1.0 - m, level, stats.SEQUENTIAL_HORIZON), at, threshold)
        passes_r.append(rounds[up] if up < at.size and up <= down else None)
        fails_r.append(rounds[down] if down < at.size and down < up else None)
        if planned:
            pps.append(dict(zip(rounds, stats.pass_probability_at_looks(values, bar, level, planned, at))))
    all_rounds = np.unique(own_rounds)
    samples = np.array([int((own_rounds <= r).sum()) for r in all_rounds])
    prob = None
    if pps:
        # intersection-union: the chance of passing both is at most the smaller one
        prob = np.array([min(p.get(r, 1.0) for p in pps) for r in all_rounds])
    return (samples, all_rounds), _Tests(passes_r, fails_r), prob


def _decision(tests: _Tests, looks, upto: int) -> tuple[Decided | None, int]:
    """The candidate's verdict using rounds <= upto, and the index of its deciding look."""
    samples, rounds = looks
    fails = [r for r in tests.fails if r is not None and r <= upto]
    passes = [r for r in tests.passes if r is not None and r <= upto]
    if fails:
        r = min(fails)
        if not (len(passes) == len(tests.passes) and max(passes) < r):
            return "fail", int(np.searchsorted(rounds, r))
    if tests.passes and len(passes) == len(tests.passes):
        return "pass", int(np.searchsorted(rounds, max(passes)))
    return None, len(rounds) - 1


def _with_tests(track: Track, own, ref, is_reference, min_score, margin, level, family) -> Track:
    """Bounds and anytime p-values at the track's last look, for the verdict and the report."""
    diffs, scores, own_rounds, pair_rounds = _observations(own, ref, is_reference)
    ni = ms = diff = None
    ps = []
    if diffs is not None and margin is not None and diffs.size:
        at = _round_looks(pair_rounds)[0]
        diff = _difference_interval(diffs, level, at)
        y = np.clip((diffs + 1.0) / 2.0, 0.0, 1.0)
        p = stats.anytime_pvalue(stats.log_capital(y, (1.0 - margin) / 2.0, level, stats.SEQUENTIAL_HORIZON)[at - 1])
        ni = stats.OneSidedTest(estimate=diff.estimate, lower_bound=diff.low, null_value=-margin, pvalue=p,
                                alpha=level, rejected=track.decided == "pass" or diff.low > -margin,
                                se=diff.se, n=int(diffs.size), n_units=int(diffs.size), method="betting-cs")
        ps.append(p)
    if min_score is not None and scores.size:
        at = _round_looks(own_rounds)[0]
        low = float(stats.confidence_sequence(scores, level, "lower", stats.SEQUENTIAL_HORIZON, looks=at)[-1])
        p = (stats.anytime_pvalue(stats.log_capital(scores, min_score, level, stats.SEQUENTIAL_HORIZON)[at - 1])
             if min_score < 1.0 else 1.0)
        ms = stats.OneSidedTest(estimate=float(scores.mean()), lower_bound=low, null_value=min_score, pvalue=p,
                                alpha=level, rejected=low >= min_score, se=_se(scores), n=int(scores.size),
                                n_units=int(scores.size), method="betting-cs")
        ps.append(p)
    p_value = max(ps) if ps else None
    return replace(track, difference=diff, noninferiority=ni, min_score=ms, p_value=p_value,
                   p_adjusted=None if p_value is None else min(1.0, p_value * family))


def _se(x: np.ndarray) -> float:
    return float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan


def _difference_interval(diffs: np.ndarray, level: float, at: np.ndarray) -> stats.Interval:
    """Anytime-valid bounds at the looks `at` (the round ends), each side at `level`: the decision
    at a look is exactly whether the lower (upper) bound has cleared -max_drop."""
    y = np.clip((diffs + 1.0) / 2.0, 0.0, 1.0)

    def bounds(confidence: float) -> tuple[float, float]:
        a = (1.0 - confidence) / 2.0
        low = stats.confidence_sequence(y, a, "lower", stats.SEQUENTIAL_HORIZON, looks=at)[-1]
        high = stats.confidence_sequence(y, a, "upper", stats.SEQUENTIAL_HORIZON, looks=at)[-1]
        return 2.0 * float(low) - 1.0, 2.0 * float(high) - 1.0

    low, high = bounds(1.0 - 2.0 * level)
    return stats.Interval(estimate=float(diffs.mean()), low=low, high=high, se=_se(diffs), n=int(diffs.size),
                          n_units=int(diffs.size), confidence=1.0 - 2.0 * level, method="betting-cs",
                          _bounds=bounds)
