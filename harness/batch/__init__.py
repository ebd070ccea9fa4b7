"""API candidates through the providers' batch APIs: requests, journal state, budget, collection.

The public surface:

- `cell_requests(cell)` / `build_body(...)`: the exact provider request bodies of a cell;
- `Driver`: prepares a run's requests in the journal, enforces `--max-cost`, submits batches (or
  synchronous calls with `batch=False`), polls and collects them, survives crashes;
- `estimate(plan)` / `format_estimate(rows)`: upper-bound costs before anything is sent;
- `status_text(journal, settings)`: what is in flight and what has been spent;
- `BatchSettings`: the knobs (poll interval, attempts, batch size...) read from the environment.

See docs/batch.md for the design, the crash windows and the fault handling.
"""

from ._driver import BudgetExceeded, Driver, Progress
from ._estimate import CellEstimate, approx_tokens, estimate, format_estimate
from ._requests import API_PROVIDERS, ApiRequest, BodySettings, build_body, cell_requests, dropped_settings
from ._settings import BatchSettings
from ._status import status_text

__all__ = [
    "API_PROVIDERS",
    "ApiRequest",
    "BatchSettings",
    "BodySettings",
    "BudgetExceeded",
    "CellEstimate",
    "Driver",
    "Progress",
    "approx_tokens",
    "build_body",
    "cell_requests",
    "dropped_settings",
    "estimate",
    "format_estimate",
    "status_text",
]
