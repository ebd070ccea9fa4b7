"""API candidates through the providers' batch APIs: requests, journal state, budget, collection.

The public surface:

- `cell_requests(cell)` / `build_body(...)` / `make_request(...)`: the exact provider request bodies;
- `Driver`: prepares a run's requests in the journal, enforces `--max-cost`, submits batches (or
  synchronous calls with `batch=False`), polls and collects them, survives crashes;
- `answer_now(journal, request, price)`: one synchronous call, recorded (inspect-task cells);
- `estimate(cells)` / `format_estimate(rows)`: upper-bound costs before anything is sent;
- `status_text(journal, settings)`: what is in flight and what has been spent;
- `BatchSettings`: the knobs (poll interval, attempts, batch size...) read from the environment.

See docs/batch.md for the design, the crash windows and the fault handling.
"""

from ._driver import BudgetExceeded, Driver, Progress
from ._estimate import CellEstimate, approx_tokens, estimate, format_estimate
from ._judge import api_judge, is_reference, judge_requests, judge_settings, judged_ahead
from ._live import RequestFailed, answer_now, final_error
from ._outcomes import answer_probability, response_confidence, response_text
from ._requests import (API_PROVIDERS, ApiRequest, BodySettings, CellLike, build_body, cell_requests,
                        dropped_settings, make_request, setting_notes)
from ._settings import BatchSettings
from ._status import status, status_text

__all__ = [
    "API_PROVIDERS",
    "ApiRequest",
    "BatchSettings",
    "BodySettings",
    "BudgetExceeded",
    "CellEstimate",
    "CellLike",
    "Driver",
    "Progress",
    "RequestFailed",
    "answer_now",
    "api_judge",
    "is_reference",
    "judge_requests",
    "judge_settings",
    "judged_ahead",
    "approx_tokens",
    "build_body",
    "cell_requests",
    "dropped_settings",
    "estimate",
    "final_error",
    "format_estimate",
    "make_request",
    "answer_probability",
    "response_confidence",
    "response_text",
    "setting_notes",
    "status",
    "status_text",
]
