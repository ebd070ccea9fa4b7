"""Name -> scorer function, with each scorer's options as a typed model.

The options models give suite validation precise errors ("scorer.tolerance:
Input should be a valid number") for free, and document each scorer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ._exact import exact
from ._f1 import f1
from ._includes import includes
from ._judge import parse_scale
from ._json_fields import json_fields
from ._numeric import numeric
from ._regex import regex


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExactOptions(_Options):
    ignore_case: bool = Field(True, description="compare case-insensitively")
    ignore_punctuation: bool = Field(True, description="drop punctuation before comparing")
    first_line: bool = Field(True, description="compare only the output's first non-empty line")


class IncludesOptions(_Options):
    ignore_case: bool = Field(True, description="compare case-insensitively")
    ignore_punctuation: bool = Field(False, description="drop punctuation before comparing")


class RegexOptions(_Options):
    pattern: str = Field(description="regular expression; its first group (or the whole match) is compared")
    ignore_case: bool = Field(True, description="compare case-insensitively")


class NumericOptions(_Options):
    tolerance: float = Field(0.0, ge=0, description="absolute difference accepted")
    relative_tolerance: float = Field(0.0, ge=0, description="difference accepted, as a share of the target")
    pick: Literal["first", "last"] = Field("first", description="which number of the output is the answer")


class JsonFieldsOptions(_Options):
    fields: list[str] | None = Field(None, description="the fields compared (default: every field of the target)")
    partial: bool = Field(True, description="score the share of matching fields; false: 1 only when all match")
    tolerance: float = Field(0.0, ge=0, description="absolute difference accepted for numeric fields")


class F1Options(_Options):
    pass


class JudgeOptions(_Options):
    mode: Literal["pairwise", "rubric"] = Field(description="pairwise: the candidate's answer against the reference "
                                                "answer, in both orders (docs/judge.md); rubric: a grade on `scale`")
    model: str = Field(description="the judge, a model like any candidate: local/<model>, openai/<model> or "
                                   "anthropic/<model>; its calls are journaled and count as eval cost")
    rubric: str = Field("Value answers that are correct, complete and helpful for the request.",
                        description="what the judge is told to value (the text of its instructions)")
    scale: str = Field("1-5", description="rubric mode: the grades, LOW-HIGH; a grade g scores "
                                          "(g - LOW) / (HIGH - LOW)")
    reference: str | None = Field(None, description="pairwise mode: the record field of the reference answer "
                                                    "(default: the task's `target` field)")
    max_tokens: int = Field(256, ge=1, description="the judge's max_tokens per call")
    human_label: str | None = Field(None, description="a record field with people's labels of the answers, to "
                                    "measure the judge's agreement with them: pairwise better/same/worse, rubric "
                                    "grades; one label, or {candidate id: label} (docs/judge.md)")

    @field_validator("scale")
    @classmethod
    def _scale(cls, value: str) -> str:
        parse_scale(value)
        return value


@dataclass(frozen=True)
class ScorerKind:
    name: str
    fn: Callable[..., float]
    options: type[_Options]
    summary: str
    judged: bool = False  # calls a model to score (harness_scorer cannot score it from the text alone)


def _judged(output: str, target: Any, **options: Any) -> float:
    raise TypeError("a judge scorer calls its model: it scores inside a run (harness.scorers.judge_scorer), "
                    "not from the text alone")


SCORERS: dict[str, ScorerKind] = {
    k.name: k
    for k in [
        ScorerKind("exact", exact, ExactOptions, "first line equals the target (normalised)"),
        ScorerKind("includes", includes, IncludesOptions, "target text appears in the output"),
        ScorerKind("regex", regex, RegexOptions, "text captured by `pattern` equals the target"),
        ScorerKind("numeric", numeric, NumericOptions, "first number within tolerance of the target"),
        ScorerKind("json_fields", json_fields, JsonFieldsOptions, "share of JSON fields that match the target object"),
        ScorerKind("f1", f1, F1Options, "token F1 against the reference answer(s)"),
        ScorerKind("judge", _judged, JudgeOptions, "a judge model compares the answer with the reference answer "
                   "(pairwise) or grades it (rubric); docs/judge.md", judged=True),
    ]
}


def score_text(kind: str, options: dict[str, Any], output: str, target: Any) -> float:
    spec = SCORERS[kind]
    return spec.fn(output, target, **spec.options(**options).model_dump())
