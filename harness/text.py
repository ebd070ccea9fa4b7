"""Plain-text tables for the console, laid out by `rich` (one printer for every table harness prints).

    >>> print(table(["model", "input"], [["openai/gpt-4o-mini", "0.15"]], right=[1]))
    model               input
    openai/gpt-4o-mini   0.15
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text


def table(header: Sequence[str] | None, rows: Iterable[Sequence[str]], right: Iterable[int] = (),
          indent: int = 0) -> str:
    """Columns two spaces apart, never wrapped, no trailing spaces; `right` lists right-aligned columns.

    `header=None` prints the rows alone. Cells are plain text: rich markup in a dataset's text
    (say, "[bold]") is printed as it is, not interpreted."""
    rows = [list(r) for r in rows]
    width = len(header) if header is not None else max((len(r) for r in rows), default=0)
    aligned = set(right)
    grid = Table(box=None, show_header=header is not None, pad_edge=False, header_style=None, padding=(0, 1))
    for i in range(width):
        grid.add_column(header[i] if header is not None else "", justify="right" if i in aligned else "left",
                        no_wrap=True)
    for r in rows:
        grid.add_row(*(Text(str(cell)) for cell in r))
    out = io.StringIO()
    Console(file=out, width=100_000, color_system=None, force_terminal=False, highlight=False, emoji=False,
            markup=False, soft_wrap=False).print(grid)
    pad = " " * indent
    return "\n".join(pad + line.rstrip() for line in out.getvalue().splitlines())
