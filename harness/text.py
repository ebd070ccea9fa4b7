r"""Console text: `printable()` for text harness did not write, and `table()`, the one printer for every
table harness prints (laid out by `rich`).

    >>> print(table(["model", "input"], [["openai/gpt-4o-mini", "0.15"]], right=[1]))
    model               input
    openai/gpt-4o-mini   0.15
    >>> print(printable("\x1b[2J\x1b[31mall safe\r\n"))
    \x1b[2J\x1b[31mall safe\r
    <BLANKLINE>
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

# What a terminal would act on instead of showing, or could not show at all:
# - C0 controls but newline (ESC starts the ANSI sequences that clear the screen, recolour or retitle
#   the terminal; CR and backspace overwrite what was printed; tab is one too and is rarely wanted),
#   DEL, and C1 controls (U+009B is a one-character CSI to some terminals);
# - bidirectional embeddings, overrides and isolates, which reorder what is displayed ("Trojan Source");
# - U+2028/U+2029, line breaks to some viewers but not to others;
# - unpaired surrogates (no encoding can write them: print() would raise) and U+FFFE/U+FFFF.
# What is left is also text XML 1.0 allows, so the JUnit file uses the same function.
_ACTIVE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029"
                     "\ud800-\udfff\ufffe\uffff]")


def printable(text: object) -> str:
    r"""`text` with every character a terminal would act on, or cannot show, written as a visible Python
    escape (`\x1b`, `\r`, `\u202e`): a model's output or a dataset's record printed with it cannot
    move the cursor, clear the screen or colour the terminal. Newlines are kept; ordinary Unicode too."""
    return _ACTIVE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def table(header: Sequence[str] | None, rows: Iterable[Sequence[str]], right: Iterable[int] = (),
          indent: int = 0) -> str:
    """Columns two spaces apart, never wrapped, no trailing spaces; `right` lists right-aligned columns.

    `header=None` prints the rows alone. Cells are plain text: rich markup in a dataset's text
    (say, "[bold]") is printed as it is, not interpreted, and control characters go through
    `printable()`."""
    rows = [list(r) for r in rows]
    width = len(header) if header is not None else max((len(r) for r in rows), default=0)
    aligned = set(right)
    grid = Table(box=None, show_header=header is not None, pad_edge=False, header_style=None, padding=(0, 1))
    for i in range(width):
        grid.add_column(printable(header[i]) if header is not None else "",
                        justify="right" if i in aligned else "left", no_wrap=True)
    for r in rows:
        grid.add_row(*(Text(printable(cell)) for cell in r))
    out = io.StringIO()
    Console(file=out, width=100_000, color_system=None, force_terminal=False, highlight=False, emoji=False,
            markup=False, soft_wrap=False).print(grid)
    pad = " " * indent
    return "\n".join(pad + line.rstrip() for line in out.getvalue().splitlines())
