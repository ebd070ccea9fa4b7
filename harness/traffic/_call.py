"""One logged call, as every source format reads into it, and what went wrong with a line that did not.

A reader turns a line (or a table row) into a `Call` or an `Issue`, never raises: a log of months of
traffic always has a few bad lines, and they must not cost the user the good ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Turn = tuple[str, str]  # (role, text), role "user" or "assistant": the request's conversation


@dataclass(frozen=True)
class Settings:
    """The generate settings of a logged request that a harness candidate can express."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] | None = None
    seed: int | None = None
    cache_prompt: bool = False

    def candidate_fields(self) -> dict[str, Any]:
        """The settings as a suite candidate's fields (unset ones left out)."""
        fields: dict[str, Any] = {"max_tokens": self.max_tokens, "temperature": self.temperature,
                                  "top_p": self.top_p, "stop": list(self.stop) if self.stop else None,
                                  "seed": self.seed, "cache_prompt": self.cache_prompt or None}
        return {k: v for k, v in fields.items() if v is not None}


@dataclass(frozen=True)
class Parts:
    """What a format reader extracts from one call, before the metadata is interpreted."""

    provider: str  # the wire format: "openai" or "anthropic"
    model: str | None  # as logged
    system: str | None
    turns: tuple[Turn, ...]
    answer: str
    settings: Settings = Settings()
    input_tokens: int | None = None  # every input token, cached ones included
    output_tokens: int | None = None
    created: Any = None  # the response's own timestamp, when it has one (OpenAI's `created`)
    meta: dict[str, Any] = field(default_factory=dict)  # metadata keys, the user's first
    not_carried: tuple[str, ...] = ()  # request settings a candidate has no field for
    cost_usd: float | None = None


@dataclass(frozen=True)
class Call:
    """A usable logged call: its feature, its cluster and the harness model name that served it."""

    file: str
    line: int
    feature: str
    cluster: str | None
    model: str  # provider/model, as a suite candidate names it
    system: str | None
    turns: tuple[Turn, ...]
    answer: str
    settings: Settings
    input_tokens: int | None
    output_tokens: int | None
    ts: datetime | None
    cost_usd: float | None = None
    not_carried: tuple[str, ...] = ()

    @property
    def prompt(self) -> str:
        """The user message a candidate is sent: the last turn, with earlier turns written before it."""
        if len(self.turns) == 1:
            return self.turns[0][1]
        earlier = "\n\n".join(f"{role.capitalize()}: {text}" for role, text in self.turns[:-1])
        return f"Conversation so far:\n\n{earlier}\n\nUser: {self.turns[-1][1]}"


# Kinds of issue, for the counts of the summary.
INVALID = "invalid"  # the line is not a call: bad bytes, bad JSON, no response, a failed call
REFUSED = "refused"  # a real call harness cannot evaluate yet: tool use, an unknown model, images
SECRET = "secret"  # a credential found and stripped: the call still imports
UNMATCHED = "unmatched"  # a batch line without its other half


@dataclass(frozen=True)
class Request:
    """A request body, read: what a candidate needs to send the same call."""

    model: str | None
    system: str | None
    turns: tuple[Turn, ...]
    settings: Settings
    not_carried: tuple[str, ...]
    meta: dict[str, Any]  # what the body itself says about the call (OpenAI `metadata` and `user`)


@dataclass(frozen=True)
class Response:
    """A response body, read: the answer and its usage."""

    answer: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    created: Any = None
    model: str | None = None


def combine(provider: str, request: Request, response: Response, meta: dict[str, Any]) -> Parts:
    """One call's parts from its request and its response; `meta` is the line's own metadata."""
    return Parts(provider=provider, model=request.model or response.model, system=request.system,
                 turns=request.turns, answer=response.answer, settings=request.settings,
                 input_tokens=response.input_tokens, output_tokens=response.output_tokens,
                 created=response.created, meta={**request.meta, **meta}, not_carried=request.not_carried)


@dataclass(frozen=True)
class Bad:
    """Why a request or a response cannot become a call, before its file and line are known."""

    message: str
    hint: str | None = "the call is skipped; the other calls import"
    kind: str = INVALID

    def at(self, file: str, line: int | None) -> Issue:
        return Issue(file, line, self.message, self.hint, self.kind)


TOOL_USE = "a tool-calling call (the request offers tools, or the answer calls one): not supported yet"


@dataclass(frozen=True)
class Issue:
    """Something wrong with one line of a source (or with the whole source when `line` is None)."""

    file: str
    line: int | None
    message: str
    hint: str | None = None
    kind: str = INVALID
