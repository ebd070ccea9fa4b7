"""A cascade tuned on the answers' own probabilities, end to end: OpenAI candidates with `logprobs: true`
against the fake server, `harness run`, the confidence recorded in the results, the cascade chosen."""

from __future__ import annotations

import pandas as pd

from _batch_support import PRICES, WORDS, env, harness, results, write_suite  # noqa: F401
from harness.testing import Script, last_user_text

CHEAP = {"id": "cheap", "model": "openai/gpt-x", "max_tokens": 8, "logprobs": True}
BIG = {"id": "big", "model": "openai/gpt-big", "max_tokens": 8}


def _word(body) -> str:
    return next((w for w in WORDS if w in last_user_text(body)), "none")


def _answer(provider, model, body):
    # the cheap model gets every fifth item wrong, and is unsure exactly then
    number = int(last_user_text(body).rsplit(" ", 1)[-1])
    return "wrong" if model == "gpt-x" and number % 5 == 0 else _word(body)


def _logprob(body, text):
    return -2.0 if text == "wrong" else -0.001


def test_a_confidence_cascade_is_measured_tuned_and_chosen(env, tmp_path, capsys):  # noqa: F811
    fake = env(Script(answer=_answer, logprob=_logprob))
    suite = write_suite(tmp_path / "s.yaml", [BIG, CHEAP], n=300, criteria={"reference": "big", "max_drop": 0.05},
                        compound=[{"kind": "cascade", "id": "cheap-first", "steps": ["cheap", "big"],
                                   "checks": [{"type": "confidence"}]}])
    text = suite.read_text().replace("prices:\n", "prices:\n  openai/gpt-big: {input: 5.0, output: 20.0}\n", 1)
    suite.write_text(text)
    reports = tmp_path / "r"
    assert harness("run", str(suite), "--reports", str(reports), "--display", "none", "--no-batch") == 0
    out = capsys.readouterr().out
    df = results(reports)
    cheap = df[df["candidate"] == "cheap"]
    assert cheap["confidence"].notna().all() and df[df["candidate"] == "big"]["confidence"].isna().all()
    wrong = cheap["output"].str.strip() == "wrong"
    assert (cheap.loc[wrong, "confidence"] < 0.2).all() and (cheap.loc[~wrong, "confidence"] > 0.99).all()
    # sent with logprobs only for the candidate that asked for them
    bodies = [r for r in fake.counters.requests if r.endpoint == "openai.chat.completions"]
    assert bodies
    assert "switch to cheap-first" in out, out
    assert "thresholds shown safe (fixed-sequence)" in out
    assert isinstance(pd.read_parquet(reports / "results.parquet"), pd.DataFrame)


def test_an_answers_probability_reads_numpy_logprobs_as_llama_cpp_returns_them():
    import math

    import numpy as np

    from harness.batch import answer_probability

    tokens = [{"token": "a", "logprob": np.float32(-0.5)}, {"token": "b", "logprob": -0.25}]
    assert math.isclose(answer_probability({"content": tokens}), math.exp(-0.75), rel_tol=1e-6)
    assert answer_probability({"content": []}) is None and answer_probability(None) is None
    assert answer_probability({"content": [{"token": "a", "logprob": "x"}]}) is None
