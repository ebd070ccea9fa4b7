"""From a reader's `Parts` to a `Call`: the model's harness name, the feature, the cluster, the time.

Shared by every format, so the rules are the same whether a call came from a JSONL log, a batch
file or a table: which metadata keys are looked at, how a model name maps to a provider, how a
timestamp is read.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from collections.abc import Callable
from typing import Any

from ._call import REFUSED, Bad, Call, Issue, Parts

UNLABELLED = "unlabelled"  # the feature of calls whose metadata does not name one
# Where a log keeps the conversation (or, failing that, the user) a call belongs to, tried in order
# when the user names no --cluster-key: calls of one conversation are correlated samples.
AUTO_CLUSTER_KEYS = ("conversation_id", "conversation", "thread_id", "session_id", "user_id", "user")
TIME_KEYS = ("ts", "timestamp", "created_at", "time", "date")

# Provider by model name: harness runs these two API providers (candidates.BATCH_PROVIDERS).
_OPENAI = re.compile(r"^(?:gpt-|chatgpt-|o\d(?:-|$)|ft:(?:gpt-|o\d)|text-|davinci|babbage|codex-)")
_ANTHROPIC = re.compile(r"^claude-")


@dataclass(frozen=True)
class Keys:
    """The metadata keys the user named: the feature's, and the cluster's (None: the automatic ones)."""

    feature: str = "feature"
    cluster: str | None = None


def harness_model(logged: str | None) -> str | None:
    """`gpt-4o-mini` -> `openai/gpt-4o-mini`; `claude-...` -> `anthropic/claude-...`; None when unknown.

    A name already written as provider/model keeps its provider when it is one of the two."""
    if not logged or not isinstance(logged, str):
        return None
    name = logged.strip()
    provider, sep, rest = name.partition("/")
    if sep and provider in ("openai", "anthropic") and rest:
        return name
    if _ANTHROPIC.match(name):
        return f"anthropic/{name}"
    if _OPENAI.match(name):
        return f"openai/{name}"
    return None


def finish(parts: Parts, file: str, line: int, keys: Keys, meta_ts: Any = None) -> Call | Issue:
    """The call, or why it cannot be one (an unknown model)."""
    model = harness_model(parts.model)
    if model is None:
        shown = repr(parts.model) if parts.model else "no model"
        return Issue(file, line, f"unknown model {shown}: harness runs openai/ and anthropic/ models "
                     "(gpt-*, o1/o3/o4*, claude-*)", "the call is skipped; log the provider's own model name",
                     kind=REFUSED)
    feature = _value(parts.meta, keys.feature)
    cluster = _value(parts.meta, keys.cluster) if keys.cluster else next(
        (v for v in (_value(parts.meta, k) for k in AUTO_CLUSTER_KEYS) if v is not None), None)
    ts = parse_time(meta_ts if meta_ts is not None else _first(parts.meta, TIME_KEYS))
    if ts is None:
        ts = parse_time(parts.created)
    return Call(file=file, line=line, feature=feature or UNLABELLED,
                cluster=None if cluster is None else cluster_id(cluster), model=model, system=parts.system,
                turns=parts.turns, answer=parts.answer, settings=parts.settings, input_tokens=parts.input_tokens,
                output_tokens=parts.output_tokens, ts=ts, cost_usd=parts.cost_usd, not_carried=parts.not_carried)


def cluster_id(value: str) -> str:
    # Hashed: a cluster only needs equality, and the raw value is often a user id or an e-mail address.
    return "c-" + hashlib.sha256(value.encode()).hexdigest()[:12]


def _value(meta: dict[str, Any], key: str | None) -> str | None:
    if key is None:
        return None
    value = meta.get(key)
    if value is None or isinstance(value, (dict, list)) or (isinstance(value, str) and not value.strip()):
        return None
    return str(value).strip()


def _first(meta: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((meta[k] for k in keys if meta.get(k) not in (None, "")), None)


def merged_meta(*sources: Any) -> dict[str, Any]:
    """Metadata from several places of a line, the first source winning (the user's own metadata first)."""
    out: dict[str, Any] = {}
    for source in reversed(sources):
        if isinstance(source, dict):
            out.update(source)
    return out


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 string, a datetime, or unix seconds (milliseconds when it is that large), as UTC."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):  # a database's own type; PostgreSQL's in the server's time zone
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return parse_time(float(text))
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def as_count(value: Any) -> int | None:
    """A token count: a non-negative whole number, else None."""
    number = as_number(value)
    return int(number) if number is not None and number >= 0 and number == int(number) else None


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def content_text(content: Any, part_text: Callable[[Any], str | Bad | None], joiner: str, what: str) -> str | Bad:
    """A message's text: a string, or its parts' texts joined. `part_text` reads one part in the provider's
    shape: its text, a Bad that refuses the whole message, or None to leave the part out."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return Bad(f"a {what} that is neither text nor a list of parts")
    texts = []
    for part in content:
        got = part_text(part)
        if isinstance(got, Bad):
            return got
        if got is not None:
            texts.append(got)
    return joiner.join(texts)
