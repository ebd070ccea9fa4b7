"""inspect-ai model provider `local/...`: GGUF models in-process through llama-cpp-python.

Prompt caching is a candidate setting here as it is for the APIs (`cache_prompt: true`). llama.cpp can
reuse the KV cache of the longest common token prefix with the previous call of a context, so samples
that share a system prompt and few-shot turns only pay for their own suffix. A cached candidate gets a
context of its own (one "slot", as llama.cpp's server keeps one per client), so other candidates' calls
never evict its prefix; every other call starts from an empty KV cache and pays for its whole prompt.
Local calls are priced by measured compute time, so the saving shows up in the cost as it would on the
machine that serves them, and the two are separate journal entries (the body says `cache_prompt`).

A model file with a chat template (an instruction-tuned model) gets the turns through it
(create_chat_completion). A base model (`prompt="completion"` in harness/local_models.py, or a .gguf
without a chat template) gets them as one plain text, `local_models.completion_prompt`, continued by
create_completion up to the blank line that would start the next turn: llama-cpp-python's fallback for a
file without a template is the llama-2 [INST] format, which a base model does not follow.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
import time
from typing import Any

import anyio
from inspect_ai.model import ChatMessage, GenerateConfig, ModelAPI, ModelCall, ModelOutput, ModelUsage
from inspect_ai.tool import ToolChoice, ToolInfo

from ..batch import answer_probability
from ..journal import Answer, open_journal, request_key
from ..local_models import TURN_END, completion_prompt, prompt_style, resolve_model_path
from ._context import current_epoch

_models: dict[tuple[str, int, int, bool, str], Any] = {}
_load_lock = threading.Lock()


@atexit.register
def _close_models() -> None:
    # A Llama left to its __del__ at interpreter shutdown frees its model after llama_cpp's module
    # globals are gone, and prints "Exception ignored ... TypeError" under a finished run; closing
    # while the interpreter is whole avoids that.
    with _load_lock:
        for llm in _models.values():
            llm.close()
        _models.clear()


_run_lock = threading.Lock()  # llama.cpp contexts are not re-entrant
DEFAULT_MAX_TOKENS = 128


def _llama(path: str, n_ctx: int, n_threads: int, logits_all: bool = False, slot: str = "") -> Any:
    from llama_cpp import Llama  # imported late: only local runs need the compiled extension

    # llama.cpp returns logprobs only from a context built with logits_all, which keeps every
    # position's logits (more memory); so only candidates that ask for logprobs get such a context.
    with _load_lock:
        key = (path, n_ctx, n_threads, logits_all, slot)
        if key not in _models:
            _models[key] = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False, seed=0,
                                 logits_all=logits_all)
        return _models[key]


class LocalModelAPI(ModelAPI):
    def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                 config: GenerateConfig = GenerateConfig(), journal: str | None = None, n_ctx: int = 2048,
                 n_threads: int | None = None, cache_prompt: bool = False, cache_slot: str = "",
                 **model_args: Any) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        self.path = str(resolve_model_path(model_name))
        self.prompt_style = prompt_style(model_name)  # None: the file says (no chat template: completion)
        self.n_ctx, self.n_threads = n_ctx, n_threads or os.cpu_count() or 1
        self.journal = open_journal(journal) if journal else None
        self.cache_prompt, self.cache_slot = cache_prompt, f"cache:{cache_slot}" if cache_prompt else ""
        self.calls = 0  # requests that reached the model (not replayed), for tests and benchmarks

    def max_connections(self) -> int:
        return 1

    def connection_key(self) -> str:
        return f"local:{self.path}"

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice,
                       config: GenerateConfig) -> tuple[ModelOutput, ModelCall]:
        messages = [{"role": m.role, "content": m.text} for m in input]
        body = {"messages": messages, "max_tokens": config.max_tokens or DEFAULT_MAX_TOKENS,
                # Greedy unless asked otherwise: runs must be reproducible to be resumable.
                "temperature": config.temperature if config.temperature is not None else 0.0,
                "top_p": config.top_p if config.top_p is not None else 1.0,
                "stop": config.stop_seqs or [], "seed": config.seed, "epoch": current_epoch()}
        if config.logprobs:  # only then: the bodies (journal keys) of other candidates stay as they were
            body["logprobs"] = True
        if self.cache_prompt:  # likewise: a cached call costs less compute, so it is an answer of its own
            body["cache_prompt"] = True
        key = request_key("local", None, self.model_name, body)
        answer = self.journal.answered(key) if self.journal else None
        replayed = answer is not None
        if answer is None:
            if self.journal:
                self.journal.mark_sent(key, "local", None, self.model_name, body)
            answer = await anyio.to_thread.run_sync(self._complete, body, key)
            if self.journal:
                self.journal.record_answer(key, answer)
        output = ModelOutput.from_content(model=self.model_name, content=answer.response["content"],
                                          stop_reason=answer.response["stop_reason"])
        output.usage = ModelUsage(input_tokens=answer.input_tokens, output_tokens=answer.output_tokens,
                                  total_tokens=answer.input_tokens + answer.output_tokens)
        output.time = answer.compute_s
        output.metadata = {"compute_s": answer.compute_s, "replayed": replayed, "journal_key": key,
                           "confidence": answer.response.get("confidence")}
        return output, ModelCall.create(body, answer.response)

    def _complete(self, body: dict[str, Any], key: str) -> Answer:
        logprobs = bool(body.get("logprobs"))
        llm = _llama(self.path, self.n_ctx, self.n_threads, logits_all=logprobs, slot=self.cache_slot)
        seed = body["seed"] if body["seed"] is not None else int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
        completion = self.prompt_style == "completion" or (
            self.prompt_style is None and "tokenizer.chat_template" not in llm.metadata)
        with _run_lock:
            self.calls += 1
            if not self.cache_prompt:
                llm.reset()  # an empty KV cache: the whole prompt is computed, as without prompt caching
            start = time.perf_counter()
            if completion:
                result = llm.create_completion(
                    completion_prompt(body["messages"]), max_tokens=body["max_tokens"],
                    temperature=body["temperature"], top_p=body["top_p"], stop=[*body["stop"], TURN_END],
                    seed=seed, **({"logprobs": 1} if logprobs else {}))
            else:
                result = llm.create_chat_completion(
                    messages=body["messages"], max_tokens=body["max_tokens"], temperature=body["temperature"],
                    top_p=body["top_p"], stop=body["stop"] or None, seed=seed,
                    **({"logprobs": True, "top_logprobs": 1} if logprobs else {}))
            elapsed = time.perf_counter() - start
        choice, usage = result["choices"][0], result["usage"]
        stop = {"length": "max_tokens", "stop": "stop"}.get(choice.get("finish_reason") or "stop", "unknown")
        if completion:  # the continuation starts after "Queue:", with the space that joins an answer to its turn
            content, token_logprobs = choice["text"].lstrip(), _completion_logprobs(choice.get("logprobs"))
        else:
            content, token_logprobs = choice["message"]["content"] or "", choice.get("logprobs")
        return Answer(response={"content": content, "stop_reason": stop,
                                "confidence": answer_probability(token_logprobs)},
                      input_tokens=usage["prompt_tokens"], output_tokens=usage["completion_tokens"],
                      compute_s=elapsed)


def _completion_logprobs(logprobs: dict[str, Any] | None) -> dict[str, Any] | None:
    """create_completion's logprobs (parallel `tokens` / `token_logprobs` lists) in the chat shape
    (`content`: one {token, logprob} per token) that answer_probability reads."""
    if not logprobs:
        return None
    return {"content": [{"token": t, "logprob": lp}
                        for t, lp in zip(logprobs.get("tokens") or [], logprobs.get("token_logprobs") or [])]}
