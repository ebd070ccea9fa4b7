"""The routing table's schema (`harness.routing/v3` with compound routes, else v2; v1 still read): the table, its task routes, their evidence.

Every model forbids unknown fields, and routes are frozen: a route handed to application
code is a value, not something one request handler can change for the next request. A route
itself (model, settings, prompt, SDK kwargs) is in `_route.py`; a compound route's policy in
`_compound.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..criteria import Criteria
from ._call import CallResult, ClientFn
from ._compound import COMPOUND_PROVIDER, Compound, CompoundError
from ._prompt import Strict, rule
from ._route import ANTHROPIC_DEFAULT_MAX_TOKENS, GenerateSettings, Route

# v3 adds compound routes (cascades, routers). build_table writes the lowest version that holds the
# table: v3 only when a route is compound, so a reader from before v3 refuses exactly the tables it
# could not run ("schema ... is not supported ... upgrade harness"), and keeps reading the others.
SCHEMA = "harness.routing/v3"
V2 = "harness.routing/v2"  # routes with prompts, no compound routes: what build_table writes without them
V1 = "harness.routing/v1"  # routes without a prompt block: still loaded, never written by build_table
SUPPORTED_SCHEMAS = (SCHEMA, V2, V1)
__all__ = ["ANTHROPIC_DEFAULT_MAX_TOKENS", "GenerateSettings", "Route"]  # re-exported for the package


class Score(Strict):
    """Mean score with its 95% confidence interval, over `n` samples."""

    mean: float | None
    low: float | None
    high: float | None
    n: int


class Reference(Strict):
    candidate: str
    model: str
    cost_per_call_usd: float | None
    monthly_cost_usd: float | None
    score: Score


class Evidence(Strict):
    """The chosen candidate against the reference; every field null when there is nothing to compare.

    `interval` is the two-sided `confidence` (1 - 2·alpha) interval of the mean paired difference,
    so its low end is the one-sided (1 - alpha) bound; `p_value` is the non-inferiority test's own
    p-value; `p_adjusted` is the Holm-adjusted (sequential runs: Bonferroni-adjusted, anytime-valid)
    p of the candidate's whole verdict (all criteria), the number that was compared with alpha.
    """

    n: int | None = None
    difference: float | None = None
    interval: tuple[float | None, float | None] | None = None
    confidence: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    margin: float | None = None
    # the test behind it: e.g. "tango-score" (fixed-size) or "betting-cs" (a run in rounds, anytime-valid,
    # Bonferroni-adjusted p; `decided_round` is the round whose end decided the pass)
    method: str | None = None
    decided_round: int | None = None


class VerdictRow(Strict):
    candidate: str
    model: str
    status: str
    reason: str
    cost_per_call_usd: float | None
    score: float | None


class TaskRoute(Route):
    """A task's route plus what a reviewer needs to trust it: score, costs, reference, evidence, verdicts."""

    suite: str | None = None
    score: Score
    cost_per_call_usd: float | None
    monthly_cost_usd: float | None
    traffic_per_month: float | None
    reference: Reference | None
    decision: str
    criteria: Criteria  # as applied (its max_drop is the margin used); the reference is its own block
    evidence: Evidence
    verdicts: list[VerdictRow]
    notes: list[str] = Field(default_factory=list)
    compound: Compound | None = Field(None, description="a compound route's policy: its steps (each a route), "
                                                        "checks and threshold, or its router")

    @model_validator(mode="after")
    def _compound_is_whole(self) -> TaskRoute:
        c = self.compound
        if c is None:
            if self.provider == COMPOUND_PROVIDER or self.model.startswith(COMPOUND_PROVIDER + "/"):
                raise rule(f"route {self.candidate!r} is a compound route but has no `compound` block (its steps)",
                           "regenerate the table with `harness select`")
            return self
        if self.provider != COMPOUND_PROVIDER or self.model != f"{COMPOUND_PROVIDER}/{c.kind}" or self.prompt:
            raise rule(f"a compound route has provider {COMPOUND_PROVIDER!r}, model '{COMPOUND_PROVIDER}/{c.kind}' "
                       "and no prompt of its own (each step has its prompt)", "regenerate the table")
        return self

    def call(self, client_fn: ClientFn, messages_or_record: Any) -> CallResult:
        """As `Route.call`; a compound route tries its steps and applies its checks, or asks its router."""
        if self.compound is not None:
            return self.compound.call(client_fn, messages_or_record)
        return super().call(client_fn, messages_or_record)

    def _single(self) -> None:
        if self.compound is not None:
            raise CompoundError(f"route {self.candidate!r} is a compound route ({self.compound.describe()}): it has "
                                "no single model or prompt. Call it with route.call(client_fn, record), which "
                                "builds each step's messages and applies the checks; its steps are "
                                "route.compound.steps")


class Unrouted(Strict):
    """A task where no candidate passed and no reference was set: it falls back to `default`."""

    reason: str
    criteria: Criteria
    verdicts: list[VerdictRow]


class RoutingTable(BaseModel):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)

    schema_version: Literal["harness.routing/v3", "harness.routing/v2", "harness.routing/v1"] = Field(
        SCHEMA, alias="schema")
    generated_at: datetime
    harness_version: str
    source: dict[str, Any] = Field(default_factory=dict)
    default: Route
    default_from: str | None = Field(None, description="why the default is this route")
    routes: dict[str, TaskRoute] = Field(default_factory=dict)
    unrouted: dict[str, Unrouted] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _v1_has_no_prompts(self) -> RoutingTable:
        if self.schema_version == V1 and any(r.prompt for r in [self.default, *self.routes.values()]):
            raise rule(f"routes carry prompts only from {V2} on", f'write "schema": "{V2}", or regenerate '
                       "the table with `harness select`")
        if self.schema_version != SCHEMA and any(r.compound for r in self.routes.values()):
            raise rule(f"compound routes exist only from {SCHEMA} on", f'write "schema": "{SCHEMA}", or regenerate '
                       "the table with `harness select`")
        files = [r.compound.router.file for r in self.routes.values() if r.compound and r.compound.kind == "router"]
        if len(set(files)) < len(files):
            raise rule("two routers name the same artifact file", "regenerate the table with `harness select`")
        return self

    def pick(self, task: str, strict: bool = False) -> Route:
        """The route for `task`; the `default` route for a task not in `routes` (unrouted or unknown).

        Falling back keeps an application serving when a new task ships before its eval does;
        `strict=True` raises KeyError instead, for applications that would rather fail.
        """
        route = self.routes.get(task)
        if route is not None:
            return route
        if strict:
            if task in self.unrouted:
                raise KeyError(f"task {task!r} has no route: {self.unrouted[task].reason}")
            raise KeyError(f"task {task!r} is not in the routing table (tasks: {', '.join(self.routes) or 'none'})")
        return self.default
