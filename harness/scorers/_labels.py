"""Human labels of a judged task's answers (`scorer: {type: judge, ..., human_label: FIELD}`), read into one form.

A label is a person's verdict on the very answer the judge saw: pairwise, better / same / worse for the
candidate's answer against the reference answer (or the judge's folded score for it: 1, 0.5, 0); rubric, a
grade on the task's scale. A record's field holds either one label, for the task's one judged candidate, or
a mapping {candidate id: label} (in a CSV cell, as JSON text). Agreement with the judge: docs/judge.md.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ._judge import parse_scale

PAIRWISE_LABELS = ("worse", "same", "better")  # ordered: the candidate's folded score 0, 0.5, 1
_WORDS = {"better": "better", "win": "better", "same": "same", "tie": "same", "worse": "worse", "loss": "worse"}
_SCORES = {1.0: "better", 0.5: "same", 0.0: "worse"}


class LabelError(ValueError):
    """A human label harness cannot read; the message says what is accepted."""


def is_unlabelled(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, float) and math.isnan(raw))


def read_label(raw: Any, mode: str, scale: str = "1-5") -> str | int:
    """One label: "better"/"same"/"worse" (pairwise) or a whole grade on `scale` (rubric); LabelError if neither."""
    if mode == "pairwise":
        if isinstance(raw, str) and raw.strip().lower() in _WORDS:
            return _WORDS[raw.strip().lower()]
        number = _number(raw)
        if number in _SCORES:
            return _SCORES[number]
        raise LabelError(f"{raw!r} is not a pairwise label: write better, same or worse (the candidate's answer "
                         "against the reference answer), or the score 1, 0.5 or 0")
    low, high = parse_scale(scale)
    number = _number(raw)
    if number is None or number != int(number) or not low <= number <= high:
        raise LabelError(f"{raw!r} is not a grade on the scale {low}-{high}: write a whole number from {low} to {high}")
    return int(number)


def labels_of(raw: Any, mode: str, scale: str, judged: list[str]) -> dict[str, str | int]:
    """A record's labels by candidate id. `judged`: the candidates whose answers the judge judges (pairwise:
    every candidate but the reference). A single label belongs to the one judged candidate; LabelError when
    there are several (the mapping form names them) or a key is not a judged candidate."""
    if isinstance(raw, str) and raw.strip().startswith("{"):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise LabelError(f"{raw!r} is not a JSON object of {{candidate: label}}") from None
    if isinstance(raw, dict):
        out = {}
        for cid, label in raw.items():
            if cid not in judged:
                what = "the reference, which the judge does not judge" if mode == "pairwise" else "not a candidate"
                raise LabelError(f"labels candidate {cid!r}, {what}: label one of {', '.join(judged)}")
            if not is_unlabelled(label):
                out[cid] = read_label(label, mode, scale)
        return out
    if len(judged) != 1:
        raise LabelError(f"one label for {len(judged)} judged candidates ({', '.join(judged)}): write "
                         f"{{{judged[0]}: label, ...}} to say whose answer each label is about")
    return {judged[0]: read_label(raw, mode, scale)}


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            return None
    return None


def judged_candidates(mode: str, candidates: list[str], reference: str | None) -> list[str]:
    """The candidates whose answers a judge judges, so whose answers people can label: pairwise, all but the
    reference (0.5 by construction); rubric, every candidate."""
    return [c for c in candidates if mode != "pairwise" or c != reference]
