"""`pytest --eval`: the eval suites' tasks as pytest items, one per task × routed candidate.

Registered through the `pytest11` entry point, so it is active in any project that installs
harness (`-p no:harness` turns it off). Without `--eval` it collects nothing and imports nothing
heavy: an ordinary test run loads no suite, imports no inspect-ai and calls no model; the terminal
summary says that the eval items were not run. See docs/gate.md.

Which candidate an item tests: `--eval-model` (a candidate id of the task, or `provider/model`
with the routed configuration), else the route of `--eval-routing` (default
`reports/routing.json` under the rootdir when it exists; tasks it does not route get its
default), else the task's reference (what runs today), else every candidate of a task that
has no reference. An item passes when the candidate meets the task's criteria: its score
reaches `min_score`, and it is non-inferior to the task's reference within `max_drop`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # typing only: without --eval the plugin must import nothing heavy
    from .candidates import Candidate
    from .gate import CompoundSide, Judgement
    from .routing import RoutingTable
    from .suite import Suite, TaskDef

NOT_RUN = "eval items not run: pass --eval"
_TABLE = pytest.StashKey["RoutingTable | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("harness-eval", "harness eval suites (pytest --eval)")
    g.addoption("--eval", action="store_true", dest="harness_eval",
                help="run the eval suites' tasks as test items (they call models)")
    g.addoption("--eval-suite", action="append", dest="harness_eval_suites", metavar="FILE",
                help="suite file, repeatable (default: evalsets/*.yaml under the rootdir)")
    g.addoption("--eval-routing", dest="harness_eval_routing", metavar="FILE",
                help="routing table whose routes are tested (default: reports/routing.json when it exists, "
                     "else each task's reference)")
    g.addoption("--eval-limit", type=_positive, dest="harness_eval_limit", metavar="N",
                help="seeded random subset of N samples per task (default: the suite's `sample:`)")
    g.addoption("--eval-model", dest="harness_eval_model", metavar="MODEL_OR_ID",
                help="test this instead of the routed candidate: a candidate id, or provider/model")
    g.addoption("--eval-reports", dest="harness_eval_reports", metavar="DIR",
                help="inspect logs and the journal (default: reports under the rootdir)")


def _positive(text: str) -> int:
    import argparse

    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "eval: a harness eval item (task × candidate); runs only with --eval")


def _suite_paths(config: pytest.Config) -> list[Path]:
    given = config.getoption("harness_eval_suites")
    if given:
        return [Path(config.invocation_params.dir, p) for p in given]
    return sorted((config.rootpath / "evalsets").glob("*.yaml"))


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselect: they must see the eval items
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("harness_eval"):
        return
    paths = _suite_paths(config)
    _check_paths(config, paths)
    start = len(items)
    for path in paths:
        # A suite outside the rootdir gets its absolute path as node id (pytest would write "::name").
        outside = not path.resolve().is_relative_to(config.rootpath)
        collector = EvalSuite.from_parent(session, path=path, **({"nodeid": str(path.resolve())} if outside else {}))
        # Through the collection hooks, so errors and counts show up as for any collected file.
        report = collector.ihook.pytest_make_collect_report(collector=collector)
        collector.ihook.pytest_collectreport(report=report)
        if report.passed:
            items.extend(x for x in report.result if isinstance(x, pytest.Item))
    _check_model(config, [x for x in items[start:] if isinstance(x, EvalItem)], paths)


def _check_paths(config: pytest.Config, paths: list[Path]) -> None:
    """A suite or routing table that is not there fails the session: a CI job must not go green on a typo."""
    missing = [p for p in paths if not p.is_file()]
    if missing or not paths:
        found = sorted((config.rootpath / "evalsets").glob("*.yaml"))
        raise pytest.UsageError(f"harness: {'no suite file at ' + ', '.join(map(str, missing)) if missing else 'no suites'}"
                                f" (suites in {config.rootpath / 'evalsets'}: "
                                f"{', '.join(p.name for p in found) or 'none'}); pass --eval-suite FILE")
    given = config.getoption("harness_eval_routing")
    if given and not Path(config.invocation_params.dir, given).is_file():
        default = config.rootpath / "reports" / "routing.json"
        raise pytest.UsageError(f"harness: --eval-routing {given}: no such file"
                                + (f" (there is {default})" if default.is_file() else "")
                                + "; write one with `harness run` or `harness select`")


def _check_model(config: pytest.Config, items: list[EvalItem], paths: list[Path]) -> None:
    model = config.getoption("harness_eval_model")
    if not model or "/" in model or not items:
        return
    known = sorted({c.label() for item in items for c in item.task.candidates})
    if model not in known:
        raise pytest.UsageError(f"harness: --eval-model {model!r} is not a candidate of any task in "
                                f"{', '.join(p.name for p in paths)} (candidates: {', '.join(known)}); give a "
                                "candidate id, or provider/model to test the routed configuration on another model")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if config.getoption("harness_eval"):
        return
    paths = _suite_paths(config)
    if paths:
        tasks = sum(_count_tasks(p) for p in paths)
        where = ", ".join(_rel(p, config.rootpath) for p in paths)
        terminalreporter.write_line(f"harness: {NOT_RUN} ({tasks} task(s) in {where}; they call models)")


def _count_tasks(path: Path) -> int:
    import yaml  # a cheap count; the suites are validated only when they run

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return len(data.get("tasks") or []) if isinstance(data, dict) else 0
    except (OSError, yaml.YAMLError):
        return 0


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def _routing(config: pytest.Config) -> RoutingTable | None:
    if _TABLE not in config.stash:
        from . import routing

        given = config.getoption("harness_eval_routing")
        path = Path(config.invocation_params.dir, given) if given else config.rootpath / "reports" / "routing.json"
        config.stash[_TABLE] = routing.load(path) if given or path.is_file() else None
    return config.stash[_TABLE]


class EvalSuite(pytest.File):
    """A suite file: one item per task × routed candidate."""

    def collect(self) -> Any:
        from .suite import load_suite

        suite = load_suite(self.path)
        table = _routing(self.config)
        for task in suite.tasks:
            for cand, origin, problem in _routed(task, table, self.config.getoption("harness_eval_model")):
                item = EvalItem.from_parent(self, name=f"{task.name}[{_label(cand)}]", suite=suite, task=task,
                                            candidate=cand, origin=origin, problem=problem)
                item.add_marker("eval")
                yield item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from .errors import HarnessError

        if isinstance(excinfo.value, HarnessError):
            return f"harness: {excinfo.value}"
        return super().repr_failure(excinfo)


def _label(side: Any) -> str:
    from . import gate

    return gate.label(side)


def _routed(task: TaskDef, table: RoutingTable | None, model: str | None
            ) -> list[tuple[Candidate | CompoundSide, str, str | None]]:
    from . import gate as ev

    if table is not None:
        route = table.pick(task.name)
        origin = "route" if task.name in table.routes else "default route"
        routed = [(ev.route_side(task, route), origin)]
    elif task.criteria.reference is not None:
        routed = [(task.candidate(task.criteria.reference), "reference")]
    else:
        routed = [(c, "candidate") for c in task.candidates]
    if model is None:
        return [(c, origin, None) for c, origin in routed]
    if "/" in model and isinstance(routed[0][0], ev.CompoundSide):
        return [(routed[0][0], f"--eval-model {model}", f"the route of task {task.name!r} is compound "
                 f"({ev.describe(routed[0][0])}): --eval-model provider/model cannot stand in for its steps; "
                 "name one of the task's candidates instead")]
    if "/" in model:
        return [(ev.with_model(c, model), f"--eval-model {model}", None) for c, _ in routed]
    chosen = next((c for c in task.candidates if c.label() == model), None)
    if chosen is None:
        return [(routed[0][0], f"--eval-model {model}", f"--eval-model {model!r} is not a candidate of task "
                 f"{task.name!r} (its candidates: {', '.join(c.label() for c in task.candidates)})")]
    return [(chosen, f"--eval-model {model}", None)]


class EvalFailed(Exception):
    def __init__(self, judgement: Judgement):
        super().__init__(judgement.message)
        self.judgement = judgement


class EvalItem(pytest.Item):
    """One candidate on one task; passes when it meets the task's criteria."""

    def __init__(self, *, suite: Suite, task: TaskDef, candidate: Candidate | CompoundSide, origin: str,
                 problem: str | None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite, self.task, self.candidate, self.origin, self.problem = suite, task, candidate, origin, problem
        self.reference: Candidate | CompoundSide | None = None

    def runtest(self) -> None:
        from . import gate

        if self.problem:  # a failure, not a skip: a typo must not let a CI job go green
            pytest.fail(self.problem, pytrace=False)
        why = gate.side_problem(self.task, self.candidate)
        if why is not None:  # e.g. a default route whose prompt variant this task does not define
            pytest.skip(why)
        ref_id = self.task.criteria.reference
        ref = self.task.candidate(ref_id) if ref_id else None
        cand = self.candidate
        if ref is not None and not isinstance(cand, gate.CompoundSide) and gate.same_settings(ref, cand):
            ref = None  # the reference itself: only min_score applies
        if ref is not None:
            ref, cand = gate.distinct(ref, cand)
        self.reference = ref
        k = self.task.criteria
        if ref is None and k.min_score is None:  # decided before any model is called
            pytest.skip(f"nothing to check: {gate.label(cand)} is the reference of task {self.task.name!r}, "
                        "which sets no min_score")
        loc = gate.Located(self.suite, self.task)
        ids = gate.sample_ids(loc, self.config.getoption("harness_eval_limit"), full=False)
        reports = self.config.getoption("harness_eval_reports")
        reports = Path(self.config.invocation_params.dir, reports) if reports else self.config.rootpath / "reports"
        swap = gate.Swap(loc, cand, ref, ids, k.without_reference(), gate.label(cand),
                         gate.label(ref) if ref is not None else "reference")
        (j,) = gate.judge_swaps([swap], reports, display="none", say=lambda _: None)
        if j.score is not None:
            self.user_properties += [("score", round(j.score.estimate, 4)), ("n", j.n), ("verdict", j.status)]
        if j.status == gate.GateStatus.NOT_GATED:
            pytest.skip(j.message)
        if j.failed:
            raise EvalFailed(j)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from .errors import HarnessError
        from .gate import failure_text

        if isinstance(excinfo.value, EvalFailed):
            return failure_text(self.name, self.candidate, self.origin, self.reference, excinfo.value.judgement)
        if isinstance(excinfo.value, HarnessError):
            return f"harness: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"eval {self.name} ({self.origin})"
