"""The target text appears in the output."""

from __future__ import annotations

from typing import Any

from ._normalize import normalize


def includes(output: str, target: Any, *, ignore_case: bool = True, ignore_punctuation: bool = False) -> float:
    """1.0 when the target text appears anywhere in the output."""
    norm = lambda s: normalize(str(s), ignore_case=ignore_case, ignore_punctuation=ignore_punctuation)  # noqa: E731
    needle = norm(target)
    return float(bool(needle) and needle in norm(output))
