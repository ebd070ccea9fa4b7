"""Exports of a routing table for applications that do not import harness.

- `to_litellm`: a LiteLLM router `model_list`, one entry per task (its `model_name`) plus
  `default`, so an application calls `router.completion(model=task, ...)`, and beside it
  `harness_prompts`, the prompt of each entry: LiteLLM has no place for one.
- `to_python`: a self-contained Python module (`ROUTES`, `DEFAULT`, `pick`, `messages`) to vendor.

A compound route is exported as far as each format can hold it, and each says what it leaves out:
LiteLLM's fallbacks list a cascade's steps in order, but LiteLLM falls back on errors, not on an
answer's check, and it has no router; the Python module carries the steps and the policy as data
and does not run it. Only `route.call` (harness.routing) runs a compound route as it was evaluated.
"""

from __future__ import annotations

import pprint
from typing import TYPE_CHECKING, Any

from ..templates import PLACEHOLDER

if TYPE_CHECKING:
    from ._schema import Route, RoutingTable

# Where `local/...` routes are expected to be served: a llama.cpp (or any OpenAI-compatible)
# server, e.g. `llama-server -m SmolLM2-135M-Instruct.Q4_1.gguf --port 8000`.
LOCAL_API_BASE = "http://localhost:8000/v1"
# LiteLLM's `openai/` provider uses the OpenAI client, which refuses to send a request without
# a key; a llama.cpp server started without --api-key ignores whatever key it receives.
LOCAL_API_KEY = "none"
DEFAULT_NAME = "default"
# LiteLLM's proxy reads a top-level `prompts:` list of its own (server-side prompt management, with
# its own template engine), so the prompts the routes were evaluated with go under a key it ignores.
LITELLM_PROMPTS = "harness_prompts"
LITELLM_COMPOUND = "harness_compound"  # what LiteLLM cannot express of a compound route, beside its config
COMPOUND_LIMITS = {
    "cascade": ("LiteLLM cannot apply the acceptance checks: its fallbacks (router_settings.fallbacks) try the next "
                "step only when a call fails with an error, so the task's model_name returns the first step's answer "
                "every time, a policy the eval did not test. Run the route with harness.routing (route.call), or "
                "apply the checks and threshold in harness_compound yourself."),
    "router": ("LiteLLM cannot apply the router: the task's model_name is the fallback step, which answers every "
               "request; the cheap step is listed as <task>/<candidate>. Run the route with harness.routing "
               "(route.call), or apply the router artifact and threshold in harness_compound yourself."),
}
_YAML_HEADER = f"""\
# LiteLLM router config from a harness routing table ({{schema}}, generated {{generated_at}}).
# model_list: litellm.Router(model_list=...) or a LiteLLM proxy config.yaml; model_name is the task.
# {LITELLM_PROMPTS}: the prompt each model_name was evaluated with (null: none known). LiteLLM does
# not read it: build each call's `messages` from it, as docs/routing.md shows.
"""
_YAML_COMPOUND = """\
# COMPOUND ROUTES ({tasks}): LiteLLM cannot apply their acceptance checks or routers.
# router_settings.fallbacks lists a cascade's steps in order, but LiteLLM falls back only when a call
# FAILS, never because an answer did not pass a check: the task's model_name returns the first step's
# answer every time, which is not the policy the eval tested. A router task is served by its fallback
# step. {compound} holds the checks, thresholds and routers; harness.routing's route.call runs them.
# Pass both lists: litellm.Router(model_list=config["model_list"], **config["router_settings"]).
"""


def to_litellm(table: RoutingTable) -> dict[str, Any]:
    """A LiteLLM router config and the routes' prompts.

    `{"model_list": [{"model_name": task, "litellm_params": {...}}, ..., default],
    "harness_prompts": {task: {"system", "template", "shots", "sha256"} or None, ..., "default": ...}}`.
    LiteLLM's `model_list` describes deployments and has no place for a prompt template, so the
    prompts sit beside it rather than being dropped: pass `config["model_list"]` to
    `litellm.Router` and build the messages from `config["harness_prompts"][task]`.
    """
    if DEFAULT_NAME in table.routes:
        raise ValueError(f"a task is named {DEFAULT_NAME!r}, the name the LiteLLM export gives the default route; "
                         "rename the task")
    named: list[tuple[str, Route]] = []
    fallbacks, compound = [], {}
    for task, route in table.routes.items():
        c = route.compound
        if c is None:
            named.append((task, route))
            continue
        served = c.steps[0] if c.kind == "cascade" else c.final  # what LiteLLM can do of each kind
        others = [s for s in [*c.steps, *getattr(c, "agree_with", [])] if s is not served]
        named += [(task, served), *((f"{task}/{s.candidate}", s) for s in others)]
        if c.kind == "cascade":
            fallbacks.append({task: [f"{task}/{s.candidate}" for s in c.steps[1:]]})
        compound[task] = _compound_block(task, c)
    named.append((DEFAULT_NAME, table.default))
    names = [name for name, _ in named]
    if len(set(names)) < len(names):
        raise ValueError(f"model names clash in the LiteLLM export: {sorted({n for n in names if names.count(n) > 1})}")
    out: dict[str, Any] = {"model_list": [{"model_name": name, "litellm_params": litellm_params(route)}
                                          for name, route in named],
                           LITELLM_PROMPTS: {name: _prompt(route) for name, route in named}}
    if compound:
        out["router_settings"] = {"fallbacks": fallbacks}
        out[LITELLM_COMPOUND] = compound
    return out


def _compound_block(task: str, c: Any) -> dict[str, Any]:
    data = c.model_dump(mode="json", by_alias=True)
    model_names = [task if (s is c.steps[0] if c.kind == "cascade" else s is c.final) else f"{task}/{s.candidate}"
                   for s in c.steps]
    block = {"kind": c.kind, "model_names": model_names, "threshold": c.threshold,
             "not_applied_by_litellm": COMPOUND_LIMITS[c.kind]}
    if c.kind == "cascade":
        block.update(checks=data["checks"], scorer=data["scorer"],
                     agree_with=[f"{task}/{s.candidate}" for s in c.agree_with])
    else:
        block["router"] = data["router"]
    return block


def to_litellm_yaml(table: RoutingTable) -> str:
    """`to_litellm` as YAML (a LiteLLM proxy `config.yaml` body), without YAML anchors, with a header comment."""
    import yaml  # only the export needs PyYAML, not the runtime `load`

    class _Plain(yaml.SafeDumper):
        # Routes that share a stop list would otherwise print as &id001 / *id001.
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
        # Prompts read best as blocks (PyYAML falls back to quotes when a block cannot hold the text);
        # stop sequences such as "\n" stay on one readable line in double quotes.
        style = None
        if "\n" in text and text.strip():
            style = "|"
        elif any(ch in text for ch in "\n\r\t"):
            style = '"'
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    _Plain.add_representer(str, _str)
    header = _YAML_HEADER.format(schema=table.schema_version, generated_at=table.generated_at.isoformat())
    compound = [task for task, r in table.routes.items() if r.compound is not None]
    if compound:
        header += _YAML_COMPOUND.format(tasks=", ".join(" ".join(t.split()) for t in compound),
                                        compound=LITELLM_COMPOUND)
    return header + yaml.dump(to_litellm(table), Dumper=_Plain, sort_keys=False, allow_unicode=True)


def _prompt(route: Route) -> dict[str, Any] | None:
    return None if route.prompt is None else route.prompt.model_dump(mode="json")


def litellm_params(route: Route) -> dict[str, Any]:
    """LiteLLM takes OpenAI parameter names for every provider and translates them itself."""
    kw = dict(route.sdk_kwargs())
    kw.pop("model")
    if "stop_sequences" in kw:
        kw["stop"] = kw.pop("stop_sequences")
    if route.provider == "anthropic":
        model = f"anthropic/{route.api_model}"
    elif route.provider == "openai":
        model = f"openai/{route.api_model}"
    elif route.provider == "local":
        model = f"openai/{route.api_model}"
        kw.update(api_base=LOCAL_API_BASE, api_key=LOCAL_API_KEY)
    else:
        # Other inspect provider prefixes (groq, mistral, together, ...) mostly match LiteLLM's;
        # a bare model name lets LiteLLM infer the provider.
        model = route.model if route.provider != "unknown" else route.api_model
    return {"model": model, **kw}


_PY_TEMPLATE = '''"""Routing table generated by harness {version} at {generated_at} (schema {schema}).

Do not edit: regenerate with `harness select`. pick(task) returns the model (inspect-ai
provider/model), generate settings and prompt of the task, or DEFAULT for tasks not listed;
messages(task, record) renders the prompt for one record as the eval did.

A compound route (model "compound/cascade" or "compound/router") carries its steps, each a route
of the same shape with its prices, and its policy (checks, threshold, router artifact) as data
under "compound": this module does NOT run the policy. Apply the checks or the router yourself, or
use harness.routing's route.call, which does; messages(task, record, step=i) renders step i.
"""

import copy
import json
import re

ROUTES = {routes}

DEFAULT = {default}

_PLACEHOLDER = re.compile({pattern!r})


def pick(task):
    """The route of `task` (a copy), or DEFAULT for a task not in ROUTES."""
    return copy.deepcopy(ROUTES.get(task, DEFAULT))


def messages(task, record, step=None):
    """The chat messages the route of `task` was evaluated with, for `record`: system, shots, user turn.

    `record` is a dict of the prompt's fields, or one string for a prompt with one placeholder; `step`
    picks the step of a compound route (each step has its own prompt).
    """
    route = ROUTES.get(task, DEFAULT)
    if "compound" in route:
        if step is None:
            raise ValueError("the route of %r is compound: pass step=i (0 to %d)" % (
                task, len(route["compound"]["steps"]) - 1))
        route = route["compound"]["steps"][step]
    if "template" not in route:
        why = "only the sha256 of" if "sha256" in route else "no"
        raise ValueError("the route of %r carries %s prompt: render it from your own copy" % (task, why))
    system = route.get("system") or ""
    needed = list(dict.fromkeys(_PLACEHOLDER.findall(system) + _PLACEHOLDER.findall(route["template"])))
    if isinstance(record, str):
        if len(needed) != 1:
            raise ValueError("a plain string fills a prompt with one placeholder; %r has %d" % (task, len(needed)))
        record = {{needed[0]: record}}
    missing = [name for name in needed if name not in record]
    if missing:
        raise ValueError("the prompt of %r needs field(s) %s" % (task, ", ".join(missing)))

    def render(text):
        return _PLACEHOLDER.sub(lambda m: _text(record[m.group(1)]), text)

    out = [{{"role": "system", "content": render(system)}}] if system else []
    for shot in route["shots"]:
        out += [{{"role": "user", "content": shot["user"]}}, {{"role": "assistant", "content": shot["assistant"]}}]
    return out + [{{"role": "user", "content": render(route["template"])}}]


def _text(value):
    return value if isinstance(value, str) else json.dumps(value)
'''


def to_python(table: RoutingTable) -> str:
    """Source of a self-contained module defining `ROUTES`, `DEFAULT`, `pick(task)` and `messages(task, record)`."""
    lines = [f"    {task!r}: {_literal(_flat(route))}," for task, route in table.routes.items()]
    routes = "{\n" + "\n".join(lines) + "\n}" if lines else "{}"
    return _PY_TEMPLATE.format(version=table.harness_version, generated_at=table.generated_at.isoformat(),
                               schema=table.schema_version, routes=routes, default=_literal(_flat(table.default)),
                               pattern=PLACEHOLDER.pattern)


def _flat(route: Route) -> dict[str, Any]:
    # The prompt's keys (system, template, shots, sha256) are none of the config's, so one flat dict holds both.
    c = getattr(route, "compound", None)
    if c is not None:
        data = c.model_dump(mode="json", by_alias=True)
        data["steps"] = [{"candidate": s.candidate, **_flat(s), "price": d["price"], "cost_per_call_usd": d["cost_per_call_usd"],
                          "logprobs": d["logprobs"]} for s, d in zip(c.steps, data["steps"])]
        if "agree_with" in data:
            data["agree_with"] = [{"candidate": s.candidate, **_flat(s)} for s in c.agree_with]
        return {"model": route.model, "candidate": route.candidate, "compound": data,
                "not_run_here": "the checks, threshold and router are data: this module does not apply them"}
    return {"model": route.model, **route.config.model_dump(mode="json"), **(_prompt(route) or {})}


def _literal(value: Any) -> str:
    # pprint of str/int/float/bool/None/list/dict is a valid Python literal; floats are finite
    # here (the schema turns NaN into None), so no bare `nan` can appear.
    return pprint.pformat(value, sort_dicts=False, width=10_000)
