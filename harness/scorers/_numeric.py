"""The first (or last) number of the output, within a tolerance of the target."""

from __future__ import annotations

import math
import re
from typing import Any, Literal

# Accepts 1,234.5 / -3 / .5 / 1e3; thousands separators are stripped before float().
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?")


def extract_numbers(text: str) -> list[float]:
    values = []
    for m in _NUMBER.finditer(text):
        token = m.group(0)
        if not any(ch.isdigit() for ch in token):
            continue
        try:
            values.append(float(token.replace(",", "")))
        except ValueError:
            continue
    return values


def numeric(output: str, target: Any, *, tolerance: float = 0.0, relative_tolerance: float = 0.0,
            pick: Literal["first", "last"] = "first") -> float:
    """1.0 when the first (or last) number in the output is within tolerance of the target.

    A match needs |x - t| <= max(tolerance, relative_tolerance * |t|); with both
    zero the comparison is exact (after float parsing, so "42.0" equals 42).
    """
    numbers = extract_numbers(output)
    if not numbers:
        return 0.0
    value = numbers[0] if pick == "first" else numbers[-1]
    try:
        expected = float(str(target).replace(",", ""))
    except ValueError:
        raise ValueError(f"numeric scorer: target {target!r} is not a number") from None
    allowed = max(tolerance, relative_tolerance * abs(expected))
    return float(math.isclose(value, expected, rel_tol=0.0, abs_tol=allowed) or value == expected)
