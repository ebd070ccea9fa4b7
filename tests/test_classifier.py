"""`classifier/tfidf-logreg`: a text classifier as a candidate, trained on a task's `train:` records.

It trains on records disjoint from the evaluated ones (validation refuses a shared id or prompt text),
answers with a label in microseconds, and is priced by its measured compute time like a local model,
its one-time training shown apart from its cost per call.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from harness.candidates import ClassifierOptions
from harness.cli import main
from harness.errors import InputError
from harness.pricing import local_cost, lookup_price
from harness.providers._classifier import fit, read_pairs, trained
from harness.run import build_task, plan_run
from harness.suite import load_suite

ROOT = Path(__file__).resolve().parents[1]
TICKETS = [json.loads(line) for line in (ROOT / "tests" / "data" / "tickets_generated.jsonl").read_text().splitlines()]
PROMPT = "Ticket: {{text}}\nQueue:"


def split_by_cluster(records: list[dict], seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Half of each label's clusters (templates) to train on, the other half to evaluate: no template is in both."""
    clusters = defaultdict(set)
    for r in records:
        clusters[r["label"]].add(r["cluster"])
    train = set()
    for names in clusters.values():
        names = sorted(names)
        random.Random(seed).shuffle(names)
        train |= set(names[: len(names) // 2])
    return [r for r in records if r["cluster"] in train], [r for r in records if r["cluster"] not in train]


def pairs(records: list[dict]) -> list[tuple[str, str]]:
    return [(PROMPT.replace("{{text}}", r["text"]), r["label"]) for r in records]


def test_trained_on_a_disjoint_split_it_predicts_what_scikit_learn_does_in_microseconds():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train, test = split_by_cluster(TICKETS)
    assert not {r["id"] for r in train} & {r["id"] for r in test} and len(train) == len(test) == 128
    model = fit(pairs(train), ClassifierOptions())
    texts = [t for t, _ in pairs(test)]
    answers = [model.predict(t) for t in texts]

    vectorizer = TfidfVectorizer()
    reference = LogisticRegression(max_iter=2000).fit(vectorizer.fit_transform([t for t, _ in pairs(train)]),
                                                      [r["label"] for r in train])
    features = vectorizer.transform(texts)
    assert [label for label, _ in answers] == list(reference.predict(features))
    assert max(abs(p - row.max()) for (_, p), row in zip(answers, reference.predict_proba(features))) < 1e-12
    # templates it never saw: well above chance (0.25), far from perfect (measured 0.75)
    accuracy = statistics.mean(label == r["label"] for (label, _), r in zip(answers, test))
    assert 0.5 < accuracy < 1.0
    took = []
    for t in texts:
        start = time.perf_counter()
        model.predict(t)
        took.append(time.perf_counter() - start)
    assert statistics.median(took) < 1e-3  # about 15-20 microseconds here; the bound leaves room for a busy machine
    assert 0 < model.train_s < 5 and model.records == 128


def test_two_classes_one_class_and_no_words():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    binary = [r for r in TICKETS if r["label"] in ("billing", "shipping")]
    train, test = binary[::2], [r["text"] for r in binary[1::2]]
    two = fit([(r["text"], r["label"]) for r in train], ClassifierOptions())
    vectorizer = TfidfVectorizer()
    reference = LogisticRegression(max_iter=2000).fit(vectorizer.fit_transform([r["text"] for r in train]),
                                                      [r["label"] for r in train])
    assert [two.predict(t)[0] for t in test] == list(reference.predict(vectorizer.transform(test)))
    assert [two.predict(t)[1] for t in test] == pytest.approx(
        reference.predict_proba(vectorizer.transform(test)).max(axis=1).tolist(), abs=1e-12)
    assert fit([("a b", "x"), ("c d", "x")], ClassifierOptions()).predict("anything") == ("x", 1.0)
    assert fit([("1 2", "x"), ("3", "y"), ("4", "y")], ClassifierOptions()).predict("5") == ("y", 1.0)


def test_the_provider_answers_with_labels_trains_once_and_reads_a_training_file(tmp_path):
    from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model

    train, test = split_by_cluster(TICKETS, seed=1)
    model = get_model("classifier/tfidf-logreg", memoize=False, train=[list(p) for p in pairs(train)], C=10.0)
    text = PROMPT.replace("{{text}}", test[0]["text"])
    output = asyncio.run(model.generate([ChatMessageSystem(content="Reply with one word."),
                                         ChatMessageUser(content=text)], config=GenerateConfig(logprobs=True)))
    assert output.completion in {"billing", "technical", "account", "shipping"}
    meta = output.metadata
    assert 0 < meta["compute_s"] < 0.05 and meta["train_records"] == len(train) and 0 < meta["confidence"] <= 1
    assert output.usage.input_tokens == 0 and output.usage.output_tokens == 0
    # one fit per training data and settings in a process: a second model of the same data reuses it
    key, fitted = trained("tfidf-logreg", pairs(train), ClassifierOptions(C=10.0))
    assert trained("tfidf-logreg", pairs(train), ClassifierOptions(C=10.0))[1] is fitted
    assert meta["classifier"] == key[:16] and meta["train_s"] == fitted.train_s
    assert trained("tfidf-logreg", pairs(train), ClassifierOptions())[1] is not fitted
    # `inspect eval --model classifier/tfidf-logreg -M train=file.jsonl`
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"input": t, "target": label}) + "\n" for t, label in pairs(train)))
    assert read_pairs(str(path)) == pairs(train)


def test_priced_by_compute_time_at_the_local_rate():
    price = lookup_price("classifier/tfidf-logreg", local_hourly_usd=0.5)
    assert price.hourly_usd == 0.5 and price.source == "classifier compute at $0.50/h"


SUITE = """\
suite: clf
prices:
  mockllm/model: {{input: 0.15, output: 0.6}}
tasks:
  - name: tickets
    dataset: eval.jsonl
    train: train.jsonl
    target: label
    cluster: cluster
    traffic_per_month: 100000
    system: Reply with one word, billing, technical, account or shipping.
    prompt: "Ticket: {{{{text}}}}\\nQueue:"
    scorer: exact
    criteria: {{reference: {reference}, max_drop: 0.1}}
    candidates:
      - {{id: {reference}, model: {model}, max_tokens: 4, temperature: 0}}
      - {{id: tfidf, model: classifier/tfidf-logreg, model_args: {{C: 10}}}}
"""


def write_suite(where: Path, train: list[dict], evaluated: list[dict], model: str = "mockllm/model",
                reference: str = "llm") -> Path:
    (where / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in train))
    (where / "eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in evaluated))
    (where / "suite.yaml").write_text(SUITE.format(model=model, reference=reference))
    return where / "suite.yaml"


def run(suite: Path, reports: Path, *extra: str) -> int:
    return main(["run", str(suite), "--reports", str(reports), "--display", "none", *extra])


def test_a_run_prices_the_classifier_by_compute_time_shows_training_once_and_says_it_is_not_an_llm(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    train, test = split_by_cluster(TICKETS)
    suite = write_suite(tmp_path, train, test[::8])
    assert run(suite, tmp_path / "reports") == 0
    out = capsys.readouterr().out
    df = pd.read_parquet(tmp_path / "reports" / "results.parquet")
    clf = df[df["candidate"] == "tfidf"]
    assert len(clf) == 16 and set(clf["output"]) <= {"billing", "technical", "account", "shipping"}
    assert (clf["input_tokens"] == 0).all() and (clf["latency_s"] < 0.05).all()
    assert (clf["cost_usd"] > 0).all()
    assert clf["cost_usd"].tolist() == pytest.approx([local_cost(s, 0.10) for s in clf["latency_s"]])
    assert clf["score"].mean() > 0.5  # mockllm answers a sentence: it scores 0
    assert "classifier training (one-time):" in out
    line = next(x for x in out.splitlines() if "trained once on 128 `train:` records" in x)
    assert line.strip().startswith("tickets / tfidf (classifier/tfidf-logreg)") and "not in its cost per call" in line
    assert "switch to tfidf" in out
    page = (tmp_path / "reports" / "index.html").read_text()
    assert "the cheapest option that passes is not an LLM: tfidf is a text classifier" in page
    # a rerun reuses the finished logs, and says the same from them
    assert run(suite, tmp_path / "reports") == 0
    assert line in capsys.readouterr().out


@pytest.mark.slow
def test_a_run_with_the_local_model_prices_both_by_compute_time(tmp_path):
    train, test = split_by_cluster(TICKETS)
    suite = write_suite(tmp_path, train, test[::16], model="local/smollm2-135m-instruct", reference="smol")
    # in a subprocess, like the other runs of the real model: llama.cpp's context is freed at exit
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(suite), "--reports",
                           str(tmp_path / "reports"), "--display", "none"], capture_output=True, text=True,
                          timeout=900, env={**os.environ, "NO_COLOR": "1", "XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert proc.returncode == 0, proc.stderr
    assert "classifier training (one-time):" in proc.stdout
    df = pd.read_parquet(tmp_path / "reports" / "results.parquet")
    assert sorted(df["candidate"].unique()) == ["smol", "tfidf"] and len(df) == 16
    assert (df["cost_usd"] > 0).all()
    assert df["cost_usd"].tolist() == pytest.approx([local_cost(s, 0.10) for s in df["latency_s"]])
    smol, clf = df[df["candidate"] == "smol"], df[df["candidate"] == "tfidf"]
    assert (smol["input_tokens"] > 0).all() and (clf["input_tokens"] == 0).all()
    assert clf["latency_s"].median() * 100 < smol["latency_s"].median()  # microseconds against a model call


def test_training_records_that_are_evaluated_samples_are_refused(tmp_path, capsys):
    records = TICKETS[:40]
    suite = write_suite(tmp_path, records[:30], records[20:])  # ids tk-0021..tk-0030 in both
    assert main(["validate", str(suite)]) == 2
    err = capsys.readouterr().err
    assert "suite.yaml:7: tasks.0.train: 10 training records have the id of an evaluated sample " in err
    assert "('tk-0021', 'tk-0022', 'tk-0023' and 7 more): train.jsonl lines 21-30; eval.jsonl lines 1-10" in err
    assert "remove them from train.jsonl, or from the dataset" in err

    # the same tickets under other ids: the prompt text gives them away (case and spacing aside)
    renamed = [{**r, "id": f"copy-{i}", "text": r["text"].upper() + "  "} for i, r in enumerate(records[20:30])]
    write_suite(tmp_path, records[:20] + renamed, records[20:])
    with pytest.raises(InputError) as exc:
        load_suite(suite)
    (problem,) = exc.value.problems
    assert problem.file == str(suite) and problem.field == "tasks.0.train" and problem.line == 7
    assert problem.message.startswith("10 training records have the prompt text of an evaluated sample "
                                      "('tk-0021', 'tk-0022', 'tk-0023' and 7 more), whitespace and case aside: "
                                      "train.jsonl lines 21-30; eval.jsonl lines 1-10")


def test_the_cell_key_of_a_classifier_follows_its_training_records(tmp_path):
    train, test = split_by_cluster(TICKETS)
    suite = write_suite(tmp_path, train, test[:10])
    keys = {c.candidate.label(): c.key for c in plan_run([load_suite(suite)]).cells}
    write_suite(tmp_path, train[:-1], test[:10])
    again = {c.candidate.label(): c.key for c in plan_run([load_suite(suite)]).cells}
    assert again["llm"] == keys["llm"] and again["tfidf"] != keys["tfidf"]


def test_the_cell_trains_on_the_records_rendered_by_its_own_prompt(tmp_path):
    train, test = split_by_cluster(TICKETS)
    cell = next(c for c in plan_run([load_suite(write_suite(tmp_path, train, test[:4]))]).cells
                if c.candidate.label() == "tfidf")
    task = build_task(cell, tmp_path / "journal.sqlite")
    api = task.model.api
    assert api.pairs[0] == (f"Ticket: {train[0]['text']}\nQueue:", train[0]["label"]) and len(api.pairs) == 128
    assert api.options == ClassifierOptions(C=10)


def test_a_train_split_does_not_apply_to_an_inspect_task(tmp_path):
    (tmp_path / "tasks.py").write_text("")
    (tmp_path / "train.jsonl").write_text('{"text": "a", "label": "b"}\n')
    (tmp_path / "suite.yaml").write_text(
        "suite: s\ntasks:\n  - name: t\n    task: tasks.py@t\n    train: train.jsonl\n    criteria: {min_score: 0.5}\n"
        "    candidates:\n      - {id: a, model: mockllm/model}\n      - {id: c, model: classifier/tfidf-logreg}\n")
    with pytest.raises(InputError) as exc:
        load_suite(tmp_path / "suite.yaml")
    text = str(exc.value)
    assert "`train` does not apply to a task given by `task:`" in text
    assert "candidate 'c' is a classifier, which needs the task's own dataset and `train:` records" in text
