"""Errors that reach the user as messages, never as tracebacks.

Every user-facing failure is a `HarnessError`; the CLI prints it and exits
with its `exit_code`. Validation collects `Problem`s so that one run shows
every mistake in a file at once instead of one per attempt.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    file: str
    message: str
    line: int | None = None
    field: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return f"{text} (fix: {self.hint})" if self.hint else text


class HarnessError(Exception):
    """An error meant for the user; `exit_code` follows the CLI conventions (2 = bad input)."""

    exit_code = 1


class InputError(HarnessError):
    """Bad input (suite, results or routing file): exit code 2, with every problem listed."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | str, title: str = "invalid input"):
        self.problems = [Problem(file="", message=problems)] if isinstance(problems, str) else problems
        self.title = title
        super().__init__(self.render())

    def render(self) -> str:
        if len(self.problems) == 1 and not self.problems[0].file:
            return f"{self.title}: {self.problems[0].message}"
        lines = [f"{self.title}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def spans(numbers: list[int], most: int = 8) -> str:
    """2, 3, 4, 7, 9, 10 -> "2-4, 7, 9-10"; after `most` runs, "..." and the last number."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    text = [f"{a}-{b}" if b > a else str(a) for a, b in runs[:most]]
    if len(runs) > most:
        text.append(f"..., {runs[-1][1]}")
    return ", ".join(text)
