"""Compound candidates: a cascade of the task's candidates, or a router that picks one of two per request.

A cascade sends a request to its first step and moves on when the step's acceptance check rejects
the answer; a router scores the request text and sends it to the cheap candidate when it predicts
the cheap answer is good enough. Both are built from results already collected (every step has
answered every sample), so evaluating them costs no model call. The specs are part of the suite
format (a task's `compound:`); the router's trained model is a plain, versioned JSON document that
`harness.routing` executes at run time without scikit-learn.

    >>> spec = CascadeSpec(kind="cascade", steps=["mini", "big"], checks=[ParsesCheck(type="parses")])
    >>> spec.label()
    'cascade:mini>big'
    >>> parse_spec("cascade:mini>big@agree=flash").label()
    'cascade:mini>big@agree=flash'
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Thresholds of a confidence check when none are given: from the most conservative (accept almost
# nothing, escalate almost everything) to the least, fixed before any data are seen, as fixed-sequence
# testing (Learn-then-Test) requires.
CONFIDENCE_GRID = (1.0, 0.999, 0.995, 0.99, 0.98, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0)
ROUTER_FORMAT = "harness.router/v1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ParsesCheck(_Strict):
    """Accept an answer that has the shape the task's scorer expects: one of the labels (exact), a number
    (numeric), a JSON object with the fields (json_fields), a match of the scorer's pattern (regex)."""

    type: Literal["parses"] = Field(description="`parses`")


class RegexCheck(_Strict):
    """Accept an answer the pattern matches (searched anywhere in it)."""

    type: Literal["regex"] = Field(description="`regex`")
    pattern: str = Field(description="a Python regular expression")


class AgreeCheck(_Strict):
    """Accept an answer that agrees with another: another candidate's (`with:`, whose call is then paid
    too), or, without `with:`, the step's own second epoch (the task must have epochs)."""

    type: Literal["agree"] = Field(description="`agree`")
    with_: str | None = Field(None, alias="with", description="the candidate id whose answer must agree")


class ConfidenceCheck(_Strict):
    """Accept an answer whose own probability (the results' `confidence`, from token log-probabilities)
    reaches a threshold; the threshold is chosen on the data with Learn-then-Test."""

    type: Literal["confidence"] = Field(description="`confidence`")
    thresholds: list[float] | None = Field(None, description="the grid to test, most conservative first "
                                                              "(default: 1.0 down to 0.0)")


Check = Annotated[ParsesCheck | RegexCheck | AgreeCheck | ConfidenceCheck, Field(discriminator="type")]


class CascadeSpec(_Strict):
    """Steps tried in order; each step but the last has a check that may accept its answer."""

    kind: Literal["cascade"] = Field(description="`cascade`")
    id: str | None = Field(None, description="the name shown in tables and the routing table")
    steps: list[str] = Field(min_length=2, description="candidate ids, cheapest first; the last answers the rest")
    checks: list[Check] = Field(min_length=1, description="one check per step but the last, or one for all of them")

    @model_validator(mode="after")
    def _one_check_per_step(self) -> CascadeSpec:
        if len(self.checks) not in (1, len(self.steps) - 1):
            raise ValueError(f"give one check, or one per step but the last ({len(self.steps) - 1})")
        if len(set(self.steps)) != len(self.steps):
            raise ValueError("a candidate appears twice among the steps")
        thresholded = [c for c in self.checks if isinstance(c, ConfidenceCheck)]
        if len(thresholded) > 1 or (thresholded and len(self.steps) > 2 and len(self.checks) == 1):
            raise ValueError("at most one step can have a confidence threshold to tune")
        return self

    def check_of(self, step: int) -> Check:
        return self.checks[0] if len(self.checks) == 1 else self.checks[step]

    def label(self) -> str:
        """The id, else the one-line form `parse_spec` reads (the check left out when it is `parses`)."""
        if self.id:
            return self.id
        checks = [] if all(isinstance(c, ParsesCheck) for c in self.checks) else [_check_text(c) for c in self.checks]
        return "cascade:" + ">".join(self.steps) + ("@" + ",".join(checks) if checks else "")


class RouterSpec(_Strict):
    """A text classifier sends each request to `cheap` or to `fallback`; it learns on one share of the
    samples and is judged only on the others."""

    kind: Literal["router"] = Field(description="`router`")
    id: str | None = Field(None, description="the name shown in tables and the routing table")
    cheap: str = Field(description="the candidate id a request goes to when the router trusts it")
    fallback: str = Field(description="the candidate id for the rest (usually the reference)")
    train_share: float = Field(0.5, ge=0.2, le=0.8, description="share of the samples the router learns on")

    def label(self) -> str:
        return self.id or f"router:{self.cheap}|{self.fallback}"


CompoundSpec = Annotated[CascadeSpec | RouterSpec, Field(discriminator="kind")]


def _check_text(check: Any) -> str:
    if isinstance(check, RegexCheck):
        return f"regex={check.pattern}"
    if isinstance(check, AgreeCheck):
        return f"agree={check.with_}" if check.with_ else "agree"
    if isinstance(check, ConfidenceCheck):
        return "confidence" if check.thresholds is None else "confidence=" + "/".join(f"{t:g}" for t in check.thresholds)
    return "parses"


# --- the router's model, executable without scikit-learn ------------------------------------------

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


class TextRouter(_Strict):
    """TF-IDF features (scikit-learn's defaults: lower case, words of 2+ characters, smooth idf, l2) and a
    logistic regression, as plain numbers: `probability(text)` computes what scikit-learn's
    `predict_proba` would, so an application can route without scikit-learn installed."""

    format: Literal["harness.router/v1"] = ROUTER_FORMAT
    vocabulary: dict[str, int]
    idf: list[float]
    coef: list[float]
    intercept: float

    def probability(self, text: str) -> float:
        """The predicted probability that the cheap candidate's answer is good enough for `text`."""
        counts = Counter(i for i in (self.vocabulary.get(t) for t in _TOKEN.findall(text.lower())) if i is not None)
        weights = {i: n * self.idf[i] for i, n in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        z = self.intercept + sum(w / norm * self.coef[i] for i, w in weights.items())
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def router_from_json(data: dict[str, Any]) -> TextRouter:
    return TextRouter.model_validate(data)


def parse_spec(text: str) -> CascadeSpec | RouterSpec:
    """A compound candidate written on one line, as `harness select --compound` takes it:

    `cascade:mini>big` (check: parses), `cascade:mini>big@regex=^\\w+$`, `cascade:mini>flash>big@agree=haiku`,
    `cascade:mini>big@agree` (the step's second epoch), `cascade:mini>big@confidence`, `router:mini|big`.
    Raises ValueError with what is wrong."""
    kind, _, rest = text.partition(":")
    if kind == "router":
        cheap, sep, fallback = rest.partition("|")
        if not sep or not cheap or not fallback:
            raise ValueError(f"write a router as router:CHEAP|FALLBACK, got {text!r}")
        return RouterSpec(kind="router", cheap=cheap, fallback=fallback)
    if kind != "cascade":
        raise ValueError(f"a compound candidate is cascade:A>B[@check] or router:CHEAP|FALLBACK, got {text!r}")
    steps_text, _, check_text = rest.partition("@")
    steps = [s for s in steps_text.split(">") if s]
    name, _, value = check_text.partition("=")
    checks: dict[str, Any] = {"": {"type": "parses"}, "parses": {"type": "parses"},
                              "regex": {"type": "regex", "pattern": value},
                              "agree": {"type": "agree", "with": value or None},
                              "confidence": {"type": "confidence"}}
    if name not in checks or (name == "regex" and not value):
        raise ValueError(f"unknown check {check_text!r}: use parses, regex=PATTERN, agree[=CANDIDATE] or confidence")
    return CascadeSpec.model_validate({"kind": "cascade", "steps": steps, "checks": [checks[name]]})
