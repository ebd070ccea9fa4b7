"""Exact match: the (first line of the) output equals the target, normalised."""

from __future__ import annotations

from typing import Any

from ._normalize import normalize


def exact(output: str, target: Any, *, ignore_case: bool = True, ignore_punctuation: bool = True,
          first_line: bool = True) -> float:
    """1.0 when the (normalised) answer equals the target.

    `first_line` exists because small chat models often add an explanation
    after a correct one-word answer; only the first non-empty line is judged.
    """
    if first_line:
        output = next((ln for ln in output.splitlines() if ln.strip()), "")
    norm = lambda s: normalize(str(s), ignore_case=ignore_case, ignore_punctuation=ignore_punctuation)  # noqa: E731
    return float(norm(output) == norm(target))
