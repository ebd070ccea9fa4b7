"""inspect-ai model provider `openai-compatible/<name>`: a self-hosted OpenAI-compatible server.

vLLM, TGI, llama.cpp's server, Ollama or a fine-tuned LoRA behind any of them, reached with the `openai`
SDK's chat completions (its own retries). Like `local/`, every answer goes into the journal before the
sample is scored, keyed by server, model and body, so a rerun replays it instead of calling again.
Requests in flight are bounded per server (`max_concurrency`), and each answer records its latency and
its share of the server's busy time (`_busy`), which prices servers rented by the hour.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import anyio
from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelCall, ModelOutput, ModelUsage
from inspect_ai.tool import ToolChoice, ToolInfo

from ..candidates import ENDPOINT_MAX_TOKENS, ENDPOINT_PROVIDER, check_base_url
from ..journal import Answer, open_journal, request_key
from ._busy import server
from ._context import current_epoch

_STOP = {"stop": "stop", "length": "max_tokens", "content_filter": "content_filter", "tool_calls": "tool_calls"}


class EndpointModelAPI(ModelAPI):
    def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                 config: GenerateConfig = GenerateConfig(), journal: str | None = None,
                 api_key_env: str | None = None, served_model: str | None = None, max_concurrency: int = 4,
                 max_retries: int = 2, timeout: float = 600.0, **model_args: Any) -> None:
        # No api_key into inspect's state: the key is read from `api_key_env` when a client is made, so it
        # is in no log, no model_args and no journal row.
        super().__init__(model_name, base_url, None, [], config)
        if not base_url:
            raise ValueError(f"{ENDPOINT_PROVIDER}/{model_name} needs base_url=http://host:port/v1 "
                             "(a suite's `endpoints:` entry, or -M base_url=... with inspect eval)")
        self.url = check_base_url(base_url) or base_url
        self.served_model = served_model or model_name
        self.api_key_env, self.max_retries, self.timeout = api_key_env, max_retries, timeout
        self.server = server(self.url, max_concurrency)
        self.journal = open_journal(journal) if journal else None
        self._client: Any = None
        self._client_lock = threading.Lock()

    def max_connections(self) -> int:
        return self.server.max_concurrency

    def connection_key(self) -> str:
        return self.url  # candidates on one server share its bound, whatever their names

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice,
                       config: GenerateConfig) -> tuple[ModelOutput, ModelCall]:
        body = request_body(self.served_model, [(m.role, m.text) for m in input], config)
        key = request_key(ENDPOINT_PROVIDER, self.url, self.served_model, {"body": body, "epoch": current_epoch()})
        answer = self.journal.answered(key) if self.journal else None
        replayed = answer is not None
        if answer is None:
            if self.journal:
                self.journal.mark_sent(key, ENDPOINT_PROVIDER, self.url, self.served_model, body)
            try:
                answer = await anyio.to_thread.run_sync(self._complete, body)
            except Exception as exc:
                if self.journal:  # an error is not an answer: the next run sends the request again
                    self.journal.record_error(key, f"{type(exc).__name__}: {exc}")
                raise
            if self.journal:
                self.journal.record_answer(key, answer)
        output = ModelOutput.from_content(model=self.served_model, content=answer.response["content"],
                                          stop_reason=answer.response["stop_reason"])
        output.usage = ModelUsage(input_tokens=answer.input_tokens, output_tokens=answer.output_tokens,
                                  input_tokens_cache_read=answer.cache_read_tokens or None,
                                  total_tokens=answer.input_tokens + answer.output_tokens + answer.cache_read_tokens)
        output.time = answer.latency_s
        output.metadata = {"latency_s": answer.latency_s, "busy_s": answer.compute_s, "replayed": replayed,
                           "journal_key": key, "endpoint": self.url}
        return output, ModelCall.create(body, answer.response)

    def _complete(self, body: dict[str, Any]) -> Answer:
        client = self._sdk()
        with self.server.call() as busy:
            start = time.perf_counter()
            completion = client.chat.completions.create(**body)
            latency = time.perf_counter() - start
        return to_answer(completion.model_dump(), latency, busy[0])

    def _sdk(self) -> Any:
        with self._client_lock:
            if self._client is None:
                import openai

                self._client = openai.OpenAI(base_url=self.url, api_key=endpoint_key(self.api_key_env),
                                             max_retries=self.max_retries, timeout=self.timeout)
            return self._client


def endpoint_key(api_key_env: str | None) -> str:
    """The key to send: the named variable's value; servers without keys get the SDK a placeholder."""
    if api_key_env is None:
        return "none"
    value = os.environ.get(api_key_env)
    if not value:
        raise RuntimeError(f"the environment variable {api_key_env} (api_key_env) is not set; export it with the "
                           "server's API key")
    return value


def request_body(served_model: str, turns: list[tuple[str, str]], config: GenerateConfig) -> dict[str, Any]:
    """The chat completions body of one request; it is hashed into the journal key, so it holds only what
    changes the answer and is built the same way every time."""
    body: dict[str, Any] = {"model": served_model, "messages": [{"role": r, "content": t} for r, t in turns],
                            "max_tokens": config.max_tokens or ENDPOINT_MAX_TOKENS,
                            # greedy unless asked otherwise, like local/: servers default to sampling (0.7-1.0)
                            "temperature": config.temperature if config.temperature is not None else 0.0}
    if config.top_p is not None:
        body["top_p"] = config.top_p
    if config.stop_seqs:
        body["stop"] = list(config.stop_seqs)
    if config.seed is not None:
        body["seed"] = config.seed
    return body


def to_answer(completion: dict[str, Any], latency_s: float, busy_s: float) -> Answer:
    """A chat completion as the journal keeps it, with the server's own token counts.

    `prompt_tokens` includes `prompt_tokens_details.cached_tokens` (vLLM with prefix caching reports it),
    so cached tokens are split out as cache reads, as for the OpenAI API (pricing.Usage.from_openai)."""
    choice = (completion.get("choices") or [{}])[0]
    usage = completion.get("usage") or {}
    prompt, out = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    cached = min(int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0), prompt)
    response = {"content": (choice.get("message") or {}).get("content") or "",
                "stop_reason": _STOP.get(choice.get("finish_reason") or "stop", "unknown"),
                "usage": usage, "id": completion.get("id"), "model": completion.get("model")}
    return Answer(response=response, input_tokens=prompt - cached, output_tokens=out, cache_read_tokens=cached,
                  compute_s=busy_s, latency_s=latency_s)
