"""What a `classifier/...` cell hands its provider (providers/_classifier.py), and its one-time training cost.

The provider classifies the prompt text a sample is sent (its last user turn), so it is trained on the
task's `train:` records rendered by the candidate's own prompt: the text it learns from and the text it
is asked about are made the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..candidates import CLASSIFIER_PROVIDER
from ..pricing import DEFAULT_LOCAL_HOURLY_USD, local_cost
from ..suite import as_text, chat_turns
from ._cells import Cell


def classifier_args(cell: Cell) -> dict[str, Any]:
    """The provider's model_args: the candidate's settings and the (prompt text, label) training pairs."""
    t, c = cell.task, cell.candidate
    variant = t.variants[c.prompt]
    train = [[chat_turns(variant, r, t.target_field)[-1][1], as_text(r[t.target_field])] for r in t.train_records]
    return {**c.model_args, "train": train}


def training_notes(cells: Iterable[Cell], logs: Mapping[str, Any]) -> list[str]:
    """One line per classifier candidate of a task: its training time and cost, paid once, not per call.

    Read from the cells' logs (each answer's metadata), so a run that reuses finished logs says the same;
    the rounds of a sequential run train once and are reported once."""
    lines: dict[tuple[str, str], str] = {}
    for cell in cells:
        c, log = cell.candidate, logs.get(cell.key)
        if c.provider != CLASSIFIER_PROVIDER or log is None or (cell.task.name, c.label()) in lines:
            continue
        meta = next(((s.output.metadata or {}) for s in log.samples or [] if s.output and s.output.metadata), {})
        if "train_s" not in meta:
            continue
        hourly = cell.suite.local_hourly_usd or DEFAULT_LOCAL_HOURLY_USD
        usd = local_cost(float(meta["train_s"]), hourly)
        lines[(cell.task.name, c.label())] = (
            f"{cell.task.name} / {c.label()} ({c.model}): trained once on {meta['train_records']} `train:` records "
            f"in {float(meta['train_s']) * 1000:.1f} ms, ${_plain(usd)} at ${hourly:.2f}/h, a one-time cost that "
            "is not in its cost per call")
    return list(lines.values())


def _plain(usd: float) -> str:
    """Two significant digits without an exponent: 1.1e-06 -> 0.0000011."""
    return "0" if usd == 0 else f"{Decimal(f'{usd:.2g}'):f}"
