"""ZeroEval's public per-sample answers (GSM8K, CRUXEval, MATH level 5) as harness results tables.

    python benchmarks/data/zeroeval.py --source /work/.mirror/WildEval+ZeroEval/repo --out benchmarks/data/zeroeval

reads `result_dirs/<task>/<file>.json` at the source's HEAD (a bare git repository is enough: files are read
with `git show`), scores every answer with the parsers below, prices it with harness.pricing, and writes one
Parquet per task in harness's results-table layout, plus the seeded sample the tests use and its JSON of
accuracies. Everything is offline and deterministic: the same commit, genai-prices and pyarrow give the same
bytes. benchmarks/data/README.md says where the data comes from and what each choice means.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import math
import re
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere in the checkout

from harness.pricing import Usage, costs_for_call, lookup_price
from harness.results import COLUMNS, TEXT_COLUMNS, validate

TASKS = ("gsm", "crux", "math-l5")
REFERENCE = "gpt-4o-2024-08-06"
SUITE = "zeroeval"
SAMPLE_PER_TASK = 200
SAMPLE_SEED = 20241022
# Prices are taken as of one fixed day, not "now": genai-prices holds dated prices, and a rebuild next year
# must give the same costs from the same installed version.
PRICES_AS_OF = datetime(2026, 12, 1, tzinfo=UTC)
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Model:
    candidate: str
    model: str  # provider/model as harness.pricing and genai-prices name it
    files: dict[str, str]  # task -> file name in result_dirs/<task>/ (ZeroEval renames some across tasks)


def _same(name: str, tasks: tuple[str, ...] = TASKS) -> dict[str, str]:
    return {t: name for t in tasks}


# The models of the benchmark. Llama and DeepSeek have no first-party price in genai-prices, so they are
# priced as served by Together (Llama 3.1 Turbo) and by DeepSeek's own API (deepseek-chat).
MODELS = [
    Model("gpt-4o-2024-08-06", "openai/gpt-4o-2024-08-06", _same("gpt-4o-2024-08-06")),
    Model("gpt-4o-mini-2024-07-18", "openai/gpt-4o-mini-2024-07-18", _same("gpt-4o-mini-2024-07-18")),
    Model("gpt-3.5-turbo-0125", "openai/gpt-3.5-turbo-0125", _same("gpt-3.5-turbo-0125")),
    Model("claude-3-5-sonnet-20241022", "anthropic/claude-3-5-sonnet-20241022", _same("claude-3-5-sonnet-20241022")),
    Model("claude-3-5-haiku-20241022", "anthropic/claude-3-5-haiku-20241022", _same("claude-3-5-haiku-20241022")),
    Model("claude-3-haiku-20240307", "anthropic/claude-3-haiku-20240307", _same("claude-3-haiku-20240307")),
    Model("gemini-1.5-pro", "google/gemini-1.5-pro", _same("gemini-1.5-pro")),
    Model("gemini-1.5-flash", "google/gemini-1.5-flash", _same("gemini-1.5-flash")),
    Model("Meta-Llama-3.1-8B-Instruct", "together/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
          _same("Meta-Llama-3.1-8B-Instruct")),
    Model("Meta-Llama-3.1-70B-Instruct", "together/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo",
          _same("Meta-Llama-3.1-70B-Instruct")),
    # ZeroEval ran 405B on Together for GSM8K and CRUXEval only; MATH-L5 has it from other hosts, not paired.
    Model("Llama-3.1-405B-Instruct-Turbo", "together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
          {"gsm": "Llama-3.1-405B-Instruct-Turbo", "crux": "Llama-3.1-405B-Inst-fp8"}),
    # DeepSeek's `deepseek-chat` endpoint when it served V2-0628 (ZeroEval's summaries call it
    # deepseek-v2-chat-0628); MATH-L5 was only run later, against V2.5.
    Model("deepseek-chat", "deepseek/deepseek-chat", {"gsm": "deepseek-chat", "crux": "deepseek-v2-chat-0628"}),
    Model("deepseek-v2.5-0908", "deepseek/deepseek-chat", _same("deepseek-v2.5-0908")),
]

# ZeroEval's summary tables name a few files differently (file name -> summary row).
SUMMARY_NAMES = {("gsm", "Llama-3.1-405B-Instruct-Turbo"): "Llama-3.1-405B-Inst-fp8@together",
                 ("crux", "Llama-3.1-405B-Inst-fp8"): "Llama-3.1-405B-Inst-fp8@together",
                 ("gsm", "deepseek-chat"): "deepseek-v2-chat-0628"}


# --- reading the source ------------------------------------------------------------------------------


def git(source: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(source), *args], capture_output=True, check=True).stdout


def read_records(source: Path, task: str, name: str) -> list[dict] | None:
    """A result file's records, or None when the mirror lacks its blob (a missing or LFS object)."""
    try:
        raw = git(source, "show", f"HEAD:result_dirs/{task}/{name}.json")
    except subprocess.CalledProcessError:
        return None
    if raw.startswith(b"version https://git-lfs"):
        return None
    return json.loads(raw)


def read_summary(source: Path, task: str) -> dict[str, float]:
    """ZeroEval's published accuracy per model (percent), from result_dirs/<task>.summary.md."""
    text = git(source, "show", f"HEAD:result_dirs/{task}.summary.md").decode()
    accuracy = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[1] == "greedy":
            accuracy[cells[0]] = float(cells[2])
    return accuracy


# --- answers -----------------------------------------------------------------------------------------

_ANSWER_KEY = re.compile(r'"answer"\s*:\s*')
# JSON string escapes that stand for themselves; \b \f \n \r \t stay as written because in these answers
# they are almost always LaTeX (\frac, \times, \neq, \right, \binom) or a Python escape inside a literal,
# never a control character the model meant.
_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/"}


def extract_answer(text: str) -> str | None:
    """The value of the last `"answer":` field in a model's text, as written; None when there is none.

    Models are asked for a ```json block with "reasoning" and "answer", but many write raw newlines, LaTeX
    backslashes or unescaped quotes inside strings, so the value is scanned, not json.loads-ed."""
    if not text:
        return None
    matches = list(_ANSWER_KEY.finditer(text))
    if not matches:
        return None
    start = matches[-1].end()
    if text[start:start + 1] == '"':
        return _scan_string(text, start + 1)
    try:  # a number, list or object written as JSON
        _, end = json.JSONDecoder().raw_decode(text, start)
        value = text[start:end]
    except ValueError:
        value = re.match(r"[^\n}]*", text[start:]).group(0).strip().rstrip(",").strip()
    return None if value in ("", "null") else value


# After the quote that closes a JSON string value: the next field, or the end of the line or the object.
_CLOSES = re.compile(r'"(?=\s*(?:,|\}|$))')
_CLOSES_LINE = re.compile(r'"(?=[ \t]*,?[ \t]*(?:\n|\}|$))')
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)


def _scan_string(text: str, i: int) -> str:
    start = i
    while i < len(text) and text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    if i < len(text) and not _CLOSES.match(text, i):
        # an unescaped quote inside the value (`"answer": "[['"x"']]"`) does not end it: the last quote
        # before the end of its line does
        later = _CLOSES_LINE.search(text, i + 1)
        i = later.start() if later else i
    return _ESCAPE.sub(_unescape, text[start:i])


def _unescape(m: re.Match) -> str:
    code = m.group(1)
    if code in _JSON_ESCAPES:
        return _JSON_ESCAPES[code]
    return chr(int(code[1:], 16)) if len(code) == 5 else m.group(0)


# GSM8K -----------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+")


def gsm_reference(answer: str) -> Fraction:
    """GSM8K's reference: "#### 18" in the dataset, "# 18" in ZeroEval's files."""
    return _to_number(answer.split("#")[-1].strip())


def gsm_answer(output: str) -> str:
    """The model's number as a normalised string ("" when none): the JSON answer's last number, else the
    last number anywhere in the text (for outputs without the JSON block)."""
    answer = extract_answer(output)
    numbers = _NUMBER.findall(answer if answer is not None else output or "")
    if not numbers and answer is not None:
        numbers = _NUMBER.findall(output or "")
    return _format_number(_to_number(numbers[-1])) if numbers else ""


def _to_number(text: str) -> Fraction:
    return Fraction(text.replace(",", "").replace(" ", ""))


def _format_number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


def gsm_score(answer: str, reference: str) -> float:
    return float(answer != "" and _to_number(answer) == gsm_reference(reference))


# CRUXEval --------------------------------------------------------------------------------------------


def crux_answer(output: str) -> str:
    """The model's Python literal: as written when it is one (an echoed `assert f(...) ==` and code fences
    dropped), else the text read as a string (its repr), since the answer field is itself a string and
    many models leave a string result unquoted. "" when the model gave no answer at all."""
    answer = extract_answer(output)
    if answer is None:
        answer = _last_boxed(output or "")  # "The final answer is: $\\boxed{...}$", some Llama outputs
        if answer is None:
            return ""
    answer = re.sub(r"^`+(?:python)?|`+$", "", answer.strip()).strip()
    echoed = re.match(r"^(?:assert\s+)?f\(.*\)\s*==\s*(.+)$", answer, re.DOTALL)
    if echoed and _literal(answer) is _NOT_LITERAL:
        answer = echoed.group(1).strip()
    if _literal(answer) is not _NOT_LITERAL:
        return answer
    # \' is no JSON escape: a model that writes it inside the JSON string means a plain quote
    if "\\'" in answer and _literal(answer.replace("\\'", "'")) is not _NOT_LITERAL:
        return answer.replace("\\'", "'")
    return repr(answer)


_NOT_LITERAL = object()


def _literal(text: str):
    with warnings.catch_warnings():  # answers like "1st" make the parser warn before it refuses them
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return _NOT_LITERAL


def crux_score(answer: str, reference: str) -> float:
    """Equal as Python values when both are literals (CRUXEval's own check is `assert f(x) == answer`),
    else equal as whitespace-normalised text. A string result may be given without its quotes: the
    answer field is already a JSON string, and many models do not quote inside it."""
    if answer == "":
        return 0.0
    got, want = _literal(answer), _literal(reference)
    if isinstance(want, str) and answer == want:  # a string result written unquoted that reads as a number
        return 1.0
    if got is not _NOT_LITERAL and want is not _NOT_LITERAL:
        try:
            return float(bool(got == want))
        except RecursionError:  # a deeply nested answer must not stop the build
            return 0.0
    return float(_squash(answer) == _squash(reference))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# MATH ------------------------------------------------------------------------------------------------

_LATEX_DROP = [r"\left", r"\right", r"\!", r"\,", r"\;", r"\:", r"\ ", r"\displaystyle", "$", r"\(", r"\)",
               r"\[", r"\]", "^\\circ", "^{\\circ}", r"\%", "%", "~"]


def math_answer(output: str) -> str:
    """The JSON answer, else the last \\boxed{} in the text, normalised ("" when none)."""
    answer = extract_answer(output)
    if answer is None:
        boxed = _last_boxed(output or "")
        answer = boxed if boxed is not None else ""
    return normalise_latex(answer)


def normalise_latex(text: str) -> str:
    s = str(text).strip()
    boxed = _last_boxed(s)
    if boxed is not None:
        s = boxed
    for name in ("text", "textbf", "mathrm", "mbox", "operatorname"):
        s = _unwrap(s, "\\" + name)
    s = s.replace(r"\dfrac", r"\frac").replace(r"\tfrac", r"\frac")
    for token in _LATEX_DROP:
        s = s.replace(token, "")
    # "47 feet", "4 square units": a number and unit words only (spaces still tell words from variables)
    s = re.sub(r"^(-?[\d.,]+)(?:\s+[a-zA-Z]{2,})+\s*$", r"\1", s.strip())
    s = re.sub(r"\s+", "", s).rstrip(".")
    s = re.sub(r"\\frac(\d)(\d)", r"\\frac{\1}{\2}", s)  # \frac12
    s = re.sub(r"\\sqrt(\w)", r"\\sqrt{\1}", s)  # \sqrt2
    s = _fractions_as_slashes(s)
    # "x=5" against "5": a lone variable named on the left is not part of the answer
    s = re.sub(r"^[a-zA-Z]=", "", s)
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", s):
        s = s.replace(",", "")
    return s


def _last_boxed(s: str) -> str | None:
    at = max(s.rfind(r"\boxed"), s.rfind(r"\fbox"))
    if at < 0:
        return None
    open_at = s.find("{", at)
    body = _braced(s, open_at) if open_at >= 0 else None
    return body


def _braced(s: str, open_at: int) -> str | None:
    depth = 0
    for i in range(open_at, len(s)):
        depth += {"{": 1, "}": -1}.get(s[i], 0)
        if depth == 0:
            return s[open_at + 1:i]
    return None


def _unwrap(s: str, command: str) -> str:
    while (at := s.find(command + "{")) >= 0:
        body = _braced(s, at + len(command))
        if body is None:
            break
        s = s[:at] + body + s[at + len(command) + len(body) + 2:]
    return s


def _fractions_as_slashes(s: str) -> str:
    r"""\frac{a}{b} -> a/b when a and b are plain tokens, else (a)/(b), so 1/2 and \frac{1}{2} agree."""
    while (at := s.find(r"\frac{")) >= 0:
        num = _braced(s, at + 5)
        if num is None or s[at + 5 + len(num) + 2:at + 5 + len(num) + 3] != "{":
            break
        den = _braced(s, at + 5 + len(num) + 2)
        if den is None:
            break
        end = at + 5 + len(num) + 2 + len(den) + 2
        s = s[:at] + f"{_operand(num)}/{_operand(den)}" + s[end:]
    return s


def _operand(x: str) -> str:
    return x if re.fullmatch(r"-?[\w.]+", x) else f"({x})"


def _as_number(s: str) -> float | None:
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:/(\d+(?:\.\d+)?))?", s)
    if not m or (m.group(2) is not None and float(m.group(2)) == 0):
        return None
    return float(m.group(1)) / (float(m.group(2)) if m.group(2) else 1.0)


def math_score(answer: str, reference: str) -> float:
    if answer == "":
        return 0.0
    want = normalise_latex(reference)
    if answer == want:
        return 1.0
    a, b = _as_number(answer), _as_number(want)
    return float(a is not None and b is not None and math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9))


PARSERS = {"gsm": (gsm_answer, gsm_score), "crux": (crux_answer, crux_score), "math-l5": (math_answer, math_score)}


# --- rows --------------------------------------------------------------------------------------------


def estimate_tokens(text: str) -> int:
    """Tokens from characters (ZeroEval's files record no usage): about 4 characters a token in English."""
    return -(-len(text) // CHARS_PER_TOKEN)


def task_rows(source: Path, task: str, skipped: list[str]) -> pd.DataFrame:
    parse, score = PARSERS[task]
    frames, ids = [], None
    for m in MODELS:
        name = m.files.get(task)
        if name is None:
            continue
        records = read_records(source, task, name)
        if records is None:
            skipped.append(f"{task}/{name}.json: not in the mirror (missing or LFS blob)")
            continue
        these = [str(r["id"]) for r in records]
        if ids is None:
            ids = these
        elif sorted(these) != sorted(ids):
            raise SystemExit(f"{task}/{name}.json has other sample ids than {task}/{MODELS[0].files[task]}.json")
        price = lookup_price(m.model, as_of=PRICES_AS_OF)  # fails loudly here, not as NaN costs
        frames.append(_model_rows(task, m, name, records, parse, score, price.source))
    return pd.concat(frames, ignore_index=True)


def _model_rows(task, m: Model, name, records, parse, score, price_source) -> pd.DataFrame:
    rows = []
    for r in records:
        prompt = r["chat_history"][0] if r.get("chat_history") else ""
        output = (r.get("output") or [""])[0] or ""
        usage = Usage(input_tokens=estimate_tokens(prompt), output_tokens=estimate_tokens(output))
        # Sync, uncached: what one production call costs, and what ZeroEval's own calls cost.
        costs = costs_for_call(m.model, usage, batch=False, cache_prompt=False, as_of=PRICES_AS_OF)
        answer = parse(output)
        config = {**r.get("configs", {}), "zeroeval_file": f"result_dirs/{task}/{name}.json",
                  "zeroeval_generator": r.get("generator"), "price": price_source}
        rows.append({
            "suite": SUITE, "task": task, "candidate": m.candidate, "model": m.model,
            "config": json.dumps(config, sort_keys=True), "sample_id": str(r["id"]), "epoch": 1, "cluster": None,
            "score": score(answer, str(r["answer"])), "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens, "cache_read_tokens": 0, "cache_write_tokens": 0,
            "cost_usd": costs.prod_usd, "prod_cost_usd": costs.prod_usd, "latency_s": float("nan"),
            "batch": False, "error": None if output.strip() else "empty output in ZeroEval's file",
            "round": None, "planned_samples": None,
            "input": r.get("question", r.get("problem", "")), "output": output, "target": str(r["answer"]),
            "answer": answer,
        })
    return validate(pd.DataFrame(rows, columns=COLUMNS + TEXT_COLUMNS + ["answer"]), f"{task}/{name}", kind="row")


def sample(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """SAMPLE_PER_TASK questions per task, the same for every model (the comparisons stay paired)."""
    rng = np.random.default_rng(SAMPLE_SEED)
    parts = []
    for task in TASKS:
        df = tables[task]
        ids = sorted(df["sample_id"].unique(), key=_id_order)
        keep = set(rng.choice(ids, size=SAMPLE_PER_TASK, replace=False))
        parts.append(df[df["sample_id"].isin(keep)])
    return pd.concat(parts, ignore_index=True)


def _id_order(sample_id: str) -> tuple[int, str]:
    digits = re.findall(r"\d+", sample_id)
    return (int(digits[-1]) if digits else -1, sample_id)


def accuracies(df: pd.DataFrame) -> dict[str, dict[str, float]]:
    acc = df.groupby(["task", "candidate"])["score"].mean()
    return {t: {c: round(float(v), 4) for (tt, c), v in acc.items() if tt == t} for t in TASKS}


def write_parquet(df: pd.DataFrame, path: Path, level: int = 9) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False, compression="zstd", compression_level=level)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def comparison(full: dict[str, dict[str, float]], published: dict[str, dict[str, float]]) -> str:
    header = f"{'model':32}" + "".join(f"{t:>22}" for t in TASKS)
    lines = [header, f"{'':32}" + "".join(f"{'ours  ZeroEval   diff':>22}" for _ in TASKS)]
    for m in MODELS:
        cells = []
        for t in TASKS:
            ours, theirs = full[t].get(m.candidate), published[t].get(m.candidate)
            if ours is None:
                cells.append(f"{'-':>22}")
            elif theirs is None:
                cells.append(f"{100 * ours:>6.2f}{'?':>10}{'':>6}")
            else:
                cells.append(f"{100 * ours:>6.2f}{theirs:>10.2f}{100 * ours - theirs:>+6.2f}")
        lines.append(f"{m.candidate:32}" + "".join(cells))
    return "\n".join(lines)


def published_accuracy(source: Path) -> dict[str, dict[str, float]]:
    out = {}
    for task in TASKS:
        summary = read_summary(source, task)
        out[task] = {}
        for m in MODELS:
            name = m.files.get(task)
            row = SUMMARY_NAMES.get((task, name), name)
            if name and row in summary:
                out[task][m.candidate] = summary[row]
    return out


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", type=Path, required=True, help="ZeroEval git repository (bare is fine)")
    p.add_argument("--out", type=Path, default=here / "zeroeval", help="folder for <task>.parquet")
    p.add_argument("--sample", type=Path, default=None,
                   help="where to write the sample (default: OUT/zeroeval_sample.parquet); its JSON goes beside it")
    args = p.parse_args(argv)
    started = time.perf_counter()
    commit = git(args.source, "rev-parse", "HEAD").decode().strip()
    skipped: list[str] = []
    tables = {task: task_rows(args.source, task, skipped) for task in TASKS}
    for task, df in tables.items():
        write_parquet(df, args.out / f"{task}.parquet")
    full = accuracies(pd.concat(tables.values()))
    sample_path = args.sample or args.out / "zeroeval_sample.parquet"
    small = sample(tables)
    write_parquet(small, sample_path, level=19)  # committed: worth 2 s of zstd for a tenth less
    published = published_accuracy(args.source)
    import genai_prices
    import pyarrow

    facts = {
        "source": "https://github.com/WildEval/ZeroEval", "commit": commit, "license": "Apache-2.0",
        "tasks": list(TASKS), "reference": REFERENCE,
        "models": {m.candidate: {"model": m.model, "files": m.files} for m in MODELS},
        "samples_per_task": {t: int(df["sample_id"].nunique()) for t, df in tables.items()},
        "sample": {"file": sample_path.name, "per_task": SAMPLE_PER_TASK, "seed": SAMPLE_SEED,
                   "rows": len(small), "bytes": sample_path.stat().st_size, "sha256": sha256(sample_path)},
        "tokens": f"ceil(characters / {CHARS_PER_TOKEN}) of the prompt (chat_history) and of the output",
        "prices": {"library": f"genai-prices {genai_prices.__version__}", "as_of": PRICES_AS_OF.date().isoformat(),
                   "batch": False},
        "written_with": {"genai-prices": genai_prices.__version__, "pandas": pd.__version__,
                         "pyarrow": pyarrow.__version__},
        "accuracy_full": full, "accuracy_sample": accuracies(small), "accuracy_zeroeval": published,
        "skipped": skipped,
    }
    sample_path.with_suffix(".json").write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n")
    print(comparison(full, published))
    for line in skipped:
        print("skipped:", line)
    print(f"wrote {', '.join(str(args.out / f'{t}.parquet') for t in TASKS)}, {sample_path} "
          f"({facts['sample']['bytes']:,} bytes, sha256 {facts['sample']['sha256']}) "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
