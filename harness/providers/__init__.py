"""inspect-ai model providers of harness's own, registered through the `inspect_ai` entry point.

- `local/<model>`: GGUF models in-process through llama-cpp-python (`_local`);
- `journal/<provider>/<model>`: API answers replayed from the journal that harness/batch filled (`_journal`);
- `offline_model_args`: inspect's `mockllm` made to work offline (`_mock`).
"""

from ._mock import instant_outputs, offline_model_args

__all__ = ["instant_outputs", "offline_model_args"]
