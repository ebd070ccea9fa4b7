"""One request answered now, synchronously, and recorded in the journal like the driver records answers.

For cells of an inspect task (`task: file.py@fn`): only its solver knows the requests, so the
journal provider (harness/providers) calls the API while inspect runs the task.
"""

from __future__ import annotations

from typing import Any

from ..journal import Answer, Journal
from . import _store as store
from ._outcomes import Success, to_answer
from ._requests import ApiRequest
from ._settings import BatchSettings
from ._transport import transport_for


class RequestFailed(RuntimeError):
    """The provider answered this request with an error, for good (after harness's bounded retries)."""


def final_error(j: Journal, key: str) -> str | None:
    """The error a request failed with for good, if it did."""
    rows = j.query("SELECT status, error FROM requests WHERE key=?", (key,))
    if not rows or rows[0][0] != "error":
        return None
    return rows[0][1] or "no error text recorded"


def answer_now(j: Journal, req: ApiRequest, price: dict[str, Any] | None) -> Answer:
    """Send `req` synchronously (SDK retries included) and record its answer; RequestFailed if it fails."""
    store.add_requests(j, [req], {})
    j.execute("UPDATE requests SET status='claimed', attempts=attempts+1, sent_count=sent_count+1 WHERE key=?",
              (req.key,))
    outcome = transport_for(req.provider, BatchSettings.from_env()).call(req.body)
    if not isinstance(outcome, Success):
        j.execute("UPDATE requests SET status='error', error=? WHERE key=?", (outcome.message, req.key))
        raise RequestFailed(f"{req.provider} request failed: {outcome.message}")
    answer = to_answer(outcome, req.model, price, batch=False)
    store.record_answer(j, req.key, answer)
    return answer
