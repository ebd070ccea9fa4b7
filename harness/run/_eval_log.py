"""An inspect-ai `.eval` log written in one pass, each sample streamed into the zip as it is made.

inspect's own writers do not scale to 100,000 samples in a log: `write_eval_log` buffers every sample
(and drops a duplicate key by rebuilding its buffer list on each add: quadratic), the recorder's
flushes copy the whole file each time, and each zip member gets a fresh 12-thread zstd compressor
(1.4 ms a member here). This writer keeps inspect's layout (`_journal/start.json`, `samples/<id>_epoch_<n>.json`,
`_journal/summaries/1.json`, `summaries.json`, `reductions.json`, `header.json`, in that order),
serialises the header parts with inspect's own models, and compresses with DEFLATE, which inspect's
readers and `inspect view` read as they read zstd. The samples are JSON documents of inspect's
`EvalSample` schema (`tests/test_inspect_logs.py` reads them back through `read_eval_log`). The file is
written under a temporary name and renamed when complete: a log that exists is a finished one.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from inspect_ai.log import (EvalDataset, EvalLog, EvalMetric, EvalPlan, EvalPlanStep, EvalResults, EvalSampleReductions,
                            EvalSampleScore, EvalScore, EvalSpec, EvalStats, HeadlineMetric)
from inspect_ai.model import ModelUsage

# inspect-ai 0.3.285 (pinned) thins summaries with these; private, as _context.py's accessor is.
from inspect_ai.log._util import thin_metadata, thin_text, truncate_text

SCHEMA_VERSION = 2  # inspect's LOG_SCHEMA_VERSION for .eval logs


def _dump(model: Any) -> bytes:
    if hasattr(model, "model_dump_json"):
        return model.model_dump_json(exclude_none=True).encode()
    return json.dumps(model, separators=(",", ":"), allow_nan=True, default=str).encode()


class EvalLogWriter:
    """`add` each sample (a dict of EvalSample's JSON schema), then `finish` with the header's results."""

    def __init__(self, path: Path, spec: EvalSpec, plan: EvalPlan, scorer: str) -> None:
        self.path, self.spec, self.plan, self.scorer = path, spec, plan, scorer
        self._part = path.with_name(f".{path.name}.part")  # not *.eval: list_eval_logs never sees it
        self._zip = zipfile.ZipFile(self._part, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6,
                                    allowZip64=True)
        start = json.loads(EvalLog(version=SCHEMA_VERSION, eval=spec, plan=plan).model_dump_json(
            exclude_none=True, include={"version", "eval", "plan"}))
        self._zip.writestr("_journal/start.json", json.dumps(start, separators=(",", ":")))
        self._summaries: list[bytes] = []  # serialised: a few hundred bytes each, not pydantic objects
        self._reductions: list[tuple[str | int, list[dict[str, Any]]]] = []
        self._values: list[float] = []  # the reduced (epoch-mean) score of each scored sample
        self._by_sample: dict[str | int, list[dict[str, Any]]] = {}
        self._usage: dict[str, int] = {}
        self._samples = 0

    def add(self, sample: dict[str, Any]) -> None:
        self._zip.writestr(f"samples/{sample['id']}_epoch_{sample['epoch']}.json",
                           json.dumps(sample, separators=(",", ":"), allow_nan=True))
        self._summaries.append(json.dumps(summary(sample), separators=(",", ":"), allow_nan=True).encode())
        self._samples += 1
        score = (sample.get("scores") or {}).get(self.scorer)
        if score is not None:
            self._by_sample.setdefault(sample["id"], []).append(score)
        for usage in (sample.get("model_usage") or {}).values():
            for k, v in usage.items():
                self._usage[k] = self._usage.get(k, 0) + (v or 0)

    def finish(self, started_at: str, completed_at: str, params: dict[str, Any]) -> Path:
        summaries = b"[" + b",".join(self._summaries) + b"]"
        self._zip.writestr("_journal/summaries/1.json", summaries)
        self._zip.writestr("summaries.json", summaries)
        self._summaries = []
        reduced = []
        for sample_id, scores in self._by_sample.items():
            value = sum(float(s["value"]) for s in scores) / len(scores)
            reduced.append(EvalSampleScore(value=value, answer=scores[0].get("answer"),
                                           explanation=scores[0].get("explanation"), sample_id=sample_id))
        reductions = [EvalSampleReductions(scorer=self.scorer, reducer="mean" if self.spec.config.epochs
                                           and self.spec.config.epochs > 1 else None, samples=reduced)]
        self._zip.writestr("reductions.json", b"[" + b",".join(_dump(r) for r in reductions) + b"]")
        values = [float(s.value) for s in reduced]  # type: ignore[arg-type]
        header = EvalLog(version=SCHEMA_VERSION, status="success", eval=self.spec, plan=self.plan,
                         results=_results(self.scorer, params, values, self._samples, self.spec),
                         stats=EvalStats(started_at=started_at, completed_at=completed_at,
                                         model_usage={self.spec.model: ModelUsage(**self._usage)}))
        self._zip.writestr("header.json", _dump(header))
        self._zip.close()
        os.replace(self._part, self.path)
        return self.path

    def abandon(self) -> None:
        self._zip.close()
        self._part.unlink(missing_ok=True)


def _results(scorer: str, params: dict[str, Any], values: list[float], total: int, spec: EvalSpec) -> EvalResults:
    """inspect's header results for one scorer with metrics mean() and stderr() (harness_scorer's)."""
    n = len(values)
    # inspect's mean() and stderr() (scorer/_metrics): numpy's mean, std with ddof=1 over sqrt(n); 0 when empty
    mean = float(np.mean(values)) if n else 0.0
    stderr = float(np.std(values, ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    reducer = "mean" if spec.config.epochs and spec.config.epochs > 1 else None
    score = EvalScore(name=scorer, scorer=scorer, reducer=reducer, scored_samples=n,
                      unscored_samples=len(spec.dataset.sample_ids or []) - n, params=params,
                      metrics={"mean": EvalMetric(name="mean", value=mean), "stderr": EvalMetric(name="stderr", value=stderr)})
    return EvalResults(total_samples=total // max(spec.config.epochs or 1, 1), completed_samples=n, scores=[score],
                       headline=HeadlineMetric(scorer=scorer, score=scorer, metric="mean"))


def summary(sample: dict[str, Any]) -> dict[str, Any]:
    """EvalSample.summary() of a sample dict, thinned the way inspect thins it (long texts cut)."""
    scores = sample.get("scores")
    out = {"id": sample["id"], "epoch": sample["epoch"],
           "input": [{**m, "content": truncate_text(m["content"])} for m in sample["input"]],
           "target": truncate_text(sample["target"]), "metadata": thin_metadata(sample.get("metadata") or {}),
           "model_usage": sample.get("model_usage") or {}, "role_usage": {}, "completed": True,
           "message_count": len(sample.get("messages") or []), "turn_count": 1 if sample.get("output", {}).get("choices") else 0}
    if scores is not None:
        out["scores"] = {k: {**s, "answer": thin_text(s["answer"]) if s.get("answer") is not None else None,
                             "explanation": thin_text(s["explanation"]) if s.get("explanation") is not None else None}
                         for k, s in scores.items()}
    if sample.get("error"):
        out["error"] = sample["error"]["message"]
    return out


def plan() -> EvalPlan:
    """The plan of a dataset task: one generate() step (what inspect records for harness's tasks)."""
    return EvalPlan(name="plan", steps=[EvalPlanStep(solver="generate", params={"tool_calls": "loop"})])


def dataset(sample_ids: list[str | int]) -> EvalDataset:
    return EvalDataset(samples=len(sample_ids), sample_ids=sample_ids, shuffled=False)
