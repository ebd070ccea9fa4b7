"""CI on model swaps: `harness gate` (two routing tables) and the verdicts `pytest --eval` shares.

    from harness.gate import GateOptions, run_gate, markdown
    result = run_gate(GateOptions(base=Path("base-routing.json"), head=Path("reports/routing.json")))
    print(markdown(result)); raise SystemExit(result.exit_code)

For each task whose route changed (model or configuration) between `base` and `head`, the old
and the new candidate are scored on the task's eval set (results given with `results`, finished
logs and the journal first: nothing is paid twice) and the new one must be shown non-inferior
to the old one with the task's criteria, and reach its `min_score` when it sets one.

What a task is served by is what `RoutingTable.pick(task)` returns, so a task whose route is
added was served by the base table's default before, and a task whose route is removed falls
back to the head table's default. Exit codes: 0 every change is safe, 1 a change is proven
worse or not shown safe (or a route was removed without --allow-removed), 2 a usage or
configuration error (raised as InputError before anything is run). See docs/gate.md.
"""

from ._eval import (Located, as_suite_candidate, candidate_from_route, distinct_labels, index_tasks, runnable_problem,
                    same_settings, sample_ids, with_model)
from ._compound import CompoundSide, describe, distinct, label, route_side
from ._compound import runnable_problem as side_problem
from ._gate import (ADDED, CHANGED, DEFAULT, DEFAULT_TASK, REMOVED, Change, ChangeKind, GateOptions, GateResult, diff,
                    run_gate, same_route)
from ._report import MARKER, console, failure_text, headline, junit, markdown, write
from ._swap import Swap, judge_swaps
from ._verdict import FailedSample, GateStatus, Judgement, judge, sequential_track

__all__ = ["ADDED", "CHANGED", "DEFAULT", "DEFAULT_TASK", "MARKER", "REMOVED", "Change", "ChangeKind", "CompoundSide",
           "FailedSample", "describe", "distinct", "label", "route_side", "side_problem",
           "GateOptions", "GateResult", "GateStatus", "Judgement", "Located", "Swap", "as_suite_candidate",
           "candidate_from_route", "console", "diff", "distinct_labels", "failure_text", "headline", "index_tasks",
           "judge", "judge_swaps", "junit", "markdown", "run_gate", "runnable_problem", "same_route",
           "same_settings", "sample_ids", "sequential_track", "with_model", "write"]
