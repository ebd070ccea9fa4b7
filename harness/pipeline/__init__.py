"""The flow end to end: run → results → select → routing → report, for the CLI, pytest and Python users.

    from harness.pipeline import run_suites
    from harness.run import RunSettings

    done = run_suites(RunSettings(suites=[Path("evalsets/support.yaml")], limit=20), Path("reports"))
    done.decisions.table.pick("ticket_routing")      # Completed: results, decisions, routing table, report

`collect` completes a run started with `detach=True`; `decide` turns any results table into
decisions and a routing table; `run_in_rounds` is the one round loop (sequential runs, the gate).
"""

from ._costs import estimate_text, prices_text
from ._decide import (Decisions, Overrides, ResultsKind, ResultsSource, decide, load_results, report_results,
                      route_prompts, select_results)
from ._rounds import RoundGroup, RoundsDone, Scorer, run_in_rounds
from ._run import Completed, Submitted, collect, finish, plan_suites, plan_text, run_suites
from ._score import Detached, score_cells, scorer

__all__ = ["Completed", "Decisions", "Detached", "Overrides", "ResultsKind", "ResultsSource", "RoundGroup",
           "RoundsDone", "Scorer", "Submitted", "collect", "decide", "estimate_text", "finish", "load_results",
           "plan_suites", "plan_text", "prices_text", "report_results", "route_prompts", "run_in_rounds", "run_suites",
           "score_cells", "scorer", "select_results"]
