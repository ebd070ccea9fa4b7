"""`harness status`: batches in flight and what the journal says has been spent."""

from __future__ import annotations

import time
from pathlib import Path

from ..journal import Journal, journal_exists, open_journal
from ..text import table
from . import _store as store
from ._settings import BatchSettings
from ._transport import transport_for


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def _counts(counts: dict | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in (counts or {}).items() if v) or "-"


def status(journal: Path | str, refresh: bool = True) -> str:
    """`harness status`: API batches in flight (asked of the providers unless `refresh` is False), spend so far."""
    if not journal_exists(str(journal)):
        return f"no journal at {journal}: nothing has been sent"
    return status_text(open_journal(journal), BatchSettings.from_env(), refresh=refresh)


def status_text(j: Journal, settings: BatchSettings, refresh: bool = True) -> str:
    """Live batches (refreshed from the provider unless `refresh` is False) and the spend so far."""
    lines, now = [], time.time()
    live = store.batches(j, "intent", "submitted")
    if live:
        lines.append("batches in flight:")
        rows = []
        for b in live:
            status, counts = ("not confirmed (interrupted?)" if b.status == "intent" else "submitted"), b.counts
            if refresh and b.remote_id:
                try:
                    state = transport_for(b.provider, settings).poll(b.remote_id)
                    status, counts = state.status, state.counts
                except Exception as exc:  # status is read-only and best effort
                    status = f"unknown ({type(exc).__name__})"
            rows.append([b.provider, b.model, b.remote_id or b.id, status, _counts(counts), str(b.n_requests),
                          _age(now - b.created_at), f"${b.bound_usd:.4f}"])
        lines.append(table(["provider", "model", "batch", "status", "counts", "requests", "age", "up to"], rows,
                           indent=2))
    else:
        lines.append("no batches in flight")
    rows = j.query("SELECT provider, model, status, COUNT(*), SUM(cost_usd), SUM(COALESCE(via_batch, 0)),"
                   " SUM(CASE WHEN status IN ('claimed','submitted') THEN bound_usd END)"
                   " FROM requests WHERE provider IN ('anthropic','openai') GROUP BY provider, model, status")
    per_model: dict[str, dict[str, float]] = {}
    for provider, model, status, n, cost, via_batch, bound in rows:
        m = per_model.setdefault(f"{provider}/{model}", {"answered": 0, "batch": 0, "spent": 0.0, "error": 0,
                                                          "waiting": 0, "bound": 0.0})
        if status == "answered":
            m["answered"], m["batch"], m["spent"] = n, via_batch or 0, cost or 0.0
        elif status == "error":
            m["error"] = n
        else:
            m["waiting"] += n
            m["bound"] += bound or 0.0
    if per_model:
        lines.append("spend recorded in the journal:")
        for model, m in sorted(per_model.items()):
            lines.append(f"  {model}: ${m['spent']:.4f} for {m['answered']:.0f} answer(s) ({m['batch']:.0f} by batch), "
                         f"{m['error']:.0f} failed, {m['waiting']:.0f} waiting (up to ${m['bound']:.4f})")
        total = sum(m["spent"] for m in per_model.values())
        lines.append(f"  total spent: ${total:.4f}")
    return "\n".join(lines)
