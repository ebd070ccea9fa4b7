"""Results from the user's own inspect-ai runs: `harness select --logs` on logs that real `eval()` /
`inspect eval` runs wrote decides as harness does on the same outputs.

The fast tests run inspect's `mockllm/model` with custom outputs (a function of the prompt, so the
answer does not depend on the order inspect calls it in) that carry their own usage: mockllm would
otherwise count tokens with a tiktoken encoding it downloads (harness/providers/_mock.py). The slow
test runs the real local model through the `inspect` command.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.model import GenerateConfig, ModelOutput, ModelUsage, get_model

from harness import results
from harness.cli import main
from harness.errors import InputError
from harness.select import Criteria, format_decisions, select

WORDS = ["apple", "river", "green", "house", "seven", "music", "table", "light", "bread", "stone",
         "cloud", "paper", "horse", "water", "dance", "chair", "plant", "smile", "train", "ocean",
         "tiger", "lemon", "glass", "piano", "storm", "honey", "maple", "sugar", "flame", "coral"]
TASK_FILE = """
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import exact
from inspect_ai.solver import generate

WORDS = __WORDS__


@task
def words():
    return Task(dataset=[Sample(id=f"w{i:02d}", input=f"Say the word {w}", target=w) for i, w in enumerate(WORDS)],
                solver=generate(), scorer=exact())
""".replace("__WORDS__", repr(WORDS))

# A long, careful configuration (the reference) and a short one that, here, is right more often.
LONG = {"temperature": 0.0}
SHORT = {"max_tokens": 4}
USAGE = {"model:t=0": (20, 6), "model:max=4": (20, 2)}  # (input, output) tokens per call
PRICE = {"input": 1.0, "output": 4.0}  # USD per million tokens, for mockllm/model


def right(candidate: str, i: int) -> bool:
    return i % 3 != 0 if candidate == "model:t=0" else i != 7  # 20 of 30 against 29 of 30


def answers(candidate: str):
    n_in, n_out = USAGE[candidate]

    def answer(input, tools, tool_choice, config) -> ModelOutput:
        word = input[-1].text.split()[-1]
        i = WORDS.index(word)
        output = ModelOutput.from_content(model="mockllm", content=word if right(candidate, i) else word[::-1])
        output.usage = ModelUsage(input_tokens=n_in, output_tokens=n_out, total_tokens=n_in + n_out)
        return output

    return answer


def run_mock(tmp_path: Path, folder: str, candidate: str, config: dict, **options) -> Path:
    logs = tmp_path / "logs" / folder
    model = get_model("mockllm/model", config=GenerateConfig(**config), custom_outputs=answers(candidate))
    (log,) = inspect_eval(f"{tmp_path / 'tasks.py'}@words", model=model, log_dir=str(logs), display="none", **options)
    assert log.status == "success"
    return logs


def handmade() -> pd.DataFrame:
    """The table harness should build, written out from the outputs above."""
    rows = []
    for candidate, (n_in, n_out) in USAGE.items():
        cost = (n_in * PRICE["input"] + n_out * PRICE["output"]) / 1e6
        rows += [{"task": "words", "candidate": candidate, "sample_id": f"w{i:02d}",
                  "score": float(right(candidate, i)), "cost_usd": cost, "model": "mockllm/model"}
                 for i in range(len(WORDS))]
    return results.validate(pd.DataFrame(rows), "handmade")


SUITE = """\
suite: mine
prices:
  mockllm/model: {input: 1.0, output: 4.0}
tasks:
  - name: words
    task: tasks.py@words
    criteria: {reference: "model:t=0", max_drop: 0.05}
    traffic_per_month: 100000
    candidates:
      - {model: mockllm/model, temperature: 0}
      - {model: mockllm/model, max_tokens: 4}
"""


@pytest.fixture
def two_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    (tmp_path / "tasks.py").write_text(TASK_FILE)
    (tmp_path / "suite.yaml").write_text(SUITE)
    run_mock(tmp_path, "a", "model:t=0", LONG)
    run_mock(tmp_path, "b", "model:max=4", SHORT)
    return tmp_path


def test_select_on_logs_decides_as_select_on_the_same_outputs_by_hand(two_runs, capsys):
    out = two_runs / "routing.json"
    code = main(["select", "--logs", str(two_runs / "logs"), "--suite", str(two_runs / "suite.yaml"),
                 "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    by_hand = select(handmade(), {"words": Criteria(reference="model:t=0", max_drop=0.05)}, {"words": 100000})
    assert format_decisions(by_hand) in printed
    assert by_hand[0].chosen == "model:max=4" and "switch to model:max=4" in printed
    assert json.loads(out.read_text())["routes"]["words"]["candidate"] == "model:max=4"


def test_the_table_of_the_logs_is_the_handmade_one_plus_what_the_logs_say(two_runs):
    df = results.from_inspect_logs(two_runs / "logs", prices={"mockllm/model": results_price()})
    keys = ["task", "candidate", "sample_id", "epoch"]
    got = df.sort_values(keys).reset_index(drop=True)
    want = handmade().sort_values(keys).reset_index(drop=True)
    cols = [*keys, "score", "cost_usd", "model"]
    pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False)
    assert set(got["input_tokens"]) == {20} and got.groupby("candidate")["output_tokens"].first().to_dict() == {
        "model:max=4": 2, "model:t=0": 6}
    configs = {c: json.loads(v) for c, v in got.groupby("candidate")["config"].first().items()}
    assert configs["model:t=0"]["temperature"] == 0 and configs["model:max=4"]["max_tokens"] == 4
    assert got["output"].str.len().gt(0).all() and (got["target"] == got["sample_id"].map(
        lambda s: WORDS[int(s[1:])])).all()


def results_price():
    from harness.pricing import ExplicitPrice

    return ExplicitPrice(**PRICE)


def test_a_rerun_is_the_same_candidate_and_its_newest_log_wins(two_runs, monkeypatch):
    # the same configuration again, on 10 samples, with other answers: newer, so its rows are kept
    monkeypatch.setattr(sys.modules[__name__], "right", lambda candidate, i: True)
    run_mock(two_runs, "a-again", "model:t=0", LONG, sample_id=[f"w{i:02d}" for i in range(10)],
             max_connections=3)  # how calls are made: not part of the candidate
    notes: list[str] = []
    df = results.from_inspect_logs(two_runs / "logs", notes=notes)
    assert sorted(df["candidate"].unique()) == ["model:max=4", "model:t=0"]
    long = df[df["candidate"] == "model:t=0"].set_index("sample_id")["score"]
    assert len(long) == 30 and long[[f"w{i:02d}" for i in range(10)]].eq(1).all() and long.sum() == 10 + 14
    assert any("words/model:t=0: 10 sample(s) are in more than one of its logs" in n for n in notes), notes


def test_samples_missing_in_one_candidate_are_compared_as_selection_does(two_runs, capsys):
    import shutil

    shutil.rmtree(two_runs / "logs" / "b")
    run_mock(two_runs, "b", "model:max=4", SHORT, sample_id=[f"w{i:02d}" for i in range(25)])
    assert main(["select", "--logs", str(two_runs / "logs"), "--suite", str(two_runs / "suite.yaml"),
                 "--out", str(two_runs / "o.json")]) == 0
    assert "compared on the 25 of 30 samples every candidate has" in capsys.readouterr().out


def test_one_model_with_configs_its_name_does_not_show_gets_distinct_ids(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    (tmp_path / "tasks.py").write_text(TASK_FILE)
    run_mock(tmp_path, "a", "model:t=0", {"temperature": 0, "reasoning_effort": "low"})
    run_mock(tmp_path, "b", "model:t=0", {"temperature": 0, "reasoning_effort": "high"})
    df = results.from_inspect_logs(tmp_path / "logs")
    assert sorted(df["candidate"].unique()) == ["model:t=0,reasoning_effort=high", "model:t=0,reasoning_effort=low"]


def test_harness_own_logs_read_as_its_results_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    (tmp_path / "suite.yaml").write_text("""\
suite: own
tasks:
  - name: greet
    dataset: [{id: a, text: hello, target: hi}, {id: b, text: bye, target: ciao}]
    prompt: "Say {{text}}"
    scorer: exact
    criteria: {reference: big}
    candidates:
      - {id: big, model: mockllm/model}
      - {id: small, model: mockllm/model, max_tokens: 4}
""")
    assert main(["run", "suite.yaml", "--display", "none"]) == 0
    own = pd.read_parquet("reports/results.parquet")
    logs = results.from_inspect_logs("reports/logs")
    keys = ["suite", "task", "candidate", "sample_id", "epoch"]
    cols = [*keys, "model", "config", "score", "input_tokens", "output_tokens", "cost_usd", "error"]
    pd.testing.assert_frame_equal(logs.sort_values(keys)[cols].reset_index(drop=True),
                                  own.sort_values(keys)[cols].reset_index(drop=True), check_dtype=False)


# ---- bad input (the CLI cases are rows of docs/bad-input.md, in tests/test_bad_input.py)


def test_unknown_grades_are_named_with_their_samples_and_can_be_mapped(two_runs):
    from inspect_ai.log import read_eval_log, write_eval_log

    (file,) = (two_runs / "logs" / "b").glob("*.eval")
    log = read_eval_log(str(file))
    for s in log.samples[:3]:
        s.scores["exact"].value = "maybe"
    write_eval_log(log, str(file))
    with pytest.raises(InputError, match=r"scorer 'exact' gave 'maybe' to sample 'w00', 'w01', 'w02': not a number"):
        results.from_inspect_logs(two_runs / "logs")
    df = results.from_inspect_logs(two_runs / "logs", values={**results.GRADES, "maybe": 0.5})
    assert df.set_index(["candidate", "sample_id"]).loc[("model:max=4", "w00"), "score"] == 0.5
    with pytest.raises(InputError, match="values maps 'maybe' to 2"):
        results.from_inspect_logs(two_runs / "logs", values={"maybe": 2})


def test_scorer_must_be_named_when_a_log_has_several(two_runs):
    with pytest.raises(InputError, match=r"no scorer 'includes'; the log's scorers: exact"):
        results.from_inspect_logs(two_runs / "logs", scorer="includes")
    assert len(results.from_inspect_logs(two_runs / "logs", scorer="exact")) == 60


def test_a_log_without_samples_is_left_out_and_said(two_runs):
    run_mock(two_runs, "c", "model:t=0", {"temperature": 0.5}, log_samples=False)
    notes: list[str] = []
    df = results.from_inspect_logs(two_runs / "logs", notes=notes)
    assert sorted(df["candidate"].unique()) == ["model:max=4", "model:t=0"]
    assert any("holds no samples" in n and "left out" in n for n in notes), notes
    with pytest.raises(InputError, match="the logs hold no samples"):
        results.from_inspect_logs(two_runs / "logs" / "c")


def test_not_a_log_and_nothing_there(tmp_path):
    (tmp_path / "x.eval").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="not an inspect-ai log that inspect-ai .* can read"):
        results.from_inspect_logs(tmp_path / "x.eval")
    with pytest.raises(InputError, match="no such file or folder"):
        results.from_inspect_logs(tmp_path / "nope")


# ---- the real local model, through the `inspect` command (slow): docs/running.md's example

LOCAL = "local/smollm2-135m-instruct"

RUNNING = (Path(__file__).resolve().parents[1] / "docs" / "running.md").read_text()
OTHER_TOOLS = RUNNING.split("## Results from other tools\n", 1)[1].split("\n## ", 1)[0]


def shown(lang: str, start: str) -> str:
    (block,) = [b for b in re.findall(rf"```{lang}\n(.*?)```", OTHER_TOOLS, flags=re.S) if b.startswith(start)]
    return block


@pytest.mark.slow
def test_select_on_inspect_eval_logs_of_the_local_model_decides_as_harness_run(tmp_path, capsys, monkeypatch):
    """The commands of docs/running.md: two local configurations run by `inspect eval`, selected on with
    `--logs`; then `harness run` of a suite naming the same inspect task (`task: tasks.py@echo`) and the
    same candidates, which must decide the same."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tasks.py").write_text(shown("python", "from inspect_ai import"))
    env = {**os.environ, "INSPECT_DISPLAY": "none"}
    inspect = Path(sys.executable).with_name("inspect")
    commands = shown("sh", "inspect eval").strip().splitlines()
    assert [c.split()[0] for c in commands] == ["inspect", "inspect", "harness"]
    for command in commands[:2]:
        subprocess.run([str(inspect), *command.split()[1:]], cwd=tmp_path, env=env, check=True, capture_output=True,
                       timeout=600)
    assert main([*commands[2].split()[1:], "--out", "logs.json"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    expected = shown("text", "echo:").strip().splitlines()
    # local costs are compute time: the decision and every verdict must be the doc's, the dollars may move
    assert printed[0] == expected[0] and [line.split()[:2] for line in printed[1:3]] == [
        line.split()[:2] for line in expected[1:3]]

    (tmp_path / "suite.yaml").write_text(f"""\
suite: local
tasks:
  - name: echo
    task: tasks.py@echo
    criteria: {{reference: "smollm2-135m-instruct:t=0", max_drop: 0.05}}
    candidates:
      - {{model: {LOCAL}, temperature: 0}}
      - {{model: {LOCAL}, max_tokens: 3}}
""")
    subprocess.run([sys.executable, "-m", "harness.cli", "run", "suite.yaml", "--full", "--reports", "reports",
                    "--display", "none"], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=600)
    from_logs = json.loads((tmp_path / "logs.json").read_text())["routes"]["echo"]
    from_run = json.loads((tmp_path / "reports" / "routing.json").read_text())["routes"]["echo"]
    assert from_logs["candidate"] == from_run["candidate"] == "smollm2-135m-instruct:t=0"
    statuses = [{v["candidate"]: v["status"] for v in r["verdicts"]} for r in (from_logs, from_run)]
    assert statuses[0] == statuses[1] == {"smollm2-135m-instruct:t=0": "reference",
                                          "smollm2-135m-instruct:max=3": "fail"}
    # greedy decoding: the same answers, so the same scores, whichever way the model was run
    scores = [df.groupby("candidate")["score"].mean().to_dict()
              for df in (results.from_inspect_logs("logs"), pd.read_parquet("reports/results.parquet"))]
    assert scores[0] == scores[1]
