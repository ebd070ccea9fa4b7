"""How the last `harness run` was invoked, kept in the journal so `harness collect` can complete it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import HarnessError
from ..journal import open_journal

_KEY = "last_run"


class RunSettings(BaseModel):
    """The options of a run that decide what it evaluates and how; a detached run is completed with them."""

    model_config = ConfigDict(frozen=True, extra="ignore")  # ignore: a newer harness may have saved more

    suites: list[Path]
    limit: int | None = None
    full: bool = False
    tasks: list[str] | None = None
    candidates: list[str] | None = None
    no_batch: bool = False
    max_cost: float | None = None
    sequential: bool = False
    round: int | None = None


def remember_run(reports: Path, settings: RunSettings) -> None:
    open_journal(reports / "journal.sqlite").set_setting(_KEY, settings.model_dump(mode="json"))


def last_run(reports: Path) -> RunSettings | None:
    if not (reports / "journal.sqlite").exists():
        return None
    saved = open_journal(reports / "journal.sqlite").get_setting(_KEY)
    if saved is None:
        return None
    try:
        return RunSettings.model_validate(saved)
    except ValidationError:
        raise HarnessError(f"the run saved in {reports / 'journal.sqlite'} is not readable by this harness: "
                           "start it again with `harness run` (answers already in the journal are reused)") from None
