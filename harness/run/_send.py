"""Sending the API cells' requests before inspect-ai scores them (harness/batch does the sending)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..batch import API_PROVIDERS, BatchSettings, Driver, Progress, api_judge, judged_ahead
from ..errors import HarnessError, InputError
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
    cells = [c for c in cells if c.key not in done]
    check_judges(cells, options, say)
    todo = [c for c in cells if c.candidate.provider in API_PROVIDERS]
    judged = [c for c in todo if api_judge(c) is not None and judged_ahead(c)]
    if not todo:
        return None
    journal = open_journal(journal_location(reports))
    driver = Driver(journal, BatchSettings.from_env(), batch=options.batch, max_cost=options.max_cost, say=say)
    driver.prepare(todo)
    driver.prepare_judges(judged)  # what can be judged now; a bound held for the answers still to come
    if options.check_budget:
        driver.check_budget()
    progress = driver.run(wait=options.wait and not options.detach, detach=options.detach)
    if progress.done and judged:
        # The candidates' answers are in: the rest of the judge's requests can be built and sent the same way.
        added = driver.prepare_judges(judged)
        if added:
            say(f"  judge: {added} request(s) for the answers of {len(judged)} cell(s)")
            progress = driver.run(wait=options.wait and not options.detach, detach=options.detach)
    if not progress.done and not options.detach:
        raise NotFinished(f"not finished yet: {progress.line()}; run `harness collect` again later "
                          "(or `harness collect --wait`)")
    return progress


def check_judges(cells: list[Cell], options: SendOptions, say: Callable[[str], None] = print) -> None:
    """Before anything is sent: answers that only inspect produces (local, endpoint candidates) are judged
    while inspect scores, synchronously and outside --max-cost, which is therefore refused for them."""
    judged = [c for c in cells if api_judge(c) is not None]
    live = sorted({c.name for c in judged if not judged_ahead(c)})
    if live and options.max_cost is not None:
        raise InputError(f"{', '.join(live)}: --max-cost does not bound an API judge's calls on answers that only "
                         "inspect produces (local and endpoint candidates); run without --max-cost", title="usage")
    if live and options.batch:
        say(f"  note: the judge's calls for {', '.join(live)} are synchronous (full price): their answers exist "
            "only while inspect scores them")
