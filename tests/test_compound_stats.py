"""Compound candidates keep the guarantee after tuning: checked by simulation against known truth.

Each world is built so that its thresholds' true mean differences against the reference are known:
the conservative ones are safe, one sits exactly at -max_drop, the rest are worse. A violation is
choosing a threshold whose true difference is at or below -max_drop. Learn-then-Test must keep the
violation rate at most alpha (+3 Monte-Carlo standard errors), for a cascade tuned on a confidence
threshold and for a router trained on one part of the samples and tested on the rest.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from harness.compound import CascadeSpec, ConfidenceCheck, RouterSpec
from harness.criteria import Criteria
from harness.select import ScorerInfo
from harness.select._compound import Wide, evaluate  # the module under test

ALPHA, MARGIN, N, REPS = 0.05, 0.05, 400, 400
P_REF = 0.9


def _wide(ref: np.ndarray, cheap: np.ndarray, conf: np.ndarray | None, texts: list[str]) -> Wide:
    idx = pd.Index([f"s{i}" for i in range(ref.size)], name="sample_id")
    score = pd.DataFrame({"ref": ref, "cheap": cheap}, index=idx)
    cost = pd.DataFrame({"ref": 1.0, "cheap": 0.05}, index=idx)
    output = pd.DataFrame({"ref": "x", "cheap": "x"}, index=idx)
    confidence = None if conf is None else pd.DataFrame({"ref": 1.0, "cheap": conf}, index=idx)
    return Wide(score, cost, output, None, confidence, pd.Series(texts, index=idx), None)


# --- a cascade tuned on the cheap answer's confidence ----------------------------------------------
# The cheap answer equals the reference's when its confidence is >= 0.6; in [0.5, 0.6) it loses a
# right answer with probability Q, chosen so that accepting down to 0.5 costs exactly MARGIN; below
# 0.5 it always loses one. So thresholds 1.0 ... 0.6 are safe, 0.5 is exactly at the margin.
Q = MARGIN / (0.1 * P_REF)
GRID = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]
TRUE_DIFF = {t: -P_REF * (Q * min(max(0.6 - t, 0.0), 0.1) + max(0.5 - t, 0.0)) for t in GRID}


def _cascade_world(rng: np.random.Generator) -> Wide:
    ref = (rng.random(N) < P_REF).astype(float)
    conf = rng.random(N)
    lose = np.where(conf >= 0.6, False, np.where(conf >= 0.5, rng.random(N) < Q, True))
    cheap = np.where(lose, 0.0, ref)
    return _wide(ref, cheap, conf, ["t"] * N)


def test_the_worlds_are_what_they_say():
    assert math.isclose(TRUE_DIFF[0.5], -MARGIN) and TRUE_DIFF[0.6] == 0.0 and TRUE_DIFF[0.4] < -MARGIN
    rng = np.random.default_rng(0)
    big = [_cascade_world(rng) for _ in range(40)]
    conf = np.concatenate([w.confidence["cheap"] for w in big])
    diff = np.concatenate([w.score["cheap"] - w.score["ref"] for w in big])
    assert abs(np.mean(diff * (conf >= 0.5)) - TRUE_DIFF[0.5]) < 0.006


def _violation_rate(chosen_true_diffs: list[float | None]) -> tuple[float, float]:
    bad = [d is not None and d <= -MARGIN + 1e-12 for d in chosen_true_diffs]
    rate = float(np.mean(bad))
    return rate, math.sqrt(ALPHA * (1 - ALPHA) / len(bad))


def test_a_tuned_cascade_chooses_an_unsafe_threshold_at_most_alpha_of_the_time():
    spec = CascadeSpec(kind="cascade", steps=["cheap", "ref"], checks=[ConfidenceCheck(type="confidence",
                                                                                        thresholds=GRID)])
    c = Criteria(reference="ref", max_drop=MARGIN, alpha=ALPHA)
    rng = np.random.default_rng(20261201)
    chosen = []
    for _ in range(REPS):
        e = evaluate(spec, _cascade_world(rng), ScorerInfo(), c, 0, "t")
        point = e.choose(ALPHA)
        chosen.append(None if point is None else TRUE_DIFF[point.threshold])
    rate, se = _violation_rate(chosen)
    assert rate <= ALPHA + 3 * se, f"violation rate {rate:.3f} (alpha {ALPHA}, MC SE {se:.3f})"
    # and it is not vacuous: the safe thresholds are found (power)
    assert np.mean([d is not None for d in chosen]) > 0.8


# --- a router trained on the request text ---------------------------------------------------------
# Ten kinds of request, named in the text. The cheap answer equals the reference's on kinds 0-5, loses
# a right one with probability QK on kind 6 (exactly the margin once kind 6 is sent to it) and always on
# kinds 7-9. A policy's true difference is what the kinds it sends to the cheap candidate lose.
KINDS = 10
QK = MARGIN / (P_REF / KINDS)


def _router_world(rng: np.random.Generator, n: int = N) -> tuple[Wide, np.ndarray]:
    kind = rng.integers(0, KINDS, n)
    ref = (rng.random(n) < P_REF).astype(float)
    lose = np.where(kind < 6, False, np.where(kind == 6, rng.random(n) < QK, True))
    cheap = np.where(lose, 0.0, ref)
    texts = [f"request of kind{k} about item{rng.integers(0, 50)}" for k in kind]
    return _wide(ref, cheap, None, texts), kind


def _true_router_diff(router, threshold: float) -> float:
    """The policy's expected difference: the loss of each kind it sends to the cheap candidate."""
    loss = {k: 0.0 if k < 6 else (-P_REF * QK if k == 6 else -P_REF) for k in range(KINDS)}
    sent = [k for k in range(KINDS)
            if np.mean([router.probability(f"request of kind{k} about item{i}") >= threshold for i in range(50)]) > 0]
    # a kind is sent in part when its items score differently: weigh by the share of its items sent
    total = 0.0
    for k in sent:
        share = np.mean([router.probability(f"request of kind{k} about item{i}") >= threshold for i in range(50)])
        total += share * loss[k] / KINDS
    return total


def test_a_trained_router_chooses_an_unsafe_policy_at_most_alpha_of_the_time():
    spec = RouterSpec(kind="router", cheap="cheap", fallback="ref")
    c = Criteria(reference="ref", max_drop=MARGIN, alpha=ALPHA)
    rng = np.random.default_rng(7)
    chosen, found = [], 0
    for rep in range(REPS):
        w, _ = _router_world(rng)
        e = evaluate(spec, w, ScorerInfo(), c, rep, "t")
        point = e.choose(ALPHA)
        chosen.append(None if point is None else _true_router_diff(e.router, point.threshold))
        found += point is not None
    rate, se = _violation_rate(chosen)
    assert rate <= ALPHA + 3 * se, f"violation rate {rate:.3f} (alpha {ALPHA}, MC SE {se:.3f})"
    assert found / REPS > 0.5  # it routes something, safely, most of the time
