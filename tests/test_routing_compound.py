"""Compound routes in the routing table: built by `harness select`, run with `route.call` through the REAL
openai and anthropic SDKs against the fake provider server, router artifacts checked by sha256, old
tables still read, and the LiteLLM and Python exports saying what they cannot apply.

The table comes from the real selection path: a suite with `compound:` candidates and `prices:`, a
synthetic results file, `harness select --suite`. Four tasks, one per kind of compound route:

- totals: cascade mini > big on `parses` (numeric: mini says "I cannot tell" on urgent orders);
- sure:   cascade mini > big on `confidence` (mini, with logprobs, is unsure when it is wrong);
- quotes: cascade mini > flash > big, `agree` with flash, then `parses` (flash says "unsure");
- triage: router mini | big on the ticket text (mini is wrong on "urgent complicated" tickets).
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import anthropic
import numpy as np
import openai
import pandas as pd
import pytest
import yaml
from test_routing_litellm import offline  # noqa: F401  (the network blocked, LiteLLM's price map bundled)

from harness import routing
from harness.cli import main
from harness.errors import InputError
from harness.testing import FakeProviders, Script, last_user_text

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-test-compound"
PRICES = {"openai/gpt-x": {"input": 0.5, "output": 2.0, "cache_read": 0.25},
          "openai/gpt-y": {"input": 0.2, "output": 0.8, "cache_read": 0.1},
          "anthropic/claude-x": {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75}}
MINI = {"id": "mini", "model": "openai/gpt-x", "max_tokens": 8, "temperature": 0}
SURE = {**MINI, "logprobs": True}  # the confidence check reads mini's log-probabilities
FLASH = {"id": "flash", "model": "openai/gpt-y", "max_tokens": 8, "temperature": 0}
BIG = {"id": "big", "model": "anthropic/claude-x", "max_tokens": 8, "temperature": 0}
COST = {"mini": 0.0005, "flash": 0.001, "big": 0.01}
NUMERIC = {"system": "Answer with the total only.", "prompt": "Order: {{question}}\nTotal:", "scorer": "numeric",
           "dataset": [{"id": "1", "question": "3 apples at 2 each", "target": "6"}]}
LABELS = ["billing", "technical"]
TRIAGE = {"system": "Reply with one word.", "prompt": "Ticket: {{text}}\nQueue:", "scorer": "exact",
          "dataset": [{"id": str(i), "text": "t", "target": label} for i, label in enumerate(LABELS)]}
CRITERIA = {"reference": "big", "max_drop": 0.05}
TASKS = {
    "totals": (NUMERIC, [MINI, BIG], {"kind": "cascade", "steps": ["mini", "big"], "checks": [{"type": "parses"}]}),
    "sure": (NUMERIC, [SURE, BIG], {"kind": "cascade", "steps": ["mini", "big"], "checks": [{"type": "confidence"}]}),
    "quotes": (NUMERIC, [MINI, FLASH, BIG], {"kind": "cascade", "steps": ["mini", "flash", "big"],
                                             "checks": [{"type": "agree", "with": "flash"}, {"type": "parses"}]}),
    "triage": (TRIAGE, [MINI, BIG], {"kind": "router", "cheap": "mini", "fallback": "big"}),
}


def _suite(path: Path, compound: bool) -> Path:
    tasks = [{"name": name, **base, "traffic_per_month": 20_000 if name == "totals" else 10_000,
              "criteria": CRITERIA, "candidates": cands, **({"compound": [spec]} if compound else {})}
             for name, (base, cands, spec) in TASKS.items()]
    path.write_text(yaml.safe_dump({"suite": "shop", "seed": 3, "prices": PRICES, "tasks": tasks}, sort_keys=False))
    return path


def _answers(task: str, i: int, rng: np.random.Generator) -> tuple[str, str, dict[str, tuple[str, bool, float | None]]]:
    """The request text, its target and each candidate's (output, correct, confidence) for sample i."""
    if task == "triage":
        hard = rng.random() < 0.3
        truth = LABELS[i % 2]
        text = f"Ticket: order {i}: {'urgent complicated escalation' if hard else 'simple question'}\nQueue:"
        ok = rng.random() < (0.5 if hard else 0.99)
        return text, truth, {"big": (truth, True, None), "mini": (truth if ok else LABELS[(i + 1) % 2], ok, None)}
    truth = str(i % 9 + 2)
    text = f"Order: order {i} of {truth} items\nTotal:"
    ok, flash_ok = rng.random() < 0.82, rng.random() < 0.85
    wrong = {"totals": "I cannot tell", "sure": str(int(truth) + 1), "quotes": str(int(truth) + 1)}[task]
    conf = float(rng.uniform(0.96, 1.0) if ok else rng.uniform(0.1, 0.5)) if task == "sure" else None
    out = {"big": (truth, True, None), "mini": (truth if ok else wrong, ok, conf)}
    if task == "quotes":
        out["flash"] = (truth if flash_ok else "unsure", flash_ok, None)
    return text, truth, out


def _results(path: Path, n: int = 300) -> Path:
    rng = np.random.default_rng(5)
    rows = []
    for task, (_, cands, _) in TASKS.items():
        for i in range(n):
            text, truth, out = _answers(task, i, rng)
            for c in cands:
                output, ok, conf = out[c["id"]]
                config = json.dumps({k: v for k, v in c.items() if k not in ("id", "model")}, sort_keys=True)
                rows.append({"suite": "shop", "task": task, "candidate": c["id"], "model": c["model"],
                             "config": config, "sample_id": f"s{i}", "epoch": 1, "score": float(ok),
                             "cost_usd": COST[c["id"]], "prod_cost_usd": COST[c["id"]], "input": text,
                             "output": output, "target": truth, "confidence": conf})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """`harness select` on the results, with the compound suite (a v3 table) and without it (v2)."""
    d = tmp_path_factory.mktemp("compound")
    results = _results(d / "results.csv")
    table, plain = d / "routing.json", d / "plain" / "routing.json"
    for suite, out in ((_suite(d / "shop.yaml", True), table), (_suite(d / "plain.yaml", False), plain)):
        assert main(["select", "--results", str(results), "--suite", str(suite), "--out", str(out)]) == 0
    return SimpleNamespace(dir=d, results=results, table=table, plain=plain)


@pytest.fixture
def table(built: SimpleNamespace) -> routing.RoutingTable:
    return routing.load(built.table)


def _copy(built: SimpleNamespace, to: Path) -> Path:
    """The table and its router artifact, copied together (as the docs say to)."""
    to.mkdir(parents=True, exist_ok=True)
    for f in built.dir.glob("routing*.json"):
        shutil.copy(f, to / f.name)
    return to / "routing.json"


# --- the fake providers and an application's client_fn ----------------------------------------------


class Fake:
    """The fake server scripted per model: `answers[model](last user text) -> text`; every body received kept."""

    def __init__(self, answers: dict[str, Callable[[str], str]], logprob: Callable[[str], float] | None = None):
        self.bodies: list[tuple[str, str, dict[str, Any]]] = []

        def answer(provider: str, model: str, body: dict[str, Any]) -> str:
            self.bodies.append((provider, model, body))
            return answers[model](last_user_text(body))

        script = Script(answer=answer, api_key=KEY)
        if logprob is not None:
            script.logprob = lambda body, text: logprob(last_user_text(body))
        self.server = FakeProviders(script)
        self.responses: list[tuple[routing.Route, Any]] = []

    def __enter__(self) -> Fake:
        self.server.start()
        self.gpt = openai.OpenAI(base_url=self.server.openai_base_url, api_key=KEY, max_retries=0)
        self.claude = anthropic.Anthropic(base_url=self.server.anthropic_base_url, api_key=KEY, max_retries=0)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def client_fn(self, route: routing.Route, messages: list[dict[str, str]]) -> Any:
        """What an application writes: its own clients, the route's kwargs for the messages."""
        kw = route.request_kwargs(messages)
        if route.provider == "anthropic":
            response = self.claude.messages.create(**kw)
        else:
            response = self.gpt.chat.completions.create(**kw)
        self.responses.append((route, response))
        return response

    def models(self) -> list[str]:
        return [model for _, model, _ in self.bodies]

    def take(self) -> None:
        self.bodies.clear()
        self.responses.clear()


def _expected_cost(responses: list[tuple[Any, Any]]) -> float:
    """Each call's tokens, read from the SDK's own usage object, at its step's list price."""
    total = 0.0
    for step, r in responses:
        p, u = step.price, r.usage
        if isinstance(r, anthropic.types.Message):
            tokens = (u.input_tokens, u.output_tokens, u.cache_read_input_tokens or 0,
                      u.cache_creation_input_tokens or 0)
        else:
            cached = u.prompt_tokens_details.cached_tokens if u.prompt_tokens_details else 0
            tokens = (u.prompt_tokens - cached, u.completion_tokens, cached, 0)
        assert tokens[0] > 0 and tokens[1] > 0  # a cost of real usage, not of zeros
        rates = (p.input_per_mtok, p.output_per_mtok, p.cache_read_per_mtok, p.cache_write_per_mtok)
        total += sum(t * rate for t, rate in zip(tokens, rates)) / 1e6
    return total


def _by_model(fake: Fake, model: str) -> list[dict[str, Any]]:
    return [body for _, m, body in fake.bodies if m == model]


# --- a. built by select, written, loaded -------------------------------------------------------------


def test_select_writes_a_v3_table_with_each_compound_route(built: SimpleNamespace, table: routing.RoutingTable) -> None:
    assert json.loads(built.table.read_text())["schema"] == routing.SCHEMA == "harness.routing/v3"
    assert table.schema_version == routing.SCHEMA
    kinds = {task: (r.candidate, r.model, r.provider, r.compound and r.compound.kind) for task, r in table.routes.items()}
    assert kinds == {"totals": ("cascade:mini>big", "compound/cascade", "compound", "cascade"),
                     "sure": ("cascade:mini>big@confidence", "compound/cascade", "compound", "cascade"),
                     "quotes": ("cascade:mini>flash>big@agree=flash,parses", "compound/cascade", "compound", "cascade"),
                     "triage": ("router:mini|big", "compound/router", "compound", "router")}
    sure = table.routes["sure"].compound
    assert isinstance(sure, routing.CascadePolicy)
    assert [s.candidate for s in sure.steps] == ["mini", "big"] and [s.logprobs for s in sure.steps] == [True, False]
    assert sure.threshold is not None and 0 < sure.threshold <= 1 and sure.scorer.kind == "numeric"
    assert sure.steps[0].price == routing.Price(input_per_mtok=0.5, output_per_mtok=2.0, cache_read_per_mtok=0.25,
                                                cache_write_per_mtok=0.5, source=sure.steps[0].price.source)
    assert sure.steps[1].price.cache_write_per_mtok == 3.75 and "suite prices" in (sure.steps[1].price.source or "")
    assert [s.cost_per_call_usd for s in sure.steps] == [COST["mini"], COST["big"]]
    assert sure.steps[0].prompt is not None and sure.steps[0].prompt.template == NUMERIC["prompt"]
    quotes = table.routes["quotes"].compound
    assert [c.type for c in quotes.checks] == ["agree", "parses"] and quotes.agree_with == []  # flash is a step
    # Written again and read back, it is the same table, and its router file comes along.
    assert routing.load(routing.write(table, built.dir / "again" / "routing.json")) == table
    # Under another name, the artifact is named after the table it is written beside (no clash in one folder).
    prod = routing.load(routing.write(table, built.dir / "again" / "prod.json"))
    artifact = prod.routes["triage"].compound.router
    assert artifact.file == "prod.router-triage.json" and artifact.sha256 == table.routes["triage"].compound.router.sha256
    assert (built.dir / "again" / "prod.router-triage.json").read_bytes() == (
        built.dir / "routing.router-triage.json").read_bytes()
    # The default serves unknown tasks with the busiest task's final step: no check fitted to another task.
    assert table.default.candidate == "big" and table.default.model == "anthropic/claude-x"
    assert "'totals'" in (table.default_from or "") and "final step big" in (table.default_from or "")
    assert table.pick("no-such-task") == table.default


def test_a_table_without_compound_routes_is_still_v2(built: SimpleNamespace) -> None:
    assert json.loads(built.plain.read_text())["schema"] == routing.V2
    plain = routing.load(built.plain)
    assert plain.schema_version == routing.V2 and all(r.compound is None for r in plain.routes.values())
    assert {r.candidate for r in plain.routes.values()} == {"big"}  # mini alone is worse everywhere
    assert not list(built.plain.parent.glob("*.router-*.json"))
    assert all("compound" not in r for r in json.loads(built.plain.read_text())["routes"].values())


# --- b. cascades through the real SDKs ---------------------------------------------------------------


def test_a_parses_cascade_escalates_only_the_answer_without_a_number(table: routing.RoutingTable) -> None:
    route = table.pick("totals")
    mini = {"gpt-x": lambda text: "I cannot tell" if "urgent" in text else "6", "claude-x": lambda text: "51"}
    with Fake(mini) as fake:
        easy = route.call(fake.client_fn, {"question": "3 apples at 2 each"})
        assert (easy.step, easy.candidate, easy.text, len(easy.calls)) == (0, "mini", "6", 1)
        assert "passed its parses check" in easy.reason and easy.route is route.compound.steps[0]
        assert fake.models() == ["gpt-x"]
        body = fake.bodies[0][2]
        assert body["messages"] == [{"role": "system", "content": "Answer with the total only."},
                                    {"role": "user", "content": "Order: 3 apples at 2 each\nTotal:"}]
        assert body["max_tokens"] == 8 and body["temperature"] == 0 and "logprobs" not in body
        assert easy.cost_usd == pytest.approx(_expected_cost(fake.responses), rel=1e-12)
        assert easy.calls[0].cost_from == "usage" and easy.calls[0].why == "step 0"
        fake.take()

        hard = route.call(fake.client_fn, {"question": "urgent: 17 crates at 3 each"})
        assert (hard.step, hard.candidate, hard.text, len(hard.calls)) == (1, "big", "51", 2)
        assert [(c.candidate, c.model, c.why, c.text) for c in hard.calls] == [
            ("mini", "openai/gpt-x", "step 0", "I cannot tell"), ("big", "anthropic/claude-x", "step 1", "51")]
        assert fake.models() == ["gpt-x", "claude-x"] and "last step answers" in hard.reason
        provider, _, claude = fake.bodies[1]
        assert provider == "anthropic" and claude["system"] == "Answer with the total only."
        assert claude["messages"] == [{"role": "user", "content": "Order: urgent: 17 crates at 3 each\nTotal:"}]
        # anthropic >= 2.0 rejects temperature (the eval did not send it either): the step's kwargs leave it out.
        assert claude["max_tokens"] == 8 and "temperature" not in claude
        assert isinstance(hard.response, anthropic.types.Message)
        # Both calls are paid: each one's tokens at its own step's price.
        assert hard.cost_usd == pytest.approx(_expected_cost(fake.responses), rel=1e-12)
        assert hard.cost_usd == pytest.approx(sum(c.cost_usd for c in hard.calls), rel=1e-12)
        assert hard.cost_usd > hard.calls[1].cost_usd > 0
        assert fake.server.counters.models[("openai", "gpt-x")] == 2
        assert fake.server.counters.models[("anthropic", "claude-x")] == 1


def test_a_confidence_cascade_asks_for_logprobs_and_escalates_an_unsure_answer(table: routing.RoutingTable) -> None:
    route = table.pick("sure")
    threshold = route.compound.threshold
    answers = {"gpt-x": lambda text: "7" if "urgent" in text else "6", "claude-x": lambda text: "51"}
    with Fake(answers, logprob=lambda text: -3.0 if "urgent" in text else -0.0001) as fake:
        sure = route.call(fake.client_fn, {"question": "3 apples at 2 each"})
        assert (sure.step, sure.candidate, len(sure.calls)) == (0, "mini", 1)
        assert sure.calls[0].confidence == pytest.approx(math.exp(-0.0001)) and sure.calls[0].confidence >= threshold
        assert "confidence check" in sure.reason
        assert sure.cost_usd == pytest.approx(_expected_cost(fake.responses), rel=1e-12)
        fake.take()

        unsure = route.call(fake.client_fn, {"question": "urgent: 17 crates at 3 each"})
        assert (unsure.step, unsure.candidate, unsure.text, len(unsure.calls)) == (1, "big", "51", 2)
        assert unsure.calls[0].confidence == pytest.approx(math.exp(-3.0)) and unsure.calls[0].confidence < threshold
        assert fake.models() == ["gpt-x", "claude-x"]
        assert _by_model(fake, "gpt-x")[0]["logprobs"] is True  # requested: the check reads them
        assert "logprobs" not in _by_model(fake, "claude-x")[0]  # the Messages API has none to give
        assert unsure.cost_usd == pytest.approx(_expected_cost(fake.responses), rel=1e-12)


def test_a_confidence_check_never_accepts_an_answer_without_logprobs(table: routing.RoutingTable) -> None:
    # A client_fn that drops logprobs= (or a provider that ignores it) gets no confidence: always escalated.
    route = table.pick("sure")
    with Fake({"gpt-x": lambda text: "6", "claude-x": lambda text: "6"}) as fake:
        def no_logprobs(step: routing.Route, messages: list[dict[str, str]]) -> Any:
            if step.provider == "openai":
                kw = {k: v for k, v in step.request_kwargs(messages).items() if k != "logprobs"}
                return fake.gpt.chat.completions.create(**kw)
            return fake.client_fn(step, messages)

        result = route.call(no_logprobs, {"question": "3 apples at 2 each"})
    assert result.calls[0].confidence is None and (result.step, result.candidate) == (1, "big")


def test_an_agree_check_pays_its_other_call_and_never_calls_a_candidate_twice(table: routing.RoutingTable) -> None:
    route = table.pick("quotes")
    answers = {"gpt-x": lambda text: "7" if "tricky" in text else "6",
               "gpt-y": lambda text: "unsure" if "obscure" in text else "6", "claude-x": lambda text: "6"}
    with Fake(answers) as fake:
        agreed = route.call(fake.client_fn, {"question": "easy"})
        assert (agreed.step, agreed.candidate, agreed.text) == (0, "mini", "6")
        assert [(c.candidate, c.why) for c in agreed.calls] == [("mini", "step 0"), ("flash", "agree check of step 0")]
        assert fake.models() == ["gpt-x", "gpt-y"]
        assert agreed.cost_usd == pytest.approx(_expected_cost(fake.responses), rel=1e-12)  # flash's call is paid
        fake.take()

        # mini and flash disagree: flash, already asked, answers as step 1 (its answer parses) without a new call.
        disagreed = route.call(fake.client_fn, {"question": "tricky"})
        assert (disagreed.step, disagreed.candidate, disagreed.text, len(disagreed.calls)) == (1, "flash", "6", 2)
        assert fake.models() == ["gpt-x", "gpt-y"] and "parses check" in disagreed.reason
        fake.take()

        last = route.call(fake.client_fn, {"question": "obscure"})
        assert (last.step, last.candidate, len(last.calls)) == (2, "big", 3)
        assert fake.models() == ["gpt-x", "gpt-y", "claude-x"]
        assert last.cost_usd == pytest.approx(_expected_cost(fake.responses), rel=1e-12)


def test_given_messages_are_sent_as_they_are(table: routing.RoutingTable) -> None:
    route = table.pick("totals")
    mine = [{"role": "system", "content": "house rules"}, {"role": "user", "content": "urgent total?"}]
    with Fake({"gpt-x": lambda text: "no idea", "claude-x": lambda text: "6"}) as fake:
        result = route.call(fake.client_fn, mine)
    assert result.step == 1
    assert _by_model(fake, "gpt-x")[0]["messages"] == mine
    assert _by_model(fake, "claude-x")[0]["system"] == "house rules"  # Anthropic's system=, from the first message
    assert _by_model(fake, "claude-x")[0]["messages"] == mine[1:]


def test_without_usage_a_call_costs_the_eval_mean(table: routing.RoutingTable) -> None:
    # A client_fn that returns only the text: no tokens to price, so each call costs its step's eval mean.
    route = table.pick("totals")
    result = route.call(lambda step, messages: "unsure" if step.candidate == "mini" else "6", {"question": "x"})
    assert (result.step, [c.cost_from for c in result.calls]) == (1, ["eval mean", "eval mean"])
    assert result.cost_usd == pytest.approx(COST["mini"] + COST["big"])


def test_a_plain_route_makes_one_call(built: SimpleNamespace) -> None:
    route = routing.load(built.plain).pick("totals")
    with Fake({"claude-x": lambda text: "6"}) as fake:
        result = route.call(fake.client_fn, {"question": "3 apples at 2 each"})
    assert (result.step, result.candidate, result.text, len(result.calls)) == (0, "big", "6", 1)
    assert result.cost_usd == COST["big"] and result.calls[0].cost_from == "eval mean"  # plain routes carry no price
    assert fake.models() == ["claude-x"]


# --- c. a router --------------------------------------------------------------------------------------


def test_a_router_sends_each_request_to_one_step_by_its_probability(table: routing.RoutingTable) -> None:
    route = table.pick("triage")
    policy = route.compound
    assert isinstance(policy, routing.RouterPolicy)
    model = policy.router.model
    easy, hard = {"text": "order 7: simple question"}, {"text": "order 8: urgent complicated escalation"}
    p_easy = model.probability("Ticket: order 7: simple question\nQueue:")
    p_hard = model.probability("Ticket: order 8: urgent complicated escalation\nQueue:")
    assert p_hard < policy.threshold <= p_easy
    with Fake({"gpt-x": lambda text: "billing", "claude-x": lambda text: "technical"}) as fake:
        cheap = route.call(fake.client_fn, easy)
        assert (cheap.step, cheap.candidate, cheap.text, len(cheap.calls)) == (0, "mini", "billing", 1)
        assert cheap.probability == pytest.approx(p_easy) and "≥ threshold" in cheap.reason
        assert fake.models() == ["gpt-x"]
        assert cheap.cost_usd == pytest.approx(_expected_cost(fake.responses), rel=1e-12)
        fake.take()
        fallback = route.call(fake.client_fn, hard)
        assert (fallback.step, fallback.candidate, fallback.text, len(fallback.calls)) == (1, "big", "technical", 1)
        assert fallback.probability == pytest.approx(p_hard) and "< threshold" in fallback.reason
        assert fake.models() == ["claude-x"]  # one call: the cheap step is not asked first
        assert fallback.cost_usd == pytest.approx(_expected_cost(fake.responses), rel=1e-12)


def test_a_router_parsed_without_its_file_cannot_route(built: SimpleNamespace) -> None:
    parsed = routing.parse(json.loads(built.table.read_text()))  # parse() reads no file beside the table
    with pytest.raises(routing.CompoundError, match=r"routing\.router-triage\.json\) is not loaded.*routing\.load"):
        parsed.pick("triage").call(lambda step, messages: "x", {"text": "hi"})


# --- d. the router artifact ---------------------------------------------------------------------------


def test_the_router_artifact_sits_beside_the_table_with_its_sha256(built: SimpleNamespace, tmp_path: Path) -> None:
    artifact = json.loads(built.table.read_text())["routes"]["triage"]["compound"]["router"]
    assert artifact["file"] == "routing.router-triage.json" and artifact["format"] == "harness.router/v1"
    raw = (built.dir / artifact["file"]).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == artifact["sha256"]
    assert json.loads(raw)["format"] == "harness.router/v1"
    # Copied together, the pair loads anywhere; the table names the file it was written beside.
    moved = routing.load(_copy(built, tmp_path / "elsewhere"))
    assert moved.routes["triage"].compound.router.model == routing.load(built.table).routes["triage"].compound.router.model


def test_a_changed_router_artifact_is_refused(built: SimpleNamespace, tmp_path: Path, capsys) -> None:
    path = _copy(built, tmp_path / "t")
    artifact = tmp_path / "t" / "routing.router-triage.json"
    raw = bytearray(artifact.read_bytes())
    i = raw.index(b'"intercept":')
    i = next(j for j in range(i, len(raw)) if chr(raw[j]).isdigit())
    raw[i] = ord("1") if raw[i] != ord("1") else ord("2")  # one digit of the intercept: still valid JSON
    artifact.write_bytes(bytes(raw))
    assert json.loads(raw)["intercept"] != json.loads((built.dir / artifact.name).read_bytes())["intercept"]
    with pytest.raises(InputError) as info:
        routing.load(path)
    message = str(info.value)
    assert str(artifact) in message and "does not match its sha256" in message
    assert "routes.triage.compound.router" in message and "restore the file" in message
    # The same through the CLI: exit 2, the message, no traceback.
    assert main(["report", "--results", str(built.results), "--routing", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "does not match its sha256" in err and str(artifact) in err and "Traceback" not in err
    assert not (tmp_path / "r" / "index.html").exists()


def test_a_missing_router_artifact_is_refused(built: SimpleNamespace, tmp_path: Path, capsys) -> None:
    path = tmp_path / "routing.json"
    shutil.copy(built.table, path)  # the table alone, without its router's file
    with pytest.raises(InputError) as info:
        routing.load(path)
    message = str(info.value)
    assert f"the router artifact {tmp_path / 'routing.router-triage.json'} is missing" in message
    assert "keep the router's file beside its routing table (copy both)" in message
    assert main(["report", "--results", str(built.results), "--routing", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "is missing" in err and "Traceback" not in err


def test_an_unknown_compound_kind_is_refused(built: SimpleNamespace, tmp_path: Path) -> None:
    path = _copy(built, tmp_path / "t")
    data = json.loads(path.read_text())
    data["routes"]["totals"]["compound"]["kind"] = "bandit"
    path.write_text(json.dumps(data))
    message = str(pytest.raises(InputError, routing.load, path).value)
    assert "routes.totals.compound.kind" in message
    assert "compound route kind 'bandit' is not supported by this harness (supports cascade, router)" in message
    assert "upgrade harness" in message


def test_a_confidence_check_without_its_threshold_is_refused(built: SimpleNamespace, tmp_path: Path) -> None:
    path = _copy(built, tmp_path / "t")
    data = json.loads(path.read_text())
    data["routes"]["sure"]["compound"]["threshold"] = None
    path.write_text(json.dumps(data))
    message = str(pytest.raises(InputError, routing.load, path).value)
    assert "a confidence check needs the threshold the selection chose" in message


# --- e. old tables ------------------------------------------------------------------------------------


def test_the_committed_v1_table_still_loads_and_calls(tmp_path: Path) -> None:
    path = shutil.copy(ROOT / "reports" / "routing.json", tmp_path / "routing.json")
    table = routing.load(path)
    assert table.schema_version == routing.V1 and table.routes
    route = table.pick("ticket_routing")
    assert route.prompt is None and getattr(route, "compound", None) is None
    with Fake({"smollm2-135m-instruct": lambda text: "billing"}) as fake:  # a local route: OpenAI-compatible
        result = route.call(fake.client_fn, [{"role": "user", "content": "Ticket: charged twice\nQueue:"}])
    assert (result.step, result.text, fake.models()) == (0, "billing", ["smollm2-135m-instruct"])


def test_a_v2_table_loads_and_a_v2_label_cannot_hold_a_compound_route(built: SimpleNamespace, tmp_path: Path) -> None:
    assert routing.load(built.plain).schema_version == routing.V2
    path = _copy(built, tmp_path / "t")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "schema": routing.V2}))
    message = str(pytest.raises(InputError, routing.load, path).value)
    assert "compound routes exist only from harness.routing/v3 on" in message
    assert 'write "schema": "harness.routing/v3"' in message


# --- f. a compound route has no single model ----------------------------------------------------------


@pytest.mark.parametrize("task", ["totals", "triage"])
@pytest.mark.parametrize("helper", ["openai_kwargs", "anthropic_kwargs", "generic_kwargs", "sdk_kwargs", "messages"])
def test_single_model_helpers_point_to_route_call(table: routing.RoutingTable, task: str, helper: str) -> None:
    route = table.pick(task)
    args = ({"question": "x"},) if helper == "messages" else ()
    with pytest.raises(routing.CompoundError) as info:
        getattr(route, helper)(*args)
    message = str(info.value)
    assert f"route {route.candidate!r} is a compound route" in message and "route.call(client_fn, record)" in message
    assert "route.compound.steps" in message and isinstance(info.value, ValueError)
    # Each step is a plain route whose helpers work.
    step = route.compound.steps[0]
    assert step.openai_kwargs()["model"] == "gpt-x"


# --- g. exports ---------------------------------------------------------------------------------------


def test_litellm_export_lists_every_step_and_says_the_checks_are_not_applied(
        table: routing.RoutingTable, offline: list[Any]) -> None:  # noqa: F811
    config = routing.to_litellm(table)
    names = {e["model_name"]: e["litellm_params"]["model"] for e in config["model_list"]}
    assert names == {"totals": "openai/gpt-x", "totals/big": "anthropic/claude-x",
                     "sure": "openai/gpt-x", "sure/big": "anthropic/claude-x",
                     "quotes": "openai/gpt-x", "quotes/flash": "openai/gpt-y", "quotes/big": "anthropic/claude-x",
                     "triage": "anthropic/claude-x", "triage/mini": "openai/gpt-x",  # a router: the fallback serves
                     "default": "anthropic/claude-x"}
    sure = next(e["litellm_params"] for e in config["model_list"] if e["model_name"] == "sure")
    assert sure.get("logprobs") is True  # the first step still asks for what its check would read
    assert config["router_settings"]["fallbacks"] == [{"totals": ["totals/big"]}, {"sure": ["sure/big"]},
                                                       {"quotes": ["quotes/flash", "quotes/big"]}]
    compound = config["harness_compound"]
    assert set(compound) == {"totals", "sure", "quotes", "triage"}
    for task in ("totals", "sure", "quotes"):
        limits = compound[task]["not_applied_by_litellm"]
        assert "LiteLLM cannot apply the acceptance checks" in limits and "route.call" in limits
    assert compound["sure"]["threshold"] == table.routes["sure"].compound.threshold
    assert compound["quotes"]["model_names"] == ["quotes", "quotes/flash", "quotes/big"]
    assert compound["quotes"]["checks"] == [{"type": "agree", "with": "flash"}, {"type": "parses"}]
    assert "LiteLLM cannot apply the router" in compound["triage"]["not_applied_by_litellm"]
    assert compound["triage"]["router"]["sha256"] == table.routes["triage"].compound.router.sha256
    assert set(config["harness_prompts"]) == set(names)

    text = routing.to_litellm_yaml(table)
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    assert "COMPOUND ROUTES (totals, sure, quotes, triage): LiteLLM cannot apply their acceptance checks" in header
    assert "never because an answer did not pass a check" in header and "route.call runs them" in header
    loaded = yaml.safe_load(text)
    assert loaded == config

    import litellm  # a test extra; under the blocked network, with the bundled price map
    router = litellm.Router(model_list=loaded["model_list"], **loaded["router_settings"])
    messages = table.routes["totals"].compound.steps[0].messages({"question": "3 apples"})
    reply = router.completion(model="totals", messages=messages, mock_response="6")
    assert reply.choices[0].message.content == "6" and reply.model.endswith("gpt-x")  # the first step, unchecked
    for name in names:
        assert router.completion(model=name, messages=messages, mock_response="ok").choices[0].message.content == "ok"
    assert offline == []


def test_python_export_carries_the_steps_as_data(table: routing.RoutingTable) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(routing.to_python(table), "routes.py", "exec"), namespace)
    assert "does NOT run the policy" in namespace["__doc__"]
    picked = namespace["pick"]("sure")
    assert picked["model"] == "compound/cascade" and "does not apply them" in picked["not_run_here"]
    steps = picked["compound"]["steps"]
    assert [s["candidate"] for s in steps] == ["mini", "big"] and steps[0]["logprobs"] is True
    assert steps[1]["price"]["output_per_mtok"] == 15.0 and picked["compound"]["threshold"] == pytest.approx(
        table.routes["sure"].compound.threshold)
    record = {"question": "3 apples at 2 each"}
    for i, step in enumerate(table.routes["sure"].compound.steps):
        assert namespace["messages"]("sure", record, step=i) == step.messages(record)
    with pytest.raises(ValueError, match=r"compound: pass step=i \(0 to 1\)"):
        namespace["messages"]("sure", record)
    triage = namespace["pick"]("triage")["compound"]
    assert triage["router"]["file"] == "routing.router-triage.json" and triage["threshold"] > 0
    assert namespace["pick"]("nope")["model"] == "anthropic/claude-x"
