"""Request bodies, journal keys, result-line parsing and the offline estimate (no server needed)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from harness.batch import BodySettings, approx_tokens, build_body, dropped_settings
from harness.batch._outcomes import Failure, Success, anthropic_result, openai_line, parse_jsonl, response_text
from harness.batch._requests import journal_key
from harness.journal import MIGRATIONS, Journal

FEW_SHOT = [("system", "Be brief."), ("user", "q1"), ("assistant", "a1"), ("user", "q2"), ("assistant", "a2"),
            ("user", "the question")]


def test_anthropic_body_caches_the_system_prompt_and_the_last_shot():
    body = build_body("anthropic", "claude-x", FEW_SHOT, BodySettings(max_tokens=7, temperature=0.5, stop=("\n",),
                                                                      cache_prompt=True))
    assert body["system"] == [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user", "assistant", "user"]
    assert body["messages"][1]["content"] == "a1"  # only the last shot carries the breakpoint
    assert body["messages"][3]["content"] == [{"type": "text", "text": "a2", "cache_control": {"type": "ephemeral"}}]
    assert body["messages"][4]["content"] == "the question"
    assert body["max_tokens"] == 7 and body["stop_sequences"] == ["\n"]
    assert "temperature" not in body  # API version 2026-10-21 rejects it
    assert dropped_settings("anthropic", "claude-x", BodySettings(temperature=0.5)) == ["temperature"]


def test_anthropic_body_without_caching_is_plain():
    body = build_body("anthropic", "claude-x", FEW_SHOT, BodySettings())
    assert "cache_control" not in json.dumps(body) and body["max_tokens"] == 1024


def test_openai_bodies():
    s = BodySettings(max_tokens=9, temperature=0.0, top_p=0.9, stop=("x",), seed=4, cache_prompt=True)
    body = build_body("openai", "gpt-4o-mini", FEW_SHOT, s)
    assert body["messages"][0] == {"role": "system", "content": "Be brief."} and len(body["messages"]) == 6
    assert (body["max_tokens"], body["temperature"], body["top_p"], body["stop"], body["seed"]) == (9, 0.0, 0.9, ["x"], 4)
    assert body["prompt_cache_key"].startswith("harness-")
    assert body["prompt_cache_key"] == build_body("openai", "gpt-4o-mini", FEW_SHOT[:-1] + [("user", "other")], s)[
        "prompt_cache_key"]  # same stable prefix, same cache key
    reasoning = build_body("openai", "gpt-5-mini", FEW_SHOT, s)
    assert reasoning["max_completion_tokens"] == 9 and "max_tokens" not in reasoning and "temperature" not in reasoning
    assert dropped_settings("openai", "o3", s) == ["temperature", "top_p"]


def test_journal_keys_separate_epochs_base_urls_and_bodies():
    body = build_body("openai", "gpt-x", FEW_SHOT, BodySettings())
    key = journal_key("openai", "http://a/v1", "gpt-x", body, 1)
    assert key == journal_key("openai", "http://a/v1", "gpt-x", json.loads(json.dumps(body)), 1)
    assert len({key, journal_key("openai", "http://a/v1", "gpt-x", body, 2),
                journal_key("openai", "http://b/v1", "gpt-x", body, 1),
                journal_key("openai", "http://a/v1", "gpt-x", {**body, "seed": 1}, 1)}) == 4
    assert len(key) == 64 and key.isalnum()  # a valid Anthropic custom_id as is


def test_openai_lines_each_parse_on_their_own():
    ok_body = {"choices": [{"message": {"content": "hi"}, "finish_reason": "stop"}],
               "usage": {"prompt_tokens": 10, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": 4}}}
    text = "\n".join([
        json.dumps({"custom_id": "a", "response": {"status_code": 200, "body": ok_body}, "error": None}),
        "this is not json",
        json.dumps({"custom_id": "b", "response": {"status_code": 400, "body": {"error": {"message": "bad"}}},
                    "error": None}),
        json.dumps({"custom_id": "c", "response": None, "error": {"code": "batch_expired", "message": "late"}}),
        json.dumps({"custom_id": "d", "response": {"status_code": 503, "body": {"error": {"message": "busy"}}},
                    "error": None}),
        json.dumps({"no_custom_id": True}),
        "",
    ])
    lines, bad = parse_jsonl(text)
    assert bad == 2
    outcomes = dict(openai_line(line) for line in lines)
    assert isinstance(outcomes["a"], Success)
    assert (outcomes["a"].usage.input_tokens, outcomes["a"].usage.cache_read_tokens) == (6, 4)
    assert outcomes["b"] == Failure("HTTP 400: bad", retryable=False)
    assert outcomes["c"] == Failure("batch_expired: late", retryable=True)
    assert outcomes["d"] == Failure("HTTP 503: busy", retryable=True)
    assert response_text("openai", outcomes["a"].response) == ("hi", "stop")


def test_anthropic_results_parse():
    message = {"content": [{"type": "text", "text": "yes"}], "stop_reason": "max_tokens",
               "usage": {"input_tokens": 3, "output_tokens": 1, "cache_read_input_tokens": 20,
                         "cache_creation_input_tokens": 0}}
    _, ok = anthropic_result({"custom_id": "a", "result": {"type": "succeeded", "message": message}})
    assert isinstance(ok, Success) and ok.usage.cache_read_tokens == 20
    assert response_text("anthropic", message) == ("yes", "max_tokens")
    err = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    assert anthropic_result({"custom_id": "b", "result": {"type": "errored", "error": err}})[1].retryable
    err["error"]["type"] = "invalid_request_error"
    assert not anthropic_result({"custom_id": "b", "result": {"type": "errored", "error": err}})[1].retryable
    assert anthropic_result({"custom_id": "c", "result": {"type": "expired"}})[1] == Failure("batch item expired", True)


@pytest.mark.parametrize("text, tokens", [("", 0), ("abc", 1), ("abcd", 2), ("x" * 300, 100)])
def test_approx_tokens_is_characters_over_three(text, tokens):
    assert approx_tokens(text) == tokens


def test_a_journal_from_before_the_batch_migration_still_loads(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version=1; COMMIT;")
    db.execute("INSERT INTO requests(key, provider, model, body, status, response, input_tokens, output_tokens,"
               " created_at) VALUES ('k', 'local', 'm', '{}', 'answered', '{\"content\": \"x\"}', 3, 1, 0)")
    db.commit()
    db.close()
    j = Journal(path)
    assert j.query("PRAGMA user_version") == [(len(MIGRATIONS),)]
    answer = j.answered("k")
    assert answer is not None and answer.response == {"content": "x"} and not answer.batch
    j.set_setting("last_run", {"a": 1})
    assert j.get_setting("last_run") == {"a": 1}
