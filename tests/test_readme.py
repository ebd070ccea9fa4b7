"""The README's examples are executed here, so they cannot drift from what harness does."""

import re
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.suite import load_suite

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


RUNNING = (ROOT / "docs" / "running.md").read_text()


def blocks(lang: str, text: str = README) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_opens_with_exactly_the_two_commands():
    first = blocks("sh")[0].strip().splitlines()
    assert [line.split("#")[0].strip() for line in first] == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_suite_example_is_a_valid_suite(tmp_path):
    (example,) = [b for b in blocks("yaml") if b.startswith("suite:")]
    (tmp_path / "data").symlink_to(ROOT / "evalsets" / "data")
    path = tmp_path / "example.yaml"
    path.write_text(example)
    suite = load_suite(path)
    assert suite.sample == 150 and [t.name for t in suite.tasks] == ["ticket_routing"]


def test_prices_example_parses(tmp_path):
    (prices,) = [b for b in blocks("yaml") if b.startswith("prices:")]
    path = tmp_path / "s.yaml"
    path.write_text(prices + "suite: p\ntasks:\n  - name: t\n    dataset: [{target: 1}]\n    prompt: x\n"
                    "    scorer: exact\n    candidates: [{model: openai/my-finetune}]\n")
    assert load_suite(path).prices["openai/my-finetune"].cache_read == 0.15


def test_validation_example_is_real_output(tmp_path, capsys, monkeypatch):
    (shown,) = [b for b in blocks("text") if b.startswith("harness: invalid suite")]
    target = tmp_path / "evalsets"
    shutil.copytree(ROOT / "evalsets", target)
    suite = target / "support.yaml"
    suite.write_text(suite.read_text().replace("scorer: exact", "scorer: fuzzy", 1).replace("{{text}}", "{{txt}}", 1))
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "evalsets/support.yaml"]) == 2
    assert capsys.readouterr().err.strip() == shown.strip()


@pytest.mark.parametrize("models", [["openai/gpt-4o-mini", "local/smollm2-135m-instruct"]])
def test_prices_command(capsys, models):
    assert main(["prices", *models]) == 0
    out = capsys.readouterr().out
    assert "gpt-4o-mini" in out and "genai-prices" in out


def test_select_and_routing_examples(tmp_path, monkeypatch, capsys):
    (command,) = [b for b in blocks("sh") if "harness select" in b]
    (code,) = [b for b in blocks("python") if "harness.routing" in b]
    monkeypatch.chdir(tmp_path)
    rows = [{"task": "faq", "candidate": c, "sample_id": i, "score": 1.0, "cost_usd": cost}
            for i in range(120) for c, cost in (("big", 0.01), ("small", 0.001))]
    import pandas as pd

    pd.DataFrame(rows).to_csv("my_results.csv", index=False)
    args = command.split()[1:]
    assert main(args) == 0
    assert "switch to small" in capsys.readouterr().out
    namespace: dict = {}
    exec(code, namespace)
    assert namespace["route"].candidate == "small" and "model_list" in namespace["litellm_config"]


def test_sequential_example_parses(tmp_path):
    (block,) = [b for b in blocks("yaml", RUNNING) if b.startswith("sequential:")]
    path = tmp_path / "s.yaml"
    path.write_text(block + "suite: p\ntasks:\n  - name: t\n    dataset: [{target: 1}]\n    prompt: x\n"
                    "    scorer: exact\n    candidates: [{model: openai/gpt-4o-mini}]\n")
    assert load_suite(path).sequential_round == 50
    path.write_text(path.read_text().replace("  round: 50", "").replace("sequential:", "sequential: true", 1))
    assert load_suite(path).sequential_round == 50
    path.write_text(path.read_text().replace("sequential: true", "sequential: {round: 0}"))
    with pytest.raises(Exception, match="round"):
        load_suite(path)
