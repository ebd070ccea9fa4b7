"""The self-hosted endpoints of a suite: its `endpoints:` entries and its candidates' own `base_url`s.

A suite resolves `openai-compatible/<name>` to one server: within a suite a name means one base URL,
so a routing table (which carries only the model name) still finds the server it was evaluated on.
"""

from __future__ import annotations

from ..candidates import ENDPOINT_FIELDS, ENDPOINT_PROVIDER, Candidate
from ..pricing import ExplicitPrice, HourlyPrice
from ._format import EndpointSettings
from ._model import Endpoint
from ._problems import Validator
from ._yaml import Path_


class Endpoints:
    """The endpoints a suite defines and uses, collected while its candidates are checked."""

    def __init__(self, declared: dict[str, EndpointSettings]):
        self.declared = declared
        self.resolved: dict[str, Endpoint] = {
            name: Endpoint(name, e.base_url, e.model or name, e.api_key_env, e.max_concurrency, e.hourly_usd)
            for name, e in declared.items()}
        self.used: dict[str, Path_] = {}  # endpoint name -> where a candidate first uses it

    def check(self, v: Validator, c: Candidate, at: Path_) -> None:
        """Problems of one candidate's endpoint fields; an endpoint candidate's server is recorded."""
        given = sorted(f for f in ENDPOINT_FIELDS if getattr(c, f) is not None)
        if c.provider != ENDPOINT_PROVIDER:
            for f in given:
                v.add(at + (f,), f"`{f}` applies to {ENDPOINT_PROVIDER}/<name> candidates only",
                      f"remove it, or write the model as {ENDPOINT_PROVIDER}/<name> to reach a self-hosted server"
                      + (" (the OpenAI API's own base URL comes from OPENAI_BASE_URL)" if c.provider == "openai"
                         else ""))
            return
        name = c.model.split("/", 1)[1]
        if not name:
            v.add(at + ("model",), f"{c.model!r} names no endpoint", f"write {ENDPOINT_PROVIDER}/<name>")
            return
        if c.base_url is None:
            if c.api_key_env is not None:
                v.add(at + ("api_key_env",), "`api_key_env` without `base_url`",
                      f"set api_key_env on the endpoint (`endpoints: {{{name}: {{api_key_env: ...}}}}`), or give the "
                      "candidate its base_url too")
            elif name not in self.resolved:
                known = ", ".join(sorted(self.declared)) or "none defined"
                v.add(at + ("model",), f"unknown endpoint {name!r} in {c.model!r}",
                      f"define it under `endpoints:` with a base_url (defined: {known}), or give the candidate "
                      "a `base_url:`")
                return
        elif name in self.declared:
            v.add(at + ("base_url",), f"endpoint {name!r} is defined under `endpoints:` and the candidate sets its "
                  "own base_url", "remove base_url (and api_key_env) from the candidate, or give it another name")
            return
        else:
            mine = Endpoint(name, c.base_url, name, c.api_key_env)
            seen = self.resolved.setdefault(name, mine)
            if seen != mine:
                v.add(at + ("base_url",), f"{c.model} is reached at {seen.base_url} (api_key_env "
                      f"{seen.api_key_env}) by another candidate, here at {mine.base_url} (api_key_env "
                      f"{mine.api_key_env})", "a name means one server: give each server its own name "
                      "(an `endpoints:` entry with `model:` for the model id it serves)")
                return
        self.used.setdefault(name, at + ("model",))

    def finish(self, v: Validator, prices: dict[str, ExplicitPrice]) -> dict[str, HourlyPrice]:
        """Price and concurrency problems; the busy-time prices of the endpoints priced by the hour."""
        hourly = {}
        for name, e in self.resolved.items():
            model = f"{ENDPOINT_PROVIDER}/{name}"
            if e.hourly_usd is not None:
                if model in prices:
                    v.add(("endpoints", name, "hourly_usd"), f"{model} is priced twice: by the hour here and per "
                          "token under `prices:`", "keep one of them")
                hourly[model] = HourlyPrice(hourly_usd=e.hourly_usd,
                                            source=f"busy time at ${e.hourly_usd:g}/h: {v.path} endpoints")
            elif name in self.used and model not in prices:
                where = ("endpoints", name) if name in self.declared else self.used[name]
                v.add(where, f"no price for {model}",
                      f"add `hourly_usd:` to endpoints.{name} (0 for a machine already paid for), or a `prices:` "
                      f"entry {model}: {{input: ..., output: ...}} in USD per million tokens" if name in self.declared
                      else f"add a `prices:` entry {model}: {{input: ..., output: ...}} (USD per million tokens), "
                           "or move the server to `endpoints:` with an `hourly_usd:`")
        by_url: dict[str, Endpoint] = {}
        for name, e in self.resolved.items():
            other = by_url.setdefault(e.base_url, e)
            if other.max_concurrency != e.max_concurrency:
                v.add(("endpoints", name, "max_concurrency"), f"{e.base_url} is also endpoint {other.name!r}, with "
                      f"max_concurrency {other.max_concurrency}", "one server has one bound: give both the same")
        return hourly

    def by_name(self) -> dict[str, Endpoint]:
        return dict(self.resolved)
