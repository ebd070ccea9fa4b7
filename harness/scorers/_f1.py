"""Token F1 against the reference answer(s), SQuAD-style."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ._normalize import answer_tokens


def f1(output: str, target: Any) -> float:
    """Token F1 (SQuAD definition); a list target scores against its best reference."""
    targets = target if isinstance(target, list) else [target]
    return max(_f1(output, str(t)) for t in targets) if targets else 0.0


def _f1(output: str, target: str) -> float:
    got, want = answer_tokens(output), answer_tokens(target)
    if not got or not want:
        return float(got == want)
    common = sum((Counter(got) & Counter(want)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)
