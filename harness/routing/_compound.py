"""Compound routes: a cascade of steps with acceptance checks, or a router that picks one of two per request.

A compound route carries everything it needs to run without harness's selection code: each step as
a full route (model, settings, prompt) with its prices, the checks and the threshold the selection
fixed, the task's scorer info the `parses` and `agree` checks need, and, for a router, its trained
model as a versioned artifact beside the table (`routing.router-<task>.json`, checked against its
sha256 on load). The checks are `harness.checks`', the functions select evaluated the cascade with.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from ..checks import ScorerInfo, agree, confident, passes
from ..compound import ROUTER_FORMAT, AgreeCheck, Check, ConfidenceCheck, TextRouter
from ..errors import HarnessError
from ._call import Call, CallResult, ClientFn, TokenUsage, call_once, given_messages, last_user_text
from ._prompt import Sha256, Strict, rule
from ._route import Route

COMPOUND_PROVIDER = "compound"  # a compound route's provider; its model is compound/<kind>
ARTIFACT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*\.json$"  # a bare file name: an artifact lives beside its table


class CompoundError(HarnessError, ValueError):
    """A compound route cannot do what was asked: it has no single model, or its router is not loaded."""


class Price(Strict):
    """List prices of a step's model for a synchronous call, USD per million tokens."""

    input_per_mtok: float = Field(ge=0, description="uncached input tokens")
    output_per_mtok: float = Field(ge=0)
    cache_read_per_mtok: float = Field(ge=0, description="cached input tokens read")
    cache_write_per_mtok: float = Field(ge=0, description="input tokens written to the cache")
    source: str | None = Field(None, description="where the price comes from")

    def cost(self, usage: TokenUsage) -> float:
        """USD of one call with `usage` (each token kind at its own rate)."""
        return (usage.input_tokens * self.input_per_mtok + usage.output_tokens * self.output_per_mtok
                + usage.cache_read_tokens * self.cache_read_per_mtok
                + usage.cache_write_tokens * self.cache_write_per_mtok) / 1_000_000


class Step(Route):
    """One step of a compound route: a full route, plus what a call to it costs."""

    price: Price | None = Field(description="per million tokens; null when unknown or not per token (local "
                                            "models cost compute time): a call then costs cost_per_call_usd")
    cost_per_call_usd: float | None = Field(description="the mean production cost per call in the eval")
    logprobs: bool = Field(False, description="its check reads the answer's probability: request log-probabilities")

    def _logprobs(self) -> dict[str, Any]:
        # Asked for whenever the check needs them, whether or not the eval's candidate recorded them.
        return {"logprobs": True} if self.logprobs and self.provider != "anthropic" else super()._logprobs()


class ScorerSpec(Strict):
    """What the checks know of the task (`harness.checks.ScorerInfo`): its scorer, options and labels."""

    kind: str | None = Field(None, description="the task's scorer; null when the results came without the suite")
    options: dict[str, Any] = Field(default_factory=dict)
    labels: list[str] = Field(default_factory=list, description="normalised targets, for `parses` on an exact task")

    @classmethod
    def of(cls, info: ScorerInfo, needs_labels: bool) -> ScorerSpec:
        return cls(kind=info.kind, options=dict(info.options), labels=sorted(info.labels) if needs_labels else [])

    def info(self) -> ScorerInfo:
        return ScorerInfo(self.kind, dict(self.options), frozenset(self.labels))


class RouterArtifact(Strict):
    """The router's trained model, a TextRouter JSON file beside the table, named with its sha256."""

    file: str = Field(pattern=ARTIFACT_NAME, description="file name, in the routing table's directory")
    sha256: Sha256 = Field(description="of the file's bytes; load() refuses a file that does not match")
    format: Literal["harness.router/v1"] = ROUTER_FORMAT
    _model: TextRouter | None = PrivateAttr(None)

    @classmethod
    def of(cls, router: TextRouter, file: str) -> RouterArtifact:
        made = cls(file=file, sha256=artifact_sha256(artifact_text(router)))
        made._model = router
        return made

    @property
    def model(self) -> TextRouter:
        if self._model is None:
            raise CompoundError(f"the router's model ({self.file}) is not loaded: load the table with "
                                "harness.routing.load(path), which reads it from beside the table")
        return self._model

    def __eq__(self, other: object) -> bool:  # the loaded model is the file's content, which sha256 stands for
        return isinstance(other, RouterArtifact) and (self.file, self.sha256) == (other.file, other.sha256)

    __hash__ = None  # type: ignore[assignment]


def artifact_text(router: TextRouter) -> str:
    """The artifact's exact text (its sha256 is of these bytes): canonical JSON, one line."""
    return json.dumps(router.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def artifact_sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


class _Policy(Strict):
    kind: str  # each policy narrows it to its Literal; declared here so that it is written first
    steps: list[Step] = Field(min_length=2)
    threshold: float | None = Field(None, description="the threshold the selection chose; fixed here")
    shares: list[float] | None = Field(None, description="share of the eval's requests each step answered")

    @property
    def final(self) -> Step:
        """The step that answers what the others pass on: the safe fallback."""
        return self.steps[-1]

    def _steps_signature(self) -> list[Any]:
        return [_route_signature(s) for s in self.steps]


def _route_signature(r: Route) -> list[Any]:
    # An id alone changes no answer; the model and settings do (config holds the prompt variant's name).
    return [r.model, r.config.model_dump(mode="json")]


class CascadePolicy(_Policy):
    """Steps tried in order; a step's check accepts its answer or passes the request on; the last answers."""

    kind: Literal["cascade"]
    checks: list[Check] = Field(min_length=1, description="one per step but the last, or one for all of them")
    agree_with: list[Step] = Field(default_factory=list, description="candidates an `agree` check asks that are "
                                                                     "not steps: called, and paid, for the check")
    scorer: ScorerSpec = Field(default_factory=ScorerSpec)

    @model_validator(mode="after")
    def _consistent(self) -> CascadePolicy:
        if len(self.checks) not in (1, len(self.steps) - 1):
            raise rule(f"a cascade of {len(self.steps)} steps has one check, or one per step but the last",
                       "regenerate the table with `harness select`")
        names = [r.candidate for r in [*self.steps, *self.agree_with]]
        if len(set(names)) < len(names):
            raise rule("a candidate appears twice among a cascade's steps and agree_with", "regenerate the table")
        missing = [c.with_ for c in self.checks if isinstance(c, AgreeCheck) and c.with_ and c.with_ not in names]
        if missing:
            raise rule(f"an agree check names {', '.join(map(repr, missing))}, which is neither a step nor in "
                       "agree_with", "regenerate the table")
        if any(isinstance(c, ConfidenceCheck) for c in self.checks) and self.threshold is None:
            raise rule("a confidence check needs the threshold the selection chose", "regenerate the table")
        return self

    def check_of(self, step: int) -> Check:
        return self.checks[0] if len(self.checks) == 1 else self.checks[step]

    def describe(self) -> str:
        at = f" at {self.threshold:g}" if self.threshold is not None else ""
        return f"cascade {' > '.join(s.candidate for s in self.steps)} ({', '.join(_check_name(c) for c in self.checks)}{at})"

    def signature(self) -> dict[str, Any]:
        """What decides the answers and which one is taken: a change to any of it is a route change."""
        routes = {r.candidate: _route_signature(r) for r in [*self.steps, *self.agree_with]}
        checks = [c.model_dump(mode="json", by_alias=True, exclude={"with_"}) | (
            {"with": routes[c.with_]} if isinstance(c, AgreeCheck) and c.with_ else {}) for c in self.checks]
        return {"kind": self.kind, "steps": self._steps_signature(), "checks": checks, "threshold": self.threshold,
                "scorer": self.scorer.model_dump(mode="json")}

    def call(self, client_fn: ClientFn, given: Any) -> CallResult:
        """Try the steps in order; the first whose check accepts its answer answers. Each candidate is called
        once per request: a later step whose answer an `agree` check already asked for is not called again."""
        info, calls, answers = self.scorer.info(), [], {}
        by_name = {r.candidate: r for r in [*self.steps, *self.agree_with]}

        def ask(route: Step, why: str) -> Call:
            if route.candidate not in answers:
                answers[route.candidate] = call_once(client_fn, route, given_messages(route, given), why)
                calls.append(answers[route.candidate])
            return answers[route.candidate]

        for s, step in enumerate(self.steps):
            mine = ask(step, f"step {s}")
            if s == len(self.steps) - 1:
                return _result(s, step, mine, calls, "the last step answers what the others passed on")
            check = self.check_of(s)
            if isinstance(check, AgreeCheck):
                if check.with_:
                    other = ask(by_name[check.with_], f"agree check of step {s}")
                else:  # the step's own second answer, as the eval's second epoch
                    other = call_once(client_fn, step, given_messages(step, given), f"second answer of step {s}")
                    calls.append(other)
                ok = agree(info, mine.text, other.text)
            elif isinstance(check, ConfidenceCheck):
                ok = confident(mine.confidence, self.threshold)
            else:
                ok = passes(check, info, mine.text)
            if ok:
                return _result(s, step, mine, calls, f"step {s}'s answer passed its {_check_name(check)} check")
        raise AssertionError("the last step always answers")


class RouterPolicy(_Policy):
    """A text classifier sends each request to the cheap step (0) or the fallback (1)."""

    kind: Literal["router"]
    threshold: float = Field(description="a request goes to the cheap step when the router's probability reaches it")
    router: RouterArtifact

    @model_validator(mode="after")
    def _two_steps(self) -> RouterPolicy:
        if len(self.steps) != 2:
            raise rule("a router has two steps: the cheap candidate, then the fallback", "regenerate the table")
        return self

    def describe(self) -> str:
        return f"router {self.steps[0].candidate} | {self.steps[1].candidate} at {self.threshold:g}"

    def signature(self) -> dict[str, Any]:
        return {"kind": self.kind, "steps": self._steps_signature(), "threshold": self.threshold,
                "router": self.router.sha256}

    def call(self, client_fn: ClientFn, given: Any) -> CallResult:
        """One call: to the cheap step when the router trusts it for this request's text, else the fallback."""
        cheap = self.steps[0]
        p = self.router.model.probability(last_user_text(given_messages(cheap, given)))
        s = 0 if p >= self.threshold else 1  # the rule the selection evaluated: probability >= threshold
        step = self.steps[s]
        made = call_once(client_fn, step, given_messages(step, given), f"step {s}")
        why = f"router probability {p:.3f} {'≥' if s == 0 else '<'} threshold {self.threshold:g}"
        return CallResult(s, step.candidate, step, made.response, made.text, (made,), why, p)


Compound = Annotated[CascadePolicy | RouterPolicy, Field(discriminator="kind")]
KINDS = ("cascade", "router")


def _check_name(check: Check) -> str:
    return check.type + (f" with {check.with_}" if isinstance(check, AgreeCheck) and check.with_ else "")


def _result(s: int, step: Step, mine: Call, calls: list[Call], why: str) -> CallResult:
    return CallResult(s, step.candidate, step, mine.response, mine.text, tuple(calls), why)
