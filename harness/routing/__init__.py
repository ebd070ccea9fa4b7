"""The routing table (`reports/routing.json`): schema, build, write, load, `pick(task)`, exports.

Applications load it at run time and pass the route to their SDK call::

    route = harness.routing.load("reports/routing.json").pick("ticket_routing")
    client.messages.create(**route.anthropic_kwargs(), messages=[...])

The document is versioned (`"schema": "harness.routing/v1"`) and validated on load by
pydantic models that forbid unknown fields and coercions: a hand-edit typo or a file from
another version fails loudly, naming the file and the field, instead of quietly routing
production traffic with half a config. Loading imports neither pandas nor inspect-ai, so it
stays cheap inside an application. See docs/routing.md.
"""

from ..criteria import Criteria
from ._build import build_table
from ._export import LOCAL_API_BASE, litellm_params, to_litellm, to_litellm_yaml, to_python
from ._file import load, parse, write
from ._schema import (ANTHROPIC_DEFAULT_MAX_TOKENS, SCHEMA, SUPPORTED_SCHEMAS, Evidence, GenerateSettings, Reference,
                      Route, RoutingTable, Score, TaskRoute, Unrouted, VerdictRow)

__all__ = ["ANTHROPIC_DEFAULT_MAX_TOKENS", "LOCAL_API_BASE", "SCHEMA", "SUPPORTED_SCHEMAS", "Criteria", "Evidence",
           "GenerateSettings", "Reference", "Route", "RoutingTable", "Score", "TaskRoute", "Unrouted", "VerdictRow",
           "build_table", "litellm_params", "load", "parse", "to_litellm", "to_litellm_yaml", "to_python", "write"]
