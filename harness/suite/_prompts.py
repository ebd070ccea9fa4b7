"""Prompt rendering: a task's prompt variant and one record -> the chat turns a model is sent.

Turns are plain (role, text) pairs: the inspect task of a cell and the provider request bodies
of harness/batch are both built from them, so a body built twice hashes to the same journal key.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._model import Variant

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")

Turn = tuple[str, str]  # (role, text): "system" | "user" | "assistant"


def render(template: str, record: dict[str, Any]) -> str:
    """`template` with each {{field}} replaced by the record's value (JSON for non-strings)."""
    return PLACEHOLDER.sub(lambda m: as_text(record[m.group(1)]), template)


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def chat_turns(variant: Variant, record: dict[str, Any], target_field: str) -> list[Turn]:
    """System message, the few-shot turns (each shot's prompt and answer), then the record's own prompt."""
    turns: list[Turn] = []
    if variant.system:
        turns.append(("system", render(variant.system, record)))
    for shot in variant.shots:
        answer = render(variant.answer, shot) if variant.answer else as_text(shot[target_field])
        turns += [("user", render(variant.template, shot)), ("assistant", answer)]
    turns.append(("user", render(variant.template, record)))
    return turns
