"""Money before a run: what harness charges per token (`harness prices`), what a run may cost (`harness estimate`)."""

from __future__ import annotations

from pathlib import Path

from ..batch import estimate, format_estimate, setting_notes
from ..pricing import DEFAULT_LOCAL_HOURLY_USD, describe_prices, format_price_table
from ..run import RunSettings
from ..suite import load_suite
from ._run import plan_suites


def prices_text(models: list[str], suite: Path | None = None) -> tuple[str, bool]:
    """The per-million-token prices of `models` and where each comes from (a suite's `prices:`, `local:` and
    `endpoints:` hourly rates apply when given); the flag says whether every model has a price."""
    explicit, hourly = {}, DEFAULT_LOCAL_HOURLY_USD
    if suite is not None:
        s = load_suite(suite)
        explicit, hourly = s.prices, s.local_hourly_usd or hourly
    rows = describe_prices(models, explicit, local_hourly_usd=hourly)
    return format_price_table(rows), all(r["found"] for r in rows)


def estimate_text(settings: RunSettings, batch: bool = True) -> str:
    """Upper-bound API cost per task × candidate of the run `settings` describe, before anything is sent."""
    _, plan = plan_suites(settings)
    lines = [format_estimate(estimate(plan.cells, batch=batch))]
    lines += [f"  note: {note}" for note in setting_notes(plan.cells)]
    if any(c.task.scorer == "judge" for c in plan.cells):
        lines.append("  note: `(judged by)` rows bound an API judge's calls by an answer of the candidate's max_tokens "
                     "(`--max-cost` counts them); a local judge is priced by compute time after the run")
    rounds = sorted({c.task.name for c in plan.cells if c.suite.sequential_round})
    if rounds:
        lines.append(f"  note: {', '.join(rounds)} run in rounds (`sequential:`): this is the cost if no candidate "
                     "is decided before the last round; stopping early spends less")
    return "\n".join(lines)
