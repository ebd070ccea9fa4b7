"""What an `openai-compatible/<name>` cell hands its provider (providers/_endpoint.py): the suite's server."""

from __future__ import annotations

import os
from typing import Any

from ..errors import InputError, Problem
from ._cells import Cell


def endpoint_args(cell: Cell, journal: str) -> dict[str, Any]:
    """The provider's model_args for an endpoint cell: server, model id, bound, journal (never the key itself).

    A missing key is refused here, before anything runs: past this point it would turn every sample of the
    cell into an error, scored 0, and the candidate would look worse instead of unconfigured."""
    c, suite = cell.candidate, cell.suite
    e = suite.endpoint(c)
    if e is None:  # a route (gate, pytest --eval) naming an endpoint this suite does not define
        raise InputError([Problem(str(suite.path), f"{c.label()} runs on {c.model}, an endpoint this suite does "
                                  "not define", field="endpoints",
                                  hint=f"add `endpoints: {{{c.model.split('/', 1)[1]}: {{base_url: ...}}}}` to the "
                                       "suite")], title="cannot run")
    if e.api_key_env is not None and not os.environ.get(e.api_key_env):
        where = f"candidate {c.label()}.api_key_env" if c.base_url else f"endpoints.{e.name}.api_key_env"
        raise InputError([Problem(str(suite.path), f"the environment variable {e.api_key_env} is not set",
                                  field=where, hint=f"export {e.api_key_env}=<the server's API key> (any value works "
                                                    "when every answer is in the journal), or remove api_key_env "
                                                    "for a server without keys")], title="cannot run")
    return {"base_url": e.base_url, "api_key_env": e.api_key_env, "served_model": e.model,
            "max_concurrency": e.max_concurrency, "journal": journal}

