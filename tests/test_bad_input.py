"""Every bad-input case of docs/bad-input.md, run as a user would run it.

The document is the table of record: its rows give each case's id, exit code and the text its
message must contain; this file says how to make each case. A case in one but not the other fails,
so the table cannot drift from what harness does. No case may print a traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "bad-input.md").read_text()
ROW = re.compile(r"^\| `(?P<id>[a-z0-9-]+)` \| (?P<what>[^|]+) \| (?P<exit>\d) \| (?P<message>.+) \|$", re.M)

SUITE = """\
suite: demo
tasks:
  - name: t
    dataset: data.csv
    prompt: "Say {{text}}"
    scorer: exact
    criteria: {reference: big, max_drop: 0.1}
    candidates:
      - {id: big, model: mockllm/model}
      - {id: small, model: mockllm/model, max_tokens: 4}
"""
CSV = "id,text,target\n1,hello,hi\n2,bye,ciao\n"


def _rows(n: int = 30) -> list[dict]:
    return [{"task": "faq", "candidate": c, "sample_id": i, "score": 1.0, "cost_usd": cost}
            for i in range(n) for c, cost in (("big", 0.01), ("small", 0.001))]


@dataclass
class Case:
    argv: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)  # path -> content, written before the run
    edit: Callable[[str], str] | None = None  # applied to the suite text
    results: Callable[[pd.DataFrame], pd.DataFrame] | None = None  # applied to a good results table -> r.csv
    make: Callable[[Path], None] | None = None  # writes more input into the case's folder (e.g. inspect logs)


def _suite(edit: Callable[[str], str]) -> Callable[[str], str]:
    return edit


def _csv(text: str | bytes) -> dict[str, str | bytes]:
    return {"data.csv": text}


def _classifier(suite: str, train: bool = True) -> str:
    """The `small` candidate made a classifier, trained on train.csv (unless `train` is False)."""
    suite = suite.replace("{id: small, model: mockllm/model, max_tokens: 4}", "{id: small, model: classifier/tfidf-logreg}")
    return suite.replace("    dataset: data.csv\n", "    dataset: data.csv\n    train: train.csv\n") if train else suite


_JUDGE_LABELLED = "scorer: {type: judge, mode: pairwise, model: openai/gpt-4o, human_label: human}"
VALIDATE = ["validate", "suite.yaml"]
SELECT = ["select", "--results", "r.csv", "--reference", "big", "--out", "o.json"]
LOG_TASK = """
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import exact, includes
from inspect_ai.solver import generate


@task
def t():
    return Task(dataset=[Sample(input="Say hi", target="hi"), Sample(input="Say bye", target="bye")],
                solver=generate(), scorer=SCORERS)
"""


def _logs(scorers: str = "exact()", grade: str | None = None) -> Callable[[Path], None]:
    """A real inspect-ai run (mockllm, offline) of a two-sample task into logs/; `grade` replaces the first score."""

    def make(where: Path) -> None:
        from inspect_ai import eval as inspect_eval
        from inspect_ai.log import write_eval_log

        from harness.providers import offline_model_args

        (where / "tasks.py").write_text(LOG_TASK.replace("SCORERS", scorers))
        (log,) = inspect_eval(f"{where / 'tasks.py'}@t", model="mockllm/model", display="none",
                              model_args=offline_model_args("mockllm", {}), log_dir=str(where / "logs"))
        if grade is not None:
            log.samples[0].scores["exact"].value = grade
            write_eval_log(log, log.location)

    return make


PROMPTFOO_RESULT = {"provider": {"id": "openai:gpt-4o-mini"}, "promptIdx": 0, "success": True, "score": 1,
                    "cost": 0.0001}
ROUTING_OK = {"schema": "harness.routing/v1", "generated_at": "2026-01-01T00:00:00Z", "harness_version": "0.1.0",
              "default": {"candidate": "a", "model": "openai/gpt-4o-mini", "provider": "openai"}}

TRAFFIC = ["traffic", "import", "calls.jsonl", "--out", "out"]
ROUTE_SYSTEM = "Reply with one word: billing or shipping."


def _call(i: int, label: str = "billing", **request: object) -> dict:
    """One OpenAI Chat Completions call as logged: the request body, the chat.completion body, metadata."""
    body = {"model": "gpt-4o-mini", "max_tokens": 5, "messages": [
        {"role": "system", "content": ROUTE_SYSTEM}, {"role": "user", "content": f"ticket {i}: {label} please"}],
        **request}
    response = {"id": f"chatcmpl-{i}", "object": "chat.completion", "created": 1740816000 + 3600 * i,
                "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant", "content": label,
                                                                               "refusal": None},
                                                      "logprobs": None, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 20, "completion_tokens": 1, "total_tokens": 21}}
    return {"request": body, "response": response, "metadata": {"feature": "route"}}


def _traffic(second: str | bytes | dict) -> dict[str, str | bytes]:
    """calls.jsonl: a good call, `second`, then two more good calls."""
    middle = second if isinstance(second, bytes) else (second if isinstance(second, str) else json.dumps(second)).encode()
    lines = [json.dumps(_call(1)).encode(), middle, json.dumps(_call(3, "shipping")).encode(),
             json.dumps(_call(4)).encode()]
    return {"calls.jsonl": b"\n".join(lines) + b"\n"}


def _calls_table(where: Path) -> None:
    import sqlite3

    with sqlite3.connect(where / "calls.db") as db:
        db.execute("CREATE TABLE calls (id INTEGER PRIMARY KEY, feature TEXT, model TEXT, request TEXT, response TEXT)")


CASES: dict[str, Case] = {
    # --- suite files
    "suite-missing": Case(["validate", "nosuch.yaml"]),
    "suite-folder": Case(["validate", "."]),
    "suite-yaml-syntax": Case(VALIDATE, edit=lambda s: s.replace("scorer: exact", "scorer: [exact")),
    "suite-not-mapping": Case(VALIDATE, edit=lambda s: "- just\n- a list\n"),
    "suite-not-utf8": Case(VALIDATE, files={"suite.yaml": SUITE.replace("Say", "Dis\xe9").encode("cp1252")}),
    "suite-unknown-key": Case(VALIDATE, edit=lambda s: s.replace("    scorer: exact", "    scorer: exact\n    trafic: 5")),
    "suite-no-tasks": Case(VALIDATE, edit=lambda s: "suite: demo\ntasks: []\n"),
    "task-no-candidates": Case(VALIDATE, edit=lambda s: s[: s.index("    candidates:")]),
    "unknown-scorer": Case(VALIDATE, edit=lambda s: s.replace("scorer: exact", "scorer: fuzzy")),
    "unknown-provider": Case(VALIDATE, edit=lambda s: s.replace("mockllm/model}", "acme/model}", 1)),
    "unknown-local-model": Case(VALIDATE, edit=lambda s: s.replace("mockllm/model}", "local/nosuch}", 1)),
    "unknown-endpoint": Case(VALIDATE, edit=lambda s: s.replace("mockllm/model}", "openai-compatible/nosuch}", 1)),
    "endpoint-missing-base-url": Case(VALIDATE, edit=lambda s: "endpoints:\n  box: {hourly_usd: 1}\n"
                                      + s.replace("mockllm/model}", "openai-compatible/box}", 1)),
    "endpoint-base-url-not-http": Case(VALIDATE, edit=lambda s: "endpoints:\n  box: {base_url: 'localhost:8000/v1'}\n"
                                       + s.replace("mockllm/model}", "openai-compatible/box}", 1)),
    "unknown-placeholder": Case(VALIDATE, edit=lambda s: s.replace("{{text}}", "{{txt}}")),
    "criteria-out-of-range": Case(VALIDATE, edit=lambda s: s.replace("max_drop: 0.1", "max_drop: 1.5")),
    "reference-not-candidate": Case(VALIDATE, edit=lambda s: s.replace("reference: big", "reference: huge")),
    "duplicate-task": Case(VALIDATE, edit=lambda s: s + s[s.index("  - name: t"):]),
    "duplicate-candidate": Case(VALIDATE, edit=lambda s: s.replace("{id: small,", "{id: big,")),
    "undefined-prompt-variant": Case(VALIDATE, edit=lambda s: s.replace("max_tokens: 4}", "max_tokens: 4, prompt: nope}")),
    "bad-sequential": Case(VALIDATE, edit=lambda s: s.replace("suite: demo", "suite: demo\nsequential: maybe")),
    "bad-inspect-task-ref": Case(VALIDATE, edit=lambda s: s.replace("    dataset: data.csv\n", "    task: tasks.py\n")),
    "judge-human-label-missing": Case(VALIDATE, edit=lambda s: s.replace("scorer: exact", _JUDGE_LABELLED)),
    "judge-human-label-not-allowed": Case(VALIDATE, edit=lambda s: s.replace("scorer: exact", _JUDGE_LABELLED),
                                          files=_csv("id,text,target,human\n1,hello,hi,maybe\n2,bye,ciao,better\n")),
    "suites-in-two-files-share-a-task": Case(["validate", "suite.yaml", "copy.yaml"], files={"copy.yaml": SUITE}),
    # --- datasets
    "dataset-missing": Case(VALIDATE, edit=lambda s: s.replace("data.csv", "nosuch.csv")),
    "dataset-empty": Case(VALIDATE, files=_csv("id,text,target\n")),
    "dataset-unsupported-format": Case(VALIDATE, edit=lambda s: s.replace("data.csv", "data.xlsx"),
                                       files={"data.xlsx": "x"}),
    "dataset-latin1": Case(VALIDATE, files=_csv("id,text,target\n1,caf\xe9,hi\n".encode("latin-1"))),
    "dataset-utf16": Case(VALIDATE, files=_csv(CSV.encode("utf-16"))),
    "dataset-wrong-declared-encoding": Case(VALIDATE, edit=lambda s: s.replace("scorer: exact", "scorer: exact\n    encoding: utf-8"),
                                            files=_csv(b"id,text,target\n1,\xff\xfe,hi\n")),
    "dataset-unknown-encoding": Case(VALIDATE, edit=lambda s: s.replace("scorer: exact", "scorer: exact\n    encoding: klingon")),
    "dataset-bom-accepted": Case(VALIDATE, files=_csv(b"\xef\xbb\xbf" + CSV.encode())),
    "dataset-cp1252-declared": Case(VALIDATE, edit=lambda s: s.replace("scorer: exact", "scorer: exact\n    encoding: cp1252"),
                                    files=_csv("id,text,target\n1,caf\xe9,hi\n".encode("cp1252"))),
    "csv-unterminated-quote": Case(VALIDATE, files=_csv('id,text,target\n1,"hello,hi\n2,bye,ciao\n')),
    "csv-stray-quote": Case(VALIDATE, files=_csv('id,text,target\n1,"hel"lo,hi\n')),
    "csv-ragged-rows": Case(VALIDATE, files=_csv("id,text,target\n1,hello,hi,extra\n2,bye\n3,ok,fine\n")),
    "csv-empty-target": Case(VALIDATE, files=_csv("id,text,target\n1,hello,\n2,bye, \n3,ok,fine\n")),
    "csv-empty-id": Case(VALIDATE, files=_csv("id,text,target\n,hello,hi\n2,bye,ciao\n")),
    "csv-duplicate-id": Case(VALIDATE, files=_csv("id,text,target\n1,hello,hi\n1,bye,ciao\n")),
    "csv-no-target-column": Case(VALIDATE, files=_csv("id,text,label\n" + "".join(f"{i},t,x\n" for i in range(50)))),
    "csv-duplicate-header": Case(VALIDATE, files=_csv("id,text,text,target\n1,a,b,hi\n")),
    "jsonl-bad-lines": Case(VALIDATE, edit=lambda s: s.replace("data.csv", "data.jsonl"),
                            files={"data.jsonl": '{"text": "a", "target": "b"}\n{broken\n{also broken\n'}),
    "jsonl-not-object": Case(VALIDATE, edit=lambda s: s.replace("data.csv", "data.jsonl"),
                             files={"data.jsonl": '["a", "b"]\n{"text": "a", "target": "b"}\n'}),
    # --- classifier candidates and their training records
    "unknown-classifier": Case(VALIDATE, edit=lambda s: s.replace("mockllm/model}", "classifier/nosuch}", 1)),
    "classifier-without-train": Case(VALIDATE, edit=lambda s: _classifier(s, train=False)),
    "train-shares-an-id": Case(VALIDATE, edit=_classifier, files={"train.csv": "id,text,target\n1,hey,hi\n9,yo,ciao\n"}),
    "train-shares-a-text": Case(VALIDATE, edit=_classifier, files={"train.csv": "id,text,target\n8,hey,hi\n9, Bye ,ciao\n"}),
    "train-missing-field": Case(VALIDATE, edit=_classifier, files={"train.csv": "id,txt,target\n8,hey,hi\n9,yo,ciao\n"}),
    "train-disjoint-accepted": Case(VALIDATE, edit=_classifier, files={"train.csv": "id,text,target\n8,hey,hi\n9,yo,ciao\n"}),
    # --- command line
    "limit-zero": Case(["run", "suite.yaml", "--limit", "0"]),
    "limit-negative": Case(["estimate", "suite.yaml", "--limit", "-3"]),
    "limit-not-a-number": Case(["run", "suite.yaml", "--limit", "ten"]),
    "max-cost-negative": Case(["run", "suite.yaml", "--max-cost", "-1"]),
    "alpha-out-of-range": Case(["select", "--results", "r.csv", "--alpha", "0.9"]),
    "max-drop-out-of-range": Case(["select", "--results", "r.csv", "--max-drop", "2"]),
    "round-without-sequential": Case(["run", "suite.yaml", "--round", "5"]),
    "detach-without-batch": Case(["run", "suite.yaml", "--detach", "--no-batch"]),
    "no-suites-found": Case(["validate"]),
    "nothing-to-run": Case(["run", "suite.yaml", "--tasks", "nosuch"]),
    "collect-without-a-run": Case(["collect"]),
    "run-where-nothing-passes": Case(["run", "suite.yaml", "--display", "none", "--limit", "1"],
                                     edit=lambda s: s.replace("criteria: {reference: big, max_drop: 0.1}",
                                                              "criteria: {min_score: 0.9}")),
    # --- results files
    "results-missing": Case(["select", "--results", "nosuch.csv"]),
    "results-folder": Case(["select", "--results", "."]),
    "results-inspect-log": Case(["select", "--results", "x.eval"], files={"x.eval": b"PK\x03\x04"}),
    "results-unsupported-format": Case(["select", "--results", "r.json"], files={"r.json": "{}"}),
    "results-not-utf8": Case(SELECT, files={"r.csv": "task,candidate,sample_id,score,cost_usd\nf\xe9,a,1,1,0\n"
                                                     .encode("latin-1")}),
    "results-no-rows": Case(SELECT, results=lambda df: df.iloc[:0]),
    "results-missing-columns": Case(SELECT, results=lambda df: df.drop(columns=["score"])),
    "results-no-cost": Case(SELECT, results=lambda df: df.drop(columns=["cost_usd"])),
    "results-empty-score": Case(SELECT, results=lambda df: df.assign(score=df["score"].where(df.index % 7 != 3))),
    "results-non-numeric-score": Case(SELECT, results=lambda df: df.assign(
        score=df["score"].astype(object).where(df.index != 4, "high"))),
    "results-score-out-of-range": Case(SELECT, results=lambda df: df.assign(score=df["score"] * 2)),
    "results-negative-cost": Case(SELECT, results=lambda df: df.assign(cost_usd=-df["cost_usd"])),
    "results-infinite-cost": Case(SELECT, results=lambda df: df.assign(
        cost_usd=df["cost_usd"].where(df.index != 0, float("inf")))),
    "results-duplicate-rows": Case(SELECT, results=lambda df: pd.concat([df, df.iloc[:3].assign(score=0.0)])),
    "results-duplicates-averaged": Case([*SELECT, "--average-duplicates"],
                                        results=lambda df: pd.concat([df, df.iloc[:3].assign(score=0.0)])),
    "results-epochs-in-two-clusters": Case(SELECT, results=lambda df: pd.concat([
        df.assign(epoch=1, cluster="a"), df.assign(epoch=2, cluster=["a", "b"] * (len(df) // 2))])),
    "select-no-criteria": Case(["select", "--results", "r.csv", "--out", "o.json"]),
    "select-unknown-reference": Case(["select", "--results", "r.csv", "--reference", "huge"]),
    "results-folder-of-logs": Case(["select", "--results", "logs"], make=_logs()),
    # --- results from other tools
    "logs-none-there": Case(["select", "--logs", "."]),
    "logs-scorer-not-named": Case(["select", "--logs", "logs"], make=_logs("[exact(), includes()]")),
    "logs-scorer-not-there": Case(["select", "--logs", "logs", "--scorer", "f1"], make=_logs()),
    "logs-unknown-grade": Case(["select", "--logs", "logs"], make=_logs(grade="maybe")),
    "logs-unknown-grade-mapped": Case(["select", "--logs", "logs", "--value", "maybe=0.5", "--reference", "model",
                                       "--out", "o.json"], make=_logs(grade="maybe")),
    "logs-scorer-without-logs": Case(["select", "--results", "r.csv", "--scorer", "exact"]),
    "promptfoo-other-shape": Case(["select", "--promptfoo", "p.json"], files={"p.json": json.dumps({"results": {
        "table": {"head": {}, "body": []}}})}),
    "promptfoo-missing-fields": Case(["select", "--promptfoo", "p.json"], files={"p.json": json.dumps({"results": {
        "version": 3, "results": [PROMPTFOO_RESULT] * 4}})}),
    # --- logged traffic
    "traffic-truncated-line": Case(TRAFFIC, files=_traffic(json.dumps(_call(2))[:90])),
    "traffic-no-response": Case(TRAFFIC, files=_traffic({"request": _call(2)["request"], "metadata": {"feature": "route"}})),
    "traffic-not-utf8": Case(TRAFFIC, files=_traffic(json.dumps(_call(2)).encode().replace(b"ticket", b"tick\xe9t"))),
    "traffic-unknown-model": Case(TRAFFIC, files=_traffic(_call(2, model="gemini-1.5-flash"))),
    "traffic-key-in-log": Case(TRAFFIC, files=_traffic(json.dumps(_call(2)).replace(
        "please", "please, my key is sk-proj-Zx81bQ0aL4mN7pR2tV5w"))),
    "traffic-tool-call": Case(TRAFFIC, files=_traffic(_call(2, tools=[{"type": "function", "function": {
        "name": "lookup", "parameters": {}}}]))),
    "traffic-fewer-than-sample": Case([*TRAFFIC, "--sample", "50"], files=_traffic(_call(2, "shipping"))),
    "traffic-nothing-usable": Case(TRAFFIC, files={"calls.jsonl": '{"request": {}\n[1]\n{"response": {}}\n'}),
    "traffic-unknown-table": Case(["traffic", "import", "calls.db", "--out", "out", "--sql-table", "nope"],
                                  make=_calls_table),
    # --- routing tables and the gate
    "routing-missing": Case(["report", "--results", "r.csv", "--routing", "nosuch.json"]),
    "routing-not-json": Case(["report", "--results", "r.csv", "--routing", "bad.json"], files={"bad.json": "{oops"}),
    "routing-other-schema": Case(["report", "--results", "r.csv", "--routing", "bad.json"],
                                 files={"bad.json": json.dumps({**ROUTING_OK, "schema": "harness.routing/v9"})}),
    "routing-unknown-field": Case(["report", "--results", "r.csv", "--routing", "bad.json"],
                                  files={"bad.json": json.dumps({**ROUTING_OK, "defualt": 1})}),
    "routing-nan": Case(["report", "--results", "r.csv", "--routing", "bad.json"],
                        files={"bad.json": json.dumps(ROUTING_OK).replace("}", ', "x": NaN}', 1)}),
    "gate-missing-suite": Case(["gate", "--base", "base.json", "--head", "base.json", "--suite", "nosuch.yaml"],
                               files={"base.json": json.dumps(ROUTING_OK)}),
}


def documented() -> dict[str, dict[str, str]]:
    return {m["id"]: m.groupdict() for m in ROW.finditer(DOC)}


def test_the_document_and_the_cases_list_the_same_ids():
    doc = documented()
    assert len(doc) >= 40
    assert sorted(doc) == sorted(CASES), (sorted(set(doc) - set(CASES)), sorted(set(CASES) - set(doc)))


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_case(case_id, tmp_path, monkeypatch, capsys):
    case, row = CASES[case_id], documented()[case_id]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    (tmp_path / "suite.yaml").write_text(case.edit(SUITE) if case.edit else SUITE)
    (tmp_path / "data.csv").write_text(CSV)
    table = pd.DataFrame(_rows())
    (case.results(table) if case.results else table).to_csv(tmp_path / "r.csv", index=False)
    for name, content in case.files.items():
        path = tmp_path / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    if case.make:
        case.make(tmp_path)
    try:
        code = main(case.argv)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    printed = capsys.readouterr()
    text = printed.out + printed.err
    assert code == int(row["exit"]), text
    wanted = row["message"].strip().strip("`").replace("\\|", "|")
    assert wanted in text, f"{case_id}: {wanted!r} not in:\n{text}"
    assert "Traceback" not in text
