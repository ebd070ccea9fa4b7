"""Self-hosted OpenAI-compatible endpoints (`openai-compatible/<name>`), without a model: the suite format and
its errors, busy-time and per-token prices, `harness prices` / `harness estimate`, and a run against the fake
OpenAI server (journal replay, bounded concurrency, the key read from `api_key_env` and written nowhere).
The real server (llama.cpp's, serving the bundled model) is in tests/test_endpoint_server.py."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from harness.cli import main
from harness.errors import InputError
from harness.pricing import ExplicitPrice, HourlyPrice, PriceNotFound, Usage, costs_for_call, lookup_price
from harness.providers import endpoint_stats, reset_endpoint_stats
from harness.suite import load_suite
from harness.testing import FakeProviders, HttpFault, Script, from_last_user

TASK = """\
tasks:
  - name: words
    dataset: [{text: alpha, target: alpha}, {text: bravo, target: bravo}]
    prompt: "Say {{text}}"
    scorer: includes
    candidates:
"""


def suite_text(head: str, *candidates: str) -> str:
    return "suite: ep\n" + textwrap.dedent(head) + TASK + "".join(f"      - {c}\n" for c in candidates)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    return path


SHARED = """\
endpoints:
  vllm: {base_url: "http://gpu-box:8000/v1/", api_key_env: VLLM_KEY, model: my-lora, hourly_usd: 2.5}
  ollama: {base_url: "http://localhost:11434/v1", max_concurrency: 2}
prices:
  openai-compatible/ollama: {input: 0.1, output: 0.2}
  openai-compatible/inline: {input: 0.3, output: 0.6}
"""


def test_endpoints_resolve_by_name_and_candidates_share_them(tmp_path):
    suite = load_suite(write(tmp_path, suite_text(
        SHARED, "{id: greedy, model: openai-compatible/vllm, max_tokens: 8}",
        "{id: warm, model: openai-compatible/vllm, max_tokens: 8, temperature: 0.7}",
        "{model: openai-compatible/ollama}",
        "{model: openai-compatible/inline, base_url: 'https://h.example/v1', api_key_env: H_KEY}")))
    e = suite.endpoints
    assert (e["vllm"].base_url, e["vllm"].model, e["vllm"].api_key_env) == ("http://gpu-box:8000/v1", "my-lora",
                                                                           "VLLM_KEY")
    assert (e["ollama"].model, e["ollama"].max_concurrency, e["inline"].base_url) == (
        "ollama", 2, "https://h.example/v1")
    greedy, warm = suite.tasks[0].candidates[:2]
    assert suite.endpoint(greedy) is suite.endpoint(warm) is e["vllm"]
    assert suite.prices["openai-compatible/vllm"] == HourlyPrice(
        hourly_usd=2.5, source=f"busy time at $2.5/h: {tmp_path / 'suite.yaml'} endpoints")


GOOD_ENDPOINT = "endpoints:\n  box: {base_url: 'http://box:8000/v1', hourly_usd: 1}\n"
# (name, suite head, candidate, substrings of the one problem: field, line, message, fix)
BROKEN = [
    ("unknown endpoint", GOOD_ENDPOINT, "{model: openai-compatible/bxo}",
     ["suite.yaml:10: tasks.0.candidates.0.model: unknown endpoint 'bxo'", "defined: box", "`base_url:`"]),
    ("missing base_url", "endpoints:\n  box: {hourly_usd: 1}\n", "{model: openai-compatible/box}",
     ["suite.yaml:3: endpoints.box.base_url: Field required", "add `base_url:`"]),
    ("base_url not http", "endpoints:\n  box: {base_url: 'localhost:8000/v1', hourly_usd: 1}\n",
     "{model: openai-compatible/box}", ["endpoints.box.base_url: base_url 'localhost:8000/v1' is not an http:// "
                                        "or https:// URL", "http://localhost:8000/v1"]),
    ("candidate base_url not http", "prices: {openai-compatible/x: {input: 1, output: 1}}\n",
     "{model: openai-compatible/x, base_url: 'ftp://h/v1'}",
     ["tasks.0.candidates.0.base_url: base_url 'ftp://h/v1' is not an http:// or https:// URL"]),
    ("base_url on another provider", GOOD_ENDPOINT, "{model: openai/gpt-4o-mini, base_url: 'http://h/v1'}",
     ["tasks.0.candidates.0.base_url: `base_url` applies to openai-compatible/<name> candidates only",
      "OPENAI_BASE_URL"]),
    ("base_url and endpoints entry", GOOD_ENDPOINT, "{model: openai-compatible/box, base_url: 'http://h/v1'}",
     ["tasks.0.candidates.0.base_url: endpoint 'box' is defined under `endpoints:`"]),
    ("api_key_env without base_url", GOOD_ENDPOINT, "{model: openai-compatible/box, api_key_env: K}",
     ["tasks.0.candidates.0.api_key_env: `api_key_env` without `base_url`"]),
    ("priced twice", GOOD_ENDPOINT + "prices: {openai-compatible/box: {input: 1, output: 1}}\n",
     "{model: openai-compatible/box}", ["suite.yaml:3: endpoints.box.hourly_usd: openai-compatible/box is priced "
                                        "twice", "keep one"]),
    ("no price", "endpoints:\n  box: {base_url: 'http://box:8000/v1'}\n", "{model: openai-compatible/box}",
     ["suite.yaml:3: endpoints.box: no price for openai-compatible/box", "hourly_usd"]),
    ("no price inline", "", "{model: openai-compatible/x, base_url: 'http://h/v1'}",
     ["tasks.0.candidates.0.model: no price for openai-compatible/x", "`prices:` entry"]),
    ("one server, two bounds", "endpoints:\n  a: {base_url: 'http://h/v1', hourly_usd: 1}\n"
     "  b: {base_url: 'http://h/v1', hourly_usd: 1, max_concurrency: 9}\n", "{model: openai-compatible/a}",
     ["endpoints.b.max_concurrency: http://h/v1 is also endpoint 'a', with max_concurrency 4"]),
    ("two servers, one name", "prices: {openai-compatible/x: {input: 1, output: 1}}\n",
     "{model: openai-compatible/x, base_url: 'http://h/v1'}\n      - {model: openai-compatible/x, base_url: "
     "'http://g/v1', max_tokens: 3}", ["tasks.0.candidates.1.base_url: openai-compatible/x is reached at "
                                       "http://h/v1", "a name means one server"]),
]


@pytest.mark.parametrize("name,head,candidate,expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_bad_endpoint_is_a_located_error_with_a_fix(tmp_path, capsys, name, head, candidate, expected):
    path = write(tmp_path, suite_text(head, candidate))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for part in expected:
        assert part in err, err


def test_a_key_pasted_into_api_key_env_is_refused_without_being_echoed(tmp_path):
    secret = "sk-live-0123456789abcdef"
    path = write(tmp_path, suite_text(f"endpoints:\n  box: {{base_url: 'http://h/v1', api_key_env: {secret}, "
                                      "hourly_usd: 1}\n", "{model: openai-compatible/box}"))
    with pytest.raises(InputError) as info:
        load_suite(path)
    assert "endpoints.box.api_key_env" in str(info.value) and "not the key itself" in str(info.value)
    assert secret not in str(info.value)


def test_hourly_endpoint_costs_its_share_of_busy_time_per_token_endpoint_its_tokens():
    hourly = {"openai-compatible/box": HourlyPrice(hourly_usd=3.6, source="s")}
    price = lookup_price("openai-compatible/box", hourly)
    assert (price.hourly_usd, price.batch_discount) == (3.6, None)
    costs = costs_for_call("openai-compatible/box", Usage(100, 10, compute_seconds=0.25), batch=True,
                           cache_prompt=False, explicit=hourly)
    assert costs.eval_usd == costs.prod_usd == 0.00025  # 0.25 s at $3.60/h, exactly; no batch discount
    tokens = {"openai-compatible/box": ExplicitPrice(input=0.5, output=1.5)}
    assert costs_for_call("openai-compatible/box", Usage(1000, 200, cache_read_tokens=24), batch=True,
                          cache_prompt=False, explicit=tokens).eval_usd == pytest.approx((1024 * 0.5 + 200 * 1.5) / 1e6)
    with pytest.raises(PriceNotFound, match="self-hosted endpoint: give its `endpoints:` entry an hourly_usd"):
        lookup_price("openai-compatible/box")


def test_busy_credits_add_up_to_busy_time(monkeypatch):
    from harness.providers import _busy

    now = [0.0]
    monkeypatch.setattr(_busy.time, "perf_counter", lambda: now[0])
    box = _busy.Server("http://ledger.invalid/v1", 2)
    a = box.call()
    credit_a = a.__enter__()
    now[0] = 1.0
    b = box.call()
    credit_b = b.__enter__()
    now[0] = 3.0
    a.__exit__(None, None, None)
    now[0] = 4.0
    b.__exit__(None, None, None)
    assert (credit_a, credit_b) == ([2.0], [2.0])  # a: 1 alone + 2/2 shared; b: 2/2 shared + 1 alone
    with box.call() as c:  # 4-5 alone, 5-7 with d (1 each), 7-8 alone: 3 s; d 1 s
        now[0] = 5.0
        with box.call() as d:
            now[0] = 7.0
        now[0] = 8.0
    assert (c, d) == ([3.0], [1.0])
    stats = box.stats()
    assert (stats.busy_s, stats.calls, stats.max_in_flight) == (8.0, 4, 2)


def test_prices_and_estimate_show_endpoints(tmp_path, capsys):
    path = write(tmp_path, suite_text(SHARED, "{id: lora, model: openai-compatible/vllm, max_tokens: 8}",
                                      "{id: olla, model: openai-compatible/ollama, max_tokens: 8}"))
    assert main(["prices", "openai-compatible/vllm", "openai-compatible/ollama", "--suite", str(path)]) == 0
    out = capsys.readouterr().out
    assert "busy time at $2.5/h" in out and "0.1" in out and "0.2" in out and "suite prices" in out
    assert main(["estimate", str(path)]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[1]: line for line in out.splitlines() if line.startswith("words")}
    assert "endpoint" in rows["lora"] and rows["lora"].split()[-2:] == ["-", "-"]
    assert "lora (openai-compatible/vllm): priced by busy time after the run ($2.5/h)" in out
    # olla: 2 requests, 16 output tokens at most, input ≈ chars / 3 + 8 per message, at $0.1 / $0.2 per MTok
    assert "16" in rows["olla"] and "$0.0000" in rows["olla"]


def test_the_running_docs_example_is_a_valid_suite(tmp_path):
    running = (Path(__file__).resolve().parents[1] / "docs" / "running.md").read_text()
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", running, flags=re.S) if b.startswith("endpoints:")]
    names = re.findall(r"^  ([a-z0-9-]+):", block, flags=re.M)
    candidates = "".join(f"      - {{model: openai-compatible/{n}, max_tokens: 8}}\n" for n in names)
    suite = load_suite(write(tmp_path, "suite: docs\n" + block + TASK + candidates))
    e = suite.endpoints
    assert sorted(e) == ["laptop", "qwen-7b", "rented", "support-lora"]
    assert (e["qwen-7b"].model, e["support-lora"].model, e["laptop"].model) == (
        "Qwen/Qwen2.5-7B-Instruct", "support-lora", "llama3.2:3b")
    assert lookup_price("openai-compatible/rented", suite.prices).input == 0.20
    assert lookup_price("openai-compatible/laptop", suite.prices).hourly_usd == 0


# --- a run against the fake OpenAI server ------------------------------------------------------------------

KEY = "sk-endpoint-test-key-51c0"


@pytest.fixture
def fake(monkeypatch, tmp_path):
    monkeypatch.setenv("BOX_KEY", KEY)
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    script = Script(answer=from_last_user(lambda text: text.split()[-1]), latency=0.15, api_key=KEY,
                    http_faults=[HttpFault(500, "openai.chat.completions", times=1)])
    with FakeProviders(script) as server:
        yield server


def run_suite(tmp_path: Path, base_url: str) -> tuple[Path, Path]:
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    suite = {"suite": "ep", "endpoints": {"box": {"base_url": base_url, "api_key_env": "BOX_KEY", "hourly_usd": 3.6,
                                                  "max_concurrency": 3}},
             "tasks": [{"name": "words", "dataset": [{"text": w, "target": w} for w in words],
                        "prompt": "Say {{text}}", "scorer": "includes",
                        "candidates": [{"id": "box", "model": "openai-compatible/box", "max_tokens": 8}]}]}
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path, tmp_path / "reports"


def test_run_journals_every_answer_and_a_rerun_calls_nothing(fake, tmp_path):
    path, reports = run_suite(tmp_path, fake.openai_base_url)
    reset_endpoint_stats()
    assert main(["run", str(path), "--reports", str(reports), "--display", "none"]) == 0
    stats = endpoint_stats()[fake.openai_base_url]
    sent = fake.counters.received("openai.chat.completions")
    assert stats.calls == 8 and len(sent) == 9  # one 500, retried by the SDK
    assert 2 <= stats.max_in_flight <= 3  # bounded by max_concurrency
    df = pd.read_parquet(reports / "results.parquet")
    assert (df["score"] == 1).all() and (df["input_tokens"] > 0).all() and (df["output_tokens"] == 1).all()
    assert df["latency_s"].min() >= 0.15 and df["error"].isna().all()
    # $3.60/h: each call its share of the busy time, which the shares add up to
    assert df["cost_usd"].sum() == pytest.approx(stats.busy_s / 1000, rel=1e-6)
    for again in ("logs kept", "logs removed"):
        if again == "logs removed":
            shutil.rmtree(reports / "logs")
        reset_endpoint_stats()
        assert main(["run", str(path), "--reports", str(reports), "--display", "none"]) == 0
        assert endpoint_stats()[fake.openai_base_url].calls == 0, again
        assert len(fake.counters.received("openai.chat.completions")) == 9, again
        rerun = pd.read_parquet(reports / "results.parquet")
        assert rerun[["input_tokens", "output_tokens", "cost_usd"]].equals(df[["input_tokens", "output_tokens",
                                                                                "cost_usd"]])
    leaked = [p for p in reports.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert leaked == []


def test_unset_key_variable_stops_the_run_before_any_call(fake, tmp_path, monkeypatch, capsys):
    path, reports = run_suite(tmp_path, fake.openai_base_url)
    monkeypatch.delenv("BOX_KEY")
    assert main(["run", str(path), "--reports", str(reports), "--display", "none"]) == 2
    err = capsys.readouterr().err
    assert "endpoints.box.api_key_env: the environment variable BOX_KEY is not set" in err
    assert fake.counters.received("openai.chat.completions") == []
