"""inspect-ai model providers of harness's own, registered through the `inspect_ai` entry point.

- `local/<model>`: GGUF models in-process through llama-cpp-python (`_local`);
- `journal/<provider>/<model>`: API answers replayed from the journal that harness/batch filled (`_journal`);
- `openai-compatible/<name>`: a self-hosted OpenAI-compatible server, answers kept in the journal (`_endpoint`);
- `classifier/<kind>`: a text classifier trained on a task's `train:` records, not an LLM (`_classifier`);
  `endpoint_stats()` says what this process sent to each server (`_busy`);
- `offline_model_args`: inspect's `mockllm` made to work offline (`_mock`).
"""

from ._busy import EndpointStats, endpoint_stats, reset_endpoint_stats
from ._mock import instant_outputs, offline_model_args

__all__ = ["EndpointStats", "endpoint_stats", "instant_outputs", "offline_model_args", "reset_endpoint_stats"]
