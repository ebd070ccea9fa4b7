"""`python -m harness.testing --rules FILE`: the fake server's answers from a rules file (docs/fake-server.md)."""

from __future__ import annotations

import re
import subprocess
import sys

import openai
import pytest

from harness.testing import FakeProviders, RulesError, Script, load_rules, rules_answer

RULES = r"""
rules:
  - model: judge-*
    match: 'Answer A:\n<<<\nbad'
    answer: "Verdict: B"
  - model: judge-*
    answer: "Verdict: same"
  - system: You route
    match: '(?i)(billing|shipping)'
    answer: '\1'
  - system: You route
    answer: other
default: fallback
"""


def body(model: str, user: str, system: str | None = None) -> dict:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]
    return {"model": model, "messages": messages}


def test_the_first_matching_rule_answers(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    answer = rules_answer(*load_rules(path))
    assert answer("openai", "judge-1", body("judge-1", "Answer A:\n<<<\nbad\n>>>")) == "Verdict: B"
    assert answer("openai", "judge-1", body("judge-1", "Answer A:\n<<<\ngood\n>>>")) == "Verdict: same"
    assert answer("openai", "gpt-x", body("gpt-x", "a SHIPPING question", "You route tickets")) == "SHIPPING"
    assert answer("openai", "gpt-x", body("gpt-x", "hello", "You route tickets")) == "other"
    assert answer("openai", "gpt-x", body("gpt-x", "hello")) == "fallback"
    anthropic_body = {"model": "m", "system": [{"type": "text", "text": "You route"}],
                      "messages": [{"role": "user", "content": "billing please"}]}
    assert answer("anthropic", "m", anthropic_body) == "billing"
    # without a default, an unmatched request is echoed
    assert rules_answer(load_rules(path)[0])("openai", "x", body("x", "echo me")) == "echo me"


@pytest.mark.parametrize("text, message", [
    ("rules: {}", "a rules file is a mapping with a `rules:` list"),
    ("rules:\n  - model: x\n", "rules[0]: each rule is a mapping with an `answer:` text"),
    ("rules:\n  - answer: x\n    when: y\n", "rules[0]: unknown key(s) when"),
    ("rules:\n  - answer: x\n    match: '('\n", "rules[0].match: not a regular expression"),
    ("rules: [\n", "cannot read the rules file"),
])
def test_a_bad_rules_file_is_refused_with_where(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RulesError, match=re.escape(message)):
        load_rules(path)


def test_the_command_refuses_a_bad_rules_file_with_exit_2(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules: {}")
    done = subprocess.run([sys.executable, "-m", "harness.testing", "--port", "0", "--rules", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "a rules file is a mapping" in done.stderr and "Traceback" not in done.stderr


def test_the_real_sdk_gets_the_rules_answer(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    with FakeProviders(Script(answer=rules_answer(*load_rules(path)))) as fake:
        client = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-fake", max_retries=0)
        got = client.chat.completions.create(model="gpt-x", messages=[
            {"role": "system", "content": "You route tickets."}, {"role": "user", "content": "billing issue"}])
    assert got.choices[0].message.content == "billing"
