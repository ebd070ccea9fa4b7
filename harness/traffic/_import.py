"""`import_traffic`: logged calls in, a suite, its datasets and traffic.json out.

Bad lines never stop an import: each is reported with its file and line (one problem per kind,
with the lines it affects), and the rest is written. Only an import with no usable call left
raises `InputError` (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem, spans
from ..pricing import PriceNotFound, lookup_price
from ..scorers import SCORERS
from ._call import INVALID, REFUSED, SECRET, UNMATCHED, Issue
from ._fields import Keys
from ._prepare import Feature, group, prepare, task_names
from ._sources import FORMATS, read_sources
from ._sql import NOTE, SqlOptions
from ._write import dataset_path, write_datasets, write_suite, write_summary

SUMMARY_SCHEMA = "harness.traffic/v1"
JUDGE_PROVIDERS = ("openai", "anthropic", "local")
# What an open-ended feature's judge is told to value when the import writes it: generic on purpose (the
# import cannot know what the feature is for), and written into the suite so that it is read and edited.
DEFAULT_RUBRIC = ("Prefer the answer that serves the request better: correct, complete, and no longer than it "
                  "needs to be. Do not prefer an answer for its length or its style alone.")


@dataclass(frozen=True)
class ImportOptions:
    """How to read the sources and what to write; the CLI's flags, one field each."""

    out: Path = Path("evalsets/traffic")
    format: str = "auto"
    feature_key: str = "feature"
    cluster_key: str | None = None  # None: the conversation id (or user) where the log has one
    sample: int | None = None  # calls per feature, seeded
    seed: int = 0
    redact: bool = False
    sql: SqlOptions = SqlOptions()
    scorers: dict[str, str] = field(default_factory=dict)  # feature -> scorer, instead of the inferred one
    judge: str | None = None  # the judge of open-ended features; None: each feature's logged (reference) model

    @property
    def suite_name(self) -> str:
        return self.out.resolve().name or "traffic"


@dataclass
class ImportSummary:
    """What an import wrote, what it measured and everything it skipped."""

    suite: Path
    summary: Path
    features: list[Feature]
    problems: list[Problem]
    counts: dict[str, int]  # calls imported, and issues by kind
    sources: dict[str, dict[str, int]]
    notes: list[str] = field(default_factory=list)


def import_traffic(sources: list[str | Path], options: ImportOptions) -> ImportSummary:
    _check(options)
    read = read_sources([str(s) for s in sources], options.format, Keys(options.feature_key, options.cluster_key),
                        options.sql)
    groups = group(read.calls)
    names = task_names(list(groups))
    features, notes, empty = [], [], []
    for name, calls in groups.items():
        f = prepare(name, calls, names[name], sample=options.sample, seed=options.seed, do_redact=options.redact,
                    scorer=options.scorers.get(name))
        if f.records:
            features.append(_with_judge(f, options.judge) if f.scorer in (None, "judge") else f)
        else:
            empty.append(Problem(f"feature {name!r}", f"all {f.calls} calls are near-empty: no task",
                                 hint="a call needs a user message and an answer with words in them"))
    notes += [f"--scorer {name}=...: no feature {name!r} in the traffic" for name in options.scorers if name not in groups]
    problems = problems_of(read.issues) + empty
    if not features:
        raise InputError(problems, title="nothing to import: no usable call is left")
    for f in features:
        f.notes += _price_note(f)
    out = options.out
    write_datasets(out, features)
    suite = write_suite(out, options.suite_name, options.seed, features)
    counts = _counts(read.calls, read.issues)
    summary = write_summary(out, _summary_json(options, read.kinds, features, problems, counts, suite))
    return ImportSummary(suite, summary, features, problems, counts, read.kinds, notes)


def _check(options: ImportOptions) -> None:
    problems = []
    if options.format not in FORMATS:
        problems.append(Problem("", f"unknown format {options.format!r}", hint=f"use one of {', '.join(FORMATS)}"))
    if options.out.exists() and not options.out.is_dir():
        problems.append(Problem(str(options.out), "--out is a file, not a folder", hint="name a folder for the suite"))
    if options.sample is not None and options.sample < 1:
        problems.append(Problem("", "--sample must be at least 1"))
    for feature, scorer in options.scorers.items():
        if scorer not in SCORERS:
            problems.append(Problem("", f"unknown scorer {scorer!r} for feature {feature!r}",
                                    hint=f"use one of {', '.join(SCORERS)}"))
    if options.judge is not None:
        provider, _, name = options.judge.partition("/")
        if provider not in JUDGE_PROVIDERS or not name:
            problems.append(Problem("", f"--judge {options.judge!r}: a judge is a local, OpenAI or Anthropic model",
                                    hint="write e.g. --judge openai/gpt-4o or --judge anthropic/claude-sonnet-4-5"))
    if problems:
        raise InputError(problems, title="invalid import options")


def _with_judge(f: Feature, judge: str | None) -> Feature:
    """An open-ended feature (or one given `--scorer FEATURE=judge`) scored by a pairwise judge against its logged
    answer: the judge is --judge, else the model that answers the feature in production (docs/traffic.md)."""
    model = judge or f.candidates[0]["model"]
    f.scorer = "judge"
    f.judge = {"type": "judge", "mode": "pairwise", "model": model, "rubric": DEFAULT_RUBRIC}
    if f.scorer_why == "--scorer":
        f.scorer_why = "--scorer judge"
    if judge is None:
        f.notes.append(f"judged by its logged model {model} (pairwise, against the logged answer): a model judging "
                       "its own answers may favour them; pass --judge MODEL for another")
    return f


def problems_of(issues: list[Issue]) -> list[Problem]:
    """One problem per (file, message), with every line that has it: "... on lines 3-9, 12 (8 lines)"."""
    lines: dict[tuple[str, str, str | None], list[int]] = {}
    for i in issues:
        if i.kind != NOTE:
            lines.setdefault((i.file, i.message, i.hint), []).extend([] if i.line is None else [i.line])
    out = []
    for (file, message, hint), where in lines.items():
        if len(where) > 1:
            message = f"{message} on lines {spans(where)} ({len(where)} lines)"
        out.append(Problem(file, message, line=where[0] if where else None, hint=hint))
    return out + [Problem(i.file, i.message, line=i.line, hint=i.hint) for i in issues if i.kind == NOTE]


def _counts(calls: list[Any], issues: list[Issue]) -> dict[str, int]:
    counts = {"calls": len(calls)}
    for kind in (INVALID, REFUSED, UNMATCHED, SECRET):
        counts[kind] = sum(1 for i in issues if i.kind == kind)
    return counts


def _price_note(f: Feature) -> list[str]:
    models = [f.candidates[0]["model"]] + ([f.judge["model"]] if f.judge else [])
    notes = []
    for model in dict.fromkeys(models):
        if model.startswith("local/"):
            continue
        try:
            lookup_price(model)
        except PriceNotFound:
            notes.append(f"no price known for {model}: add it under the suite's `prices:` (USD per million tokens)")
    return notes


def _summary_json(options: ImportOptions, kinds: dict[str, dict[str, int]], features: list[Feature],
                  problems: list[Problem], counts: dict[str, int], suite: Path | None) -> dict[str, Any]:
    return {
        "schema": SUMMARY_SCHEMA,
        "suite": suite.name if suite else None,
        "options": {"format": options.format, "feature_key": options.feature_key, "cluster_key": options.cluster_key,
                    "sample": options.sample, "seed": options.seed, "redact": options.redact,
                    "judge": options.judge},
        "sources": kinds,
        "counts": counts,
        "features": {f.name: _feature_json(f) for f in features},
        "problems": [str(p) for p in problems],
    }


def _feature_json(f: Feature) -> dict[str, Any]:
    v = f.volume
    return {
        "task": f.task, "dataset": dataset_path(f), "calls": f.calls,
        "samples": len(f.records), "distinct": f.distinct, "duplicates": f.duplicates, "near_empty": f.near_empty,
        "scorer": f.scorer, "scorer_why": f.scorer_why, "judge": f.judge, "reference": f.candidates[0], "models": f.models,
        "traffic_per_month": v.per_month if v else None,
        "observed": {"first": v.first.isoformat(), "last": v.last.isoformat(), "days": round(v.days, 3),
                     "timed_calls": v.timed} if v else None,
        "input_tokens": f.input_tokens.as_dict() if f.input_tokens else None,
        "output_tokens": f.output_tokens.as_dict() if f.output_tokens else None,
        "logged_cost_usd": f.logged_cost_usd, "clustered": f.clustered, "notes": f.notes,
    }
