"""The tidy results table: one row per task × candidate × sample × epoch.

Built from inspect logs (`from_run`), saved as Parquet and CSV, and loadable from files that other
tools wrote (at least task, candidate, sample_id, score and a cost): results from elsewhere are
first-class input to selection, and are checked as strictly as a suite file.

    import harness.results
    df = harness.results.load("my_results.csv")   # InputError lists every problem, with its lines
    df = harness.results.from_inspect_logs("logs/")          # your own `inspect eval` runs
    df = harness.results.from_promptfoo("results.json")      # `promptfoo eval --output results.json`
"""

from ._codes import key_codes
from ._files import load, save, validate
from ._judged import agreement_warnings, judge_agreements, judge_notes, with_human_labels
from ._inspect_logs import GRADES, from_inspect_logs
from ._promptfoo import PROMPTFOO_VERSION, from_promptfoo
from ._samples import per_sample
from ._table import COLUMNS, COST_COLUMNS, REQUIRED, TEXT_COLUMNS, from_run

__all__ = ["COLUMNS", "COST_COLUMNS", "GRADES", "PROMPTFOO_VERSION", "REQUIRED", "TEXT_COLUMNS", "agreement_warnings",
           "from_inspect_logs", "from_promptfoo", "from_run", "judge_agreements", "judge_notes", "key_codes", "load", "per_sample",
           "save", "validate", "with_human_labels"]
