"""Scorers: pure functions from (output, target) to a score in [0, 1].

One small private module per scorer, as inspect-ai lays out its own; the
registry maps suite names to functions and their options.
"""

from typing import Any

from ._exact import exact
from ._f1 import f1
from ._includes import includes
from ._json_fields import first_json_object, json_fields
from ._normalize import normalize
from ._numeric import extract_numbers, numeric
from ._judge import judge_calls, parse_choice, parse_grade, parse_scale, reference_text, rubric_score, verdict_of
from ._labels import PAIRWISE_LABELS, LabelError, is_unlabelled, judged_candidates, labels_of, read_label
from ._pairwise import REFERENCE_SCORE, Verdict, consistent, pairwise_score
from ._regex import regex
from ._registry import SCORERS, JudgeOptions, score_text

__all__ = [
    "PAIRWISE_LABELS", "REFERENCE_SCORE", "SCORERS", "JudgeOptions", "LabelError", "Verdict", "is_unlabelled",
    "judged_candidates", "labels_of", "read_label", "consistent", "exact", "extract_numbers", "f1", "first_json_object",
    "harness_scorer", "includes", "json_fields", "judge_calls", "judge_scorer", "normalize", "numeric", "pairwise_score",
    "parse_choice", "parse_grade", "parse_scale", "reference_text", "regex", "rubric_score", "score_text", "verdict_of",
]


def __getattr__(name: str) -> Any:
    # The inspect-ai adapter loads inspect's scorer stack (about a second); validating a suite or
    # `harness status` needs only the registry, so the adapter loads when a task is built.
    if name in ("harness_scorer", "judge_scorer"):
        from . import _inspect

        return getattr(_inspect, name)
    raise AttributeError(f"module 'harness.scorers' has no attribute {name!r}")
