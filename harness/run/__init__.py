"""Running cells (task × candidate × samples) through inspect-ai, resumably.

    plan = plan_run(suites, limit=50)            # which cells, on a seeded subset of samples
    send_api_requests(plan.cells, reports)       # API cells: batches or sync calls, into the journal
    outcome = execute(plan, reports)             # inspect-ai scores every cell; finished logs are reused

Two layers make a rerun cheap: a cell whose log finished is reused whole, and inside an
unfinished cell every answer the journal already holds is replayed, not computed or paid again.
"""

from ._cells import Cell, select_sample_ids
from ._classifier import training_notes
from ._execute import RunOutcome, execute, finished_logs
from ._journaled import Replayed
from ._plan import RunPlan, plan_run
from ._rounds import DEFAULT_ROUND, is_sequential_run, round_size, round_slice, rounds_in, sample_order
from ._saved import RunSettings, find_reports, last_run, remember_reports, remember_run
from ._send import NotFinished, SendOptions, send_api_requests
from ._tasks import build_messages, build_task, load_inspect_task, to_messages

__all__ = ["DEFAULT_ROUND", "Cell", "NotFinished", "Replayed", "RunOutcome", "RunPlan", "RunSettings", "SendOptions",
           "build_messages", "build_task", "execute", "find_reports", "finished_logs", "is_sequential_run", "last_run",
           "load_inspect_task", "plan_run", "remember_reports", "remember_run", "round_size", "round_slice", "rounds_in",
           "sample_order", "select_sample_ids", "send_api_requests", "to_messages", "training_notes"]
