"""A judged task's `human_label:` field, checked against its records: named where it is wrong, never guessed."""

from __future__ import annotations

from typing import Any

from ..scorers import LabelError, is_unlabelled, judged_candidates, labels_of
from ._model import TaskDef
from ._problems import Validator
from ._yaml import Path_


def check_human_labels(v: Validator, task: TaskDef, dataset: Any, at: Path_) -> None:
    """Every labelled record's labels readable for the task's mode and scale, and the field in some record."""
    opts = task.scorer_options if task.scorer == "judge" else {}
    name = opts.get("human_label")
    if not name or not task.records:
        return
    where = at + ("scorer", "human_label")
    source = f"dataset {dataset!r}" if isinstance(dataset, str) else "the task's dataset"
    if not any(name in r for r in task.records):
        v.add(where, f"no record of {source} has the human-label field {name!r}",
              "add the field to the records people labelled, or name the field that holds the labels")
        return
    mode, scale = opts.get("mode", "pairwise"), opts.get("scale", "1-5")
    judged = judged_candidates(mode, [c.label() for c in task.candidates], task.criteria.reference)
    bad: dict[str, list[str]] = {}
    for r in task.records:
        if is_unlabelled(r.get(name)):
            continue  # an unlabelled record: agreement is measured on the labelled ones
        try:
            labels_of(r[name], mode, scale, judged)
        except LabelError as exc:
            bad.setdefault(str(exc), []).append(str(r["id"]))
    for message, ids in bad.items():
        shown = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
        v.add(where, f"{source}, field {name!r}, record id(s) {shown}: {message}",
              "fix those records' labels, or leave a record's field empty if nobody labelled it")
