"""Writing an import: one dataset per feature, the suite file, and traffic.json beside them.

The suite is checked with harness's own loader before the import returns, so what `harness
traffic import` writes is always what `harness validate` accepts. Open-ended features (no
mechanical answer key) get a pairwise judge scorer against their logged answer (docs/traffic.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from ..files import write_atomic
from ..suite import load_suite, schema_text
from ._prepare import Feature

SCHEMA = "suite.schema.json"
_HEADER = """\
# yaml-language-server: $schema={schema}
# Written by `harness traffic import` from logged production calls: one task per feature, the model
# and settings that answer it in production as the reference candidate, the logged answer as the
# reference answer. Add the candidates to compare under each task's `candidates:`. Open-ended
# features are scored by a pairwise judge: read its `rubric:` and make it say what the feature is for.
# Counts, token distributions and every skipped line: traffic.json.
"""


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (system prompts) as literal blocks, so the suite reads like the bundled ones."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Only text that starts and ends with a visible character: a literal block would need indicators
    # (|2+) for leading or trailing blank space, which no person reads at a glance ("\n" as a stop sequence).
    style = None if "\n" not in value else "|" if value == value.strip() else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110,
                     default_flow_style=False)


def dataset_path(f: Feature) -> str:
    return f"data/{f.task}.jsonl"


def write_datasets(out: Path, features: list[Feature]) -> None:
    for f in features:
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in f.records)
        write_atomic(out / dataset_path(f), lines)


def write_suite(out: Path, name: str, seed: int, features: list[Feature]) -> Path:
    """The suite file, one task per feature, checked by the suite loader."""
    tasks = [task_fields(f) for f in features]
    head = {"suite": name, "description": f"Logged production traffic, {len(features)} feature(s)", "seed": seed}
    text = _HEADER.format(schema=_schema_ref(out)) + _dump(head) + "\n" + _dump({"tasks": tasks})
    path = write_atomic(out / f"{name}.yaml", text)
    load_suite(path)  # raises InputError if harness would refuse what it wrote
    return path


def task_fields(f: Feature) -> dict[str, Any]:
    task: dict[str, Any] = {"name": f.task, "description": describe(f), "dataset": dataset_path(f)}
    if f.system:
        task["system"] = f.system
    task["prompt"] = "{{input}}"
    task["target"] = "reference_answer"
    task["scorer"] = f.judge or f.scorer
    if f.clustered:
        task["cluster"] = "cluster"
    if f.volume and f.volume.per_month is not None:
        task["traffic_per_month"] = f.volume.per_month
    task["criteria"] = {"reference": f.reference}
    task["candidates"] = f.candidates
    return task


def describe(f: Feature) -> str:
    """The task's description: where its numbers come from, for a person reading the suite."""
    text = f"Feature {f.name!r} of the logged traffic: {f.calls} calls"
    if f.volume:
        text += f" from {f.volume.first:%Y-%m-%d} to {f.volume.last:%Y-%m-%d}"
        if f.volume.per_month is not None:
            text += f" (about {f.volume.per_month:,} a month)"
    text += f", {len(f.records)} distinct in the dataset."
    for label, s in (("Input", f.input_tokens), ("Output", f.output_tokens)):
        if s:
            text += f" {label} tokens: median {s.median:g}, p90 {s.p90:g}."
    kind = f"judged pairwise by {f.judge['model']} against the logged answer" if f.judge else f"scored {f.scorer}"
    return text + f" Answers: {f.scorer_why} ({kind})."


def _schema_ref(out: Path) -> str:
    """The JSON Schema for editors: the project's own when out/ or a folder above it has one, else a copy."""
    here = out.resolve()
    for folder in (here, *here.parents):
        if (folder / SCHEMA).is_file():
            return Path(os.path.relpath(folder / SCHEMA, here)).as_posix()
    write_atomic(out / SCHEMA, schema_text())
    return SCHEMA


def write_summary(out: Path, summary: dict[str, Any]) -> Path:
    return write_atomic(out / "traffic.json", json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
