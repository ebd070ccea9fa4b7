"""Sending a run's API requests: batches (default) or synchronous calls, within a budget, resumably.

Everything the driver knows lives in the journal, so any harness process (the same `harness run`
again, `harness collect`, after a crash or a kill -9) continues where the last one stopped: answered
requests are never sent again, requests in a live batch are waited for, not resubmitted.

The crash window (docs/batch.md): a batch is written to the journal as an *intent*, with its
requests claimed, BEFORE the provider is asked to create it, and confirmed with the provider's id
right after. A process that dies in between leaves an intent; the next process asks the provider
whether that batch exists (OpenAI: our id in the batch metadata; Anthropic: an unknown batch of the
intent's size, listed after our last known one) and adopts it, or else releases its requests.
"""

from __future__ import annotations

import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import HarnessError
from ..journal import Journal
from ..pricing import PriceNotFound, lookup_price
from . import _store as store
from ._estimate import estimate_cell, judge_bounds, request_bound
from ._judge import judge_requests
from ._outcomes import Success, to_answer
from ._requests import ApiRequest, CellLike, is_batchable
from ._settings import BatchSettings
from ._protocol import Collected, CreateFailed, Transport
from ._transport import transport_for

Group = tuple[str, str, str]  # provider, base_url, model id


class BudgetExceeded(HarnessError):
    """--max-cost would be (or was) exceeded: exit code 2, with the numbers."""

    exit_code = 2


@dataclass(frozen=True)
class Progress:
    total: int
    answered: int
    errors: int
    in_flight: int
    to_send: int
    spent_usd: float
    inflight_usd: float

    @property
    def done(self) -> bool:
        return self.answered + self.errors == self.total

    def line(self) -> str:
        return (f"{self.answered}/{self.total} answered, {self.errors} failed, {self.in_flight} in flight, "
                f"{self.to_send} to send; spent ${self.spent_usd:.4f} (+ up to ${self.inflight_usd:.4f} in flight)")


class Driver:
    def __init__(self, journal: Journal, settings: BatchSettings, *, batch: bool = True,
                 max_cost: float | None = None, say: Callable[[str], None] = print) -> None:
        self.j, self.settings, self.batch, self.max_cost, self.say = journal, settings, batch, max_cost, say
        self.requests: dict[str, ApiRequest] = {}
        self.bounds: dict[str, float] = {}
        self.prices: dict[str, dict[str, Any] | None] = {}  # provider/model -> suite price (None: genai-prices)
        self.unbounded: list[str] = []
        self.reserved: dict[str, float] = {}  # per judged cell: the bound of judge calls on answers still to come
        self.blocked = False  # the budget held a submission back
        self._transports: dict[str, Transport] = {}
        self._mine: set[str] = set()  # intents of this process

    # --- setup ---------------------------------------------------------------------------------

    def prepare(self, cells: list[CellLike]) -> None:
        """Make the requests of the API cells known to the journal, with their upper-bound costs."""
        for cell in cells:
            if not is_batchable(cell):
                if cell.candidate.provider in ("anthropic", "openai"):
                    self.unbounded.append(f"{cell.name} (inspect task)")
                continue
            est, reqs, bounds = estimate_cell(cell, self.batch)
            if est.upper_usd is None:
                self.unbounded.append(f"{cell.name} (no price for {cell.candidate.model})")
            price = cell.suite.prices.get(cell.candidate.model)
            self.prices[cell.candidate.model] = price.model_dump() if price else None
            self.requests.update({r.key: r for r in reqs})
            self.bounds.update(bounds)
        store.add_requests(self.j, self.requests.values(), self.bounds)

    def prepare_judges(self, cells: list[CellLike]) -> int:
        """An API judge's requests on the cells' answers that are in (with their bounds), and a bound held for
        the answers still to come (`reserved`, until they are in); returns the number of requests added."""
        added = 0
        for cell in cells:
            reqs, waiting = judge_requests([cell], self.j)
            model = str(cell.task.scorer_options["model"])
            price_row = cell.suite.prices.get(model)
            self.prices[model] = price_row.model_dump() if price_row else None
            _, per_sample = judge_bounds(cell, self.batch)
            try:
                price = lookup_price(model, cell.suite.prices)
                bounds = {r.key: request_bound(r, price, self.batch) for r in reqs}
            except PriceNotFound:
                bounds = {}
                if f"{cell.name} (no price for the judge {model})" not in self.unbounded:
                    self.unbounded.append(f"{cell.name} (no price for the judge {model})")
            new = [r for r in reqs if r.key not in self.requests]
            self.requests.update({r.key: r for r in new})
            self.bounds.update(bounds)
            store.add_requests(self.j, new, bounds)
            self.reserved[cell.name] = (per_sample or 0.0) * waiting.get(cell.name, 0)
            added += len(new)
        return added

    def transport(self, provider: str) -> Transport:
        if provider not in self._transports:
            self._transports[provider] = transport_for(provider, self.settings)
        return self._transports[provider]

    # --- budget --------------------------------------------------------------------------------

    def money(self) -> tuple[float, float, float]:
        """(spent, in-flight bound, still-to-send bound) over this run's requests, in USD."""
        states = store.states(self.j, list(self.requests))
        spent, inflight = store.money(self.j, list(self.requests))
        to_send = sum(self.bounds.get(k, 0.0) for k in self.requests
                      if states.get(k, ("pending", 0))[0] in ("pending", "retry"))
        return spent, inflight, to_send + sum(self.reserved.values())

    def check_budget(self) -> None:
        """Refuse to start when the upper estimate of this run exceeds --max-cost."""
        if self.max_cost is None:
            return
        if self.unbounded:
            raise BudgetExceeded(f"--max-cost {self.max_cost:g}: cannot bound the cost of "
                                 f"{', '.join(self.unbounded)}; leave those cells out or give prices")
        spent, inflight, to_send = self.money()
        if spent + inflight + to_send > self.max_cost:
            raise BudgetExceeded(
                f"refusing to start: the upper estimate ${spent + inflight + to_send:.4f} (spent ${spent:.4f} + in "
                f"flight up to ${inflight:.4f} + to send up to ${to_send:.4f}) exceeds --max-cost ${self.max_cost:.4f}; "
                "see `harness estimate`")

    def _affordable(self, keys: list[str]) -> list[str]:
        """The longest prefix of `keys` whose bounds fit in what the budget has left."""
        if self.max_cost is None:
            return keys
        spent, inflight = store.money(self.j, list(self.requests))
        room, out = self.max_cost - spent - inflight, []
        for key in keys:
            room -= self.bounds.get(key, 0.0)
            if room < 0:
                self.blocked = True
                break
            out.append(key)
        return out

    # --- the loop ------------------------------------------------------------------------------

    def progress(self) -> Progress:
        states = store.states(self.j, list(self.requests))
        count = {s: 0 for s in ("answered", "error", "claimed", "submitted", "pending", "retry")}
        for key in self.requests:
            count[states.get(key, ("pending", 0))[0]] += 1
        spent, inflight = store.money(self.j, list(self.requests))
        return Progress(len(self.requests), count["answered"], count["error"], count["claimed"] + count["submitted"],
                        count["pending"] + count["retry"], spent, inflight)

    def run(self, *, wait: bool = True, detach: bool = False) -> Progress:
        """Send what is to send and collect what has finished; with `wait`, until every request is
        answered or has failed for good. Raises BudgetExceeded when the budget stops the run."""
        last = ""
        while True:
            store.heartbeat(self.j, self._mine)
            self.reconcile()
            self.poll()
            self.blocked = False
            if self.batch:
                self.submit()
            else:
                self.sync_round()
            p = self.progress()
            if p.line() != last and p.total:
                self.say(f"  {p.line()}")
                last = p.line()
            if p.done:
                return p
            if self.blocked and not p.in_flight:
                raise self._stopped(p)
            if detach or not wait:
                return p
            if p.in_flight:
                time.sleep(self.settings.poll_seconds)

    def _stopped(self, p: Progress) -> BudgetExceeded:
        return BudgetExceeded(f"stopped sending: spent ${p.spent_usd:.4f} of --max-cost ${self.max_cost:.4f}, and the "
                              f"next request could take it over; {p.answered} answered (kept in the journal), "
                              f"{p.to_send} not sent. Raise --max-cost and run again to continue.")

    # --- batches -------------------------------------------------------------------------------

    def _claimable(self) -> dict[Group, list[str]]:
        states = store.states(self.j, list(self.requests))
        groups: dict[Group, list[str]] = {}
        for key, r in self.requests.items():
            if states.get(key, ("pending", 0))[0] in ("pending", "retry"):
                groups.setdefault((r.provider, r.base_url, r.model_id), []).append(key)
        return groups

    def _chunks(self, keys: list[str]) -> list[list[str]]:
        """Split by the per-batch request and byte limits."""
        chunks: list[list[str]] = [[]]
        size = 0
        for key in keys:
            n = len(str(self.requests[key].body)) + 200
            if chunks[-1] and (len(chunks[-1]) >= self.settings.max_requests or size + n > self.settings.max_bytes):
                chunks.append([])
                size = 0
            chunks[-1].append(key)
            size += n
        return [c for c in chunks if c]

    def submit(self) -> int:
        sent = 0
        for (provider, base_url, model_id), keys in self._claimable().items():
            for chunk in self._chunks(keys):
                chunk = self._affordable(chunk)
                if chunk:
                    sent += self._submit_one(provider, base_url, model_id, chunk)
        return sent

    def _submit_one(self, provider: str, base_url: str, model_id: str, keys: list[str]) -> int:
        t = self.transport(provider)
        price = self.prices.get(f"{provider}/{model_id}")
        since = time.time()
        local_id, claimed = store.claim(self.j, provider, base_url, model_id, keys, kind="intent",
                                        owner=self.settings.owner, price=price, bounds=self.bounds)
        if not claimed:
            store.finish(self.j, local_id, "abandoned", None, "nothing left to claim")
            return 0
        self._mine.add(local_id)
        items = [(key, self.requests[key].body) for key in claimed]
        try:
            created = self._create(t, local_id, items, since)
        except Exception:
            # Not an API answer (no key, a bug): nothing left, so the claim is given back. A KeyboardInterrupt
            # is not caught: the intent stays, and the next run asks the provider whether the batch exists.
            store.release(self.j, local_id, "abandoned", "batch create raised before sending", attempt_spent=False,
                          max_attempts=self.settings.max_attempts)
            raise
        if created is None:
            return 0
        remote_id, file_id = created
        if os.environ.get("HARNESS_TEST_CRASH") == "after-create":  # test hook: die inside the crash window
            os._exit(99)
        store.confirm(self.j, local_id, remote_id, file_id)
        self.say(f"  submitted {provider} batch {remote_id}: {len(items)} request(s) to {model_id}")
        return len(items)

    def _create(self, t: Transport, local_id: str, items: list[tuple[str, dict[str, Any]]],
                since: float) -> tuple[str, str | None] | None:
        """Create the batch, retrying transient failures with backoff. Before each retry the provider
        is asked whether the failed create went through after all (no idempotency keys exist)."""
        for attempt in range(self.settings.create_attempts):
            try:
                return t.create(local_id, items)
            except CreateFailed as exc:
                try:
                    found = t.find(local_id, len(items), store.known_remote_ids(self.j, t.provider), since) \
                        if exc.retryable else None
                except Exception as lookup:  # cannot tell whether it exists: leave the intent to reconcile later
                    self._mine.discard(local_id)
                    self.say(f"  {t.provider} batch create failed ({exc}) and the check failed too ({lookup}); "
                             "will look for it again")
                    return None
                if found:
                    return found, None
                if not exc.retryable or attempt + 1 == self.settings.create_attempts:
                    store.release(self.j, local_id, "failed", f"batch create failed: {exc}", attempt_spent=True,
                                  max_attempts=self.settings.max_attempts)
                    self.say(f"  {t.provider} batch of {len(items)} request(s) not created: {exc}")
                    return None
                time.sleep(min(self.settings.backoff_seconds * 2 ** attempt, 8.0))
        return None

    def poll(self) -> None:
        """Fetch the results of every live batch that has ended (any run's: the journal holds their prices)."""
        for b in store.batches(self.j, "submitted"):
            t = self.transport(b.provider)
            try:
                state = t.poll(b.remote_id or "")
                if not state.done:
                    store.update_counts(self.j, b.id, state.status, state.counts)
                    continue
                collected = t.results(b.remote_id or "")
            except Exception as exc:  # network trouble after the SDK's retries: try again next round
                self.say(f"  could not read {b.provider} batch {b.remote_id}: {type(exc).__name__}: {exc}")
                continue
            self._record(b, collected, state.status, state.counts)

    def _record(self, b: store.BatchRow, collected: Collected, status: str, counts: dict[str, Any]) -> None:
        waiting, model, limit = set(store.batch_keys(self.j, b.id)), f"{b.provider}/{b.model}", self.settings.max_attempts
        seen: set[str] = set()
        for custom_id, outcome in collected.outcomes:
            if custom_id not in waiting or custom_id in seen:
                continue  # not ours (or a duplicate line): never let it touch another request
            seen.add(custom_id)
            if isinstance(outcome, Success):
                store.record_answer(self.j, custom_id, to_answer(outcome, model, b.price, batch=True))
            else:
                store.record_failure(self.j, custom_id, b.id, outcome.message, retryable=outcome.retryable,
                                     max_attempts=limit)
        reason = collected.batch_error or f"no result for it in {b.provider} batch {b.remote_id} ({status})"
        for key in waiting - seen:  # missing from a finished batch: detected here, never waited on
            store.record_failure(self.j, key, b.id, reason, retryable=True, max_attempts=limit)
        detail = f"{status}; {collected.bad_lines} unreadable line(s)" if collected.bad_lines else status
        store.finish(self.j, b.id, "ended", counts, detail)

    # --- synchronous calls (--no-batch) --------------------------------------------------------

    def sync_round(self) -> None:
        step = max(1, self.settings.sync_concurrency * 4)
        for (provider, base_url, model_id), keys in self._claimable().items():
            for i in range(0, len(keys), step):
                chunk = self._affordable(keys[i:i + step])
                if not chunk:
                    return
                self._sync_chunk(provider, base_url, model_id, chunk)

    def _sync_chunk(self, provider: str, base_url: str, model_id: str, keys: list[str]) -> None:
        t, model = self.transport(provider), f"{provider}/{model_id}"
        price = self.prices.get(model)
        local_id, claimed = store.claim(self.j, provider, base_url, model_id, keys, kind="sync",
                                        owner=self.settings.owner, price=price, bounds=self.bounds)
        self._mine.add(local_id)

        def one(key: str) -> None:
            outcome = t.call(self.requests[key].body)
            store.heartbeat(self.j, [local_id])  # a long session stays alive to runners on other hosts
            if isinstance(outcome, Success):
                store.record_answer(self.j, key, to_answer(outcome, model, price, batch=False))
            else:
                store.record_failure(self.j, key, local_id, outcome.message, retryable=outcome.retryable,
                                     max_attempts=self.settings.max_attempts)

        with ThreadPoolExecutor(self.settings.sync_concurrency) as pool:
            list(pool.map(one, claimed))
        store.finish(self.j, local_id, "closed", {"requests": len(claimed)})

    # --- after a crash -------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Settle intents and synchronous sessions left by processes that are gone."""
        for b in store.batches(self.j, "intent", "sync"):
            beat = b.updated_at or b.created_at
            if b.id in self._mine or (_alive(b.owner) and time.time() - beat < self.settings.reconcile_grace_seconds):
                continue
            if b.status == "sync":
                store.release(self.j, b.id, "closed", "interrupted during a synchronous call", attempt_spent=True,
                              max_attempts=self.settings.max_attempts)
                continue
            t = self.transport(b.provider)
            remote_id = t.find(b.id, b.n_requests, store.known_remote_ids(self.j, b.provider), b.created_at)
            if remote_id:
                store.confirm(self.j, b.id, remote_id)
                self.say(f"  found {b.provider} batch {remote_id}, created before an interruption: waiting for it")
            else:
                store.release(self.j, b.id, "abandoned", "batch was never created", attempt_spent=False,
                              max_attempts=self.settings.max_attempts)


def _alive(owner: str | None) -> bool:
    """Is the process that wrote an intent still running? Unknown hosts count as alive (grace period)."""
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() and host != os.uname().nodename:
        return True
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True
