"""A pairwise judge's two verdicts on one sample, combined into the candidate's score.

The judge compares the candidate's answer with the reference answer twice, once in each order,
because judges favour one position. Each verdict is said from the candidate's side. The sample
scores 1 when the candidate wins in both orders, 0 when it loses in both, and 0.5 otherwise (a tie,
or a verdict that flips with the order). The reference compared with itself scores 0.5 by
construction, so the paired non-inferiority test against a constant 0.5 asks "is the candidate's
win rate at least 0.5 - max_drop?" (docs/judge.md; checked by simulation in tests/test_judge_stats.py).
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """One pairwise verdict, from the candidate's side."""

    BETTER = "better"
    SAME = "same"
    WORSE = "worse"


REFERENCE_SCORE = 0.5  # the reference judged against itself: a tie in both orders


def pairwise_score(candidate_first: Verdict, reference_first: Verdict) -> float:
    """The sample's score from the verdicts of both orders (candidate shown first, then the reference)."""
    if candidate_first == reference_first == Verdict.BETTER:
        return 1.0
    if candidate_first == reference_first == Verdict.WORSE:
        return 0.0
    return 0.5


def consistent(candidate_first: Verdict, reference_first: Verdict) -> bool:
    """Whether the judge said the same in both orders (the order-consistency rate counts these)."""
    return candidate_first == reference_first
