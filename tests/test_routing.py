"""harness.routing: build from decisions, write, load, pick, SDK kwargs, exports, malformed files."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from harness import routing
from harness.errors import HarnessError, InputError
from harness.results import validate
from harness.select import Criteria, TaskDecision, select

N = 200

# task -> (traffic, criteria, {candidate: (model, config, prod cost per call, probability of a correct answer)})
# "same" marks a candidate that answers exactly as the reference does (paired: difference 0).
TASKS = {
    "classify": (100_000, Criteria(reference="sonnet", max_drop=0.05), {
        "sonnet": ("anthropic/claude-3-5-sonnet-latest", {"max_tokens": 16, "temperature": 0.0}, 0.01, 0.9),
        "haiku": ("anthropic/claude-3-5-haiku-latest", {"max_tokens": 16, "temperature": 0.0, "stop": ["\n"]},
                  0.001, "same"),
        "smollm": ("local/smollm2-135m-instruct", {"prompt": "few_shot", "max_tokens": 8}, math.nan, 0.3),
    }),
    "extract": (5_000, Criteria(min_score=0.7), {
        "mini": ("openai/gpt-4o-mini", {"max_tokens": 64, "temperature": 0.0, "top_p": 0.9, "stop": ["END"],
                                        "seed": 7, "prompt": "few_shot", "cache_prompt": True}, 0.0002, 0.95),
        "4o": ("openai/gpt-4o", {"max_tokens": 64}, 0.003, 0.97),
    }),
    "summarize": (None, Criteria(reference="mini-sum", max_drop=0.05), {
        "mini-sum": ("openai/gpt-4o-mini", {}, 0.0002, 0.8),
        "4o-sum": ("openai/gpt-4o", {}, 0.003, "same"),
    }),
    "hard": (None, Criteria(min_score=0.9), {
        "smollm-hard": ("local/smollm2-135m-instruct", {"temperature": 0.7}, 0.00001, 0.3),
    }),
}


def _results() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for task, (_, _, cands) in TASKS.items():
        first = None
        for cand, (model, config, cost, p) in cands.items():
            scores = first if p == "same" else (rng.random(N) < p).astype(float)
            first = scores if first is None else first
            config_text = json.dumps({"cache_prompt": False, **config}, sort_keys=True)
            rows += [{"suite": "demo", "task": task, "candidate": cand, "model": model, "config": config_text,
                      "sample_id": f"s{i}", "cluster": None, "score": s, "cost_usd": cost, "prod_cost_usd": cost}
                     for i, s in enumerate(scores)]
    return validate(pd.DataFrame(rows), "test")


@pytest.fixture(scope="module")
def decisions() -> list[TaskDecision]:
    crit = {t: c for t, (_, c, _) in TASKS.items()}
    traffic = {t: tr for t, (tr, _, _) in TASKS.items()}
    return select(_results(), crit, traffic)


@pytest.fixture(scope="module")
def table(decisions: list[TaskDecision]) -> routing.RoutingTable:
    return routing.build_table(decisions, source={"results": "reports/results.parquet", "suites": ["demo.yaml"]})


@pytest.fixture
def written(table: routing.RoutingTable, tmp_path: Path) -> Path:
    return routing.write(table, tmp_path / "reports" / "routing.json")


def test_decisions_are_what_the_tests_assume(decisions: list[TaskDecision]) -> None:
    chosen = {d.task: d.chosen for d in decisions}
    assert chosen == {"classify": "haiku", "extract": "mini", "summarize": "mini-sum", "hard": None}


def test_round_trip_picks_every_chosen_candidate(decisions: list[TaskDecision], written: Path) -> None:
    loaded = routing.load(written)
    assert loaded.schema_version == routing.V2  # no compound route: the lowest version that holds it
    for d in decisions:
        if d.chosen is None:
            continue
        v = d.verdict(d.chosen)
        route = loaded.pick(d.task)
        assert (route.candidate, route.model) == (d.chosen, v.model)
        expected = {("stop_seqs" if k == "stop" else k): val for k, val in v.config.items()}
        assert route.config.model_dump() == expected
    assert loaded.pick("extract").config.stop_seqs == ["END"]
    assert loaded == routing.load(routing.write(loaded, written))  # stable through a second write


def test_task_route_carries_the_evidence(table: routing.RoutingTable, decisions: list[TaskDecision]) -> None:
    r = table.routes["classify"]
    d = next(d for d in decisions if d.task == "classify")
    assert r.provider == "anthropic" and r.traffic_per_month == 100_000
    assert r.decision == d.summary and r.criteria.max_drop == 0.05
    assert r.reference is not None and r.reference.candidate == "sonnet"
    assert r.monthly_cost_usd == pytest.approx(0.001 * 100_000)
    assert r.reference.monthly_cost_usd == pytest.approx(0.01 * 100_000)
    ev = r.evidence
    assert ev.n == N and ev.difference == pytest.approx(0.0) and ev.margin == 0.05
    assert ev.interval is not None and ev.interval[0] > -0.05 and ev.p_adjusted is not None and ev.p_adjusted <= 0.05
    assert [v.candidate for v in r.verdicts] == ["sonnet", "haiku", "smollm"]
    assert {v.candidate: v.status for v in r.verdicts}["smollm"] == "fail"
    # The reference kept: nothing to compare with, so the evidence is all null.
    assert table.routes["summarize"].evidence == routing.Evidence()
    # No reference at all: the reference block is null.
    assert table.routes["extract"].reference is None and table.routes["extract"].monthly_cost_usd == pytest.approx(1.0)


def test_unrouted_task_falls_back_to_the_default(table: routing.RoutingTable, written: Path) -> None:
    loaded = routing.load(written)
    assert "hard" not in loaded.routes
    assert "no candidate passes" in loaded.unrouted["hard"].reason
    assert loaded.unrouted["hard"].verdicts[0].status == "fail"
    assert loaded.pick("hard") == loaded.default
    with pytest.raises(KeyError, match="no route"):
        loaded.pick("hard", strict=True)


def test_default_is_the_busiest_task_and_unknown_tasks_get_it(table: routing.RoutingTable) -> None:
    assert table.default.candidate == "haiku" and type(table.default) is routing.Route
    assert "highest traffic_per_month" in (table.default_from or "")
    assert table.pick("no-such-task") == table.default
    with pytest.raises(KeyError, match="not in the routing table"):
        table.pick("no-such-task", strict=True)


def test_default_without_traffic_is_the_first_routed_task(decisions: list[TaskDecision]) -> None:
    quiet = [replace(d, traffic_per_month=None) for d in reversed(decisions)]
    table = routing.build_table(quiet)
    assert table.default.candidate == "mini-sum" and "first routed task" in (table.default_from or "")
    assert table.routes["classify"].monthly_cost_usd is None and table.routes["classify"].traffic_per_month is None


def test_no_route_and_no_default_is_an_error(decisions: list[TaskDecision]) -> None:
    with pytest.raises(HarnessError, match="no task has a route"):
        routing.build_table([d for d in decisions if d.chosen is None])


def test_given_default_wins(decisions: list[TaskDecision]) -> None:
    mine = routing.Route(candidate="x", model="openai/gpt-4o-mini", provider="openai")
    table = routing.build_table(decisions, default=mine)
    assert table.default == mine and table.default_from == "given"


def test_nan_becomes_null(written: Path) -> None:
    text = written.read_text()
    assert "NaN" not in text
    rows = {v["candidate"]: v for v in json.loads(text)["routes"]["classify"]["verdicts"]}
    assert rows["smollm"]["cost_per_call_usd"] is None


def test_anthropic_kwargs() -> None:
    route = routing.Route(candidate="h", model="anthropic/claude-3-5-haiku-latest", provider="anthropic",
                          config=routing.GenerateSettings(temperature=0.2, stop_seqs=["\n"], seed=3))
    # no temperature: the current Messages API rejects it, and the eval did not send it (batch.dropped_settings)
    assert route.anthropic_kwargs() == {"model": "claude-3-5-haiku-latest", "max_tokens": 1024,
                                        "stop_sequences": ["\n"]}
    assert route.sdk_kwargs() == route.anthropic_kwargs()
    assert route.anthropic_kwargs(default_max_tokens=4096)["max_tokens"] == 4096
    route.anthropic_kwargs()["stop_sequences"].append("x")  # callers get their own lists
    assert route.config.stop_seqs == ["\n"]


def test_openai_kwargs(table: routing.RoutingTable) -> None:
    route = table.pick("extract")
    assert route.openai_kwargs() == {"model": "gpt-4o-mini", "max_tokens": 64, "temperature": 0.0, "top_p": 0.9,
                                     "stop": ["END"], "seed": 7}
    assert route.sdk_kwargs() == route.openai_kwargs()
    bare = routing.Route(candidate="b", model="openai/gpt-4o", provider="openai")
    assert bare.openai_kwargs() == {"model": "gpt-4o"}
    o3 = routing.Route(candidate="o", model="openai/o3-mini", provider="openai",
                       config=routing.GenerateSettings(max_tokens=100, temperature=0.5))
    assert o3.openai_kwargs() == {"model": "o3-mini", "max_completion_tokens": 100}


def test_local_kwargs_are_generic() -> None:
    route = routing.Route(candidate="s", model="local/smollm2-135m-instruct", provider="local",
                          config=routing.GenerateSettings(max_tokens=8, temperature=0.7, stop_seqs=["\n"],
                                                          prompt="few_shot", model_args={"n_ctx": 2048}))
    assert route.sdk_kwargs() == {"model": "smollm2-135m-instruct", "max_tokens": 8, "temperature": 0.7,
                                  "stop": ["\n"]}


def test_litellm_export(table: routing.RoutingTable) -> None:
    text = routing.to_litellm_yaml(table)
    assert "&id" not in text and '- "\\n"' in text  # no YAML anchors; "\n" stays readable
    config = yaml.safe_load(text)
    assert config == routing.to_litellm(table)
    names = [e["model_name"] for e in config["model_list"]]
    assert names == [*table.routes, "default"]
    params = {e["model_name"]: e["litellm_params"] for e in config["model_list"]}
    assert params["classify"] == {"model": "anthropic/claude-3-5-haiku-latest", "max_tokens": 16, "stop": ["\n"]}
    assert params["extract"]["model"] == "openai/gpt-4o-mini" and params["extract"]["seed"] == 7
    local = routing.Route(candidate="s", model="local/smollm2-135m-instruct", provider="local")
    table_local = table.model_copy(update={"default": local})
    default = routing.to_litellm(table_local)["model_list"][-1]["litellm_params"]
    assert default["model"] == "openai/smollm2-135m-instruct" and default["api_base"] == routing.LOCAL_API_BASE
    assert default["api_key"] == "none"  # the OpenAI client behind LiteLLM refuses to send without a key


def test_python_export_execs_and_picks(table: routing.RoutingTable) -> None:
    namespace: dict = {}
    exec(compile(routing.to_python(table), "routes.py", "exec"), namespace)
    assert namespace["pick"]("extract") == {"model": "openai/gpt-4o-mini", "max_tokens": 64, "temperature": 0.0,
                                            "top_p": 0.9, "stop_seqs": ["END"], "seed": 7, "cache_prompt": True,
                                            "prompt": "few_shot"}
    assert namespace["pick"]("hard") == namespace["DEFAULT"]
    assert namespace["DEFAULT"]["model"] == "anthropic/claude-3-5-haiku-latest"
    namespace["pick"]("extract")["model"] = "changed"  # a copy: the module's table is untouched
    assert namespace["ROUTES"]["extract"]["model"] == "openai/gpt-4o-mini"


# --- malformed files ---------------------------------------------------------------------------


def _edit(path: Path, change) -> Path:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


def _message(path: Path) -> str:
    with pytest.raises(InputError) as info:
        routing.load(path)
    assert info.value.exit_code == 2
    return str(info.value)


def test_not_json(tmp_path: Path) -> None:
    bad = tmp_path / "routing.json"
    bad.write_text('{"schema": "harness.routing/v1",\n  "routes": {,}\n}')
    msg = _message(bad)
    assert f"{bad}:2" in msg and "not valid JSON" in msg


def test_nan_literal_is_rejected(written: Path) -> None:
    written.write_text(written.read_text().replace('"cost_per_call_usd": null', '"cost_per_call_usd": NaN', 1))
    assert "NaN is not a JSON value" in _message(written)


def test_missing_field(written: Path) -> None:
    _edit(written, lambda d: d["routes"]["classify"].pop("model"))
    msg = _message(written)
    assert str(written) in msg and "routes.classify.model: required field is missing" in msg


def test_wrong_type(written: Path) -> None:
    _edit(written, lambda d: d["routes"]["extract"]["config"].update(max_tokens="64"))
    msg = _message(written)
    assert str(written) in msg and "routes.extract.config.max_tokens" in msg and "'64'" in msg


def test_unknown_field(written: Path) -> None:
    _edit(written, lambda d: d["default"]["config"].update(temprature=0.1))
    assert "default.config.temprature: unknown field" in _message(written)


def test_unknown_schema_version(written: Path) -> None:
    _edit(written, lambda d: d.update(schema="harness.routing/v9"))
    msg = _message(written)
    assert str(written) in msg
    assert ("schema 'harness.routing/v9' is not supported by this harness (supports harness.routing/v3, harness.routing/v2, "
            "harness.routing/v1)") in msg
    assert "harness select" in msg and "upgrade harness" in msg


def test_missing_schema_and_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "routing.json"
    path.write_text("{}")
    assert "schema: missing" in _message(path)
    path.write_text("[]")
    assert "expected a JSON object" in _message(path)
    assert "routing file not found" in _message(tmp_path / "nope.json")


def test_write_is_atomic_and_leaves_no_temp_files(table: routing.RoutingTable, tmp_path: Path) -> None:
    path = routing.write(table, tmp_path / "routing.json")
    routing.write(table, path)
    assert [p.name for p in tmp_path.iterdir()] == ["routing.json"]
