"""What the driver needs from a provider, whichever it is (implemented in _anthropic.py / _openai.py).

API keys are never handled here: the SDK clients read ANTHROPIC_API_KEY / OPENAI_API_KEY from the
environment themselves, so no key passes through harness's own code, logs or journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import HarnessError
from ._outcomes import Outcome


class CreateFailed(Exception):
    """A batch create that did not go through; `retryable` says whether trying again makes sense."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class RemoteState:
    done: bool  # the provider will not change this batch any more
    status: str  # the provider's own word for it
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Collected:
    outcomes: list[tuple[str, Outcome]]  # (custom_id, outcome) of every line we could read
    bad_lines: int = 0  # lines that were not JSON or had no custom_id: their requests count as missing
    batch_error: str | None = None  # the batch failed as a whole (e.g. OpenAI validation): every item failed


class Transport(Protocol):
    provider: str

    def create(self, local_id: str, items: list[tuple[str, dict[str, Any]]]) -> tuple[str, str | None]:
        """Submit a batch; returns (remote id, input file id). Raises CreateFailed."""
        ...

    def find(self, local_id: str, n_requests: int, known: dict[str, float], since: float) -> str | None:
        """The remote id of a batch created for intent `local_id` whose create answer was lost, if any."""
        ...

    def poll(self, remote_id: str) -> RemoteState: ...

    def results(self, remote_id: str) -> Collected: ...

    def call(self, body: dict[str, Any]) -> Outcome:
        """One synchronous request (SDK retries included)."""
        ...


def missing_key(provider: str, exc: Exception | None = None) -> HarnessError:
    var = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}[provider]
    why = f" ({type(exc).__name__})" if exc else ""
    return HarnessError(f"no {provider} client{why}: set {var} in the environment (harness reads API keys from the "
                        "environment only)")
