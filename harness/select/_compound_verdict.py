"""A compound candidate's verdict, in the vocabulary of the single candidates' ones."""

from __future__ import annotations

from .. import stats
from ..compound import CascadeSpec
from ..criteria import Criteria
from ._compound import CompoundEval, Point
from ._decision import Status, Verdict


def compound_verdict(e: CompoundEval, level: float, p_adjusted: float, c: Criteria, family: int) -> Verdict:
    """Pass when Holm reaches it and fixed-sequence testing at that level rejects a threshold; the point
    shown is the chosen (cheapest rejected) one, else the most conservative one."""
    point = e.choose(level) if p_adjusted <= c.alpha else None
    shown = e.chosen if point is not None else 0
    scores = e.scores[shown]
    p = point or e.points[0]
    diff = None
    if e.reference is not None:
        diff = stats.paired_difference(scores, e.reference, e.clusters, 1 - 2 * c.alpha)
    if point is not None:
        status, reason = Status.PASS, _pass_text(e, point, diff, c, p_adjusted)
    elif diff is not None and diff.high < -c.margin:
        status, reason = Status.FAIL, (f"proven worse than {c.reference}: difference {diff.estimate:+.3f}, upper bound "
                                       f"{diff.high:+.3f} below -{c.margin:.3f} ({_where(e, p)})")
    else:
        status, reason = Status.INCONCLUSIVE, (f"not shown at alpha {c.alpha:g} over {len(e.points)} threshold(s) "
                                               f"(adjusted p = {p_adjusted:.3g}; {_where(e, p)})")
    config = {"compound": e.spec.model_dump(mode="json", by_alias=True, exclude_none=True),
              "threshold": p.threshold, "shares": list(p.shares)}
    return Verdict(candidate=e.label, model=f"compound/{e.spec.kind}", config=config, status=status, reason=reason,
                   score=stats.mean_interval(scores, e.clusters, 0.95), cost_per_call=p.cost, eval_cost=0.0,
                   difference=diff, p_value=e.p_value, p_adjusted=p_adjusted, samples=len(e.test_samples), compound=e)


def _where(e: CompoundEval, p: Point) -> str:
    steps = e.spec.steps if isinstance(e.spec, CascadeSpec) else [e.spec.cheap, e.spec.fallback]
    shares = ", ".join(f"{name} {share:.0%}" for name, share in zip(steps, p.shares))
    held = f"; judged on the {len(e.test_samples)} samples it did not learn on" if e.train_samples else ""
    at = f" at threshold {p.threshold:.3g}" if p.threshold is not None else ""
    return f"answered by {shares}{at}{held}"


def _pass_text(e: CompoundEval, p: Point, diff, c: Criteria, p_adjusted: float) -> str:
    parts = []
    if diff is not None:
        parts.append(f"not worse than {c.reference} by more than {c.margin:.3f} (difference {diff.estimate:+.3f}, "
                     f"lower bound {diff.low:+.3f})")
    if c.min_score is not None:
        parts.append(f"score {p.score:.3f} reaches min_score {c.min_score:.3f}")
    tried = (f"; {e.rejected} of {len(e.points)} thresholds shown safe (fixed-sequence), the cheapest chosen"
             if len(e.points) > 1 else "")
    return "; ".join(parts) + f" ({_where(e, p)}){tried}; adjusted p = {p_adjusted:.3g}"
