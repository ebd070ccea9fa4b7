"""Few-shot ticket routing on the first N bundled tickets, per local model: how many each gets right.

    python benchmarks/ticket_routing.py [--n 40] [--styles]

The prompt is the support suite's `few_shot` variant of `ticket_routing` (its system text, twelve banking77
shots, "Message: ...\\nQueue:"), sent through the `local/` provider as `harness run` sends it: SmolLM2 through its
chat template, Gemma 3 270M (a base model) as a completion-style prompt. `--styles` also asks each model
directly through llama.cpp in both styles (chat template, or llama-cpp-python's fallback where the file
has none; and completion), which shows why the base model needs the completion path. Greedy, so the
figures repeat. Both model files must be fetched (`harness models fetch --all`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

from harness.local_models import LOCAL_MODELS, TURN_END, completion_prompt, resolve_model_path
from harness.scorers import exact
from harness.suite import chat_turns, load_suite

ROOT = Path(__file__).resolve().parents[1]


def few_shot_prompts(n: int) -> tuple[list[list[tuple[str, str]]], list[str], int]:
    task = next(t for t in load_suite(ROOT / "evalsets" / "support.yaml").tasks if t.name == "ticket_routing")
    candidate = next(c for c in task.candidates if c.prompt == "few_shot")
    records = task.records[:n]
    turns = [chat_turns(task.variants["few_shot"], r, task.target_field) for r in records]
    return turns, [str(r[task.target_field]) for r in records], candidate.max_tokens or 4


async def through_provider(name: str, turns: list[list[tuple[str, str]]], max_tokens: int) -> list[str]:
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model

    kinds = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
    model = get_model(f"local/{name}", config=GenerateConfig(max_tokens=max_tokens, temperature=0))
    outs = []
    for record_turns in turns:
        output = await model.generate([kinds[role](content=text) for role, text in record_turns])
        outs.append(output.completion)
    return outs


def direct(name: str, turns: list[list[tuple[str, str]]], max_tokens: int, style: str) -> list[str]:
    from llama_cpp import Llama

    llm = Llama(model_path=str(resolve_model_path(name)), n_ctx=2048, n_threads=os.cpu_count(), verbose=False, seed=0)
    outs = []
    for record_turns in turns:
        messages = [{"role": role, "content": text} for role, text in record_turns]
        if style == "chat":
            choice = llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0)["choices"][0]
            outs.append(choice["message"]["content"] or "")
        else:
            choice = llm.create_completion(completion_prompt(messages), max_tokens=max_tokens, temperature=0,
                                           stop=[TURN_END])["choices"][0]
            outs.append(choice["text"].lstrip())
    return outs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40, help="the first N tickets of evalsets/data/tickets.jsonl")
    ap.add_argument("--styles", action="store_true", help="also both prompt styles per model, straight through llama.cpp")
    args = ap.parse_args()
    turns, targets, max_tokens = few_shot_prompts(args.n)
    print(f"few-shot ticket routing, first {len(turns)} tickets, max_tokens {max_tokens}, greedy "
          f"(chance: {len(turns) / 4:.0f})")
    for name, spec in LOCAL_MODELS.items():
        ways = [f"harness ({spec.prompt})", *(["llama.cpp chat", "llama.cpp completion"] if args.styles else [])]
        for how in ways:
            start = time.perf_counter()
            if how.startswith("harness"):
                outs = asyncio.run(through_provider(name, turns, max_tokens))
            else:
                outs = direct(name, turns, max_tokens, how.split()[-1])
            seconds = time.perf_counter() - start
            right = sum(int(exact(o, t)) for o, t in zip(outs, targets))
            print(f"{name:22s} {how:22s} {right:3d}/{len(turns)}  {seconds / len(turns) * 1000:6.0f} ms/ticket  "
                  f"first answers: {[o[:12] for o in outs[:4]]}")


if __name__ == "__main__":
    main()
