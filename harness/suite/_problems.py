"""Collecting a suite file's problems with file, line and field, to report them all at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import InputError, Problem, spans
from ._yaml import Path_, line_of

FORMAT_DOC = "docs/suite-format.md"


class Validator:
    """The problems found so far in one suite file; `lines` maps key paths to their line."""

    def __init__(self, path: Path, lines: dict[Path_, int]):
        self.path, self.lines, self.problems = path, lines, []

    def add(self, at: Path_, message: str, hint: str | None = None, line: int | None = None) -> None:
        fieldname = ".".join(str(p) for p in at) or None
        self._keep(Problem(str(self.path), message, line or line_of(self.lines, at), fieldname, hint))

    def add_in_file(self, file: Path, line: int | None, message: str, hint: str) -> None:
        """A problem in a file the suite points to (a dataset), located by that file's own line."""
        self._keep(Problem(str(file), message, line=line, hint=hint))

    def add_on_lines(self, file: Path, lines: list[int], message: str, hint: str) -> None:
        """One problem for every line of a file that has it: "... on lines 2-40, 57 (40 lines)"."""
        if len(lines) == 1:
            self.add_in_file(file, lines[0], message, hint)
        elif lines:
            self.add_in_file(file, lines[0], f"{message} on lines {spans(lines)} ({len(lines)} lines)", hint)

    def _keep(self, problem: Problem) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    def model(self, cls: type[BaseModel], raw: Any, at: Path_) -> Any:
        """`cls` validated from `raw`, or None with every validation error added."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                # pydantic prefixes the text of a validator's ValueError with "Value error, "
                self.add(at + tuple(err["loc"]), err["msg"].removeprefix("Value error, "), _hint(err))
            return None

    def error(self) -> InputError:
        return InputError(self.problems, title=f"invalid suite {self.path}")


def _hint(err: Any) -> str | None:
    kind = err["type"]
    if kind == "missing":
        return f"add `{err['loc'][-1]}:`"
    if kind == "extra_forbidden":
        return f"remove it, or check its spelling against the suite format ({FORMAT_DOC})"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return "give a value of the expected type"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "use a value within the allowed range"
    return None
