"""How the last `harness run` was invoked, kept in the journal so `harness collect` can complete it."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import HarnessError
from ..journal import journal_exists, journal_location, open_journal

_KEY = "last_run"
# Where the last `harness run` started in this folder wrote its reports: `harness status` and
# `harness collect` look there when not told, so a run with --reports elsewhere is found again.
POINTER = Path(".harness") / "last-run.json"
DEFAULT_REPORTS = Path("reports")


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
    no_prompts: bool = False  # routes keep only the sha256 of their prompts


def remember_run(reports: Path, settings: RunSettings) -> None:
    open_journal(journal_location(reports)).set_setting(_key(reports), settings.model_dump(mode="json"))


def _key(reports: Path) -> str:
    # Runners that share one journal (PostgreSQL) each complete their own run: the key names the folder.
    return f"{_KEY}:{reports.resolve()}"


def last_run(reports: Path) -> RunSettings | None:
    location = journal_location(reports)
    if not journal_exists(location):
        return None
    journal = open_journal(location)
    saved = journal.get_setting(_key(reports))
    if saved is None:
        saved = journal.get_setting(_KEY)  # what harness 0.1 wrote, before runners could share a journal
    if saved is None:
        return None
    try:
        return RunSettings.model_validate(saved)
    except ValidationError:
        raise HarnessError(f"the run saved in {open_journal(location).where} is not readable by this harness: "
                           "start it again with `harness run` (answers already in the journal are reused)") from None


def remember_reports(reports: Path) -> None:
    POINTER.parent.mkdir(exist_ok=True)
    POINTER.write_text(json.dumps({"reports": str(reports.resolve())}) + "\n", encoding="utf-8")


def find_reports(given: Path | None) -> tuple[Path, str | None]:
    """The reports folder to look in, and a note when it is not the one the user named or the default."""
    if given is not None:
        return given, None
    if (DEFAULT_REPORTS / "journal.sqlite").exists():
        return DEFAULT_REPORTS, None
    try:
        recorded = Path(json.loads(POINTER.read_text(encoding="utf-8"))["reports"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_REPORTS, (f"looked in {DEFAULT_REPORTS}/ (no run recorded in {POINTER}); pass --reports DIR "
                                 "for a run that wrote elsewhere")
    if (recorded / "journal.sqlite").exists():
        return recorded, f"the last `harness run` here wrote to {recorded}"
    return DEFAULT_REPORTS, (f"looked in {DEFAULT_REPORTS}/ and in {recorded} (the last run's folder): neither "
                             "has a journal; pass --reports DIR")
