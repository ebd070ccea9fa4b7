"""Issue 12's done-when, end to end as a user runs it: logged production calls -> `harness traffic import` ->
`harness run` (API candidates and an API judge, in batches, against the fake server through the real SDKs)
-> routing.json, whose open-ended decision follows the scripted judge.

The log is made the way an application makes one: real OpenAI SDK calls to the fake, each request body and
raw response body written as one JSONL line with its `feature` (tests/_traffic_logs.py). Two features: `route`
(one label per ticket: scored exactly) and `summarize` (open-ended sentences: judged pairwise against the
logged answer). The only edit to the imported suite is what a user makes: the cheaper candidates to compare.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from _batch_support import env, harness, results, rows  # noqa: F401  (env: the fake server fixture)
from _traffic_logs import LABELS, openai_pairs, script, traffic, write_jsonl
from harness.testing import FakeProviders, Script, last_user_text

N = 24  # summaries; tickets: ROUTES (all of them right for both models, which 24 samples could not show)
ROUTES = 120
JUDGE = "gpt-4.1"  # --judge openai/gpt-4.1; the candidates are gpt-4o (logged), gpt-4o-mini and gpt-4.1-nano


def _answers(prompt: str) -> tuple[str, str]:
    found = re.findall(r"Answer [AB]:\n<<<\n(.*?)\n>>>", prompt, re.DOTALL)
    return found[0], found[1]


def answer(provider: str, model: str, body: dict[str, Any]) -> str:
    """The run's fake. Tickets: every candidate answers the label the ticket names. Messages: gpt-4o answers as
    it did in the log, gpt-4o-mini writes a more specific reply ("Specifically, ..."), gpt-4.1-nano a useless one.
    The judge prefers mini's on even messages and calls it a tie on odd ones, except message 1, where it picks
    whichever answer is shown first (order-inconsistent: a tie too); it always rejects nano's."""
    text = last_user_text(body)
    if model != JUDGE:
        label = next((x for x in LABELS if x in text), None)
        if label is not None:
            return label
        words = " ".join(text.split()[:6])
        return {"gpt-4o": f"The customer writes about {words} and asks for help with it.",
                "gpt-4o-mini": f"Specifically, the customer writes about {words} and wants it found.",
                "gpt-4.1-nano": "no idea"}[model]
    a, b = _answers(text)
    number = int(re.search(r"Message (\d+):", text).group(1))  # type: ignore[union-attr]
    if "no idea" in (a, b):
        return "The other answer addresses the request.\nVerdict: " + ("B" if a == "no idea" else "A")
    if number == 1:
        return "The first one reads well.\nVerdict: A"
    if number % 2:
        return "Both say the same.\nVerdict: same"
    return "It names what the customer wants.\nVerdict: " + ("A" if a.startswith("Specifically") else "B")


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """The production log: 120 ticket-routing calls (gpt-4o-mini) and 24 summaries (gpt-4o), real SDK bodies."""
    with FakeProviders(script()) as fake:
        lines = openai_pairs(fake, traffic(route=ROUTES, summarize=N))
    return write_jsonl(tmp_path / "calls.jsonl", lines)


def add_candidates(suite: Path) -> None:
    """What a user does after the import: name the cheaper models to compare, with the reference's settings."""
    spec = yaml.safe_load(suite.read_text())
    for task in spec["tasks"]:
        ref = task["candidates"][0]
        settings = {k: v for k, v in ref.items() if k not in ("id", "model")}
        cheaper = ["gpt-4.1-nano"] if task["name"] == "route" else ["gpt-4o-mini", "gpt-4.1-nano"]
        task["candidates"] += [{"id": m, "model": f"openai/{m}", **settings} for m in cheaper]
    suite.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))


def test_logged_traffic_to_a_routing_table_whose_open_ended_decision_follows_the_judge(log, env, tmp_path, capsys):
    out, reports = tmp_path / "traffic", tmp_path / "reports"
    assert harness("traffic", "import", str(log), "--out", str(out), "--judge", f"openai/{JUDGE}") == 0
    imported = capsys.readouterr().out
    assert "route " in imported and "exact" in imported and f"judge: pairwise, openai/{JUDGE}" in imported
    suite = out / "traffic.yaml"
    spec = yaml.safe_load(suite.read_text())
    assert [t["name"] for t in spec["tasks"]] == ["route", "summarize"]
    assert spec["tasks"][1]["scorer"]["model"] == f"openai/{JUDGE}"
    add_candidates(suite)

    fake = env(Script(answer=answer))
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none") == 0
    printed = capsys.readouterr().out
    # the judge's order consistency: nano's 24 samples and mini's 23 agree in both orders, message 1 flips
    consistency = next(line for line in printed.splitlines() if line.startswith("summarize: judge"))
    assert consistency.startswith("summarize: judge order-consistent on 47 of 48 samples judged in both orders (98%)")
    assert "(eval cost, not production cost)" in consistency

    table = json.loads((reports / "routing.json").read_text())
    routes = table["routes"]
    # the mechanical feature: the cheapest model that answers every label passes and is chosen
    assert routes["route"]["candidate"] == "gpt-4.1-nano"
    # the open-ended feature follows the judge: mini (preferred or tied on every sample) passes and is chosen,
    # nano (rejected on every sample) fails as proven worse than the logged model
    summarize = routes["summarize"]
    verdicts = {v["candidate"]: v for v in summarize["verdicts"]}
    assert summarize["candidate"] == "gpt-4o-mini" and verdicts["gpt-4o-mini"]["status"] == "pass"
    assert verdicts["gpt-4.1-nano"]["status"] == "fail"
    assert verdicts["gpt-4.1-nano"]["reason"].startswith("proven worse than gpt-4o")
    assert summarize["reference"]["candidate"] == "gpt-4o"

    df = results(reports)
    by = {c: g for c, g in df[df["task"] == "summarize"].groupby("candidate")}
    assert (by["gpt-4o"]["score"] == 0.5).all() and (by["gpt-4.1-nano"]["score"] == 0).all()
    assert by["gpt-4o-mini"]["score"].mean() == pytest.approx((12 * 1 + 12 * 0.5) / N)
    # the judge's calls: in the journal, in batches, two per judged sample, paid once ...
    judged = rows(reports, "SELECT COUNT(*), SUM(cost_usd > 0), SUM(via_batch) FROM requests "
                           "WHERE model=? AND status='answered'", (JUDGE,))
    assert judged == [(4 * N, 4 * N, 4 * N)]
    assert fake.counters.models[("openai", JUDGE)] == 4 * N and fake.counters.each_item_once()
    assert fake.counters.endpoints.get("openai.chat.completions", 0) == 0  # every call went in a batch
    # ... in the eval cost (cost_usd, half price for the batched candidate calls), never in production cost
    journal_judge = rows(reports, "SELECT SUM(cost_usd) FROM requests WHERE model=?", (JUDGE,))[0][0]
    for c in ("gpt-4o-mini", "gpt-4.1-nano"):
        g = by[c]
        assert (g["judge_cost_usd"] > 0).all()
        assert g["cost_usd"].tolist() == pytest.approx((g["prod_cost_usd"] * 0.5 + g["judge_cost_usd"]).tolist())
    assert df["judge_cost_usd"].sum() == pytest.approx(journal_judge)
    chosen = by["gpt-4o-mini"]
    assert summarize["cost_per_call_usd"] == pytest.approx(chosen["prod_cost_usd"].mean())
    assert summarize["cost_per_call_usd"] < (chosen["prod_cost_usd"] + chosen["judge_cost_usd"]).mean()

    assert consistency in (reports / "index.html").read_text()  # the report shows the judge's quality too

    # a rerun sends nothing: every answer and every verdict comes from the journal
    sent = sum(fake.counters.endpoints.values())
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none") == 0
    assert sum(fake.counters.endpoints.values()) == sent
    again = json.loads((reports / "routing.json").read_text())["routes"]
    assert again["summarize"]["candidate"] == "gpt-4o-mini" and again["route"]["candidate"] == "gpt-4.1-nano"
    print(f"\n{consistency}\nsummarize: {summarize['decision']}")  # shown with pytest -s
