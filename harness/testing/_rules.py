"""Answers scripted by a rules file, for the fake server run by hand (`python -m harness.testing --rules FILE`).

    rules:
      - model: gpt-4.1                  # optional: a glob on the request's model
        system: You compare             # optional: a regular expression searched in the system prompt
        match: 'Answer A:\\n<<<\\nSorry'  # optional: a regular expression searched in the last user message
        answer: "Verdict: B"            # the answer; \\1 or \\g<name> put in what `match` captured
      - match: '(billing|shipping)'
        answer: '\\1'
    default: OK                         # optional: the answer when no rule matches (default: echo the message)

The first rule whose every condition holds answers. A file that does not read as rules raises `RulesError`
naming the rule and the key, before the server starts. docs/fake-server.md.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ._calls import Provider, content_text, last_user_text
from ._script import AnswerFn

_KEYS = {"model", "system", "match", "answer"}


class RulesError(ValueError):
    """A rules file harness cannot use; the message names the file, the rule and the key."""


@dataclass(frozen=True)
class Rule:
    answer: str
    model: str | None = None
    system: re.Pattern[str] | None = None
    match: re.Pattern[str] | None = None

    def answers(self, model: str, system: str, text: str) -> str | None:
        if self.model is not None and not fnmatch.fnmatchcase(model, self.model):
            return None
        if self.system is not None and not self.system.search(system):
            return None
        if self.match is None:
            return self.answer
        found = self.match.search(text)
        return None if found is None else found.expand(self.answer)


def system_text(body: dict[str, Any]) -> str:
    """The request's system prompt: Anthropic's `system`, or OpenAI's system and developer messages."""
    if "system" in body:
        return content_text(body["system"])
    return "\n\n".join(content_text(m.get("content")) for m in body.get("messages") or []
                       if isinstance(m, dict) and m.get("role") in ("system", "developer"))


def load_rules(path: Path | str) -> tuple[list[Rule], str | None]:
    """The rules of a YAML (or JSON) file, and its default answer (None: echo the last user message)."""
    where = str(path)
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RulesError(f"{where}: cannot read the rules file: {str(exc).splitlines()[0]}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("rules"), list):
        raise RulesError(f"{where}: a rules file is a mapping with a `rules:` list (and an optional `default:`)")
    rules = [_rule(where, i, raw) for i, raw in enumerate(spec["rules"])]
    default = spec.get("default")
    if default is not None and not isinstance(default, str):
        raise RulesError(f"{where}: default: must be text")
    return rules, default


def _rule(where: str, i: int, raw: Any) -> Rule:
    at = f"{where}: rules[{i}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("answer"), str):
        raise RulesError(f"{at}: each rule is a mapping with an `answer:` text")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise RulesError(f"{at}: unknown key(s) {', '.join(unknown)}; a rule has {', '.join(sorted(_KEYS))}")
    patterns = {}
    for key in ("system", "match"):
        if raw.get(key) is not None:
            try:
                patterns[key] = re.compile(str(raw[key]))
            except re.error as exc:
                raise RulesError(f"{at}.{key}: not a regular expression: {exc}") from None
    return Rule(answer=raw["answer"], model=None if raw.get("model") is None else str(raw["model"]), **patterns)


def rules_answer(rules: list[Rule], default: str | None = None) -> AnswerFn:
    """A `Script.answer` that answers by the first matching rule, else `default` (else the last user message)."""

    def answer(provider: Provider, model: str, body: dict[str, Any]) -> str:
        text, system = last_user_text(body), system_text(body)
        for rule in rules:
            said = rule.answers(model, system, text)
            if said is not None:
                return said
        return text if default is None else default

    return answer
