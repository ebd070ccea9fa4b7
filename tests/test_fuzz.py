"""Property-based tests: whatever a user hands harness, it loads or says why, never crashes.

The suite loader, the dataset reader and the results loader get random bytes, truncated and
re-encoded files, values of the wrong type, huge numbers and deep nesting. Each call must either
succeed or raise harness's own InputError whose every problem names a file and says something.
Seeded (derandomize) and bounded (EXAMPLES per property), so `make test` runs the same inputs
every time; the count and the time are in docs/bad-input.md.
"""

from __future__ import annotations

import copy
import io
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import InputError
from harness.results import load as load_results
from harness.suite import load_suite

EXAMPLES = 150
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

GOOD = {
    "suite": "fuzz",
    "seed": 1,
    "defaults": {"criteria": {"max_drop": 0.05, "reference": "a"}},
    "tasks": [{
        "name": "t",
        "dataset": "data.csv",
        "system": "Answer.",
        "prompt": "Q: {{text}}",
        "prompts": {"shot": {"shots": [{"text": "x", "target": "y"}]}},
        "scorer": {"type": "numeric", "tolerance": 0.5},
        "traffic_per_month": 1000,
        "candidates": [{"id": "a", "model": "openai/gpt-4o-mini", "max_tokens": 8},
                       {"id": "b", "model": "openai/gpt-4o-mini", "prompt": "shot", "temperature": 0.5}],
    }],
}
CSV = "id,text,target\n1,one,1\n2,two,2\n3,three,3\n"
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "shift_jis", "cp437"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)


def _paths(value: Any, at: tuple = ()) -> list[tuple]:
    """Every key path of a nested value, so a mutation can land anywhere."""
    out = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, at + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, at + (i,))
    return out


def _set(root: Any, at: tuple, new: Any) -> Any:
    if not at:
        return new
    target = root
    for key in at[:-1]:
        target = target[key]
    target[at[-1]] = new
    return root


def _deep(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": [value]}
    return value


def _must_load_or_explain(call) -> None:
    try:
        call()
    except InputError as exc:
        assert exc.problems, "an InputError with no problem"
        for p in exc.problems:
            assert p.message.strip(), f"a problem with no message: {p!r}"
            assert p.file or len(exc.problems) == 1, f"a problem with no file: {p!r}"


def _workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="harness-fuzz-"))


@FUZZ
@given(st.data())
def test_mutated_suites_load_or_explain(data):
    suite = copy.deepcopy(GOOD)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.sampled_from(_paths(suite)))
        new = data.draw(st.one_of(values, st.integers(0, 60).map(_deep)))
        suite = _set(suite, at, new)
    d = _workdir()
    (d / "data.csv").write_text(CSV)
    (d / "s.yaml").write_text(yaml.safe_dump(suite, allow_unicode=True))
    _must_load_or_explain(lambda: load_suite(d / "s.yaml"))


@pytest.mark.parametrize("opener", ["[", "{a: ", "- "])
@pytest.mark.parametrize("depth", [1, 60, 64, 65, 900, 5_000])
def test_deeply_nested_suites_load_or_explain(depth, opener, tmp_path):
    closer = {"[": "]", "{a: ": "}", "- ": ""}[opener]
    nested = opener * depth + "1" + closer * depth if opener != "- " else "".join(
        "\n" + "  " * (i + 3) + "- " for i in range(depth)) + "1"
    (tmp_path / "s.yaml").write_text("suite: deep\ntasks:\n  - name: t\n    dataset: " + nested + "\n")
    _must_load_or_explain(lambda: load_suite(tmp_path / "s.yaml"))
    if depth > 64:
        with pytest.raises(InputError, match="nested more than 64 levels deep"):
            load_suite(tmp_path / "s.yaml")


def test_aliases_that_expand_without_bound_are_refused(tmp_path):
    lines = ["suite: lol", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    (tmp_path / "s.yaml").write_text("\n".join(lines) + "\ntasks: *a7\n")
    with pytest.raises(InputError, match="expands to more than"):
        load_suite(tmp_path / "s.yaml")


@FUZZ
@given(st.binary(max_size=600), st.sampled_from(["suite", "csv", "jsonl"]), st.data())
def test_random_bytes_as_suite_or_dataset_load_or_explain(blob, where, data):
    d = _workdir()
    good = yaml.safe_dump(GOOD)
    if where == "suite":
        cut = data.draw(st.integers(0, len(good)))
        (d / "s.yaml").write_bytes(good.encode()[:cut] + blob)
        (d / "data.csv").write_text(CSV)
    else:
        (d / "s.yaml").write_text(good.replace("data.csv", f"data.{where}"))
        (d / f"data.{where}").write_bytes(blob)
    _must_load_or_explain(lambda: load_suite(d / "s.yaml"))


@FUZZ
@given(st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=5), max_size=8),
       st.sampled_from(ENCODINGS), st.integers(0, 400), st.booleans())
def test_csv_datasets_in_any_encoding_load_or_explain(rows, encoding, cut, declare):
    d = _workdir()
    text = "id,text,target\n" + "\n".join(",".join(r) for r in rows)
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        raw = text.encode("utf-8")
    suite = yaml.safe_dump(GOOD)
    if declare:  # the task names the encoding, as a user fixing the first error would
        suite = suite.replace("scorer:", f"encoding: {encoding}\n  scorer:", 1)
    (d / "s.yaml").write_text(suite)
    (d / "data.csv").write_bytes(raw[: cut or None])
    _must_load_or_explain(lambda: load_suite(d / "s.yaml"))


RESULT_COLUMNS = ["task", "candidate", "sample_id", "score", "cost_usd", "prod_cost_usd", "epoch", "cluster", "model",
                  "config", "input_tokens", "round", "planned_samples"]
cells = st.one_of(scalars, st.sampled_from(["", " ", "nan", "inf", "-1", "0.5", "1e308", "NaN", "None", "[]"]))


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(RESULT_COLUMNS), cells, min_size=1, max_size=8), min_size=0,
                max_size=12), st.sampled_from(["csv", "parquet"]))
def test_results_tables_of_any_shape_load_or_explain(rows, kind):
    d = _workdir()
    df = pd.DataFrame(rows)
    path = d / f"r.{kind}"
    try:
        df.to_csv(path, index=False) if kind == "csv" else df.astype(str).to_parquet(path, index=False)
    except (ValueError, TypeError, OverflowError):
        return  # pandas itself cannot write this frame: not an input a user can hand harness
    _must_load_or_explain(lambda: load_results(path))


@FUZZ
@given(st.binary(max_size=800), st.sampled_from(["r.csv", "r.parquet", "r.eval", "r"]), st.integers(0, 300))
def test_random_bytes_as_results_load_or_explain(blob, name, cut):
    d = _workdir()
    good = io.StringIO()
    pd.DataFrame({"task": ["t"] * 4, "candidate": ["a", "a", "b", "b"], "sample_id": [1, 2, 1, 2],
                  "score": [1, 0, 1, 1], "cost_usd": [0.1] * 4}).to_csv(good, index=False)
    (d / name).write_bytes(good.getvalue().encode()[:cut] + blob)
    _must_load_or_explain(lambda: load_results(d / name))
