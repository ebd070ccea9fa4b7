"""A task's pass criteria: the one type the suite file, selection, the routing table and the gate share.

    >>> c = Criteria(min_score=0.8, reference="big")
    >>> c.margin                     # max_drop unset: the default margin of a comparison
    0.05
    >>> c.as_decided().max_drop      # what a decision records: the margin it applied
    0.05
    >>> Criteria(min_score=0.8).as_decided().max_drop is None   # nothing compared, no margin
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_serializer

if TYPE_CHECKING:
    from pydantic import SerializerFunctionWrapHandler

# The non-inferiority margin when a comparison is made and the task sets no max_drop.
DEFAULT_MAX_DROP = 0.05


class Criteria(BaseModel):
    """When a candidate passes a task: its score reaches `min_score`, and it is at most `max_drop`
    worse than `reference`, each shown at the family-wise error rate `alpha`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_score: float | None = Field(None, ge=0, le=1, description=(
        "the lower confidence bound of the candidate's mean score must reach this"))
    max_drop: float | None = Field(None, ge=0, le=1, description=(
        "non-inferiority margin: the lower confidence bound of the mean paired difference against the reference "
        f"must be above -max_drop (default {DEFAULT_MAX_DROP} when a reference is set)"))
    alpha: float = Field(0.05, gt=0, le=0.5, description="family-wise error rate over the task's candidates")
    reference: str | None = Field(None, description="id of the candidate that runs today; others are compared with it")

    @property
    def margin(self) -> float:
        """The margin of a comparison: max_drop, else DEFAULT_MAX_DROP.

        The gate compares a new route with the old one whatever the task sets, so it always
        has a margin; `harness select` compares only when there is a reference."""
        return self.max_drop if self.max_drop is not None else DEFAULT_MAX_DROP

    @property
    def reference_margin(self) -> float | None:
        """The margin against the reference; None when there is no reference to compare with."""
        return self.margin if self.reference is not None else None

    @property
    def decides(self) -> bool:
        """Whether there is anything to decide on: a min_score, or a reference to compare with."""
        return self.min_score is not None or self.reference is not None

    def as_decided(self) -> Criteria:
        """The criteria as a decision applied them: the margin filled in when a reference was compared with."""
        return self.model_copy(update={"max_drop": self.max_drop if self.reference is None else self.margin})

    def without_reference(self) -> Criteria:
        return self.model_copy(update={"reference": None})

    @model_serializer(mode="wrap")
    def _drop_unset_reference(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A routing table names the reference in its own block; its criteria carry the three numbers.
        data = handler(self)
        if data.get("reference") is None:
            data.pop("reference", None)
        return data
