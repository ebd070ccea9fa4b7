"""A cascade's acceptance checks, applied to the answers a step already gave: no answer key is used.

`parses` asks what the task's scorer would need to give a score at all (one of the labels, a number,
a JSON object with the fields, a match of its pattern); `agree` compares two answers the way the
scorer compares an answer with its target; `regex` matches a pattern; `confidence` is a threshold on
the answer's own probability (tuned by the caller).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..compound import AgreeCheck, ParsesCheck, RegexCheck
from ..scorers import extract_numbers, first_json_object, normalize, score_text


@dataclass(frozen=True)
class ScorerInfo:
    """What the checks know of the task: its scorer and options, and the labels its targets use."""

    kind: str | None = None  # None: the results came without their suite
    options: dict[str, Any] = field(default_factory=dict)
    labels: frozenset[str] = frozenset()  # normalised targets, for `parses` on an exact-match task


def parses(info: ScorerInfo, output: str) -> bool:
    first = next((line for line in output.splitlines() if line.strip()), "")
    if info.kind == "exact":
        return normalize(first) in info.labels if info.labels else bool(first.strip())
    if info.kind == "numeric":
        return bool(extract_numbers(output))
    if info.kind == "json_fields":
        obj = first_json_object(output)
        wanted = info.options.get("fields") or []
        return obj is not None and all(k in obj for k in wanted)
    if info.kind == "regex":
        flags = re.IGNORECASE if info.options.get("ignore_case", True) else 0
        return re.search(info.options["pattern"], output, flags) is not None
    return bool(output.strip())


def agree(info: ScorerInfo, a: str, b: str) -> bool:
    """Do two answers say the same, as the task's scorer would judge one against the other?"""
    if info.kind == "numeric":
        pick = info.options.get("pick", "first")
        na, nb = extract_numbers(a), extract_numbers(b)
        if not na or not nb:
            return False
        return score_text("numeric", info.options, a, nb[0] if pick == "first" else nb[-1]) == 1.0
    if info.kind == "json_fields":
        obj = first_json_object(b)
        return obj is not None and bool(obj) and score_text(
            "json_fields", {**info.options, "partial": False}, a, obj) == 1.0
    if info.kind == "exact":
        first = next((line for line in b.splitlines() if line.strip()), "")
        return bool(first.strip()) and score_text("exact", info.options, a, first) == 1.0
    return bool(normalize(a)) and normalize(a) == normalize(b)


def passes(check: ParsesCheck | RegexCheck, info: ScorerInfo, output: str) -> bool:
    if isinstance(check, ParsesCheck):
        return parses(info, output)
    return re.search(check.pattern, output) is not None


def needs_suite(check: Any) -> bool:
    return isinstance(check, ParsesCheck)


def agrees_with_epoch(check: AgreeCheck) -> bool:
    return check.with_ is None
