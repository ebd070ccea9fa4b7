"""One verdict for one candidate of one task: is it safe to run it instead of what runs today?

Shared by `harness gate` (new route against old route) and `pytest --eval` (routed candidate
against the task's reference). The statistics are `harness.stats`'; this module only decides
which tests apply and words the outcome with its numbers, in the vocabulary of `harness.select`
("proven worse", "not shown", how many samples would settle it).

Both criteria of a task must hold (an intersection-union test: each at the task's alpha, no
multiplicity adjustment is needed). A task is its own family, as in `harness select`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from .. import stats
from ..criteria import Criteria
from ..results import per_sample
from ..select import Track, is_sequential, settle_text, tracks

TEXT_LIMIT = 160  # characters of a sample's input/output/target shown in a failure
# Every line boundary str.splitlines() knows: a CI log viewer, a terminal or a Markdown renderer may
# each break on another subset, and a sample's text (or a message) must stay on its line in all of them.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


class GateStatus(StrEnum):
    """The gate's verdict on one change. A task that sets only min_score still gets a comparison when
    its model changes, with the default margin (`Criteria.margin`)."""

    SAFE = "safe"
    WORSE = "proven worse"
    BELOW = "below min_score"
    NOT_SHOWN = "not shown"
    NOT_GATED = "not gated"
    REMOVED = "removed"  # a route removed without --allow-removed


SAFE, WORSE, BELOW, NOT_SHOWN, NOT_GATED = (GateStatus.SAFE, GateStatus.WORSE, GateStatus.BELOW,
                                            GateStatus.NOT_SHOWN, GateStatus.NOT_GATED)
FAILING = (WORSE, BELOW, NOT_SHOWN)


@dataclass(frozen=True)
class FailedSample:
    """A sample the new route got wrong, as the reports show it: each text one line of at most
    TEXT_LIMIT characters, however it was built, so a model's 100 kB answer cannot fill a PR comment
    past GitHub's size limit. Escaping for each output happens where it is written (`_report`)."""

    sample_id: str
    score: float
    input: str
    output: str
    target: str

    def __post_init__(self) -> None:
        for name in ("sample_id", "input", "output", "target"):
            object.__setattr__(self, name, _clip(getattr(self, name)))


@dataclass
class Judgement:
    """The verdict with every number a reviewer needs; `message` says it in one paragraph."""

    status: GateStatus
    message: str
    n: int = 0
    score: stats.Interval | None = None  # the candidate's mean, 95%
    old_score: stats.Interval | None = None
    difference: stats.Interval | None = None  # new - old, two-sided (1 - 2·alpha): low end = one-sided bound
    noninferiority: stats.OneSidedTest | None = None
    min_score: stats.OneSidedTest | None = None
    samples_needed: int | None = None
    cost_per_call: float = math.nan
    old_cost_per_call: float = math.nan
    criteria: Criteria = field(default_factory=Criteria)
    failing_samples: list[FailedSample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status in FAILING

    @property
    def judged(self) -> bool:
        """Scores were compared (False when nothing could be)."""
        return self.score is not None


def judge(new: pd.DataFrame, old: pd.DataFrame | None, criteria: Criteria, new_name: str = "new",
          old_name: str = "old") -> Judgement:
    """Verdict of `new` (results rows of one candidate on one task) against `old` (None: min_score only).

    Rows are paired on sample_id; epochs of a sample are averaged first (the sample is the unit).
    """
    if is_sequential(new) and (old is None or is_sequential(old)):
        return _judge_sequential(new, old, criteria, new_name, old_name)
    a, b, clusters, notes = _paired(new, old)
    j = _judgement(new, old, criteria, len(a), notes)
    if len(a) == 0:
        j.message = f"no sample was scored for both {new_name} and {old_name}: nothing to compare"
        return j
    j.score = stats.mean_interval(a, clusters, 0.95)
    level = 1 - 2 * criteria.alpha
    checks: list[tuple[GateStatus, str, int | None]] = []  # (status, sentence, samples needed)
    if b is not None:
        j.old_score = stats.mean_interval(b, clusters, 0.95)
        j.difference = stats.paired_difference(a, b, clusters, level)
        j.noninferiority = stats.noninferiority_test(a, b, criteria.margin, clusters, criteria.alpha)
        checks.append(_noninferiority(j.noninferiority, j.difference, criteria, new_name, old_name))
    if criteria.min_score is not None:
        j.min_score = stats.min_score_test(a, criteria.min_score, clusters, criteria.alpha)
        upper = stats.mean_interval(a, clusters, level).high
        checks.append(_min_score(j.min_score, upper, criteria))
    if not checks:
        j.message = (f"nothing to check: {new_name} has no {old_name} to be compared with and the task sets no "
                     f"min_score (score {_interval(j.score)})")
        return j
    for wanted in (WORSE, BELOW, NOT_SHOWN, SAFE):  # the worst verdict of the two criteria wins
        hits = [c for c in checks if c[0] == wanted]
        if hits:
            j.status = wanted
            j.samples_needed = max((c[2] for c in hits if c[2] is not None), default=None)
            break
    j.message = "; ".join(c[1] for c in checks)
    return j


def _judgement(new: pd.DataFrame, old: pd.DataFrame | None, criteria: Criteria, n: int,
               notes: list[str]) -> Judgement:
    """A verdict not reached yet, with what is known before any test: costs, failing samples."""
    return Judgement(status=NOT_GATED, message="", n=n, criteria=criteria, notes=notes, cost_per_call=_cost(new),
                     old_cost_per_call=_cost(old) if old is not None else math.nan, failing_samples=_failing(new))


def sequential_track(new: pd.DataFrame, old: pd.DataFrame | None, criteria: Criteria) -> Track:
    """The new candidate's anytime-valid track (rows collected in rounds), tested alone at alpha."""
    frames = [new.assign(candidate="new")] + ([old.assign(candidate="old")] if old is not None else [])
    g = pd.concat(frames, ignore_index=True)
    g = g[g["score"].notna()]
    if "prod_cost_usd" not in g.columns:
        g["prod_cost_usd"] = g.get("cost_usd", math.nan)
    if "cost_usd" not in g.columns:
        g["cost_usd"] = g["prod_cost_usd"]
    found, _ = tracks(g, criteria.min_score, criteria.margin if old is not None else None, criteria.alpha,
                      "old" if old is not None else None, family=["new"], selecting=False)
    return found["new"]


def _judge_sequential(new: pd.DataFrame, old: pd.DataFrame | None, criteria: Criteria, new_name: str,
                      old_name: str) -> Judgement:
    """Results collected in rounds (`harness run --sequential`): the anytime-valid tests at the rounds'
    ends, as `harness select` applies them, with the new candidate as the only one tested."""
    notes: list[str] = []
    a = _per_sample(new, "the new candidate", notes)
    j = _judgement(new, old, criteria, len(a), notes)
    if len(a) == 0:
        j.message = f"no sample of {new_name} was scored: nothing to compare"
        return j
    j.score = stats.mean_interval(a["score"].to_numpy(dtype=float), None, 0.95)
    if old is None and criteria.min_score is None:
        j.message = f"nothing to check: {new_name} has no {old_name} to be compared with and the task sets no min_score"
        return j
    t = sequential_track(new, old, criteria)
    j.difference, j.noninferiority, j.min_score = t.difference, t.noninferiority, t.min_score
    when = (f"at round {t.decided_round}, {t.decided_at} samples (anytime-valid)" if t.decided
            else f"({t.why}; anytime-valid tests of a run in rounds)")
    numbers = []
    if t.difference is not None:
        d = t.difference
        numbers.append(f"difference {d.estimate:+.3f} [{d.low:+.3f}, {d.high:+.3f}], margin -{criteria.margin:.3f}")
    if t.min_score is not None:
        numbers.append(f"score {t.min_score.estimate:.3f}, lower bound {t.min_score.lower_bound:.3f}, "
                       f"min_score {criteria.min_score:.3f}")
    if t.decided == "pass":
        j.status, what = SAFE, f"not worse than {old_name}" if old is not None else "reaches min_score"
    elif t.decided == "fail":
        proven_worse = t.difference is not None and t.difference.high < -criteria.margin
        j.status = WORSE if proven_worse else BELOW
        what = f"proven worse than {old_name}" if proven_worse else "below min_score"
    else:
        j.status, what = NOT_SHOWN, "not shown"
    j.message = f"{what} {when}: " + "; ".join(numbers)
    return j


def _noninferiority(ni: stats.OneSidedTest, diff: stats.Interval, c: Criteria, new: str,
                    old: str) -> tuple[GateStatus, str, int | None]:
    numbers = (f"difference {diff.estimate:+.3f} [{diff.low:+.3f}, {diff.high:+.3f}] ({diff.confidence:.0%} CI, "
               f"n={diff.n}), margin -{c.margin:.3f}")
    if ni.rejected:
        return SAFE, f"not worse than {old}: {numbers}, lower bound {ni.lower_bound:+.3f} above -{c.margin:.3f}", None
    # "proven worse" needs the evidence to exclude the margin: the one-sided upper bound is below it.
    if diff.high < -c.margin:
        return WORSE, f"proven worse than {old}: {numbers}, upper bound {diff.high:+.3f} below -{c.margin:.3f}", None
    needed = ni.samples_needed()
    return NOT_SHOWN, (f"non-inferiority to {old} not shown at alpha {c.alpha:g}: {numbers}, lower bound "
                       f"{ni.lower_bound:+.3f} not above -{c.margin:.3f}; {settle_text(needed, ni.n, math.isfinite(ni.se))}"), needed


def _min_score(ms: stats.OneSidedTest, upper: float, c: Criteria) -> tuple[GateStatus, str, int | None]:
    assert c.min_score is not None
    if ms.rejected:
        return SAFE, f"score lower bound {ms.lower_bound:.3f} ≥ min_score {c.min_score:.3f}", None
    if upper < c.min_score:
        return BELOW, (f"score {ms.estimate:.3f} is below min_score {c.min_score:.3f} "
                       f"(upper bound {upper:.3f})"), None
    needed = ms.samples_needed()
    return NOT_SHOWN, (f"min_score {c.min_score:.3f} not shown: score {ms.estimate:.3f}, lower bound "
                       f"{ms.lower_bound:.3f}; {settle_text(needed, ms.n, math.isfinite(ms.se))}"), needed


def _interval(i: stats.Interval) -> str:
    return f"{i.estimate:.3f} [{i.low:.3f}, {i.high:.3f}]"


def _per_sample(df: pd.DataFrame, name: str, notes: list[str]) -> pd.DataFrame:
    per = per_sample(df, by=())
    unscored = per["score"].isna()
    if unscored.any():  # a sample whose call failed has no score: it cannot be paired, say so
        notes.append(f"{int(unscored.sum())} sample(s) of {name} have no score (errors) and are left out")
    return per[~unscored]


def _paired(new: pd.DataFrame, old: pd.DataFrame | None
            ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, list[str]]:
    notes: list[str] = []
    a = _per_sample(new, "the new candidate", notes)
    if old is None:
        keep, b = a, None
    else:
        o = _per_sample(old, "the old candidate", notes)
        shared = a.index.intersection(o.index)
        if len(shared) < max(len(a), len(o)):
            notes.append(f"compared on the {len(shared)} samples both have ({len(a)} and {len(o)} scored)")
        keep, b = a.loc[shared], o.loc[shared, "score"].to_numpy(dtype=float)
    clusters = keep["cluster"].to_numpy() if len(keep) and keep["cluster"].notna().all() else None
    return keep["score"].to_numpy(dtype=float), b, clusters, notes


def _cost(df: pd.DataFrame) -> float:
    col = "prod_cost_usd" if "prod_cost_usd" in df.columns else "cost_usd"
    values = pd.to_numeric(df[col], errors="coerce") if col in df.columns else pd.Series(dtype=float)
    return float(values.mean()) if values.notna().any() else math.nan


def _failing(df: pd.DataFrame, limit: int = 3) -> list[FailedSample]:
    """The first few samples (in dataset order) that did not score full marks."""
    rows = df[df["score"] < 1].head(limit)
    return [FailedSample(r.sample_id, float(r.score), getattr(r, "input", ""), getattr(r, "output", ""),
                         getattr(r, "target", "")) for r in rows.itertuples()]


def one_line(value: object) -> str:
    """`value` as text on one line, each line break shown as ⏎."""
    return _LINE_BREAK.sub("⏎ ", str(value))


def _clip(value: object) -> str:
    """One line of at most TEXT_LIMIT characters; idempotent, so a FailedSample can be rebuilt from another."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else one_line(value)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"
