"""What a feature's logged calls say about production: volume per month, token spread, answer kind.

Measured on every usable call of the feature (duplicates and near-empty calls too: they are real
traffic and real cost), not on the sample written to the dataset.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Spread:
    """A token count's distribution over a feature's calls."""

    n: int
    median: float
    p90: float
    mean: float

    def as_dict(self) -> dict[str, float]:
        return {"n": self.n, "median": self.median, "p90": self.p90, "mean": round(self.mean, 1)}


def spread(values: list[int | None]) -> Spread | None:
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    return Spread(len(known), _quantile(known, 0.5), _quantile(known, 0.9), sum(known) / len(known))


def _quantile(ordered: list[int], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default), so a median of 2 values is their mean."""
    at = (len(ordered) - 1) * q
    low = math.floor(at)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (at - low), 1)


@dataclass(frozen=True)
class Volume:
    """Calls per month, from the timestamps: (timed calls - 1) over the time they span."""

    calls: int  # every call of the feature
    timed: int  # those with a timestamp
    first: datetime
    last: datetime
    per_month: float | None  # None when the calls span no time at all

    @property
    def days(self) -> float:
        return (self.last - self.first).total_seconds() / 86400


def volume(times: list[datetime | None]) -> Volume | None:
    timed = sorted(t for t in times if t is not None)
    if not timed:
        return None
    span = (timed[-1] - timed[0]).total_seconds() / 86400
    per_month = None
    if len(timed) >= 2 and span > 0:
        # n calls span n-1 gaps; the untimed calls are taken to come from the same period
        rate = (len(timed) - 1) / span * DAYS_PER_MONTH * len(times) / len(timed)
        per_month = round(rate) if rate >= 10 else round(rate, 2)
    return Volume(len(times), len(timed), timed[0], timed[-1], per_month)


# --- the kind of answer: which mechanical scorer fits, if any --------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
MOST_LABELS = 50


def answer_kind(answers: list[str]) -> tuple[str | None, str]:
    """(scorer, why): json_fields, numeric or exact when every answer has that shape; None when open-ended."""
    answers = [a.strip() for a in answers]
    if not answers:
        return None, "no answers"
    if all(_json_object(a) for a in answers):
        return "json_fields", "every answer is a JSON object"
    if all(_NUMBER.fullmatch(a) for a in answers):
        return "numeric", "every answer is a number"
    labels = {a.lower().rstrip(".!") for a in answers}
    short = all(len(a) <= 40 and len(a.split()) <= 4 for a in answers)
    # Labels repeat: a few distinct short answers over many calls (names or ids extracted are all different).
    if short and len(labels) <= min(MOST_LABELS, 0.8 * len(answers)):
        return "exact", f"short answers from {len(labels)} label(s)"
    return None, "open-ended, no mechanical answer key"


def _json_object(text: str) -> bool:
    if not text.startswith("{"):
        return False
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(value, dict) and bool(value)
