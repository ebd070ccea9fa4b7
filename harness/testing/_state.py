"""State shared by the request handlers of one fake server, and the route type."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Literal

from ._bounds import Bounded, bound
from ._calls import Call, Item, Usage
from ._counters import Counters
from ._script import Script
from ._wire import Ids, Request, Response

Provider = Literal["anthropic", "openai"]


class State:
    """Batches, files, counters and the script of one server.

    `lock` guards the batch and file stores; handlers take it themselves so a
    scripted latency can sleep without holding it.
    """

    def __init__(self, script: Script, base_url: Callable[[], str]) -> None:
        self.script = script
        self.counters = Counters()
        self.ids = Ids()
        self.lock = threading.RLock()
        self._base_url = base_url
        self.anthropic_batches: dict[str, Any] = {}  # insertion order = creation order
        self.openai_batches: dict[str, Any] = {}
        self.openai_files: dict[str, Any] = {}

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT, for absolute URLs that point back at this server."""
        return self._base_url()

    def now(self) -> float:
        return self.script.clock.now()

    def generate(self, item: Item) -> tuple[Bounded, Usage]:
        """The answer of one generation (sync call or batch item) and its usage.

        The request's bounds cut the script's answer before usage is counted: usage must count
        what the client receives, or offline costs exceed the estimate's `max_tokens` bound.
        """
        answer = self.script.answer(item.provider, item.model, item.body)
        bounded = bound(item.provider, item.body, answer)
        usage = self.script.usage(Call(item, bounded.text, self.now()))
        return bounded, usage


Handler = Callable[[State, Request, "re.Match[str]"], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    endpoint: str
    handler: Handler


def route(method: str, path: str, endpoint: str, handler: Handler) -> Route:
    """A route whose `{name}` path segments become named groups."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return Route(method, re.compile(f"^{regex}$"), endpoint, handler)
