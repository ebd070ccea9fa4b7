"""The transport of a provider: the one place that picks between Anthropic and OpenAI."""

from __future__ import annotations

from typing import Any

from ._protocol import Transport


def transport_for(provider: str, settings: Any) -> Transport:
    # Each SDK is imported when its provider is first used: `harness status --offline` and runs
    # with only one provider's candidates do not pay for loading the other.
    if provider == "anthropic":
        from ._anthropic import AnthropicTransport

        return AnthropicTransport(settings)
    if provider == "openai":
        from ._openai import OpenAITransport

        return OpenAITransport(settings)
    raise ValueError(f"no transport for provider {provider!r}")
