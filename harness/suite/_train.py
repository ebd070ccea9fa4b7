"""A task's `train:` records: what `classifier/...` candidates learn from, kept apart from what is scored.

A classifier scored on records it was trained on looks better than it is, so the training records must
be disjoint from the task's dataset (every record of it, not only a run's subset: `--limit`, `--full` and
a sequential run's rounds draw from all of them). Two records are the same sample when both give the same
`id`, or when a prompt the classifier reads renders them to the same text (whitespace and case aside).
Each kind of overlap is one problem on the task's `train` field, naming the lines of both files.
"""

from __future__ import annotations

from typing import Any

from ..candidates import CLASSIFIER_PROVIDER
from ..errors import spans
from ..templates import PLACEHOLDER, render
from ._datasets import Place, load_records
from ._model import TaskDef
from ._problems import Validator
from ._yaml import Path_

PREVIEW = 3  # ids named in a message; the count says how many there are


def resolve_train(v: Validator, task: TaskDef, m: dict[str, Any], at: Path_, train_at: Path_,
                  dataset: list[Place]) -> None:
    """Load `train:` into `task.train_records` and refuse records that are also evaluated samples.

    `dataset` holds the places of `task.records` (load_records' `located`); `train_at` is where `train:` was
    written (the task, or `defaults`)."""
    classifiers = [c for c in task.candidates if c.provider == CLASSIFIER_PROVIDER]
    if "train" not in m:
        if classifiers:
            names = ", ".join(repr(c.label()) for c in classifiers)
            v.add(at + ("train",), f"classifier candidate(s) {names} need training records, and the task has no "
                                   "`train:`", "add `train:` to the task: a .jsonl or .csv file of labelled records "
                                               "(the dataset's fields and target) that are not in its `dataset`")
        return
    located: list[Place] = []
    records = load_records(v, m["train"], train_at, task.target_field, None, m.get("encoding"), located)
    if not records or not task.records:
        return
    source = m["train"] if isinstance(m["train"], str) else None
    where = _namer(source, "the inline `train:` list")
    in_dataset = _namer(m["dataset"] if isinstance(m["dataset"], str) else None, "the inline `dataset:` list")
    variants = {c.prompt for c in classifiers} if classifiers else set(task.variants)
    templates = [task.variants[k].template for k in variants if k in task.variants]
    missing = _missing_fields(v, records, located, templates, source, train_at)
    hint = (f"a classifier must not be scored on records it was trained on: remove them from {where([])}, or "
            "from the dataset")
    ids = {r["id"]: place for r, (place, own) in zip(task.records, dataset) if own}
    same_id = [(r["id"], place, ids[r["id"]]) for r, (place, own) in zip(records, located) if own and r["id"] in ids]
    if same_id:
        v.add(train_at, f"{_count(same_id)} the id of an evaluated sample ({_preview(same_id)}): "
                        f"{where([p for _, p, _ in same_id])}; {in_dataset([p for _, _, p in same_id])}", hint)
    texts: dict[str, tuple[str, int]] = {}
    for t in templates:
        for r, (place, _) in zip(task.records, dataset):
            texts.setdefault(_normal(_render(t, r)), (r["id"], place))
    id_places = {p for _, p, _ in same_id}
    same_text = []
    for i, (r, (place, _)) in enumerate(zip(records, located)):
        if place in id_places or i in missing:
            continue
        hit = next((texts[k] for k in (_normal(_render(t, r)) for t in templates) if k in texts), None)
        if hit is not None:
            same_text.append((hit[0], place, hit[1]))
    if same_text:
        v.add(train_at, f"{_count(same_text)} the prompt text of an evaluated sample ({_preview(same_text)}), "
                        f"whitespace and case aside: {where([p for _, p, _ in same_text])}; "
                        f"{in_dataset([p for _, _, p in same_text])}", hint)
    task.train_records = records


def _missing_fields(v: Validator, records: list[dict[str, Any]], located: list[Place], templates: list[str],
                    source: str | None, train_at: Path_) -> set[int]:
    """Indexes of training records that lack a field the prompt uses (each field one problem)."""
    bad: set[int] = set()
    for name in dict.fromkeys(n for t in templates for n in PLACEHOLDER.findall(t)):
        places = [(i, place) for i, (r, (place, _)) in enumerate(zip(records, located)) if name not in r]
        if not places:
            continue
        bad |= {i for i, _ in places}
        message = f"training record has no field {name!r}, which the prompt uses ({{{{{name}}}}})"
        hint = "give the training records the dataset's fields"
        if source is not None:
            v.add_on_lines(v.path.parent / source, [p for _, p in places], message, hint)
        else:
            v.add(train_at, f"{message} in records {spans([p for _, p in places])} (counting from 0)", hint)
    return bad


def _render(template: str, record: dict[str, Any]) -> str:
    try:
        return render(template, record)
    except KeyError:  # a dataset record without the field: reported where the dataset is checked
        return ""


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _namer(source: str | None, inline: str) -> Any:
    def name(places: list[int]) -> str:
        if not places:
            return source or inline
        if source is None:
            return f"{inline} (records {spans(places)}, counting from 0)"
        return f"{source} line{'s' if len(set(places)) > 1 else ''} {spans(places)}"

    return name


def _count(found: list[Any]) -> str:
    return f"{len(found)} training record{' has' if len(found) == 1 else 's have'}"


def _preview(found: list[tuple[str, int, int]]) -> str:
    ids = list(dict.fromkeys(rid for rid, _, _ in found))
    text = ", ".join(repr(i) for i in ids[:PREVIEW])
    return text + (f" and {len(ids) - PREVIEW} more" if len(ids) > PREVIEW else "")
