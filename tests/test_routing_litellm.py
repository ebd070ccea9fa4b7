"""The LiteLLM export drives a real `litellm.Router`, offline: every route name resolves and answers.

`mock_response` makes LiteLLM answer without calling a provider; the network is blocked for the
whole test (import included), so a call LiteLLM would make on its own fails the test instead of
reaching out. The environment variables are the ones an offline application sets too: LiteLLM
otherwise fetches its model price map from the internet when it is imported.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from _prompt_data import results, three_providers

from harness import routing
from harness.pipeline import decide

RECORDS: dict[str, Any] = {"tickets": {"channel": "email", "text": "I was charged twice"},
                           "extract": {"lang": "en", "text": "Ann from Oslo paid 12"}, "chat": "2+2?"}


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every attempt to reach a non-loopback address (connect or DNS), refused and recorded."""
    attempts: list[Any] = []
    connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def guarded(real):
        def call(self: socket.socket, address: Any, *args: Any) -> Any:
            if self.family == getattr(socket, "AF_UNIX", None) or _loopback(address):
                return real(self, address, *args)
            attempts.append(address)
            raise OSError(f"network blocked by the test: {address!r}")
        return call

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is None or _loopback(host if isinstance(host, str) else str(host)):
            return getaddrinfo(host, *args, **kwargs)
        attempts.append(("dns", host))
        raise socket.gaierror(f"network blocked by the test: {host!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded(connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(connect_ex))
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # the bundled price map, not a download
    monkeypatch.setenv("LITELLM_OFFLINE_MODE", "true")
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    return attempts


def test_the_blocker_blocks(offline: list[Any]) -> None:
    with pytest.raises(OSError, match="network blocked"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    assert offline  # and it recorded the attempt
    offline.clear()


def test_a_litellm_router_resolves_every_route(offline: list[Any], tmp_path: Path) -> None:
    suite = three_providers(tmp_path)
    table = decide(results([suite]), [suite]).table
    assert table is not None
    assert {r.provider for r in table.routes.values()} == {"anthropic", "openai", "local"}
    config = yaml.safe_load(routing.to_litellm_yaml(table))  # what an application reads from the file

    fresh = "litellm" not in sys.modules
    import litellm  # under the blocked network: its import must not go out either

    router = litellm.Router(model_list=config["model_list"])
    prompts = config[routing.LITELLM_PROMPTS]
    assert table.default.prompt == table.routes["tickets"].prompt  # the busiest task's route
    for name in [*table.routes, "default"]:
        route = table.pick(name)
        messages = route.messages(RECORDS.get(name, RECORDS["tickets"]))
        assert prompts[name] == route.prompt.model_dump(mode="json")  # the prompt travels with the config
        reply = router.completion(model=name, messages=messages, mock_response="ok")
        assert reply.choices[0].message.content == "ok"
        assert reply.model.endswith(route.api_model), (name, reply.model)
    with pytest.raises(Exception, match="nosuch"):
        router.completion(model="nosuch", messages=[{"role": "user", "content": "x"}], mock_response="ok")
    assert offline == [], f"LiteLLM tried the network (import {'included' if fresh else 'done earlier'})"


def test_the_local_route_points_at_an_openai_compatible_server(offline: list[Any], tmp_path: Path) -> None:
    suite = three_providers(tmp_path)
    table = decide(results([suite]), [suite]).table
    assert table is not None
    params = {e["model_name"]: e["litellm_params"] for e in routing.to_litellm(table)["model_list"]}
    assert params["chat"] == {"model": "openai/smollm2-135m-instruct", "max_tokens": 8,
                              "api_base": routing.LOCAL_API_BASE, "api_key": "none"}
    assert params["tickets"]["model"] == "anthropic/claude-3-5-haiku-latest" and "seed" not in params["tickets"]
    assert params["extract"] == {"model": "openai/gpt-4o-mini", "max_tokens": 32, "stop": ["END"], "seed": 7}
    assert offline == []
