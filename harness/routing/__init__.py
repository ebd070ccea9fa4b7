"""The routing table (`reports/routing.json`): schema, build, write, load, `pick(task)`, exports.

Applications load it at run time and pass the route to their SDK call::

    route = harness.routing.load("reports/routing.json").pick("ticket_routing")
    client.messages.create(**route.anthropic_kwargs({"text": ticket}))   # model, settings, system=, messages=

A route carries the prompt it was evaluated with (system prompt, user template, few-shot turns,
or only their sha256), so `route.messages(record)` is what the eval sent for that record.
A task's route may be compound (a cascade of steps with acceptance checks, or a router):
`route.call(client_fn, record)` runs it through the application's own SDK call.
The document is versioned (`"schema": "harness.routing/v3"` when a route is compound, else v2; v2 and v1
files still load) and validated on load by
pydantic models that forbid unknown fields and coercions: a hand-edit typo or a file from
another version fails loudly, naming the file and the field, instead of quietly routing
production traffic with half a config. Loading imports neither pandas nor inspect-ai, so it
stays cheap inside an application. See docs/routing.md.
"""

from ..criteria import Criteria
from ._build import NO_PROMPT_GIVEN, PromptMode, TaskPrompt, build_table
from ._call import Call, CallResult, ClientFn, TokenUsage, read_confidence, read_text, read_usage
from ._compound import (Compound, CascadePolicy, CompoundError, Price, RouterArtifact, RouterPolicy, ScorerSpec, Step,
                        artifact_text)
from ._export import LITELLM_PROMPTS, LOCAL_API_BASE, litellm_params, to_litellm, to_litellm_yaml, to_python
from ._file import load, parse, write
from ._prompt import PromptError, PromptHashes, PromptSpec, Record, Shot, shots_json
from ._schema import (ANTHROPIC_DEFAULT_MAX_TOKENS, SCHEMA, SUPPORTED_SCHEMAS, V1, V2, Evidence, GenerateSettings,
                      Reference, Route, RoutingTable, Score, TaskRoute, Unrouted, VerdictRow)

__all__ = ["ANTHROPIC_DEFAULT_MAX_TOKENS", "LITELLM_PROMPTS", "LOCAL_API_BASE", "NO_PROMPT_GIVEN", "SCHEMA",
           "SUPPORTED_SCHEMAS", "V1", "V2", "Call", "CallResult", "CascadePolicy", "ClientFn", "Compound", "CompoundError",
           "Criteria", "Evidence", "GenerateSettings", "Price", "PromptError", "PromptHashes", "PromptMode",
           "PromptSpec", "Record", "Reference", "RouterArtifact", "RouterPolicy", "Route", "RoutingTable", "Score",
           "ScorerSpec", "Shot", "Step", "TaskPrompt", "TaskRoute", "TokenUsage", "Unrouted", "VerdictRow",
           "artifact_text", "build_table", "litellm_params", "load", "parse", "read_confidence", "read_text",
           "read_usage", "shots_json", "to_litellm", "to_litellm_yaml", "to_python", "write"]
