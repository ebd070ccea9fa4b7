"""The HTML report (`reports/index.html`): the decision, the money and the evidence on one page.

One self-contained file: plots are inline SVG from matplotlib, the only script is the table
sorter (allowed by its hash in the page's Content-Security-Policy), and every text from a
dataset, a model or a results file is escaped by Jinja2. See docs/report.md.

    import harness.report
    harness.report.build("reports/results.parquet", "reports/routing.json", "reports")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import _data, _meta, _render
from ._data import ReportData, TaskView
from ._plots import safe_svg

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from ..routing import RoutingTable
    from ..select import TaskCompounds

__all__ = ["ReportData", "TaskView", "build", "render", "safe_svg", "write_report"]

FILENAME = "index.html"


def build(results: Path | str, routing: Path | str | None, out_dir: Path | str, *, average_duplicates: bool = False,
          notes: list[str] | None = None) -> Path:
    """Read a results file (harness's or another tool's) and a routing table, write `out_dir/index.html`.

    `routing=None` makes a report of scores and costs without decisions. Unreadable, empty or
    missing inputs raise `InputError` naming the file (exit code 2 from the CLI).
    """
    from .. import results as results_mod
    from .. import routing as routing_mod

    df = results_mod.load(results, average_duplicates=average_duplicates, notes=notes)
    table = routing_mod.load(routing) if routing is not None else None
    return write_report(df, table, out_dir, results_path=results, routing_path=routing)


def write_report(df: pd.DataFrame, table: RoutingTable | None, out_dir: Path | str, *,
                 results_path: Path | str, routing_path: Path | str | None = None,
                 suite_paths: list[Path] | None = None, compounds: Mapping[str, TaskCompounds] | None = None) -> Path:
    """Write the report of an already loaded results table; returns the path of the page.

    `compounds`: the tasks' cascades and routers (`harness.select.compounds_from_suites(suites)`), which
    the page re-evaluates and shows in a box each; the routing table does not carry their specs."""
    out_dir = Path(out_dir)
    html = render(df, table, out_dir, results_path=results_path, routing_path=routing_path, suite_paths=suite_paths,
                  compounds=compounds)
    return _render.write(html, out_dir / FILENAME)


def render(df: pd.DataFrame, table: RoutingTable | None, out_dir: Path | str, *, results_path: Path | str,
           routing_path: Path | str | None = None, suite_paths: list[Path] | None = None,
           compounds: Mapping[str, TaskCompounds] | None = None) -> str:
    """The page as a string (for tests, or to serve it elsewhere)."""
    data = _data.build(df, table, compounds)
    meta = _meta.collect(df, table, results_path, routing_path, Path(out_dir), suite_paths)
    return _render.render(data, meta)
