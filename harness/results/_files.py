"""Results files: saved as Parquet and CSV; loaded, from harness or any other tool, and checked strictly."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, Problem, spans
from ..files import Undecodable, read_text
from ._codes import key_codes
from ._table import COLUMNS, COST_COLUMNS, JUDGE_NUMBERS, REQUIRED, typed


def save(df: pd.DataFrame, reports: Path) -> tuple[Path, Path]:
    reports.mkdir(parents=True, exist_ok=True)
    parquet, csv = reports / "results.parquet", reports / "results.csv"
    df.to_parquet(parquet, index=False)
    df.to_csv(csv, index=False)
    return parquet, csv


def load(path: Path | str, *, average_duplicates: bool = False, notes: list[str] | None = None) -> pd.DataFrame:
    """Read a results table (harness's own or another tool's) and check it can be selected on.

    Needs at least task, candidate, sample_id, score and one cost column (prod_cost_usd or
    cost_usd); every problem is reported at once, with its lines. Rows that repeat a (task,
    candidate, sample_id, epoch) are refused, or averaged with `average_duplicates` (and said in
    `notes`, a list the caller prints)."""
    path = Path(path)
    df = _read(path)
    return validate(df, str(path), kind="row" if path.suffix in PARQUET else "line",
                    average_duplicates=average_duplicates, notes=notes)


PARQUET = (".parquet", ".pq")


def _read(path: Path) -> pd.DataFrame:
    where = str(path)
    if path.is_dir():
        logs = sorted(path.glob("*.eval")) + sorted(path.glob("*.json"))
        what = (f"a folder of {len(logs)} inspect-ai log(s)" if logs else "a folder")
        raise InputError([Problem(where, f"{what}, not a results file" + _LOGS * bool(logs), hint=_READABLE)])
    if not path.is_file():
        raise InputError([Problem(where, "results file not found", hint="run `harness run` or check the path")])
    if path.suffix == ".eval":
        raise InputError([Problem(where, "an inspect-ai log (.eval), not a results table" + _LOGS, hint=_READABLE)])
    if path.suffix not in (*PARQUET, ".csv"):
        raise InputError([Problem(where, f"unsupported results format {path.suffix or '(no extension)'!r}",
                                  hint=_READABLE + _JSON_HINT * (path.suffix == ".json"))])
    if path.suffix == ".csv":
        text = read_text(path)
        if isinstance(text, Undecodable):
            raise InputError([Problem(where, text.message, line=text.line, hint=text.hint)])
    try:
        return pd.read_parquet(path) if path.suffix in PARQUET else pd.read_csv(io.StringIO(text))
    except Exception as exc:  # pandas and pyarrow raise many types for unreadable files
        raise InputError([Problem(where, f"cannot read as {path.suffix}: {_first_line(exc)}",
                                  hint=_READABLE)]) from None


_READABLE = "give a CSV or Parquet file with at least task, candidate, sample_id, score and a cost column"
_LOGS = (": read inspect-ai logs with --logs DIR (harness select, harness report; a folder or one log), or "
         "harness.results.from_inspect_logs")


_JSON_HINT = "; promptfoo's --output JSON goes in with --promptfoo FILE, an inspect-ai .json log with --logs"


def validate(df: pd.DataFrame, source: str, kind: str = "line", average_duplicates: bool = False,
             notes: list[str] | None = None) -> pd.DataFrame:
    """`df` as a results table harness can select on, or InputError with every problem and its lines.

    `kind` names a row in messages: "line" for CSV (header = line 1), "row" for Parquet (from 1)."""
    problems = _shape_problems(df, source)
    if problems:
        raise InputError(problems, title="invalid results")
    at = _locator(df, kind)
    problems += _score_problems(df, source, at) + _cost_problems(df, source, at) + _cluster_problems(df, source, at)
    dupes = _duplicates(df)
    if dupes.any() and not average_duplicates:
        problems.append(Problem(source, f"{int(dupes.sum())} row(s) repeat a (task, candidate, sample_id, epoch) "
                                f"on {at(dupes)}", field="sample_id",
                                hint="give repeated measurements an `epoch` column, remove the copies, or pass "
                                     "--average-duplicates to average them"))
    if problems:
        raise InputError(problems, title="invalid results")
    df = df.copy()
    df["score"] = pd.to_numeric(df["score"]).astype(float)
    df["sample_id"] = df["sample_id"].astype(str)
    missing = {col: _default(col, df) for col in COLUMNS if col not in df.columns}
    if missing:
        # In one concat of typed Series: inserting a column at a time into 10 million rows cost half a second
        # each (pandas scanned every None to infer a dtype, and re-stacked its blocks). Columns of one constant
        # share one array (80 MB each otherwise), which copy-on-write keeps apart if one of them is written to.
        shared: dict[tuple[type, Any], np.ndarray] = {}
        df = pd.concat([df, *(_filled(v, df.index, shared).rename(col) for col, v in missing.items())], axis=1)
    df = typed(df)
    if dupes.any():
        df = _averaged(df)
        if notes is not None:
            notes.append(f"{source}: {int(dupes.sum())} duplicate row(s) averaged into the row they repeat "
                         "(--average-duplicates)")
    return df


def _shape_problems(df: pd.DataFrame, source: str) -> list[Problem]:
    problems = []
    if df.empty:
        problems.append(Problem(source, "the results file has no rows", hint="run the eval first"))
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        problems.append(Problem(source, f"missing column(s): {', '.join(missing)}",
                                hint=f"a results file needs at least {', '.join(REQUIRED)} and a cost column"))
    if not any(c in df.columns for c in COST_COLUMNS):
        problems.append(Problem(source, "no cost column", field="prod_cost_usd",
                                hint="add prod_cost_usd (or cost_usd): the cost of one call in USD"))
    return problems


def _locator(df: pd.DataFrame, kind: str):
    """mask -> "line(s) 2-4, 9" (CSV: the header is line 1) or "row(s) 1-3" (Parquet)."""
    offset = 2 if kind == "line" else 1

    def at(mask: pd.Series) -> str:
        positions = [int(i) + offset for i in np.flatnonzero(mask.to_numpy())]
        return f"{kind}(s) {spans(positions)}"

    return at


def _score_problems(df: pd.DataFrame, source: str, at) -> list[Problem]:
    raw = df["score"]
    scores = pd.to_numeric(raw, errors="coerce")
    empty = _empty(raw)
    checks = [
        (empty, "empty score", "score every row (a failed call scores 0), or leave the row out"),
        (scores.isna() & ~empty, "non-numeric score", "scores must be numbers in [0, 1]"),
        ((scores < 0) | (scores > 1), "score outside [0, 1]", "rescale scores to [0, 1]"),
    ]
    return [Problem(source, f"{what} on {at(mask)}", field="score", hint=hint) for mask, what, hint in checks
            if mask.any()]


def _cost_problems(df: pd.DataFrame, source: str, at) -> list[Problem]:
    problems = []
    for col in (*COST_COLUMNS, "judge_cost_usd"):
        if col not in df.columns:
            continue
        raw = df[col]
        values = pd.to_numeric(raw, errors="coerce")
        given = ~_empty(raw)
        # An empty cost is a model without a price (harness writes NaN then, and says "no price");
        # text, a negative or an infinite cost is a broken file.
        for mask, what in ((given & values.isna(), "non-numeric"), (values < 0, "negative"),
                           (values.abs() == np.inf, "infinite")):
            if mask.any():
                problems.append(Problem(source, f"{what} {col} on {at(mask)}", field=col,
                                        hint="a cost is the USD of one call: a finite number >= 0 (leave it empty "
                                             "for a model without a price)"))
    return problems


def _cluster_problems(df: pd.DataFrame, source: str, at) -> list[Problem]:
    """A sample belongs to one cluster: its rows (epochs, or candidates) must all name the same one."""
    if "cluster" not in df.columns or df["cluster"].isna().all():
        return []
    keys = ["task", "sample_id"]
    clusters = df.assign(sample_id=df["sample_id"].astype(str)).groupby(keys)["cluster"].transform("nunique")
    split = clusters > 1
    if not split.any():
        return []
    return [Problem(source, f"a sample is given different clusters on {at(split)}", field="cluster",
                    hint="a sample belongs to one cluster: give all its rows the same cluster id")]


def _empty(raw: pd.Series) -> pd.Series:
    """Missing or blank cells. A numeric column has no blank text: its check skips formatting 10 million
    numbers as strings (what made validating a large file take a minute)."""
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return raw.isna()
    return raw.isna() | raw.astype(str).str.strip().eq("")


def _duplicates(df: pd.DataFrame) -> pd.Series:
    keys = ["task", "candidate", "sample_id"] + (["epoch"] if "epoch" in df.columns else [])
    # on integer codes of each key (sample_id as text, as selection reads it): duplicated() over object
    # columns hashes tuples of Python objects, row by row
    codes = [_text_codes(df[k]) if k == "sample_id" else key_codes(df[k])[0] for k in keys]
    key = _combined(codes)
    if key is not None and _all_distinct(key):  # the usual case, without hashing 10 million rows
        return pd.Series(np.zeros(len(df), dtype=bool), index=df.index)
    if key is not None:
        return pd.Series(pd.Series(key).duplicated(keep="first").to_numpy(), index=df.index)
    return pd.Series(pd.DataFrame(dict(enumerate(codes))).duplicated(keep="first").to_numpy(), index=df.index)


def _combined(codes: list[np.ndarray]) -> np.ndarray | None:
    """One integer per row, equal exactly where every code is (a missing value, -1, is a value here as
    in `duplicated`); None when the codes' ranges multiplied do not fit in int64."""
    key, size = np.zeros(len(codes[0]), dtype=np.int64), 1
    for c in codes:
        n = int(c.max()) + 2 if len(c) else 1
        if size * n >= 2**62:
            return None
        key *= n  # in place: each temporary of 10 million rows is 80 MB of fresh pages
        key += c
        key += 1
        size *= n
    return key


def _all_distinct(key: np.ndarray) -> bool:
    """Whether no value repeats: a bitmap of seen values when their range is small (a byte per value,
    at most a few per row), else a sort."""
    if not len(key):
        return True
    top = int(key.max()) + 1
    if top <= 8 * len(key):
        seen = np.zeros(top, dtype=bool)
        seen[key] = True
        return int(np.count_nonzero(seen)) == len(key)
    return bool((np.diff(np.sort(key)) != 0).all())


def _text_codes(col: pd.Series) -> np.ndarray:
    """Integer codes of a column's values as text (1 and "1" are one sample id)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        of_category = pd.factorize(col.cat.categories.astype(str))[0]
        codes = col.cat.codes.to_numpy()
        return np.where(codes < 0, -1, of_category[codes])
    return key_codes(col.astype(str))[0]


def _averaged(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (task, candidate, sample_id, epoch): numbers averaged, everything else the first row's."""
    keys = ["task", "candidate", "sample_id", "epoch"]
    numeric = [c for c in ("score", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                           "cost_usd", "prod_cost_usd", "latency_s") if c in df.columns]
    first = df.drop_duplicates(keys, keep="first").set_index(keys)
    first[numeric] = df.groupby(keys, sort=False)[numeric].mean()
    return typed(first.reset_index()[df.columns])


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _filled(value: Any, index: pd.Index, shared: dict[tuple[type, Any], np.ndarray]) -> pd.Series:
    """A default as a column: a scalar repeated, with the dtype `df[col] = value` would give it."""
    if value is None or isinstance(value, (bool, int, float)):
        key = (type(value), "nan" if value != value else value)
        if key not in shared:
            shared[key] = np.full(len(index), value, dtype=object if value is None else None)
        return pd.Series(shared[key], index=index, dtype=shared[key].dtype, copy=False)
    return pd.Series(value, index=index, copy=False)  # a fresh array or a column: copy-on-write keeps it apart


def _default(col: str, df: pd.DataFrame) -> Any:
    if col == "prod_cost_usd":
        return df["cost_usd"]
    if col == "cost_usd":
        return df["prod_cost_usd"]
    if col == "epoch":
        return 1
    if col == "batch":
        return False
    if col in ("round", "planned_samples"):  # all missing (a list of 10 million pd.NA took seconds)
        return pd.arrays.IntegerArray(np.zeros(len(df), dtype="int64"), np.ones(len(df), dtype=bool))
    if col.endswith("_tokens") or col in ("latency_s", "confidence", *JUDGE_NUMBERS):
        return np.nan
    return None
