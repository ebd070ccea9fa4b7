"""`harness select --compound` on a results file from anywhere: cascades built from the rows it holds."""

import json

import numpy as np
import pandas as pd

from harness.cli import main


def _results(path, n=300, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        truth = str(i % 7)
        hard = rng.random() < 0.25
        big = truth
        small = truth if rng.random() < (0.5 if hard else 0.995) else str(rng.integers(10, 99))
        flash = truth if rng.random() < (0.5 if hard else 0.99) else str(rng.integers(100, 999))
        for cand, out, cost in (("big", big, 0.01), ("small", small, 0.0005), ("flash", flash, 0.0003)):
            rows.append({"task": "qa", "candidate": cand, "sample_id": i, "score": float(out == truth),
                         "cost_usd": cost, "output": out, "input": f"question {i}"})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_flagged_cascade_is_built_selected_and_routed(tmp_path, capsys):
    results = _results(tmp_path / "r.csv")
    out = tmp_path / "routing.json"
    code = main(["select", "--results", str(results), "--reference", "big", "--max-drop", "0.03",
                 "--compound", "cascade:small>big@agree=flash", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "cascade:small>big@agree=flash" in printed and "switch to cascade:small>big@agree=flash" in printed
    route = json.loads(out.read_text())["routes"]["qa"]
    assert route["candidate"] == "cascade:small>big@agree=flash"


def test_a_compound_that_names_no_task_candidates_is_refused(tmp_path, capsys):
    results = _results(tmp_path / "r.csv")
    assert main(["select", "--results", str(results), "--reference", "big",
                 "--compound", "cascade:smol>big@agree=flash"]) == 2
    err = capsys.readouterr().err
    assert "no task has all the candidates of 'cascade:smol>big@agree=flash'" in err and "qa: big, flash, small" in err


def test_candidates_without_shared_samples_get_a_clear_message(tmp_path, capsys):
    results = _results(tmp_path / "r.csv")
    df = pd.read_csv(results)
    df.loc[df["candidate"] == "small", "sample_id"] += 10_000  # small answered other questions
    df.to_csv(results, index=False)
    assert main(["select", "--results", str(results), "--reference", "big",
                 "--compound", "cascade:small>big@agree=flash"]) == 2
    assert "no sample is shared by all candidates" in capsys.readouterr().err
