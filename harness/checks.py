"""A cascade's acceptance checks on answer texts: no answer key is used.

One implementation for both places a check runs: `harness.select` applies them to the answers the
results already hold (to evaluate a cascade), and `harness.routing` applies them to live responses
(`route.call`), so a route at run time accepts exactly the answers its evaluation accepted.
`parses` asks what the task's scorer would need to give a score at all (one of the labels, a number,
a JSON object with the fields, a match of its pattern); `agree` compares two answers the way the
scorer compares an answer with its target; `regex` matches a pattern; `confident` is the threshold
rule on an answer's own probability. Only the scorers and the standard library are imported: an
application that loads a routing table does not pay for pandas.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field
from typing import Any

from .compound import AgreeCheck, ParsesCheck, RegexCheck
from .scorers import extract_numbers, first_json_object, normalize, score_text


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


def answer_probability(logprobs: list[Any]) -> float | None:
    """An answer's own probability from its tokens' log-probabilities: exp of their sum. None when there are
    none or one is not a number. One rule for the results' `confidence` column (batch, local models) and for
    a live response (`route.call`), so a confidence check accepts at run time what it accepted in the eval."""
    # numbers.Real, not (int, float): llama-cpp-python hands back numpy float32 values
    if not logprobs or any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in logprobs):
        return None
    return float(math.exp(max(float(sum(logprobs)), -745.0)))  # below that exp underflows to 0


def confident(confidence: float | None, threshold: float | None) -> bool:
    """A confidence check accepts an answer whose probability reaches the threshold. An answer without
    one (no log-probabilities, NaN) is never accepted, and no threshold accepts nothing: both escalate,
    which costs more but cannot make the answers worse than the next step's."""
    if confidence is None or threshold is None or confidence != confidence:
        return False
    return confidence >= threshold


def needs_suite(check: Any) -> bool:
    return isinstance(check, ParsesCheck)


def agrees_with_epoch(check: AgreeCheck) -> bool:
    return check.with_ is None
