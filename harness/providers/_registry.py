"""inspect-ai entry point: importing this module registers harness's model providers.

pyproject.toml declares it under [project.entry-points.inspect_ai], so
`inspect eval ... --model local/smollm2-135m-instruct` works in any project
that installs harness, not only through the `harness` command.
"""

from inspect_ai.model import modelapi


@modelapi(name="local")
def local() -> type:
    from ._local import LocalModelAPI  # deferred: keeps `import inspect_ai` cheap for API-only users

    return LocalModelAPI


@modelapi(name="journal")
def journal() -> type:
    from ._journal import JournalModelAPI  # API answers replayed from harness's journal (harness/batch)

    return JournalModelAPI


@modelapi(name="openai-compatible")
def openai_compatible() -> type:
    from ._endpoint import EndpointModelAPI  # a self-hosted server (vLLM, TGI, llama.cpp, Ollama) via the openai SDK

    return EndpointModelAPI


@modelapi(name="classifier")
def classifier() -> type:
    from ._classifier import ClassifierModelAPI  # a text classifier trained on the task's `train:` records

    return ClassifierModelAPI
