"""Pure statistics on arrays of scores in [0, 1]: no I/O, no pandas.

Scores come one per sample: epochs are averaged first (`harness.results.per_sample`).

What "passing" means (docs: DESIGN "Statistics"): a candidate passes a task when
the one-sided lower bound of its mean score reaches the task's min score
(`min_score_test`) and the lower bound of its paired difference against the
reference is above -max_drop (`noninferiority_test`); the family of candidates of a
task is controlled with `holm`. Tests return `OneSidedTest`, intervals `Interval`,
both frozen dataclasses in the shape of scipy.stats results.

Methods ("auto") and why:
- 0/1 scores, independent samples: Wilson interval for a mean, exact binomial bound
  for the min-score test (never above alpha), Tango's score interval and test for
  paired differences (variance under the null: calibrated with few discordant pairs).
- fractional scores (e.g. averaged epochs), independent samples: Student t.
- clustered samples: a robust score test and interval, i.e. Miller's clustered
  sandwich variance (CR1, G/(G-1)) evaluated at the null value rather than at the
  estimate (`_robust_score` says why: the Wald clustered t passed too often).
  `clustered_se` is Miller's CR1 standard error itself; method="t" gives the Wald
  clustered t on G-1 df where it is wanted.
- a variance observed as zero is floored (`_location`), so identical scores never
  give a zero standard error, a nan, or a pass from a handful of samples.
The calibration (false-pass rate at a true difference of exactly -max_drop) is
checked by `benchmarks/calibration.py` and `tests/test_stats.py` with the
generators in `harness.stats.simulate`.

A judge's agreement with human labels: `verdict_agreement` (Cohen's kappa) and `grade_agreement`
(Spearman's rho) return an `Agreement` (docs/judge.md).

Sequential (anytime-valid) tests for stopping evals early: `confidence_sequence`,
`SequentialTest`, `sequential_decisions` (betting confidence sequences of
Waudby-Smith & Ramdas 2023), `pass_probability` (futility: drop a candidate that
can no longer realistically pass); docs/sequential.md.
"""

from harness.stats._agreement import (KAPPA_THRESHOLD, MIN_LABELS, SPEARMAN_THRESHOLD, Agreement, grade_agreement,
                                      verdict_agreement)
from harness.stats._location import clustered_se
from harness.stats._mean import mean_interval, min_score_test
from harness.stats._multiplicity import fixed_sequence, holm
from harness.stats._paired import noninferiority_test, paired_difference
from harness.stats._power import minimum_detectable_effect, samples_needed
from harness.stats._results import Interval, OneSidedTest
from harness.stats._sequential import (
    FUTILITY_BELOW,
    SEQUENTIAL_HORIZON,
    SequentialState,
    SequentialTest,
    anytime_pvalue,
    bonferroni_alpha,
    confidence_sequence,
    log_capital,
    pass_probability,
    pass_probability_at_looks,
    sequential_decisions,
)

__all__ = [
    "KAPPA_THRESHOLD",
    "MIN_LABELS",
    "SPEARMAN_THRESHOLD",
    "Agreement",
    "grade_agreement",
    "verdict_agreement",
    "FUTILITY_BELOW",
    "SEQUENTIAL_HORIZON",
    "anytime_pvalue",
    "pass_probability",
    "pass_probability_at_looks",
    "Interval",
    "OneSidedTest",
    "SequentialState",
    "SequentialTest",
    "bonferroni_alpha",
    "clustered_se",
    "confidence_sequence",
    "fixed_sequence",
    "holm",
    "log_capital",
    "mean_interval",
    "min_score_test",
    "minimum_detectable_effect",
    "noninferiority_test",
    "paired_difference",
    "samples_needed",
    "sequential_decisions",
]
