"""Render the view model into one self-contained HTML file (Jinja2, autoescape on).

Everything that comes from a dataset, a model, a suite or a results file reaches the page
through Jinja2's autoescaping; only the SVGs (checked by `_plots.safe_svg`) and the sort
script (allowed by its hash in the Content-Security-Policy) are inserted as markup.
"""

from __future__ import annotations

import math
from pathlib import Path


from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ..files import write_atomic

from . import _plots
from ._data import ReportData
from ._meta import Meta
from ._script import SORT_JS, csp_hash

# No network at all: no fetch, font, frame or form; images only as data: URIs; styles inline;
# scripts only the one whose hash is listed.
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src {script}; "
       "base-uri 'none'; form-action 'none'")
STATUS_WORDS = {"pass": "pass", "fail": "fail", "inconclusive": "inconclusive", "reference": "reference", "": "—"}


def environment() -> Environment:
    env = Environment(loader=PackageLoader("harness.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(usd=usd, per_million=per_million, score=score, signed=signed, pvalue=pvalue, pct=pct,
                       count=count, threshold=threshold)
    env.globals["status_words"] = STATUS_WORDS
    return env


def render(data: ReportData, meta: Meta) -> str:
    plots = [Markup(_plots.task_plot(t, i)) for i, t in enumerate(data.tasks, 1)]
    bars = _plots.cost_bars(data.tasks)
    # A one-point "curve" (nothing to tune) says nothing the task plot does not.
    compound_plots = [[Markup(_plots.compound_plot(b, f"c{i}-{j}")) if b.tuned else None
                       for j, b in enumerate(t.compounds, 1)] for i, t in enumerate(data.tasks, 1)]
    template = environment().get_template("report.html")
    return template.render(data=data, meta=meta, plots=plots, cost_bars=Markup(bars) if bars else None,
                           compound_plots=compound_plots,
                           csp=CSP.format(script=csp_hash(SORT_JS)), script=Markup(SORT_JS))


def write(html: str, path: Path) -> Path:
    """Write atomically, so a browser reloading the page never sees half of it."""
    return write_atomic(path, html)


# --- number formats (filters) ------------------------------------------------------------------


def _ok(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def usd(x: float | None) -> str:
    """Money at the precision it matters: $12,345 / $123 / $12.34 / $0.042 / $0.00013."""
    if not _ok(x):
        return "n/a"
    assert x is not None
    sign, v = ("−" if x < 0 else ""), abs(x)
    if v >= 100:
        return f"{sign}${v:,.0f}"
    if v >= 0.995 or v == 0:
        return f"{sign}${v:,.2f}"
    # Two significant digits in plain decimals: local-model costs are fractions of a cent.
    return f"{sign}${v:.{max(2, 1 - math.floor(math.log10(v)))}f}"


def per_million(cost_per_call: float | None) -> str:
    return usd(cost_per_call * 1e6) if _ok(cost_per_call) else "no price"


def score(x: float | None) -> str:
    return f"{x:.3f}" if _ok(x) else "n/a"


def signed(x: float | None) -> str:
    return f"{x:+.3f}".replace("-", "−") if _ok(x) else ""


def pvalue(x: float | None) -> str:
    if not _ok(x):
        return ""
    assert x is not None
    return "<0.001" if x < 0.001 else f"{x:.3g}"


def threshold(x: float | None) -> str:
    return f"{x:.3g}" if _ok(x) else "—"


def pct(x: float | None) -> str:
    return f"{x:.0%}" if _ok(x) else "n/a"


def count(x: float | None) -> str:
    return f"{x:,.0f}" if _ok(x) else "n/a"
