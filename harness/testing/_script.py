"""The scripting model: what the fake server answers, how it fails, how fast.

A `Script` is a plain dataclass; each knob is an ordinary value or function.
The server reads the script on every request, so a test may change a knob
(e.g. append an `HttpFault`) while the server runs.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from ._calls import Call, Item, Provider, Usage, last_user_text
from ._clock import Clock, RealClock
from ._usage import SimulatedUsage

AnswerFn = Callable[[Provider, str, dict[str, Any]], str]
UsageFn = Callable[[Call], Usage]
ItemPredicate = Callable[[Item], bool]


# --- answers -----------------------------------------------------------------


def fixed(text: str) -> AnswerFn:
    """Always answer `text`."""
    return lambda provider, model, body: text


def echo(prefix: str = "") -> AnswerFn:
    """Answer with the last user message, optionally prefixed."""
    return lambda provider, model, body: prefix + last_user_text(body)


def from_last_user(fn: Callable[[str], str]) -> AnswerFn:
    """Answer `fn(last user message text)`."""
    return lambda provider, model, body: fn(last_user_text(body))


def replies(mapping: dict[str, str], default: str = "OK") -> AnswerFn:
    """Answer the value of the first key found in the last user message."""

    def answer(provider: Provider, model: str, body: dict[str, Any]) -> str:
        text = last_user_text(body)
        return next((v for k, v in mapping.items() if k in text), default)

    return answer


# --- predicates on items -----------------------------------------------------


def custom_id_in(*custom_ids: str) -> ItemPredicate:
    """Select batch items by custom_id."""
    wanted = set(custom_ids)
    return lambda item: item.custom_id in wanted


def text_contains(needle: str) -> ItemPredicate:
    """Select items whose last user message contains `needle`."""
    return lambda item: needle in item.last_user_text


# --- faults ------------------------------------------------------------------

ItemFaultKind = Literal["error", "expired", "missing", "canceled"]


@dataclass
class ItemFault:
    """A fault for the batch items that `when` selects.

    - "error": Anthropic `errored` result / OpenAI error-file line carrying an
      HTTP `status` (4xx/5xx) and the provider's error envelope.
    - "expired": Anthropic `expired` result / OpenAI error-file line with
      `error.code = "batch_expired"` (the OpenAI batch then ends `expired`).
    - "missing": the item's result line is absent from a finished batch (it
      is counted as succeeded/completed in `request_counts`).
    - "canceled": Anthropic `canceled` result / OpenAI error-file line with
      `error.code = "batch_cancelled"`.
    """

    kind: ItemFaultKind
    when: ItemPredicate
    status: int = 500
    message: str | None = None


@dataclass
class HttpFault:
    """Answer the next `times` matching HTTP requests with `status`.

    `endpoint` is a glob over endpoint names such as "anthropic.messages",
    "openai.chat.completions", "anthropic.batches.*" or "*". `when`, if given,
    is also asked (it receives the parsed JSON body, or None). `times=None`
    means every matching request, forever. Faults are tried in list order;
    the first one that matches and has uses left is spent.
    """

    status: int
    endpoint: str = "*"
    times: int | None = 1
    when: Callable[[dict[str, Any] | None], bool] | None = None
    retry_after_ms: int | None = 1
    message: str | None = None

    def matches(self, endpoint: str, body: dict[str, Any] | None) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if not fnmatch.fnmatchcase(endpoint, self.endpoint):
            return False
        return self.when is None or bool(self.when(body))


def _default_usage() -> UsageFn:
    return SimulatedUsage()


@dataclass
class Script:
    """Everything a test can decide about the fake providers.

    answer: (provider, model, request_body) -> assistant text.
    usage: Call -> Usage; the default counts whitespace words and simulates
        prompt caching (see `SimulatedUsage`).
    latency: seconds to sleep before answering a sync generation request,
        or a function (provider, model, body) -> seconds.
    batch_processing_seconds: a batch is in progress until this much clock
        time has passed since its creation; 0 means it has ended at the first
        read after creation.
    item_faults: per-item faults in batches; the first matching one applies.
    fail_batch_when: items -> bool; a selected batch fails as a whole
        (OpenAI: status "failed" with one `errors` entry per line; Anthropic,
        which has no failed status: every item `errored`).
    http_faults: scripted HTTP errors (429/500/529...) for any endpoint.
    clock: where batch timing and cache TTLs read the time.
    api_key: if set, the only key accepted; otherwise any non-empty key.
    logprob: what OpenAI answers carry when the request asks for `logprobs`:
        each word-token's log-probability, or a function (body, answer text) -> it.
    """

    answer: AnswerFn = field(default_factory=lambda: fixed("OK"))
    usage: UsageFn = field(default_factory=_default_usage)
    latency: float | Callable[[Provider, str, dict[str, Any]], float] = 0.0
    batch_processing_seconds: float = 0.0
    item_faults: list[ItemFault] = field(default_factory=list)
    fail_batch_when: Callable[[list[Item]], bool] | None = None
    http_faults: list[HttpFault] = field(default_factory=list)
    clock: Clock = field(default_factory=RealClock)
    api_key: str | None = None
    logprob: float | Callable[[dict[str, Any], str], float] = -0.01

    def logprob_for(self, body: dict[str, Any], text: str) -> float:
        return self.logprob(body, text) if callable(self.logprob) else self.logprob
    _fault_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def fail_next(
        self, endpoint: str, status: int, times: int = 1, retry_after_ms: int = 1
    ) -> HttpFault:
        """Queue `times` HTTP errors for the endpoints matching `endpoint`."""
        fault = HttpFault(status, endpoint, times, retry_after_ms=retry_after_ms)
        self.http_faults.append(fault)
        return fault

    def take_http_fault(
        self, endpoint: str, body: dict[str, Any] | None
    ) -> HttpFault | None:
        """Spend one use of the first matching HTTP fault (thread-safe)."""
        with self._fault_lock:
            for fault in self.http_faults:
                if fault.matches(endpoint, body):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def item_fault(self, item: Item) -> ItemFault | None:
        return next((f for f in self.item_faults if f.when(item)), None)

    def latency_for(self, item: Item) -> float:
        if callable(self.latency):
            return float(self.latency(item.provider, item.model, item.body))
        return float(self.latency)
