"""Name -> scorer function, with each scorer's options as a typed model.

The options models give suite validation precise errors ("scorer.tolerance:
Input should be a valid number") for free, and document each scorer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field

from ._exact import exact
from ._f1 import f1
from ._includes import includes
from ._json_fields import json_fields
from ._numeric import numeric
from ._regex import regex


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExactOptions(_Options):
    ignore_case: bool = True
    ignore_punctuation: bool = True
    first_line: bool = True


class IncludesOptions(_Options):
    ignore_case: bool = True
    ignore_punctuation: bool = False


class RegexOptions(_Options):
    pattern: str
    ignore_case: bool = True


class NumericOptions(_Options):
    tolerance: float = Field(0.0, ge=0)
    relative_tolerance: float = Field(0.0, ge=0)
    pick: Literal["first", "last"] = "first"


class JsonFieldsOptions(_Options):
    fields: list[str] | None = None
    partial: bool = True
    tolerance: float = Field(0.0, ge=0)


class F1Options(_Options):
    pass


@dataclass(frozen=True)
class ScorerKind:
    name: str
    fn: Callable[..., float]
    options: type[_Options]
    summary: str


SCORERS: dict[str, ScorerKind] = {
    k.name: k
    for k in [
        ScorerKind("exact", exact, ExactOptions, "first line equals the target (normalised)"),
        ScorerKind("includes", includes, IncludesOptions, "target text appears in the output"),
        ScorerKind("regex", regex, RegexOptions, "text captured by `pattern` equals the target"),
        ScorerKind("numeric", numeric, NumericOptions, "first number within tolerance of the target"),
        ScorerKind("json_fields", json_fields, JsonFieldsOptions, "share of JSON fields that match the target object"),
        ScorerKind("f1", f1, F1Options, "token F1 against the reference answer(s)"),
    ]
}


def score_text(kind: str, options: dict[str, Any], output: str, target: Any) -> float:
    spec = SCORERS[kind]
    return spec.fn(output, target, **spec.options(**options).model_dump())
