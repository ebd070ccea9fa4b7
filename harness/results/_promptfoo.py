"""The results table from promptfoo's JSON output (`promptfoo eval --output results.json`).

The shape followed is promptfoo 0.123.1's, as its npm package publishes it (dist/src/index.d.ts:
`OutputFile`, `EvaluateSummaryV3`, `EvaluateResult`, `GradingResult`; the writer is `writeOutput`
-> `createOutputData`, which serialises `EvalResult.toEvaluateResult()`):

    {"evalId": "...", "results": {"version": 3, "timestamp": "...", "results": [EvaluateResult, ...],
     "prompts": [...], "stats": {...}}, "config": {...}, "shareableUrl": null, "metadata": {...}}

with each EvaluateResult carrying `provider: {id, label}`, `promptIdx`, `testIdx`, `prompt: {raw,
label}`, `response: {output, ...}`, `success`, `score`, `gradingResult: {pass, score, reason}`,
`error`, `failureReason` (0 none, 1 assertion, 2 error), `latencyMs`, `cost` and `tokenUsage`
(`prompt`, `completion`, `cached`, `completionDetails.cacheReadInputTokens` ...). Older files
(`EvaluateSummaryV2`, version 2, with a `table`) hold the same `results` list and read the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, Problem, spans
from ..files import Undecodable, read_text
from ._files import validate
from ._table import COLUMNS, TEXT_COLUMNS, typed

PROMPTFOO_VERSION = "0.123.1"  # the release whose published types this module follows
_ERROR = 2  # ResultFailureReason.ERROR: the provider call failed, no answer was graded
_API_KINDS = {"chat", "completion", "messages", "responses", "assistant"}  # `openai:chat:gpt-4o` -> openai/gpt-4o
_TITLE = "cannot read the promptfoo output"
_SHAPE = ('an object {"results": {"version": 3, "results": [...]}}, as `promptfoo eval --output FILE.json` writes '
          f"(promptfoo {PROMPTFOO_VERSION}'s OutputFile)")


def from_promptfoo(path: Path | str, *, task: str | None = None, average_duplicates: bool = False,
                   notes: list[str] | None = None) -> pd.DataFrame:
    """The results table of one promptfoo output JSON file: one eval, so one task.

    - `task`: `task`, else the file's name without `.json` (so a suite's criteria can name it).
    - `candidate`: the provider's label, else its id; with more than one prompt, the prompt too
      (`openai:gpt-4o-mini:concise`: the prompt's label, or `prompt2` for an unlabelled or long one).
      `model` is the provider id in inspect's spelling where it has one (`openai:chat:gpt-4o` ->
      `openai/gpt-4o`); `config` is the provider's `config` from the eval's config, plus the prompt.
    - `sample_id`: the test's index (`testIdx`), which is the same test for every provider and
      prompt, so candidates pair on it; `epoch` 1.
    - `score`: `gradingResult.score`, else the result's `score`, else `success` as 1/0; scores
      outside [0, 1] are refused. A failed call (`error`, failureReason 2) keeps promptfoo's score
      (0) and its message in `error`.
    - `cost_usd` and `prod_cost_usd`: the result's `cost` as promptfoo priced it (empty when it
      has none). Tokens: `tokenUsage` (`prompt` counts cached input too; harness counts it apart,
      from `completionDetails.cacheReadInputTokens` / `cacheCreationInputTokens`). Latency: `latencyMs`.
    """
    path = Path(path)
    where = str(path)
    results, config = _results(path)
    problems = _field_problems(results, where)
    if problems:
        raise InputError(problems, title=_TITLE)
    prompts = _prompt_names(results)
    providers = _provider_configs(config)
    rows = [_row(r, task or path.name.removesuffix(".json"), prompts, providers) for r in results]
    bad = [i for i, row in enumerate(rows, 1) if not 0 <= row["score"] <= 1]
    if bad:
        raise InputError([Problem(where, f"score outside [0, 1] in result(s) {spans(bad)} (of results.results, from 1)",
                                  field="score", hint="harness compares scores in [0, 1]: rescale the assertions' "
                                                      "scores (or their weights)")], title=_TITLE)
    df = typed(pd.DataFrame(rows, columns=COLUMNS + TEXT_COLUMNS))
    return validate(df, where, kind="row", average_duplicates=average_duplicates, notes=notes)


def _results(path: Path) -> tuple[list[Any], dict[str, Any]]:
    """The file's EvaluateResult list and the eval's config, or InputError saying what the file is instead."""
    where = str(path)
    if not path.is_file():
        raise InputError([Problem(where, "promptfoo output file not found" if not path.exists() else "not a file",
                                  hint="write one with `promptfoo eval --output results.json`")], title=_TITLE)
    text = read_text(path)
    if isinstance(text, Undecodable):
        raise InputError([Problem(where, text.message, line=text.line, hint=text.hint)], title=_TITLE)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(where, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno,
                                  hint="give the .json file `promptfoo eval --output` wrote")], title=_TITLE) from None
    summary = doc.get("results") if isinstance(doc, dict) else None
    if isinstance(summary, list) and isinstance(doc.get("version"), int):
        summary = doc  # an EvaluateSummary saved on its own
    results = summary.get("results") if isinstance(summary, dict) else None
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        found = (f"an object with keys {', '.join(sorted(doc)[:8]) or '(none)'}" if isinstance(doc, dict)
                 else f"a JSON {type(doc).__name__.replace('dict', 'object')}")
        raise InputError([Problem(where, f"not a promptfoo output file: expected {_SHAPE}; found {found}",
                                  hint="give the file `promptfoo eval --output results.json` wrote")], title=_TITLE)
    if not results:
        raise InputError([Problem(where, "the promptfoo output has no results", hint="run the eval first")],
                         title=_TITLE)
    config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
    return results, config


def _field_problems(results: list[dict[str, Any]], where: str) -> list[Problem]:
    """One problem per missing or mistyped field, with the results it affects."""
    checks = {
        "provider": lambda r: isinstance(r.get("provider"), str) or (
            isinstance(r.get("provider"), dict) and bool(r["provider"].get("id") or r["provider"].get("label"))),
        "testIdx": lambda r: _whole(r.get("testIdx")),
        "promptIdx": lambda r: r.get("promptIdx") is None or _whole(r.get("promptIdx")),
        "score": lambda r: _score(r) is not None,
        "cost": lambda r: r.get("cost") is None or _number(r.get("cost")),
    }
    problems = []
    for name, ok in checks.items():
        bad = [i for i, r in enumerate(results, 1) if not ok(r)]
        if bad:
            what = "score (gradingResult.score, score or success)" if name == "score" else f"valid {name}"
            problems.append(Problem(where, f"result(s) {spans(bad)} (of results.results, from 1) have no {what}",
                                    field=name, hint=f"the file does not look like promptfoo {PROMPTFOO_VERSION}'s "
                                                     "--output JSON: write it again with `promptfoo eval --output`"))
    return problems


def _row(r: dict[str, Any], task: str, prompts: dict[int, str], providers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    provider = r["provider"] if isinstance(r["provider"], dict) else {"id": r["provider"]}
    pid = str(provider.get("id") or provider.get("label"))
    name = str(provider.get("label") or pid)
    prompt = prompts.get(r.get("promptIdx") or 0)
    config = dict(providers.get(name) or providers.get(pid) or {})
    if len(prompts) > 1:
        config["prompt"] = prompt
    usage = r.get("tokenUsage") if isinstance(r.get("tokenUsage"), dict) else {}
    details = usage.get("completionDetails") if isinstance(usage.get("completionDetails"), dict) else {}
    cache_read = _count(details.get("cacheReadInputTokens"))
    cache_write = _count(details.get("cacheCreationInputTokens"))
    prompt_tokens = _count(usage.get("prompt"), None)
    cost = float(r["cost"]) if r.get("cost") is not None else float("nan")
    response = r.get("response") if isinstance(r.get("response"), dict) else {}
    error = r.get("error") or (response.get("error") if r.get("failureReason") == _ERROR else None)
    latency = r.get("latencyMs")
    return {"suite": None, "task": task, "candidate": f"{name}:{prompt}" if len(prompts) > 1 else name,
            "model": _model(pid), "config": json.dumps(config, sort_keys=True, default=str),
            "sample_id": str(r["testIdx"]), "epoch": 1, "cluster": None, "score": _score(r),
            "input_tokens": float("nan") if prompt_tokens is None else max(prompt_tokens - cache_read - cache_write, 0),
            "output_tokens": _count(usage.get("completion"), float("nan")),
            "cache_read_tokens": cache_read, "cache_write_tokens": cache_write,
            "cost_usd": cost, "prod_cost_usd": cost,
            "latency_s": latency / 1000 if _number(latency) else float("nan"), "batch": False,
            "error": str(error) if error else None, "round": None, "planned_samples": None,
            "input": str((r.get("prompt") or {}).get("raw", "")) if isinstance(r.get("prompt"), dict) else "",
            "output": _text(response.get("output", "")), "target": _target(r)}


def _score(r: dict[str, Any]) -> float | None:
    grading = r.get("gradingResult")
    for value in ((grading or {}).get("score") if isinstance(grading, dict) else None, r.get("score")):
        if _number(value):
            return float(value)
    return float(r["success"]) if isinstance(r.get("success"), bool) else None


def _prompt_names(results: list[dict[str, Any]]) -> dict[int, str]:
    """promptIdx -> a name: the prompt's label when it is short and one line, else prompt<N>."""
    labels: dict[int, str] = {}
    for r in results:
        prompt = r.get("prompt") if isinstance(r.get("prompt"), dict) else {}
        labels.setdefault(r.get("promptIdx") or 0, str(prompt.get("label") or ""))
    names = {i: label if 0 < len(label) <= 40 and "\n" not in label else f"prompt{i + 1}"
             for i, label in labels.items()}
    # two prompts with one label would be one candidate: number them instead
    return {i: n if list(names.values()).count(n) == 1 else f"prompt{i + 1}" for i, n in names.items()}


def _provider_configs(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The eval config's provider settings by provider id and label (the results name only those)."""
    found: dict[str, dict[str, Any]] = {}
    providers = config.get("providers")
    for p in providers if isinstance(providers, list) else []:
        if isinstance(p, dict) and isinstance(p.get("config"), dict):
            for key in (p.get("label"), p.get("id")):
                if isinstance(key, str):
                    found.setdefault(key, p["config"])
    return found


def _model(provider_id: str) -> str:
    """promptfoo's `openai:gpt-4o-mini` / `anthropic:messages:claude-...` in inspect's provider/model spelling."""
    if "://" in provider_id or ":" not in provider_id:
        return provider_id  # file://, http(s)://, echo: no model to name
    provider, *rest = provider_id.split(":")
    if len(rest) > 1 and rest[0] in _API_KINDS:
        rest = rest[1:]
    return f"{provider}/{':'.join(rest)}"


def _target(r: dict[str, Any]) -> str:
    """What the test expected: its string assertion values (`equals: Paris`), for people reading the report."""
    test = r.get("testCase") if isinstance(r.get("testCase"), dict) else {}
    asserts = test.get("assert") if isinstance(test.get("assert"), list) else []
    return "; ".join(f"{a.get('type')}: {a['value']}" for a in asserts
                     if isinstance(a, dict) and isinstance(a.get("value"), str))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _count(value: Any, missing: Any = 0) -> Any:
    return int(value) if _number(value) and value >= 0 else missing


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
