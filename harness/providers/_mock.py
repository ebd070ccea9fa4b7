"""Instant answers for inspect-ai's `mockllm` provider that work offline.

inspect-ai 0.3.285's mockllm fills in missing usage by counting tokens with
a tiktoken encoding it downloads on first use, which fails without network.
Outputs that carry their own usage skip that path, so harness gives mockllm
candidates such outputs unless the caller supplied `custom_outputs`.
"""

from __future__ import annotations

from typing import Any, Callable

from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, ModelUsage
from inspect_ai.tool import ToolChoice, ToolInfo

DEFAULT_TEXT = "Default output from mockllm/model"


def instant_outputs(text: str = DEFAULT_TEXT) -> Callable[..., ModelOutput]:
    def answer(input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice,
               config: GenerateConfig) -> ModelOutput:
        # Whitespace "tokens": a stand-in count, documented as such, never priced as real usage.
        n_in = sum(len(m.text.split()) for m in input)
        output = ModelOutput.from_content(model="mockllm", content=text)
        output.usage = ModelUsage(input_tokens=n_in, output_tokens=len(text.split()),
                                  total_tokens=n_in + len(text.split()))
        return output

    return answer


def offline_model_args(provider: str, model_args: dict[str, Any]) -> dict[str, Any]:
    if provider == "mockllm" and "custom_outputs" not in model_args:
        return {**model_args, "custom_outputs": instant_outputs()}
    return model_args
