"""harness: eval-driven model selection.

The flow is suite -> run -> results -> select -> routing / report / gate; each stage is a
package of its own (docs/architecture.md). The names a script needs are here (docs/python-api.md):

    import harness

    done = harness.run_suites(harness.RunSettings(suites=[Path("evalsets/support.yaml")]))
    df = harness.load_results("reports/results.parquet")        # or any CSV with task, candidate, ...
    made = harness.decide(df, harness.load_suites([Path("evalsets/support.yaml")]))   # decisions + routing table
    route = harness.load_routing("reports/routing.json").pick("ticket_routing")

The stages stay reachable as what they are (`harness.select.select(df, criteria)`, `harness.routing`,
...): a name here never shadows a subpackage. Names load on first use, so `import harness` (and the pytest plugin, and `harness.routing.load`
inside an application) stays cheap: inspect-ai, pandas and matplotlib load only when needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

# public name -> (module, attribute)
_PUBLIC = {
    "RunSettings": ("harness.run", "RunSettings"),
    "run_suites": ("harness.pipeline", "run_suites"),
    "collect": ("harness.pipeline", "collect"),
    "decide": ("harness.pipeline", "decide"),
    "Overrides": ("harness.pipeline", "Overrides"),
    "load_suites": ("harness.suite", "load_suites"),
    "load_results": ("harness.results", "load"),
    "Criteria": ("harness.criteria", "Criteria"),
    "load_routing": ("harness.routing", "load"),
    "build_report": ("harness.report", "build"),
    "FakeProviders": ("harness.testing", "FakeProviders"),
    "Script": ("harness.testing", "Script"),
    "HarnessError": ("harness.errors", "HarnessError"),
    "InputError": ("harness.errors", "InputError"),
}

__all__ = ["__version__", *_PUBLIC]

if TYPE_CHECKING:
    from .criteria import Criteria
    from .errors import HarnessError, InputError
    from .pipeline import Overrides, collect, decide, run_suites
    from .report import build as build_report
    from .results import load as load_results
    from .routing import load as load_routing
    from .run import RunSettings
    from .suite import load_suites
    from .testing import FakeProviders, Script


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    module, attribute = _PUBLIC[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # the next access is an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
