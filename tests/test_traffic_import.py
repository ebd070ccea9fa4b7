"""`harness traffic import`: logged calls in the providers' real formats -> a suite harness's own loader accepts.

The logs are made by sending calls to the fake server with the real SDKs (tests/_traffic_logs.py),
so every body is the shape an application really logs. Bad lines are cut from those real lines.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from _batch_support import env  # noqa: F401  (the fake server fixture)
from _traffic_logs import (KEY, ROUTE_SYSTEM, anthropic_batch, anthropic_pairs, openai_batch, openai_pairs, script,
                           traffic, write_jsonl)
from harness.cli import main
from harness.errors import InputError
from harness.suite import load_suite
from harness.testing import FakeProviders, ItemFault, custom_id_in
from harness import cli
from harness.traffic import (DEFAULT_RUBRIC, FORMATS, Found, ImportOptions, answer_kind, import_traffic, redact,
                             strip_text)


@pytest.fixture(scope="module")
def logs():
    """Every format, once per module: the fake answers labels for `route` and sentences for `summarize`."""
    with FakeProviders(script(item_faults=[ItemFault("error", custom_id_in("route-3"), status=400)])) as fake:
        yield {
            "openai": openai_pairs(fake, traffic()),
            "anthropic": anthropic_pairs(fake, traffic()),
            "openai-batch": openai_batch(fake, traffic(8, 0)),
            "anthropic-batch": anthropic_batch(fake, traffic(8, 0)),
        }


def run(*argv: str) -> int:
    return main(["traffic", "import", *argv])


def written(out: Path) -> str:
    """Every byte an import wrote, as text: what must never hold a key."""
    return "".join(p.read_text() for p in sorted(out.rglob("*")) if p.is_file())


def suite_of(out: Path) -> dict:
    return yaml.safe_load((out / f"{out.name}.yaml").read_text())


def records(out: Path, task: str) -> list[dict]:
    return [json.loads(x) for x in (out / "data" / f"{task}.jsonl").read_text().splitlines()]


# --- the formats ------------------------------------------------------------------------------


def test_openai_pairs_become_a_suite_the_loader_accepts(logs, tmp_path, capsys):
    log = write_jsonl(tmp_path / "calls.jsonl", logs["openai"])
    out = tmp_path / "traffic"
    assert run(str(log), "--out", str(out)) == 0
    text = (out / "traffic.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=suite.schema.json\n")
    assert (out / "suite.schema.json").is_file()  # no schema above out/: a copy beside the suite
    suite = load_suite(out / "traffic.yaml")
    task, judged = suite.tasks
    assert task.name == "route" and task.scorer == "exact" and task.target_field == "reference_answer"
    assert task.variants[None].system == ROUTE_SYSTEM and task.variants[None].template == "{{input}}"
    (ref,) = task.candidates
    assert task.criteria.reference == ref.label() == "gpt-4o-mini"
    assert (ref.model, ref.max_tokens, ref.temperature, ref.stop) == ("openai/gpt-4o-mini", 5, 0.0, ["\n"])
    # 24 calls from March 1st 08:00 to March 24th 07:00: 23 gaps in 22.96 days
    assert task.traffic_per_month == pytest.approx(23 / (22 + 23 / 24) * 365.25 / 12, abs=1)
    assert task.cluster_field == "cluster" and len({r["cluster"] for r in task.records}) == 12  # pairs share one
    assert "Input tokens: median 30, p90 30. Output tokens: median 1, p90 1." in task.description
    # summarize is open-ended: a pairwise judge (by default its logged model) against the logged answer
    assert judged.name == "summarize" and judged.scorer == "judge" and judged.target_field == "reference_answer"
    assert judged.scorer_options == {"mode": "pairwise", "model": "openai/gpt-4o", "rubric": DEFAULT_RUBRIC}
    assert [c.label() for c in judged.candidates] == [judged.criteria.reference] == ["gpt-4o"]
    assert "judged pairwise by openai/gpt-4o against the logged answer" in judged.description
    assert "TODO" not in text
    summary = records(out, "summarize")
    assert len(summary) == 10 and summary[0]["reference_answer"].startswith("The customer writes about")
    side = json.loads((out / "traffic.json").read_text())
    assert side["features"]["summarize"]["task"] == "summarize" and side["features"]["summarize"]["scorer"] == "judge"
    assert side["features"]["summarize"]["judge"]["model"] == "openai/gpt-4o"
    assert side["features"]["summarize"]["reference"]["model"] == "openai/gpt-4o"
    assert side["features"]["route"]["input_tokens"] == {"n": 24, "median": 30, "p90": 30, "mean": 30}
    assert main(["validate", str(out / "traffic.yaml")]) == 0
    printed = capsys.readouterr().out
    assert "judge: pairwise, openai/gpt-4o" in printed and "traffic.yaml: ok (2 tasks, 2 cells)" in printed
    assert "judged by its logged model openai/gpt-4o" in printed and "pass --judge MODEL for another" in printed


def test_judge_names_the_judge_of_open_ended_features_and_scorer_judge_forces_one(logs, tmp_path, capsys):
    log = write_jsonl(tmp_path / "calls.jsonl", logs["openai"])
    out = tmp_path / "t"
    assert run(str(log), "--out", str(out), "--judge", "anthropic/claude-sonnet-4-5", "--scorer", "route=judge") == 0
    assert "judged by its logged model" not in capsys.readouterr().out
    route, summarize = load_suite(out / "t.yaml").tasks
    for task in (route, summarize):
        assert task.scorer == "judge" and task.scorer_options["model"] == "anthropic/claude-sonnet-4-5"
        assert task.scorer_options["mode"] == "pairwise" and task.target_field == "reference_answer"
    assert json.loads((out / "traffic.json").read_text())["options"]["judge"] == "anthropic/claude-sonnet-4-5"
    assert run(str(log), "--out", str(out), "--judge", "gemini/pro") == 2
    assert "--judge 'gemini/pro': a judge is a local, OpenAI or Anthropic model" in capsys.readouterr().err


def test_in_a_project_the_suite_points_to_its_schema(logs, tmp_path, monkeypatch):
    (tmp_path / "evalsets").mkdir()
    (tmp_path / "evalsets" / "suite.schema.json").write_text("{}")
    write_jsonl(tmp_path / "calls.jsonl", logs["openai"][:6])
    monkeypatch.chdir(tmp_path)
    assert run("calls.jsonl", "--out", "evalsets/traffic/") == 0
    text = Path("evalsets/traffic/traffic.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../suite.schema.json\n")
    assert not Path("evalsets/traffic/suite.schema.json").exists()


def test_anthropic_pairs_carry_the_cache_and_the_whole_input(logs, tmp_path):
    log = write_jsonl(tmp_path / "calls.jsonl", logs["anthropic"])
    out = tmp_path / "traffic"
    assert run(str(log), "--out", str(out)) == 0
    task, judged = load_suite(out / "traffic.yaml").tasks
    assert judged.scorer_options["model"] == "anthropic/claude-sonnet-4-5"  # the logged model judges by default
    (ref,) = task.candidates
    assert ref.model == "anthropic/claude-3-5-haiku-20241022" and ref.cache_prompt and ref.stop == ["\n"]
    side = json.loads((out / "traffic.json").read_text())["features"]["route"]
    # input_tokens + cache_creation_input_tokens + cache_read_input_tokens: the whole prompt, cached or not
    first = logs["anthropic"][0]["response"]["usage"]
    assert side["input_tokens"]["median"] == first["input_tokens"] + first["cache_creation_input_tokens"]


def test_openai_batch_files_are_joined_on_custom_id(logs, tmp_path):
    inputs, output, errors = logs["openai-batch"]
    assert errors  # route-3 failed with a 400: its line is in the error file
    files = [tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "err.jsonl"]
    for path, text in zip(files, (inputs, output, errors)):
        path.write_text(text)
    out = tmp_path / "t"
    summary = import_traffic(files, ImportOptions(out=out))
    (feature,) = summary.features
    assert feature.name == "route" and len(feature.records) == 7
    assert [str(p) for p in summary.problems] == [f"{files[2]}:1: the call failed (invalid_request_error): there is "
                                                  "no answer to keep (fix: the call is skipped)"]
    assert feature.candidates[0]["model"] == "openai/gpt-4o-mini"


def test_batch_halves_without_their_other_half_are_reported(logs, tmp_path):
    inputs, output, _ = logs["openai-batch"]
    (tmp_path / "in.jsonl").write_text("".join(inputs.splitlines(keepends=True)[:5]))
    (tmp_path / "out.jsonl").write_text("".join(output.splitlines(keepends=True)[2:]))
    summary = import_traffic([tmp_path / "in.jsonl", tmp_path / "out.jsonl"], ImportOptions(out=tmp_path / "t"))
    text = "\n".join(map(str, summary.problems))
    # route-3 failed: its result is in the error file, not given here
    assert "in.jsonl:1: a batch request without its result in the files given on lines 1-2, 4 (3 lines)" in text
    assert "out.jsonl:3: a batch result without its request in the files given on lines 3-5 (3 lines)" in text
    assert len(summary.features[0].records) == 2  # route-2 and route-4 have both halves


def test_anthropic_batch_requests_and_results(logs, tmp_path):
    requests, results = logs["anthropic-batch"]
    assert '"errored"' in results
    (tmp_path / "req.jsonl").write_text(requests)
    (tmp_path / "res.jsonl").write_text(results)
    out = tmp_path / "t"
    assert run(str(tmp_path / "req.jsonl"), str(tmp_path / "res.jsonl"), "--out", str(out),
               "--format", "anthropic-batch") == 0
    (task,) = load_suite(out / "t.yaml").tasks
    # Message Batches params carry no feature (their metadata takes only a user_id): one feature
    assert task.name == "unlabelled" and len(task.records) == 7 and task.candidates[0].cache_prompt
    assert task.cluster_field == "cluster"  # metadata.user_id clusters the calls
    side = json.loads((out / "traffic.json").read_text())
    assert any("the batch request errored (invalid_request_error)" in p for p in side["problems"])


def _table(path: Path, rows: list[dict]) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE calls (id INTEGER PRIMARY KEY, app_feature TEXT, model TEXT, input_tokens INT, "
                   "output_tokens INT, cost_usd REAL, ts TEXT, prompt_text TEXT, response TEXT, session TEXT)")
        db.executemany("INSERT INTO calls VALUES (:id, :app_feature, :model, :input_tokens, :output_tokens, :cost_usd,"
                       " :ts, :prompt_text, :response, :session)", rows)


def sql_rows(logs: dict) -> list[dict]:
    """The OpenAI log as a cost dashboard's table: JSON bodies for route, plain text for summarize."""
    rows = []
    for i, line in enumerate(logs["openai"], start=1):
        feature, usage = line["metadata"]["feature"], line["response"]["usage"]
        plain = feature == "summarize"
        rows.append({"id": i, "app_feature": feature, "model": line["request"]["model"],
                     "input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"],
                     "cost_usd": 0.0001 * i, "ts": line["metadata"]["ts"],
                     "prompt_text": line["request"]["messages"][-1]["content"] if plain else json.dumps(line["request"]),
                     "response": line["response"]["choices"][0]["message"]["content"] if plain
                     else json.dumps(line["response"]),
                     "session": line["metadata"].get("conversation_id")})
    return rows


def test_a_sqlite_table_of_calls_with_mapped_columns(logs, tmp_path, capsys):
    db = tmp_path / "calls.db"
    _table(db, sql_rows(logs))
    out = tmp_path / "traffic"
    assert run(str(db), "--out", str(out), "--feature-key", "app_feature", "--cluster-key", "session",
               "--sql-column", "request=prompt_text", "--scorer", "summarize=f1") == 0
    suite = load_suite(out / "traffic.yaml")
    route, summarize = suite.tasks
    assert route.candidates[0].stop == ["\n"] and route.scorer == "exact"  # the JSON body's settings
    assert summarize.scorer == "f1" and summarize.candidates[0].model == "openai/gpt-4o"
    assert summarize.candidates[0].max_tokens is None  # plain text carries no settings
    side = json.loads((out / "traffic.json").read_text())["features"]
    assert side["route"]["logged_cost_usd"] == pytest.approx(sum(0.0001 * i for i in range(1, 25)))
    assert len({r["cluster"] for r in route.records}) == 12
    capsys.readouterr()
    assert run(str(db), "--out", str(out), "--sql-table", "nope") == 2
    assert "no table 'nope' (tables: calls)" in capsys.readouterr().err
    assert run(str(db), "--out", str(out)) == 2  # the request column is prompt_text
    err = capsys.readouterr().err
    assert "the table lacks request (column 'request')" in err and "--sql-column KEY=COLUMN" in err


# --- bad lines: each reported with file and line, the rest imported ---------------------------


def test_malformed_lines_are_reported_and_the_rest_imports(logs, tmp_path, capsys):
    good = logs["openai"]
    route = [x for x in good if x["metadata"]["feature"] == "route"]
    keyed = json.loads(json.dumps(route[1]))
    keyed["request"]["messages"][-1]["content"] += f" my key is {KEY}, it fails"
    keyed["metadata"]["headers"] = {"Authorization": f"Bearer {KEY}"}
    tools = json.loads(json.dumps(route[2]))
    tools["request"]["tools"] = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    unknown = json.loads(json.dumps(route[3]))
    unknown["request"]["model"] = unknown["response"]["model"] = "gemini-1.5-flash"
    lines: list = [route[0], json.dumps(route[4])[:120], {"request": route[5]["request"], "metadata": {"feature": "x"}},
                   json.dumps(route[6]).replace("Ticket", "Tick\udce9t").encode("utf-8", "surrogateescape"),
                   unknown, keyed, tools, {"request": route[7]["request"], "response": route[7]["response"],
                                           "metadata": {"feature": "rare"}}, *route[8:]]
    lines[3] = lines[3] + b"\n"
    log = write_jsonl(tmp_path / "calls.jsonl", lines)
    out = tmp_path / "traffic"
    assert run(str(log), "--out", str(out), "--sample", "10") == 0
    printed = capsys.readouterr()
    shown = printed.out + printed.err
    expected = [
        f"{log}:2: truncated JSON: the line ends before its object closes",
        f"{log}:3: no response: the line has a request but no answer",
        f"{log}:4: not UTF-8 text: byte 0xe9 at column",
        f"{log}:5: unknown model 'gemini-1.5-flash': harness runs openai/ and anthropic/ models",
        f"{log}:6: credential found and stripped: an OpenAI-style API key (sk-...) in "
        "request.messages[1].content, a credential field (Authorization) in metadata.headers.Authorization",
        f"{log}:7: a tool-calling call (the request offers tools, or the answer calls one): not supported yet",
        "feature 'rare': 1 distinct calls, fewer than --sample 10: all of them are imported",
    ]
    for text in expected:
        assert text in shown, text
    assert KEY not in shown and KEY not in written(out)
    route_records = records(out, "route")
    assert len(route_records) == 10  # 18 usable route calls (lines 1, 6 and 9-24), sampled to 10
    assert {r["id"] for r in records(out, "rare")} and (out / "data" / "rare.jsonl").is_file()
    imported = import_traffic([log], ImportOptions(out=tmp_path / "again"))
    assert len(imported.features[1].records) == 18 and imported.counts == {
        "calls": 19, "invalid": 3, "refused": 2, "unmatched": 0, "secret": 1}
    assert any("[REDACTED-SECRET]" in r["input"] for r in imported.features[1].records)


def test_nothing_usable_left_is_exit_2_with_every_line(tmp_path, capsys):
    log = write_jsonl(tmp_path / "calls.jsonl", ['{"request": {"model": "gpt-4o"', "[1, 2]"])
    assert run(str(log), str(tmp_path / "nosuch.jsonl"), "--out", str(tmp_path / "t")) == 2
    err = capsys.readouterr().err
    assert "harness: nothing to import: no usable call is left: 3 problem(s)" in err
    assert f"{log}:1: truncated JSON" in err and f"{log}:2: a JSON list where a call object was expected" in err
    assert f"{tmp_path / 'nosuch.jsonl'}: file not found" in err
    assert not (tmp_path / "t").exists()


def test_a_format_that_does_not_match_refuses_each_line(logs, tmp_path, capsys):
    log = write_jsonl(tmp_path / "calls.jsonl", logs["openai"][:3])
    assert run(str(log), "--out", str(tmp_path / "t"), "--format", "anthropic-batch") == 2
    assert "not an Anthropic Message Batches request or result line on lines 1-3 (3 lines)" in capsys.readouterr().err


def test_utf16_logs_are_refused_as_a_whole(logs, tmp_path, capsys):
    (tmp_path / "calls.jsonl").write_bytes(json.dumps(logs["openai"][0]).encode("utf-16"))
    assert run(str(tmp_path / "calls.jsonl"), "--out", str(tmp_path / "t")) == 2
    assert "the file is UTF-16 or UTF-32 text, not UTF-8" in capsys.readouterr().err


# --- samples: seeded, per feature, duplicates and near-empty calls out --------------------------


def test_sample_is_seeded_and_per_feature_and_drops_duplicates_and_near_empty(logs, tmp_path):
    route = [x for x in logs["openai"] if x["metadata"]["feature"] == "route"]
    empty = json.loads(json.dumps(route[0]))
    empty["request"]["messages"][-1]["content"] = " ? "
    lines = [*logs["openai"], route[0], route[1], empty]  # two exact repeats and a near-empty call
    log = write_jsonl(tmp_path / "calls.jsonl", lines)

    def ids(seed: int, n: int = 5) -> dict[str, list[str]]:
        s = import_traffic([log], ImportOptions(out=tmp_path / f"s{seed}", sample=n, seed=seed))
        return {f.name: [r["id"] for r in f.records] for f in s.features}

    first = ids(1)
    assert first == ids(1) and first != ids(2)
    assert [len(v) for v in first.values()] == [5, 5]
    whole = import_traffic([log], ImportOptions(out=tmp_path / "all")).features[0]
    assert (whole.calls, whole.duplicates, whole.near_empty, len(whole.records)) == (27, 2, 1, 24)


def test_redact_masks_contact_data_in_what_is_written(logs, tmp_path):
    line = json.loads(json.dumps(logs["openai"][0]))
    line["request"]["messages"][-1]["content"] = "Mail me at jane.doe@example.com or call +44 20 7946 0958, billing"
    log = write_jsonl(tmp_path / "calls.jsonl", [line, *logs["openai"][1:4]])
    assert run(str(log), "--out", str(tmp_path / "plain")) == 0
    assert "jane.doe@example.com" in written(tmp_path / "plain")
    assert run(str(log), "--out", str(tmp_path / "masked"), "--redact") == 0
    text = written(tmp_path / "masked")
    assert "jane.doe" not in text and "7946" not in text
    assert "Mail me at [EMAIL] or call [PHONE], billing" in records(tmp_path / "masked", "route")[0]["input"]


def test_every_feature_open_ended_is_a_suite_of_judged_tasks(logs, tmp_path, capsys):
    log = write_jsonl(tmp_path / "calls.jsonl", [x for x in logs["openai"] if x["metadata"]["feature"] == "summarize"])
    out = tmp_path / "t"
    assert run(str(log), "--out", str(out)) == 0
    (task,) = load_suite(out / "t.yaml").tasks
    assert task.scorer == "judge" and len(task.records) == 10 and len(records(out, "summarize")) == 10


def test_multi_turn_and_varying_system_prompts(logs, tmp_path):
    base = [x for x in logs["openai"] if x["metadata"]["feature"] == "route"][:6]
    lines = json.loads(json.dumps(base))
    lines[0]["request"]["messages"][1:1] = [{"role": "user", "content": "hello"},
                                            {"role": "assistant", "content": "How can I help?"}]
    lines[1]["request"]["messages"][0] = {"role": "developer", "content": "Route it."}
    lines[2]["request"] = {"body": lines[2]["request"], "custom_id": "x"}  # a batch-style request object
    lines[2]["response"] = {"status_code": 200, "body": lines[2]["response"]}
    log = write_jsonl(tmp_path / "calls.jsonl", lines)
    out = tmp_path / "t"
    summary = import_traffic([log], ImportOptions(out=out))
    (f,) = summary.features
    assert f.system == "{{system}}" and {r["system"] for r in f.records} == {ROUTE_SYSTEM, "Route it."}
    assert f.records[0]["input"].startswith("Conversation so far:\n\nUser: hello\n\nAssistant: How can I help?\n\n"
                                            "User: Ticket 0")
    assert any("1 multi-turn calls" in n for n in f.notes)
    assert load_suite(out / "t.yaml").tasks[0].records[1]["system"] == "Route it."


# --- the pieces -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, kind", [
    ("key sk-ant-api03-AbCdEf0123456789_xyzXYZ-abc", "an Anthropic API key"),
    ("key sk-proj-AbCdEf0123456789abcdef", "an OpenAI-style API key"),
    ("curl -H 'Authorization: Bearer abc123def456ghi789'", "a bearer token"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "an Authorization header"),
    ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "a JSON web token"),
    ("aws AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
])
def test_credentials_are_stripped(text, kind):
    found = Found()
    clean = strip_text(text, found)
    assert "[REDACTED-SECRET]" in clean and found.items[0][0].startswith(kind)
    assert not any(part in clean for part in ("0123456789", "abc123def", "dXNlcjpw", "eyJzdWIi", "AKIAIOSF"))


@pytest.mark.parametrize("text", ["our task-management-system-overview page", "sk-learn-compatible-estimators",
                                  "the bearer of this letter is authorised", "authorization: see the policy"])
def test_prose_is_not_a_credential(text):
    found = Found()
    assert strip_text(text, found) == text and not found.items


@pytest.mark.parametrize("text, masked", [
    ("write to a.b+c@mail.example.co.uk today", "write to [EMAIL] today"),
    ("call (555) 123-4567 or +1 555 123 4567", "call [PHONE] or [PHONE]"),
    ("on 2024-05-01 12:30 from 192.168.100.200", "on 2024-05-01 12:30 from 192.168.100.200"),
    ("order 1234 costs 56.78", "order 1234 costs 56.78"),
    ("call 5551234567", "call 5551234567"),  # no separators: not recognised (docs/traffic.md says so)
])
def test_redact(text, masked):
    assert redact(text) == masked


@pytest.mark.parametrize("answers, scorer", [
    (["billing", "technical", "billing", "account"], "exact"),
    (['{"name": "Ann", "city": "Oslo"}', '{"name": "Bo", "city": "Rome"}'], "json_fields"),
    (["42", "1,234.5", "-3"], "numeric"),
    (["Ann Smith", "Bo Jones", "Cy Twain"], None),  # short but never repeated: not labels
    (["The customer wants a refund for a parcel that never arrived.", "billing"], None),
])
def test_answer_kind(answers, scorer):
    assert answer_kind(answers)[0] == scorer


def test_bad_options_are_refused_before_reading(tmp_path):
    with pytest.raises(InputError, match="unknown scorer 'fuzzy' for feature 'route'"):
        import_traffic([tmp_path], ImportOptions(out=tmp_path / "t", scorers={"route": "fuzzy"}))


def test_the_command_and_the_docs_name_the_same_formats():
    assert cli.TRAFFIC_FORMATS == list(FORMATS)  # written out in cli.py so that --help stays cheap
    doc = (Path(__file__).resolve().parents[1] / "docs" / "traffic.md").read_text()
    assert f"[--format {'|'.join(FORMATS)}]" in doc
    for fmt in FORMATS[1:]:
        assert f"(`{fmt}`)" in doc


def test_the_imported_suite_runs_against_the_fake_and_the_reference_reproduces_its_answers(logs, env, tmp_path):
    """Import -> `harness run` with the logged model in batch mode: the fake answers as it did when the log was
    made, so the reference scores 1 on every sample, and the clusters reach the results."""
    import pandas as pd

    env(script())
    log = write_jsonl(tmp_path / "calls.jsonl", logs["openai"])
    out = tmp_path / "traffic"
    assert run(str(log), "--out", str(out)) == 0
    assert main(["run", str(out / "traffic.yaml"), "--reports", str(tmp_path / "r"), "--display", "none"]) == 0
    every = pd.read_parquet(tmp_path / "r" / "results.parquet")
    results = every[every["task"] == "route"]
    assert len(results) == 24 and (results["score"] == 1).all() and results["cluster"].nunique() == 12
    judged = every[every["task"] == "summarize"]  # the reference of a pairwise judge: 0.5, no judge call
    assert len(judged) == 10 and (judged["score"] == 0.5).all() and (judged["judge_verdict"] == "reference").all()
    routing = json.loads((tmp_path / "r" / "routing.json").read_text())
    assert routing["routes"]["route"]["model"] == "openai/gpt-4o-mini"


def test_a_feature_served_by_two_models_gets_both_the_most_used_as_reference(logs, tmp_path):
    lines = json.loads(json.dumps([x for x in logs["openai"] if x["metadata"]["feature"] == "route"]))
    for x in lines[:6]:
        x["request"]["model"] = x["response"]["model"] = "gpt-4o"
    summary = import_traffic([write_jsonl(tmp_path / "calls.jsonl", lines)], ImportOptions(out=tmp_path / "t"))
    (f,) = summary.features
    assert [c["model"] for c in f.candidates] == ["openai/gpt-4o-mini", "openai/gpt-4o"]
    assert f.reference == "gpt-4o-mini" and f.models == {"openai/gpt-4o-mini": 18, "openai/gpt-4o": 6}
    assert [r["answered_by"] for r in f.records[:6]] == ["openai/gpt-4o"] * 6  # whose answer the reference is
    (task,) = load_suite(tmp_path / "t" / "t.yaml").tasks
    assert [c.label() for c in task.candidates] == ["gpt-4o-mini", "gpt-4o"]


def test_an_explicit_format_reads_pairs_as_that_providers_bodies(logs, tmp_path, capsys):
    log = write_jsonl(tmp_path / "calls.jsonl", logs["openai"][:4])
    assert run(str(log), "--out", str(tmp_path / "t"), "--format", "anthropic") == 2  # not Anthropic bodies
    assert "a message of the request is not a user or assistant turn on lines 1-4" in capsys.readouterr().err
    assert run(str(log), "--out", str(tmp_path / "t"), "--format", "openai") == 0


def test_a_feature_of_near_empty_calls_only_is_named(logs, tmp_path, capsys):
    empty = json.loads(json.dumps(logs["openai"][0]))
    empty["request"]["messages"][-1]["content"] = "?"
    empty["metadata"]["feature"] = "pings"
    log = write_jsonl(tmp_path / "calls.jsonl", [empty, *logs["openai"][:4]])
    assert run(str(log), "--out", str(tmp_path / "t")) == 0
    assert "feature 'pings': all 1 calls are near-empty: no task" in capsys.readouterr().out
    assert run(str(write_jsonl(tmp_path / "only.jsonl", [empty])), "--out", str(tmp_path / "u")) == 2
    assert "feature 'pings': all 1 calls are near-empty" in capsys.readouterr().err
