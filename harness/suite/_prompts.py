"""Prompt rendering: a task's prompt variant and one record -> the chat turns a model is sent.

Turns are plain (role, text) pairs: the inspect task of a cell and the provider request bodies
of harness/batch are both built from them, so a body built twice hashes to the same journal key.
The few-shot turns are also what a routing table records as the route's prompt (`shot_turns`).
"""

from __future__ import annotations

from typing import Any

from ..templates import PLACEHOLDER, as_text, render
from ._model import Variant

__all__ = ["PLACEHOLDER", "Turn", "as_text", "chat_turns", "render", "shot_turns"]

Turn = tuple[str, str]  # (role, text): "system" | "user" | "assistant"


def shot_turns(variant: Variant, target_field: str) -> list[tuple[str, str]]:
    """Each few-shot example as (user, assistant) texts: the shot's prompt and its answer."""
    return [(render(variant.template, shot), render(variant.answer, shot) if variant.answer
             else as_text(shot[target_field])) for shot in variant.shots]


def chat_turns(variant: Variant, record: dict[str, Any], target_field: str) -> list[Turn]:
    """System message, the few-shot turns (each shot's prompt and answer), then the record's own prompt."""
    turns: list[Turn] = []
    if variant.system:
        turns.append(("system", render(variant.system, record)))
    for user, assistant in shot_turns(variant, target_field):
        turns += [("user", user), ("assistant", assistant)]
    turns.append(("user", render(variant.template, record)))
    return turns
