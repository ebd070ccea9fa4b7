"""The flow end to end: run → results → select → routing → report, for the CLI, pytest and Python users.

    from harness.pipeline import run_suites
    from harness.run import RunSettings

    done = run_suites(RunSettings(suites=[Path("evalsets/support.yaml")], limit=20), Path("reports"))
    done.decisions.table.pick("ticket_routing")      # Completed: results, decisions, routing table, report

`collect` completes a run started with `detach=True`; `decide` turns any results table into
decisions and a routing table; `run_in_rounds` is the one round loop (sequential runs, the gate).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Names load on first use: `harness select` needs _decide only, and _run / _costs load inspect-ai's whole
# stack (two seconds of a ten-second budget for selecting on 10 million rows; docs/performance.md).
_WHERE = {
    "._costs": ["estimate_text", "prices_text"],
    "._decide": ["Decisions", "Overrides", "ResultsKind", "ResultsSource", "decide", "load_results", "report_results",
                 "route_prompts", "select_results"],
    "._rounds": ["RoundGroup", "RoundsDone", "Scorer", "run_in_rounds"],
    "._run": ["Completed", "Submitted", "collect", "finish", "plan_suites", "plan_text", "run_suites"],
    "._score": ["Detached", "score_cells", "scorer"],
}
_MODULE = {name: module for module, names in _WHERE.items() for name in names}

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name not in _MODULE:
        raise AttributeError(f"module 'harness.pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE[name], __name__), name)
    globals()[name] = value  # the next access is an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULE])
