"""harness.testing: the fake provider server, driven through the REAL SDKs."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import subprocess
import sys
import time
import urllib.request

import anthropic
import openai
import pytest
from _batch_support import env, harness, results, write_suite  # noqa: F401

from harness.testing import (
    FakeProviders,
    HttpFault,
    ItemFault,
    ManualClock,
    Script,
    body_key,
    custom_id_in,
    echo,
    fixed,
    replies,
    text_contains,
)
from harness.testing._wire import ApiError, parse_multipart

KEY = "sk-test-fake"
USER_X = [{"role": "user", "content": "x"}]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock):
    with FakeProviders(Script(answer=echo("echo: "), clock=clock, batch_processing_seconds=60)) as server:
        yield server


def claude(fake: FakeProviders, **kwargs) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key=KEY, **kwargs)


def gpt(fake: FakeProviders, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.openai_base_url, api_key=KEY, **kwargs)


def a_request(custom_id: str, text: str) -> dict:
    params = {"model": "claude-x", "max_tokens": 16, "messages": [{"role": "user", "content": text}]}
    return {"custom_id": custom_id, "params": params}


def o_line(custom_id: str, text: str, model: str = "gpt-x") -> dict:
    body = {"model": model, "messages": [{"role": "user", "content": text}]}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def upload(client: openai.OpenAI, lines: list[dict]) -> str:
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    return client.files.create(file=("input.jsonl", data), purpose="batch").id


def start_batch(client: openai.OpenAI, file_id: str) -> str:
    return client.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h").id


def jsonl_lines(text: str) -> list[dict]:
    assert "\r" not in text and "\n\n" not in text
    return [json.loads(line) for line in text.splitlines()]


# --- Anthropic ----------------------------------------------------------------


def test_anthropic_message(fake: FakeProviders) -> None:
    body = {"model": "claude-x", "max_tokens": 32, "messages": [{"role": "user", "content": "hello fake world"}]}
    message = claude(fake).messages.create(**body)
    assert message.content[0].text == "echo: hello fake world"
    assert message.usage.input_tokens == 3 and message.usage.output_tokens == 4
    assert message._request_id and message._request_id.startswith("req_")
    assert fake.counters.endpoints["anthropic.messages"] == 1
    assert fake.counters.models[("anthropic", "claude-x")] == 1
    assert fake.counters.items[body_key(body)] == 1


def test_anthropic_rejects_stream_and_requires_a_key(fake: FakeProviders) -> None:
    with pytest.raises(anthropic.BadRequestError, match="does not stream"):
        claude(fake).messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}], stream=True)
    body = json.dumps({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}).encode()
    url = fake.anthropic_base_url + "/v1/messages"
    no_key = urllib.request.Request(url, body, {"content-type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(no_key)
    assert caught.value.code == 401 and caught.value.headers["request-id"]
    assert json.load(caught.value)["error"]["type"] == "authentication_error"
    with_x_api_key = urllib.request.Request(url, body, {"content-type": "application/json", "x-api-key": KEY})
    assert json.load(urllib.request.urlopen(with_x_api_key))["type"] == "message"


def test_anthropic_prompt_caching(fake: FakeProviders, clock: ManualClock) -> None:
    system = [{"type": "text", "text": "rules " * 100, "cache_control": {"type": "ephemeral"}}]

    def ask(text: str) -> anthropic.types.Usage:
        messages = [{"role": "user", "content": text}]
        return claude(fake).messages.create(model="claude-x", max_tokens=8, system=system, messages=messages).usage

    first, second = ask("one question"), ask("another question here")
    assert (first.cache_creation_input_tokens, first.cache_read_input_tokens, first.input_tokens) == (100, 0, 2)
    assert (second.cache_creation_input_tokens, second.cache_read_input_tokens, second.input_tokens) == (0, 100, 3)
    clock.advance(301)  # past the 5-minute TTL
    assert ask("later").cache_creation_input_tokens == 100


def test_anthropic_batch_lifecycle_and_results(fake: FakeProviders, clock: ManualClock) -> None:
    fake.script.item_faults += [
        ItemFault("error", custom_id_in("b"), status=400, message="bad params"),
        ItemFault("expired", custom_id_in("c")),
        ItemFault("missing", custom_id_in("d")),
        ItemFault("canceled", custom_id_in("e")),
    ]
    client = claude(fake)
    batch = client.messages.batches.create(requests=[a_request(c, f"item {c}") for c in "abcde"])
    assert batch.processing_status == "in_progress" and batch.results_url is None
    assert batch.request_counts.processing == 5
    clock.advance(59)
    assert client.messages.batches.retrieve(batch.id).processing_status == "in_progress"
    clock.advance(1)
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.ended_at is not None
    assert ended.results_url == f"{fake.url}/v1/messages/batches/{batch.id}/results"
    counts = ended.request_counts
    assert (counts.processing, counts.succeeded, counts.errored, counts.expired, counts.canceled) == (0, 2, 1, 1, 1)
    results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
    assert set(results) == {"a", "b", "c", "e"}  # "d" is missing
    assert results["a"].type == "succeeded" and results["a"].message.content[0].text == "echo: item a"
    assert results["a"].message.usage.service_tier == "batch"
    assert results["b"].type == "errored"
    assert (results["b"].error.error.type, results["b"].error.error.message) == ("invalid_request_error", "bad params")
    assert (results["c"].type, results["e"].type) == ("expired", "canceled")
    raw = urllib.request.urlopen(urllib.request.Request(ended.results_url, headers={"x-api-key": KEY})).read()
    assert raw.endswith(b"\n") and b"\n\n" not in raw and b"\r" not in raw
    assert client.messages.batches.delete(batch.id).type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(batch.id)
    assert fake.counters.each_item_once() and len(fake.counters.custom_ids) == 5


def test_anthropic_batch_list_paging(fake: FakeProviders) -> None:
    client = claude(fake)
    ids = [client.messages.batches.create(requests=[a_request("x", f"batch {i}")]).id for i in range(5)]
    newest_first = ids[::-1]
    assert [b.id for b in client.messages.batches.list(limit=2)] == newest_first  # auto-paging
    page = client.messages.batches.list(limit=2)
    assert (page.has_more, page.first_id, page.last_id) == (True, newest_first[0], newest_first[1])
    last = client.messages.batches.list(limit=2, after_id=newest_first[3])
    assert [b.id for b in last.data] == [newest_first[4]] and last.has_more is False
    before = client.messages.batches.list(limit=2, before_id=newest_first[3])
    assert [b.id for b in before.data] == newest_first[1:3] and before.has_more is True


def test_anthropic_batch_cancel(fake: FakeProviders) -> None:
    client = claude(fake)
    batch = client.messages.batches.create(requests=[a_request(c, c) for c in "xy"])
    canceling = client.messages.batches.cancel(batch.id)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at is not None
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.request_counts.canceled == 2
    assert [r.result.type for r in client.messages.batches.results(batch.id)] == ["canceled", "canceled"]
    with pytest.raises(anthropic.BadRequestError):
        client.messages.batches.cancel(batch.id)


def test_anthropic_whole_batch_failure_errors_every_item(fake: FakeProviders, clock: ManualClock) -> None:
    fake.script.fail_batch_when = lambda items: len(items) == 2
    client = claude(fake)
    batch = client.messages.batches.create(requests=[a_request(c, c) for c in "xy"])
    clock.advance(60)
    results = list(client.messages.batches.results(batch.id))
    assert [r.result.type for r in results] == ["errored", "errored"]


# --- OpenAI -------------------------------------------------------------------


def test_openai_chat_completion_and_automatic_caching(fake: FakeProviders) -> None:
    client = gpt(fake)
    shared = "context " * 1200

    def ask(question: str) -> openai.types.CompletionUsage:
        messages = [{"role": "system", "content": shared}, {"role": "user", "content": question}]
        completion = client.chat.completions.create(model="gpt-x", messages=messages)
        assert completion.choices[0].message.content == "echo: " + question
        assert completion.usage is not None
        return completion.usage

    first, second = ask("short question"), ask("a different question")
    assert first.prompt_tokens == 1 + 1200 + 1 + 2 and first.prompt_tokens_details.cached_tokens == 0
    # the shared prefix is 1202 tokens (two role tokens + 1200 words): cached in 128-token steps from 1024
    assert second.prompt_tokens == 1 + 1200 + 1 + 3 and second.prompt_tokens_details.cached_tokens == 1152
    assert fake.counters.models[("openai", "gpt-x")] == 2


def test_openai_batch_output_and_error_files(fake: FakeProviders, clock: ManualClock) -> None:
    fake.script.answer = replies({"capital": "Paris"}, default="?")
    fake.script.item_faults += [
        ItemFault("error", custom_id_in("bad"), status=400),
        ItemFault("missing", custom_id_in("lost")),
    ]
    client = gpt(fake)
    file_id = upload(client, [o_line("ok", "capital of France"), o_line("bad", "x"), o_line("lost", "y")])
    assert client.files.retrieve(file_id).purpose == "batch"
    batch = client.batches.create(input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h")
    assert batch.status == "validating"
    assert client.batches.retrieve(batch.id).status == "in_progress"
    clock.advance(60)
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.completed_at is not None
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (3, 2, 1)
    [success] = jsonl_lines(client.files.content(done.output_file_id).text)
    assert success["custom_id"] == "ok" and success["error"] is None and success["response"]["status_code"] == 200
    assert success["response"]["body"]["choices"][0]["message"]["content"] == "Paris"
    [failure] = jsonl_lines(client.files.content(done.error_file_id).text)
    assert failure["custom_id"] == "bad" and failure["error"] is None
    assert failure["response"]["status_code"] == 400
    assert set(failure["response"]["body"]["error"]) == {"message", "type", "param", "code"}
    assert client.files.retrieve(done.output_file_id).purpose == "batch_output"


def test_openai_batch_expired_lines(fake: FakeProviders, clock: ManualClock) -> None:
    fake.script.item_faults.append(ItemFault("expired", text_contains("slow")))
    client = gpt(fake)
    batch = client.batches.create(
        input_file_id=upload(client, [o_line("a", "fast"), o_line("b", "slow")]),
        endpoint="/v1/chat/completions", completion_window="24h",
    )
    clock.advance(60)
    done = client.batches.retrieve(batch.id)
    assert done.status == "expired" and done.expired_at is not None
    [expired] = jsonl_lines(client.files.content(done.error_file_id).text)
    assert expired["response"] is None and expired["error"]["code"] == "batch_expired"
    assert len(jsonl_lines(client.files.content(done.output_file_id).text)) == 1


def test_openai_batch_cancel_and_list(fake: FakeProviders) -> None:
    client = gpt(fake)
    file_id = upload(client, [o_line("a", "q")])
    ids = [start_batch(client, file_id) for _ in range(3)]
    assert client.batches.cancel(ids[0]).status == "cancelling"
    cancelled = client.batches.retrieve(ids[0])
    assert cancelled.status == "cancelled" and cancelled.output_file_id is None
    [line] = jsonl_lines(client.files.content(cancelled.error_file_id).text)
    assert line["error"]["code"] == "batch_cancelled"
    with pytest.raises(openai.BadRequestError):
        client.batches.cancel(ids[0])
    assert [b.id for b in client.batches.list(limit=2)] == ids[::-1]
    assert client.batches.list(limit=2).has_more is True


def test_openai_whole_batch_failure_and_invalid_input(fake: FakeProviders) -> None:
    client = gpt(fake)
    bad = client.files.create(file=("in.jsonl", b'{"custom_id": "a"}\nnot json\n'), purpose="batch")
    failed = client.batches.retrieve(start_batch(client, bad.id))
    assert failed.status == "failed" and [e.line for e in failed.errors.data] == [1, 2]
    fake.script.fail_batch_when = lambda items: True
    good = upload(client, [o_line("a", "q"), o_line("b", "r")])
    scripted = client.batches.retrieve(start_batch(client, good))
    assert scripted.status == "failed" and len(scripted.errors.data) == 2 and scripted.failed_at


def test_files_roundtrip_is_byte_exact(fake: FakeProviders) -> None:
    client = gpt(fake)
    data = 'line one\r\nline two ☃ "quoted"\n--not-a-boundary\n'.encode()
    stored = client.files.create(file=('semi;colon name.jsonl', data), purpose="batch")
    assert stored.bytes == len(data) and stored.filename == 'semi;colon name.jsonl'
    assert client.files.content(stored.id).content == data
    assert client.files.delete(stored.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(stored.id)


def test_multipart_parser_quoted_boundary_and_malformed_parts() -> None:
    content_type = 'multipart/form-data; boundary="b\\"x"'
    body = b'--b"x\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--b"x--\r\n'
    assert parse_multipart(content_type, body)["purpose"].data == b"batch"
    with pytest.raises(ApiError):
        parse_multipart(content_type, b'--b"x\r\nContent-Disposition: form-data; name="purpose"\r\nbatch\r\n--b"x--')
    with pytest.raises(ApiError):
        parse_multipart("application/json", body)


def test_chunked_request_body(fake: FakeProviders) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port)
    payload = json.dumps({"model": "gpt-x", "messages": [{"role": "user", "content": "chunks"}]}).encode()
    chunks = iter([payload[:10], payload[10:]])
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    conn.request("POST", "/v1/chat/completions", chunks, headers, encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 200 and response.headers["x-request-id"]
    assert json.load(response)["choices"][0]["message"]["content"] == "echo: chunks"


def test_openai_wrong_key_gets_the_error_envelope(fake: FakeProviders) -> None:
    fake.script.api_key = "sk-right"
    with pytest.raises(openai.AuthenticationError) as caught:
        gpt(fake).chat.completions.create(model="gpt-x", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "invalid_api_key" and caught.value.request_id


# --- faults, retries, latency -------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 529])
@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_sdks_retry_scripted_http_faults(fake: FakeProviders, provider: str, status: int) -> None:
    endpoint = "anthropic.messages" if provider == "anthropic" else "openai.chat.completions"
    fake.script.fail_next(endpoint, status, times=2)
    messages = [{"role": "user", "content": "retry me"}]
    if provider == "anthropic":
        text = claude(fake).messages.create(model="m", max_tokens=5, messages=messages).content[0].text
    else:
        text = gpt(fake).chat.completions.create(model="m", messages=messages).choices[0].message.content
    assert text == "echo: retry me"
    assert fake.counters.endpoints[endpoint] == 3
    assert [r.retry_count for r in fake.counters.received(endpoint)] == [0, 1, 2]
    assert [r.status for r in fake.counters.received(endpoint)] == [status, status, 200]
    assert list(fake.counters.items.values()) == [1]  # generated once


def test_exhausted_retries_raise_the_sdk_error_classes(fake: FakeProviders) -> None:
    fake.script.fail_next("*", 529, times=2)
    with pytest.raises(anthropic.OverloadedError):
        claude(fake, max_retries=0).messages.create(model="m", max_tokens=5, messages=USER_X)
    with pytest.raises(openai.InternalServerError):
        gpt(fake, max_retries=0).chat.completions.create(model="m", messages=USER_X)


def test_http_fault_selected_by_a_predicate_on_the_body(fake: FakeProviders) -> None:
    fake.script.http_faults.append(HttpFault(429, "openai.*", times=None, when=lambda body: "flaky" in str(body)))
    client = gpt(fake, max_retries=0)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "flaky one"}])
    assert client.chat.completions.create(model="m", messages=USER_X).choices[0].message.content == "echo: x"


def test_zero_processing_time_ends_a_batch_at_the_first_read() -> None:
    with FakeProviders(Script(batch_processing_seconds=0)) as server:
        client = claude(server)
        batch = client.messages.batches.create(requests=[a_request("only", "q")])
        assert batch.processing_status == "in_progress"
        assert client.messages.batches.retrieve(batch.id).processing_status == "ended"


def test_retried_batch_create_counts_items_once(fake: FakeProviders) -> None:
    fake.script.fail_next("anthropic.batches.create", 500)
    claude(fake).messages.batches.create(requests=[a_request(c, c) for c in "xyz"])
    assert fake.counters.endpoints["anthropic.batches.create"] == 2
    assert fake.counters.each_item_once() and sum(fake.counters.items.values()) == 3


def test_latency_applies_to_sync_requests(fake: FakeProviders) -> None:
    fake.script.latency = 0.3
    started = time.monotonic()
    gpt(fake).chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert time.monotonic() - started >= 0.3


# --- inspect-ai providers in batch mode, and the CLI ---------------------------


@pytest.mark.parametrize("model", ["anthropic/claude-3-5-haiku-latest", "openai/gpt-4o-mini"])
def test_inspect_batch_mode_happy_path(model: str, tmp_path, monkeypatch) -> None:
    from inspect_ai import Task, eval_async
    from inspect_ai.dataset import Sample
    from inspect_ai.model import BatchConfig
    from inspect_ai.scorer import includes

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    with FakeProviders(Script(answer=fixed("x marks the spot"))) as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        task = Task(dataset=[Sample(input="hi", target="x"), Sample(input="yo", target="x")], scorer=includes())
        run = eval_async(
            task, model=model, log_dir=str(tmp_path / "logs"), max_retries=0,
            batch=BatchConfig(size=2, send_delay=0.1, tick=0.1),
        )
        [log] = asyncio.run(asyncio.wait_for(run, timeout=45))  # a missing result would hang
        provider = model.split("/")[0]
        assert log.status == "success" and log.results.scores[0].metrics["accuracy"].value == 1.0
        assert server.counters.endpoints[f"{provider}.batches.create"] == 1
        assert server.counters.models[(provider, model.split("/")[1])] == 2
        assert server.counters.each_item_once()


def test_cli_serves_both_providers() -> None:
    command = [sys.executable, "-m", "harness.testing", "--port", "0", "--answer", "hi", "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        client = anthropic.Anthropic(base_url=url, api_key=KEY)
        assert client.messages.create(model="m", max_tokens=5, messages=USER_X).content[0].text == "hi"
        completion = openai.OpenAI(base_url=url + "/v1", api_key=KEY).chat.completions.create(model="m", messages=USER_X)
        assert completion.choices[0].message.content == "hi"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- generation bounds: max_tokens and stop sequences --------------------------

TEN = "one two three four five six seven eight nine ten"


def test_anthropic_max_tokens_and_stop_sequences_bound_the_answer(fake: FakeProviders) -> None:
    fake.script.answer = fixed(TEN)

    def ask(**bounds) -> tuple:
        m = claude(fake).messages.create(model="claude-x", messages=USER_X, **{"max_tokens": 64, **bounds})
        return m.content[0].text, m.stop_reason, m.stop_sequence, m.usage.output_tokens

    assert ask(max_tokens=4) == ("one two three four", "max_tokens", None, 4)
    assert ask(stop_sequences=["seven", " fi"]) == ("one two three four", "stop_sequence", " fi", 4)  # the earliest
    assert ask(max_tokens=3, stop_sequences=["five"]) == ("one two three", "max_tokens", None, 3)  # the limit came first
    assert ask(max_tokens=10) == (TEN, "end_turn", None, 10)
    assert ask(stop_sequences=["eleven"]) == (TEN, "end_turn", None, 10)


def test_openai_max_tokens_and_stop_bound_the_answer(fake: FakeProviders) -> None:
    fake.script.answer = fixed(TEN)

    def ask(**bounds) -> tuple:
        c = gpt(fake).chat.completions.create(model="gpt-x", messages=USER_X, **bounds)
        assert c.usage is not None
        return c.choices[0].message.content, c.choices[0].finish_reason, c.usage.completion_tokens

    assert ask(max_tokens=4) == ("one two three four", "length", 4)
    assert ask(max_completion_tokens=3, max_tokens=9) == ("one two three", "length", 3)  # the newer field wins
    assert ask(stop=" five") == ("one two three four", "stop", 4)
    assert ask(stop=["nine", "six"]) == ("one two three four five ", "stop", 5)
    assert ask() == (TEN, "stop", 10)


def test_batch_items_are_bounded_like_sync_calls(fake: FakeProviders, clock: ManualClock) -> None:
    fake.script.answer = fixed(TEN)
    bounds = {"anthropic": [("cut", {"max_tokens": 4}), ("stop", {"stop_sequences": [" six"]}), ("whole", {})],
              "openai": [("cut", {"max_completion_tokens": 4}), ("stop", {"stop": [" six"]}), ("whole", {})]}
    a, o = claude(fake), gpt(fake)
    params = {"model": "claude-x", "max_tokens": 16, "messages": USER_X}
    a_batch = a.messages.batches.create(requests=[{"custom_id": c, "params": {**params, **b}}
                                                  for c, b in bounds["anthropic"]])
    body = {"model": "gpt-x", "messages": USER_X}
    lines = [{**o_line(c, "x"), "body": {**body, **b}} for c, b in bounds["openai"]]
    o_batch = start_batch(o, upload(o, lines))
    clock.advance(60)
    messages = {r.custom_id: r.result.message for r in a.messages.batches.results(a_batch.id)}
    assert {c: (m.content[0].text, m.stop_reason, m.stop_sequence, m.usage.output_tokens)
            for c, m in messages.items()} == {"cut": ("one two three four", "max_tokens", None, 4),
                                              "stop": ("one two three four five", "stop_sequence", " six", 5),
                                              "whole": (TEN, "end_turn", None, 10)}
    done = o.batches.retrieve(o_batch)
    completions = {line["custom_id"]: openai.types.chat.ChatCompletion.model_validate(line["response"]["body"])
                   for line in jsonl_lines(o.files.content(done.output_file_id).text)}
    assert {c: (r.choices[0].message.content, r.choices[0].finish_reason, r.usage.completion_tokens)
            for c, r in completions.items()} == {"cut": ("one two three four", "length", 4),
                                                 "stop": ("one two three four five", "stop", 5),
                                                 "whole": (TEN, "stop", 10)}
    assert done.usage.output_tokens == 4 + 5 + 10


@pytest.mark.parametrize("mode", [[], ["--no-batch"]], ids=["batch", "sync"])
@pytest.mark.parametrize("model", ["anthropic/claude-x", "openai/gpt-x"])
def test_a_run_costs_no_more_than_its_estimate_when_answers_outgrow_max_tokens(env, tmp_path, capsys, model, mode):
    # 100 samples: `harness estimate` prints 4 decimals, and the bound must be far above that rounding.
    env(Script(answer=fixed(TEN)))
    suite = write_suite(tmp_path / "suite.yaml", [{"id": "short", "model": model, "max_tokens": 4}], n=100)
    assert harness("estimate", str(suite), *mode) == 0
    [row] = [line for line in capsys.readouterr().out.splitlines() if " short " in line]
    bound = float(re.findall(r"\$([\d.]+)", row)[0])
    assert harness("run", str(suite), "--reports", str(tmp_path / "r"), "--display", "none", *mode) == 0
    df = results(tmp_path / "r")
    assert len(df) == 100 and (df["output_tokens"] <= 4).all() and (df["output_tokens"] > 0).all()
    assert 0 < df["cost_usd"].sum() <= bound
