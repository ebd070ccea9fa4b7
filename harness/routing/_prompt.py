"""A route's prompt: the system prompt, user template and few-shot turns it was evaluated with, or their sha256.

Rendering goes through `harness.templates`, the renderer the eval used, so an application's
messages are the eval's messages for the same record. Only the standard library, pydantic and
the bottom layers are imported: loading a routing table stays cheap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from ..errors import HarnessError
from ..templates import fields, render

if TYPE_CHECKING:
    from pydantic import SerializerFunctionWrapHandler

# A record for a route's prompt: its template fields, or one string for a template with one placeholder.
Record = Mapping[str, Any] | str
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Strict(BaseModel):
    """Every model of the table: unknown fields are errors, and values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptError(HarnessError, ValueError):
    """A route cannot build its messages: it carries no prompt text, or the record lacks a field."""


def rule(text: str, hint: str) -> PydanticCustomError:
    """A rule across fields, reported on load like a field error (`_file.validation_problems`)."""
    return PydanticCustomError("routing_rule", "{text}", {"text": text, "hint": hint})


class Shot(Strict):
    """One few-shot example as the eval sent it: the rendered user turn and the assistant's answer."""

    user: str
    assistant: str


class PromptHashes(Strict):
    """sha256 (hex) of each part of a prompt, so a prompt kept private can still be checked against the table."""

    system: Sha256 | None = Field(description="of the system prompt's UTF-8 text; null when there is none")
    template: Sha256 = Field(description="of the user template's UTF-8 text")
    shots: Sha256 = Field(description="of the shots as compact JSON, [[user, assistant], ...] (see `shots_json`)")


class PromptSpec(Strict):
    """The prompt a route was evaluated with: system prompt, user template, few-shot turns, and their sha256.

    `system` and `template` keep their {{field}} placeholders: they are filled from each record at
    call time, as they were for each sample of the eval. The shots were rendered from their own
    records when the table was built. A table built with prompts="hash" (`--no-prompts`) keeps
    only `sha256`.
    """

    system: str | None = None
    template: str | None = None
    shots: list[Shot] | None = None
    sha256: PromptHashes

    @classmethod
    def of(cls, template: str, system: str | None = None, shots: Iterable[tuple[str, str]] = ()) -> PromptSpec:
        """The prompt with its hashes; `shots` are (user, assistant) texts, already rendered."""
        turns = [Shot(user=u, assistant=a) for u, a in shots]
        return cls(system=system or None, template=template, shots=turns,
                   sha256=_hashes(system or None, template, turns))

    def hashed(self) -> PromptSpec:
        """Only the hashes: what a table built with prompts="hash" holds."""
        return PromptSpec(sha256=self.sha256)

    @property
    def has_text(self) -> bool:
        return self.template is not None

    @property
    def fields(self) -> list[str]:
        """The record fields the system prompt and the template use, in order."""
        return fields(self.system, self.template)

    @model_validator(mode="after")
    def _consistent(self) -> PromptSpec:
        if self.template is None:
            if self.system is not None or self.shots is not None:
                raise rule("a prompt with `system` or `shots` needs its `template` too",
                           "keep all three, or only `sha256` for a prompt kept private")
        elif self.shots is None:
            raise rule("a prompt with a `template` lists its `shots` (an empty list for none)", 'add "shots": []')
        else:
            actual = _hashes(self.system, self.template, self.shots)
            differ = [k for k in ("system", "template", "shots") if getattr(actual, k) != getattr(self.sha256, k)]
            if differ:
                raise rule(f"the prompt's {', '.join(differ)} do(es) not match its sha256: the prompt was changed "
                           "after it was evaluated", "regenerate the table with `harness select`: a changed "
                           "prompt needs its own eval")
        return self

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A hash-only prompt is written as {"sha256": ...}, not with three nulls beside it.
        return {k: v for k, v in handler(self).items() if v is not None or k == "sha256"}


def shots_json(shots: Iterable[Shot]) -> str:
    """The text `PromptHashes.shots` hashes: compact JSON of [[user, assistant], ...], non-ASCII unescaped."""
    return json.dumps([[s.user, s.assistant] for s in shots], ensure_ascii=False, separators=(",", ":"))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _hashes(system: str | None, template: str, shots: Iterable[Shot]) -> PromptHashes:
    return PromptHashes(system=None if system is None else _sha256(system), template=_sha256(template),
                        shots=_sha256(shots_json(shots)))


def prompt_turns(prompt: PromptSpec | None, record: Record, who: str) -> tuple[str | None, list[dict[str, str]]]:
    """The rendered system prompt (None without one) and the user/assistant messages for `record`.

    `who` names the route in errors ("route 'haiku' (anthropic/...)").
    """
    if prompt is None:
        raise PromptError(f"{who} carries no prompt, so harness cannot build its messages: the table predates "
                          "prompts in routes (harness.routing/v1), or was decided on results without the suite "
                          "that defines the task (the route's notes say which); regenerate it with `harness run`, "
                          "or `harness select --suite ...`")
    if prompt.template is None or prompt.shots is None:
        raise PromptError(f"{who} carries only the sha256 of its prompt (the table was built with --no-prompts): "
                          "build the messages from your own copy of the prompt; "
                          "PromptSpec.of(template, system, shots).sha256 == route.prompt.sha256 checks that it is "
                          "the one evaluated")
    values = _values(record, prompt.fields, who)
    system = render(prompt.system, values) if prompt.system else None
    shots = [m for s in prompt.shots for m in ({"role": "user", "content": s.user},
                                               {"role": "assistant", "content": s.assistant})]
    return system, [*shots, {"role": "user", "content": render(prompt.template, values)}]


def _values(record: Record, needed: list[str], who: str) -> Mapping[str, Any]:
    if isinstance(record, str):
        if len(needed) != 1:
            raise PromptError(f"a plain string fills a prompt with one placeholder; the prompt of {who} has "
                              f"{len(needed)} ({', '.join(needed) or 'none'}): pass a dict of them")
        return {needed[0]: record}
    if not isinstance(record, Mapping):
        raise PromptError(f"a record is a dict of the prompt's fields or one string, not {type(record).__name__}")
    missing = [f for f in needed if f not in record]
    if missing:
        raise PromptError(f"the prompt of {who} needs field(s) {', '.join(missing)}, missing from the record "
                          f"(the prompt uses: {', '.join(needed)})")
    return record
