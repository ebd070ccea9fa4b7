"""The console text of an import: one row per feature, then every skipped line and every note."""

from __future__ import annotations

from ..text import printable, table
from ._import import ImportSummary
from ._measure import Spread


def summary_text(s: ImportSummary) -> str:
    c = s.counts
    skipped = c["invalid"] + c["refused"] + c["unmatched"]
    lines = [f"read {len(s.sources)} source(s): {c['calls']} usable calls, {skipped} skipped "
             f"({c['invalid']} invalid, {c['refused']} refused, {c['unmatched']} unmatched batch lines); "
             f"credentials stripped on {c['secret']} line(s)"]
    rows = [[f.name, str(f.calls), str(len(f.records)), str(f.duplicates), str(f.near_empty),
             "-" if not f.volume or f.volume.per_month is None else f"{f.volume.per_month:,}",
             _spread(f.input_tokens), _spread(f.output_tokens), f.candidates[0]["model"],
             f"judge: pairwise, {f.judge['model']}" if f.judge else str(f.scorer)] for f in s.features]
    lines += ["", table(["feature", "calls", "samples", "duplicates", "near-empty", "per month", "input p50/p90",
                         "output p50/p90", "reference", "scorer"], rows, right=[1, 2, 3, 4, 5])]
    if s.problems:
        lines += ["", f"skipped or stripped ({len(s.problems)}):"] + [f"  - {printable(p)}" for p in s.problems]
    notes = [f"feature {f.name!r}: {n}" for f in s.features for n in f.notes] + s.notes
    if notes:
        lines += ["", "notes:"] + [f"  - {printable(n)}" for n in notes]
    lines.append("")
    lines.append(f"suite -> {s.suite}  (check it: harness validate {s.suite})")
    lines.append(f"summary -> {s.summary}")
    return "\n".join(lines)


def _spread(s: Spread | None) -> str:
    return "-" if s is None else f"{s.median:g}/{s.p90:g}"
