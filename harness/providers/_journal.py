"""inspect-ai model provider `journal/<provider>/<model>`: API answers, replayed from the journal.

harness sends API requests itself (harness/batch: provider batch APIs, or synchronous calls with
--no-batch), because inspect-ai 0.3.285's batchers fail whole batches on one bad line and wait
forever on a missing result, and cannot submit and exit. inspect then scores the cells with this
provider, which rebuilds each request body exactly as the sender did and replays its answer. A
request that failed for good becomes a sample error (the results' `error` column), not a crash.

Cells of an inspect task (`task: file.py@fn`) have requests only its solver knows; there this
provider calls the API synchronously (`live=True`) and records the answer in the journal.
"""

from __future__ import annotations

from typing import Any

import anyio
from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelCall, ModelOutput, ModelUsage
from inspect_ai.tool import ToolChoice, ToolInfo

from ..batch import (BodySettings, RequestFailed, answer_now, final_error, make_request, response_confidence,
                     response_text)
from ..journal import open_journal
from ._context import current_epoch

class JournalModelAPI(ModelAPI):
    def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                 config: GenerateConfig = GenerateConfig(), journal: str | None = None,
                 settings: dict[str, Any] | None = None, price: dict[str, Any] | None = None, live: bool = False,
                 **model_args: Any) -> None:
        # No api_key_vars: keys stay with the SDK clients (harness/batch), never in inspect's model state.
        super().__init__(model_name, base_url, None, [], config)
        if not journal:
            raise ValueError("the journal provider needs model_args journal=<path to journal.sqlite>")
        self.provider, self.model_id = model_name.split("/", 1)
        self.settings = BodySettings.from_args(settings or {})
        self.journal, self.price, self.live = open_journal(journal), price, live

    def max_connections(self) -> int:
        # Replays are instant; live calls are bounded by the SDK's own connection pool and retries.
        return 32

    def connection_key(self) -> str:
        return f"journal:{self.model_name}"

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice,
                       config: GenerateConfig) -> tuple[ModelOutput, ModelCall]:
        # (role, text) turns: all of a message that a request body depends on, as harness/batch built it
        turns = [(m.role, m.text) for m in input]
        req = make_request(self.provider, self.model_id, turns, self.settings, current_epoch())
        answer, replayed = self.journal.answered(req.key), True
        if answer is None:
            failed = final_error(self.journal, req.key)
            if failed is not None:
                raise RequestFailed(f"{self.provider} request failed: {failed}")
            if not self.live:
                raise RuntimeError("no answer in the journal for this request (was it sent?); run `harness collect` "
                                   "or the same `harness run` again")
            answer, replayed = await anyio.to_thread.run_sync(answer_now, self.journal, req, self.price), False
        text, stop = response_text(self.provider, answer.response)
        output = ModelOutput.from_content(model=self.model_id, content=text, stop_reason=stop)  # type: ignore[arg-type]
        output.usage = ModelUsage(
            input_tokens=answer.input_tokens, output_tokens=answer.output_tokens,
            input_tokens_cache_read=answer.cache_read_tokens, input_tokens_cache_write=answer.cache_write_tokens,
            total_tokens=answer.input_tokens + answer.output_tokens + answer.cache_read_tokens
            + answer.cache_write_tokens)
        output.metadata = {"batch": answer.batch, "latency_s": answer.latency_s, "cost_usd": answer.cost_usd,
                           "replayed": replayed, "journal_key": req.key,
                           "confidence": response_confidence(self.provider, answer.response)}
        return output, ModelCall.create(req.body, answer.response)
