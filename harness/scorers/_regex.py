"""Extract with a pattern, then compare with the target."""

from __future__ import annotations

import re
from typing import Any

from ._normalize import normalize


def regex(output: str, target: Any, *, pattern: str, ignore_case: bool = True) -> float:
    """Extract with `pattern` (its first group, or the whole match) and compare to the target.

    Extraction then comparison, rather than "target matches output", so the
    same pattern serves every sample: e.g. `Answer:\\s*(\\w+)`.
    """
    flags = re.IGNORECASE if ignore_case else 0
    match = re.search(pattern, output, flags)
    if match is None:
        return 0.0
    found = match.group(1) if match.groups() else match.group(0)
    return float(normalize(found or "", ignore_case=ignore_case) == normalize(str(target), ignore_case=ignore_case))
