"""Suites: the file format (`evalsets/*.yaml`), validation with precise errors, datasets, prompts.

    from harness.suite import load_suites
    suites = load_suites([Path("evalsets/support.yaml")])   # InputError (exit 2) lists every problem

The format's reference is docs/suite-format.md, generated from the models in `_format`
(`harness schema` prints their JSON Schema, which editors use to check suite files).
"""

from ._format import EndpointSettings, LocalSettings, PromptVariant, SequentialSettings, SuiteFile, TaskFields
from ._load import DEFAULT_SUITES, find_suites, load_suite, load_suites
from ._model import Endpoint, Suite, TaskDef, Variant
from ._prompts import PLACEHOLDER, Turn, as_text, chat_turns, render, shot_turns
from ._schema import json_schema, markdown_reference, schema_text

__all__ = ["DEFAULT_SUITES", "PLACEHOLDER", "Endpoint", "EndpointSettings", "LocalSettings", "PromptVariant", "SequentialSettings", "Suite",
           "SuiteFile", "TaskDef", "TaskFields", "Turn", "Variant", "as_text", "chat_turns", "find_suites",
           "json_schema", "load_suite", "load_suites", "markdown_reference", "render", "schema_text",
           "shot_turns"]
