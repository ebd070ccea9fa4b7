"""Selection: per task, which candidates pass, and the cheapest that does.

    import harness.results, harness.select
    from harness.criteria import Criteria

    df = harness.results.load("my_results.csv")
    decisions = harness.select.select(df, {"faq": Criteria(reference="big", max_drop=0.05)})
    print(harness.select.format_decisions(decisions))

Fixed-size results are tested once (paired, non-inferiority, Holm over a task's candidates,
clustered standard errors); results collected in rounds get anytime-valid tests at each round's
end (`tracks`, which also tells the round loop who gets the next round). See docs/decisions.md
and docs/sequential.md.
"""

from ..criteria import DEFAULT_MAX_DROP, Criteria
from ._decision import Status, TaskDecision, Verdict, settle_text
from ._checks import ScorerInfo
from ._compound import CompoundEval, Point, TaskCompounds
from ._replay import compound_rows
from ._select import compounds_from_suites, criteria_from_suites, decide_task, select
from ._sequential import SequentialSummary, Track, TrackState, is_sequential, open_candidates, tracks
from ._summary import format_decisions, format_table, per_candidate

# The verdicts by their old names (harness 0.1 scripts compare with these strings).
PASS, FAIL, INCONCLUSIVE, REFERENCE = Status.PASS, Status.FAIL, Status.INCONCLUSIVE, Status.REFERENCE

__all__ = ["CompoundEval", "compound_rows", "Point", "ScorerInfo", "TaskCompounds", "compounds_from_suites", "DEFAULT_MAX_DROP", "FAIL", "INCONCLUSIVE", "PASS", "REFERENCE", "Criteria", "SequentialSummary",
           "Status", "TaskDecision", "Track", "TrackState", "Verdict", "criteria_from_suites", "decide_task",
           "format_decisions", "format_table", "is_sequential", "open_candidates", "per_candidate", "select",
           "settle_text", "tracks"]
