"""Sending the API cells' requests before inspect-ai scores them (harness/batch does the sending)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..batch import API_PROVIDERS, BatchSettings, Driver, Progress
from ..errors import HarnessError
from ..journal import journal_location, open_journal
from ._cells import Cell
from ._execute import finished_logs


@dataclass(frozen=True)
class SendOptions:
    """How API cells send their requests (harness/batch)."""

    batch: bool = True  # provider batch APIs (half price); False: synchronous calls
    max_cost: float | None = None  # USD cap over this run's API requests (spent + in flight + to send)
    detach: bool = False  # submit and return without waiting
    wait: bool = True  # poll until every request is answered or failed for good
    check_budget: bool = True  # refuse up front when the upper estimate exceeds max_cost


class NotFinished(HarnessError):
    """Requests are still in flight: come back later (`harness collect`)."""

    exit_code = 3


def send_api_requests(cells: Iterable[Cell], reports: Path, options: SendOptions = SendOptions(),
                      say: Callable[[str], None] = print) -> Progress | None:
    """Send (or keep waiting for) the requests of the API cells that have no finished log yet.

    Returns None when there is nothing to send. Raises BudgetExceeded (exit 2) when --max-cost refuses
    or stops the run, NotFinished (exit 3) when not waiting and requests are still out."""
    done = finished_logs(reports / "logs")
    todo = [c for c in cells if c.candidate.provider in API_PROVIDERS and c.key not in done]
    if not todo:
        return None
    driver = Driver(open_journal(journal_location(reports)), BatchSettings.from_env(), batch=options.batch,
                    max_cost=options.max_cost, say=say)
    driver.prepare(todo)
    if options.check_budget:
        driver.check_budget()
    progress = driver.run(wait=options.wait and not options.detach, detach=options.detach)
    if not progress.done and not options.detach:
        raise NotFinished(f"not finished yet: {progress.line()}; run `harness collect` again later "
                          "(or `harness collect --wait`)")
    return progress
