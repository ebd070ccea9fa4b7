"""The results table from inspect-ai logs: your own `inspect eval` runs (or harness's), one row per sample.

    import harness.results
    df = harness.results.from_inspect_logs("logs/")                       # every log under logs/
    df = harness.results.from_inspect_logs("logs/", scorer="match", values={"C": 1, "I": 0, "P": 0.5})

Logs are listed and read with inspect-ai's own readers (`list_eval_logs`, `read_eval_log`): an
`.eval` log is a zstd zip whose layout is inspect's to change, so harness never opens one itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import ValidationError

from ..candidates import Candidate, derive_id, fingerprint
from ..errors import InputError, Problem
from ..pricing import DEFAULT_LOCAL_HOURLY_USD, ExplicitPrice
from ._files import validate
from ._table import COLUMNS, TEXT_COLUMNS, last_user_text, measures, typed

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog, EvalSample

# inspect-ai's letter grades: CORRECT, INCORRECT, PARTIAL and NOANSWER (inspect_ai.scorer); an
# unanswered sample is a wrong answer here, as a failed call is.
GRADES: dict[str, float] = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}

# Generate settings that change how calls are made, not what the model answers: a rerun with more
# connections or a longer timeout is the same candidate.
_HOW_NOT_WHAT = frozenset({"max_retries", "timeout", "attempt_timeout", "stream_idle_timeout", "max_connections",
                           "adaptive_connections", "cache", "batch", "extra_headers"})
_SHORT = 24  # longest setting value spelt out in a candidate id; longer ones become a hash
_TITLE = "cannot read the inspect logs"


def from_inspect_logs(path: Path | str, scorer: str | None = None, values: Mapping[str, float] | None = None, *,
                      prices: Mapping[str, ExplicitPrice] | None = None,
                      local_hourly_usd: float = DEFAULT_LOCAL_HOURLY_USD,
                      notes: list[str] | None = None) -> pd.DataFrame:
    """The results table of a folder (searched recursively) or a file of inspect-ai logs (.eval or .json).

    - `task`: the log's task name (for harness's own logs, the suite task it ran).
    - `candidate`: the model and its generate config, named as harness names its own candidates
      (`model:t=0,max=16`, candidates.derive_id). Two logs of one task whose model and config
      differ in something that name does not show (model args, `reasoning_effort`, two providers'
      `gpt-4o`) get the differing settings appended (`gpt-4o:reasoning_effort=low`), or a short
      hash of the config when a value is long. Settings that only change how calls are made
      (`max_connections`, timeouts, retries, cache, batch) are not part of a candidate. `model` and
      `config` (JSON: the generate config and model args) are the log's.
    - `sample_id` and `epoch`: the sample's, so candidates pair on the samples of one dataset.
      Several logs of one task and candidate (a rerun, `inspect eval-retry`) are one candidate:
      where they repeat a sample and epoch, the newest log's row is kept, and `notes` says so.
      Samples that only some candidates have are handled by selection, as for any results table
      (compared on the samples every candidate has, with a note).
    - `score`: the named `scorer`'s (default: the log's only one; with several, an InputError
      lists them). Numbers in [0, 1] and booleans pass through; text goes through `values`
      (default `GRADES`: inspect's C=1, I=0, P=0.5, N=0). Anything else is an InputError naming
      the sample and the value.
    - tokens: the sample's usage of the evaluated model (`model_usage`, every generate call of the
      sample; `output.usage` when absent), so a model-graded scorer grading with that same model
      counts too. Costs go through harness.pricing as harness's own rows do, with `prices`
      (a suite's `prices:`) winning; no price gives empty costs ("no price").
    - `error`: a sample that failed scores 0 (when its scorer gave nothing), with the message.

    Returns a validated table (`validate`); `notes` (a list) collects what was done to the input.
    """
    path = Path(path)
    where = str(path)
    grades = _grades(values, where)
    runs = [_Run.of(file, log) for file, log in _read(path, notes)]
    _name_candidates(runs)
    problems: list[Problem] = []
    rows: list[dict[str, Any]] = []
    chosen: dict[str, dict[str, str]] = {}
    for run in runs:
        name = _scorer(run, scorer, problems)
        if name is not None:
            chosen.setdefault(run.task, {})[run.file] = name
            rows += _rows(run, name, grades, {**run.prices, **(prices or {})}, local_hourly_usd, problems)
    problems += [_mixed(task, used) for task, used in chosen.items() if len(set(used.values())) > 1]
    if problems:
        raise InputError(problems, title=_TITLE)
    if not rows:
        raise InputError([Problem(where, "the logs hold no samples", hint="check that the runs finished and logged "
                                  "their samples (not --no-log-samples); `inspect view --log-dir DIR` shows them")],
                         title=_TITLE)
    df = _newest(typed(pd.DataFrame(rows, columns=COLUMNS + TEXT_COLUMNS + ["_log"])), notes)
    return validate(df, where, kind="row", notes=notes)


@dataclass
class _Run:
    """One log and the candidate it measured."""

    file: str
    log: EvalLog
    task: str
    model: str  # what pricing looks up
    config: dict[str, Any]
    identity: str  # equal for logs of one candidate
    settings: dict[str, Any]  # the flat settings a candidate name may quote when two names collide
    suite: str | None = None
    label: str = ""
    cache_prompt: bool = False
    batch: bool = False
    prices: dict[str, ExplicitPrice] | None = None

    @classmethod
    def of(cls, file: str, log: EvalLog) -> _Run:
        meta = log.eval.metadata or {}
        if "harness_cell" in meta:  # harness's own cell: its suite task, candidate id and config are recorded
            config = dict(meta.get("config") or {})
            model = str(config.pop("model", log.eval.model))
            config.pop("id", None)
            price = (log.eval.model_args or {}).get("price")  # the suite's price, passed to the journal provider
            return cls(file, log, str(meta["task"]), model, config, fingerprint("harness", meta.get("suite"),
                       meta["task"], meta["candidate"]), {"model": model, **config}, suite=meta.get("suite"),
                       label=str(meta["candidate"]), cache_prompt=bool(config.get("cache_prompt")),
                       prices=_journal_price(model, price))
        generate = {k: v for k, v in log.eval.model_generate_config.model_dump(exclude_none=True).items()
                    if k not in _HOW_NOT_WHAT}
        args = dict(log.eval.model_args or {})
        config = {**generate, **({"model_args": args} if args else {})}
        settings = {"model": log.eval.model, **generate, **{f"model_args.{k}": v for k, v in args.items()}}
        return cls(file, log, log.eval.task, log.eval.model, config, fingerprint(log.eval.task, settings), settings,
                   cache_prompt=generate.get("cache_prompt") is True, batch=bool(log.eval.model_generate_config.batch),
                   prices={})


def _journal_price(model: str, price: Any) -> dict[str, ExplicitPrice]:
    """The per-token price harness passed to its journal provider, if it is one (else the suites' apply)."""
    try:
        return {model: ExplicitPrice.model_validate(price)} if price else {}
    except ValidationError:
        return {}


def _read(path: Path, notes: list[str] | None) -> list[tuple[str, EvalLog]]:
    """(file, log) of every log at `path`, oldest first; copies of one log (one eval_id) are read once."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    where = str(path)
    if not path.exists():
        raise InputError([Problem(where, "no such file or folder", hint="give the folder `inspect eval` wrote its "
                                  "logs to (--log-dir, default ./logs) or one .eval / .json log")], title=_TITLE)
    files = [path] if path.is_file() else [Path(_local(i.name)) for i in list_eval_logs(str(path.resolve()),
                                                                                          descending=False)]
    if not files:
        raise InputError([Problem(where, "no inspect-ai logs (.eval or .json) in this folder", hint="give the folder "
                                  "`inspect eval` wrote its logs to (--log-dir, default ./logs)")], title=_TITLE)
    logs, seen = [], {}
    for file in files:
        shown = str(file if path.is_file() else path / file.relative_to(path.resolve()))
        try:
            log = read_eval_log(str(file))
        except Exception as exc:  # inspect raises many types for a file that is not one of its logs
            raise InputError([Problem(shown, f"not an inspect-ai log that inspect-ai {_inspect_version()} can "
                                      f"read: {_first_line(exc)}")], title=_TITLE) from None
        if log.eval.eval_id in seen:
            _say(notes, f"{shown} is a copy of {seen[log.eval.eval_id]} (one eval_id): read once")
            continue
        seen[log.eval.eval_id] = shown
        if not log.samples:
            _say(notes, f"{shown} holds no samples (a run that stopped before one finished, or --no-log-samples): "
                        "left out")
            continue
        if log.status != "success":
            _say(notes, f"{shown}: the run's status is {log.status!r}: the {len(log.samples or [])} sample(s) it "
                        "logged are used")
        logs.append((shown, log))
    return sorted(logs, key=lambda fl: fl[1].eval.created)


def _name_candidates(runs: list[_Run]) -> None:
    """Readable candidate ids, distinct within each task (see from_inspect_logs)."""
    for run in runs:
        if not run.label:
            s = run.settings
            run.label = derive_id(Candidate.model_construct(
                model=run.model, temperature=s.get("temperature"), max_tokens=s.get("max_tokens"),
                top_p=s.get("top_p"), stop=s.get("stop_seqs"), cache_prompt=s.get("cache_prompt") is True))
    by_name: dict[tuple[str, str], dict[str, _Run]] = {}
    for run in runs:
        by_name.setdefault((run.task, run.label), {})[run.identity] = run
    for (_, label), same in by_name.items():
        if len(same) < 2:
            continue
        keys = sorted({k for r in same.values() for k in r.settings})
        differ = [k for k in keys if len({_text(r.settings.get(k)) for r in same.values()}) > 1]
        for identity, run in same.items():
            values = [_text(run.settings.get(k)) for k in differ]
            spelt = differ and all(len(v) <= _SHORT for v in values)
            suffix = ",".join(f"{k}={v}" for k, v in zip(differ, values)) if spelt else f"config-{identity[:6]}"
            for r in runs:
                if r.identity == identity:
                    r.label = f"{label}{',' if ':' in label else ':'}{suffix}"


def _scorer(run: _Run, wanted: str | None, problems: list[Problem]) -> str | None:
    names = _scorer_names(run.log)
    if wanted is not None:
        if wanted in names:
            return wanted
        problems.append(Problem(run.file, f"no scorer {wanted!r}; the log's scorers: {', '.join(names) or 'none'}",
                                hint="name one of them (scorer=, --scorer)"))
        return None
    if len(names) == 1:
        return names[0]
    if names:
        problems.append(Problem(run.file, f"{len(names)} scorers ({', '.join(names)}): which one's score to "
                                "compare on is not named", hint=f"pass scorer= (--scorer), e.g. {names[0]}"))
    else:
        problems.append(Problem(run.file, "the log has no scores", hint="score it first (`inspect score`)"))
    return None


def _scorer_names(log: EvalLog) -> list[str]:
    names = [s.name for s in (log.results.scores if log.results else [])]
    for sample in log.samples or []:
        names += [n for n in (sample.scores or {}) if n not in names]
    return list(dict.fromkeys(names))


def _rows(run: _Run, scorer: str, grades: Mapping[str, float], prices: dict[str, ExplicitPrice], hourly: float,
          problems: list[Problem]) -> list[dict[str, Any]]:
    rows, unknown, unscored = [], {}, []
    config = json.dumps(run.config, sort_keys=True, default=str)
    for s in run.log.samples or []:
        score = _score_value(s, scorer, grades)
        given = (s.scores or {}).get(scorer)
        if score is None and s.error is None:
            if given is None:
                unscored.append(_sample_name(s))
            else:
                unknown.setdefault(_text(given.value), (given.value, []))[1].append(_sample_name(s))
            continue
        if score is None:
            # A sample that failed counts as a wrong answer, as in harness's own rows: every candidate
            # keeps its samples and comparisons stay paired; `error` says why.
            score = 0.0
        usage = (s.model_usage or {}).get(run.log.eval.model)
        rows.append({"suite": run.suite, "task": run.task, "candidate": run.label, "model": run.model,
                     "config": config, "sample_id": str(s.id), "epoch": s.epoch,
                     "cluster": _cluster(s), "score": score,
                     **measures(s, run.model, cache_prompt=run.cache_prompt, prices=prices, hourly=hourly,
                                usage=usage, batch=run.batch),
                     "error": s.error.message if s.error else None, "round": None, "planned_samples": None,
                     "input": last_user_text(s), "output": s.output.completion if s.output else "",
                     "target": s.target if isinstance(s.target, str) else json.dumps(s.target), "_log": run.file})
    problems += [_unknown_value(run.file, scorer, value, samples, grades) for value, samples in unknown.values()]
    if unscored:
        problems.append(Problem(run.file, f"no score from scorer {scorer!r} for sample {_few(unscored)}", field="score",
                                hint="score every sample (`inspect score`), or leave the log out"))
    return rows


def _unknown_value(file: str, scorer: str, value: Any, samples: list[str], grades: Mapping[str, float]) -> Problem:
    known = ", ".join(f"{k}={v:g}" for k, v in grades.items())
    if isinstance(value, str):
        hint = f"map it to a score in [0, 1]: values={{{value!r}: ...}} (--value {value}=SCORE)"
    elif isinstance(value, (int, float)):
        hint = "rescale the scorer's scores to [0, 1]"
    else:
        hint = "use a scorer whose value is one number or grade"
    shown = repr(value) if isinstance(value, str) else _text(value)
    return Problem(file, f"scorer {scorer!r} gave {shown} to sample {_few(samples)}: not a number in [0, 1] nor "
                   f"a known grade ({known})", field="score", hint=hint)


def _score_value(s: EvalSample, scorer: str, grades: Mapping[str, float]) -> float | None:
    score = (s.scores or {}).get(scorer)
    if score is None:
        return None
    value = score.value
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value) if 0 <= value <= 1 else None
    if isinstance(value, str) and value in grades:
        return float(grades[value])
    return None


def _grades(values: Mapping[str, float] | None, where: str) -> Mapping[str, float]:
    if values is None:
        return GRADES
    bad = {k: v for k, v in values.items()
           if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v) or not 0 <= v <= 1}
    if bad:
        raise InputError([Problem(where, f"values maps {k!r} to {v!r}, not a score in [0, 1]", field="values")
                          for k, v in bad.items()], title=_TITLE)
    return values


def _newest(df: pd.DataFrame, notes: list[str] | None) -> pd.DataFrame:
    """One row per (task, candidate, sample, epoch): the newest log's (rows come oldest log first)."""
    keys = ["task", "candidate", "sample_id", "epoch"]
    older = df.duplicated(keys, keep="last")
    for (task, candidate), g in df[older].groupby(["task", "candidate"], sort=False):
        logs = sorted(set(df.loc[(df["task"] == task) & (df["candidate"] == candidate), "_log"]))
        _say(notes, f"{task}/{candidate}: {len(g)} sample(s) are in more than one of its logs ({', '.join(logs)}): "
                    "the newest log's are used")
    return df[~older].drop(columns="_log").reset_index(drop=True)


def _mixed(task: str, used: dict[str, str]) -> Problem:
    listed = ", ".join(f"{name} ({file})" for file, name in used.items())
    return Problem(next(iter(used)), f"the logs of task {task!r} score with different scorers: {listed}",
                   hint="name the scorer to compare on (scorer=, --scorer)")


def _cluster(s: EvalSample) -> str | None:
    cluster = (s.metadata or {}).get("cluster")
    return None if cluster is None else str(cluster)


def _sample_name(s: EvalSample) -> str:
    return f"{s.id!r}" + (f" (epoch {s.epoch})" if s.epoch != 1 else "")


def _few(names: list[str], most: int = 5) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _local(name: str) -> str:
    """A local file URI, as inspect lists logs, back to a path."""
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(name).path) if name.startswith("file:") else name


def _say(notes: list[str] | None, note: str) -> None:
    if notes is not None:
        notes.append(note)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _inspect_version() -> str:
    from inspect_ai import __version__

    return __version__
