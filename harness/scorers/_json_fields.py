"""The share of a target object's fields that the output's first JSON object gets right."""

from __future__ import annotations

import json
import math
from typing import Any

from ._normalize import normalize


def first_json_object(text: str) -> dict[str, Any] | None:
    """The first decodable JSON object in `text` (models wrap JSON in prose or code fences)."""
    decoder = json.JSONDecoder()
    for start, ch in enumerate(text):
        if ch != "{":
            continue
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _same(got: Any, want: Any, tolerance: float) -> bool:
    if isinstance(want, bool) or isinstance(got, bool):
        return got == want
    if isinstance(want, (int, float)):
        try:
            return math.isclose(float(str(got).replace(",", "").lstrip("$")), float(want), abs_tol=tolerance)
        except ValueError:
            return False
    if isinstance(want, str):
        return isinstance(got, (str, int, float)) and normalize(str(got)) == normalize(want)
    return got == want


def json_fields(output: str, target: Any, *, fields: list[str] | None = None, partial: bool = True,
                tolerance: float = 0.0) -> float:
    """Share of expected fields the output's JSON object gets right.

    `partial: false` makes it all-or-nothing. Strings compare normalised
    (case, punctuation, spaces); numbers within `tolerance`, also when the
    model wrote them as strings such as "$42.50".
    """
    expected = json.loads(target) if isinstance(target, str) else target
    if not isinstance(expected, dict) or not expected:
        raise ValueError(f"json_fields scorer: target must be a non-empty JSON object, got {target!r}")
    keys = fields or list(expected)
    got = first_json_object(output)
    if got is None:
        return 0.0
    right = sum(1 for k in keys if k in got and _same(got[k], expected.get(k), tolerance))
    return right / len(keys) if partial else float(right == len(keys))
