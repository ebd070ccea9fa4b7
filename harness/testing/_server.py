"""The HTTP server: routing, auth, scripted HTTP faults, counters, start/stop.

`FakeProviders` runs a stdlib `ThreadingHTTPServer` on 127.0.0.1 in a
background thread. Every request goes through `dispatch()`, which is plain
Request -> Response (no socket needed to test it).
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import _anthropic, _openai, _openai_files
from ._counters import Counters, Received
from ._script import HttpFault, Script
from ._state import Route, State
from ._wire import ApiError, Request, Response, error_response, request_id

ROUTES: list[Route] = [*_anthropic.ROUTES, *_openai.ROUTES, *_openai_files.ROUTES]


def provider_of(path: str) -> str:
    """Which provider's envelope an (even unrouted) path gets."""
    return "anthropic" if path.startswith("/v1/messages") else "openai"


class FakeProviders:
    """A fake Anthropic + OpenAI server, scripted by a `Script`.

    with FakeProviders(Script(answer=fixed("positive"))) as fake:
        client = anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="sk-test")
        ...
        assert fake.counters.endpoints["anthropic.messages"] == 1
    """

    def __init__(
        self, script: Script | None = None, *, host: str = "127.0.0.1", port: int = 0, verbose: bool = False
    ) -> None:
        self.script = script if script is not None else Script()
        self.host, self.port, self.verbose = host, port, verbose
        self.state = State(self.script, lambda: self.url)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- addresses ----------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def anthropic_base_url(self) -> str:
        """For `anthropic.Anthropic(base_url=...)` / ANTHROPIC_BASE_URL: no /v1."""
        return self.url

    @property
    def openai_base_url(self) -> str:
        """For `openai.OpenAI(base_url=...)` / OPENAI_BASE_URL: includes /v1."""
        return self.url + "/v1"

    def env(self, api_key: str = "sk-test-fake") -> dict[str, str]:
        """Environment variables that point both SDKs (and inspect-ai) here."""
        return {
            "ANTHROPIC_BASE_URL": self.anthropic_base_url,
            "OPENAI_BASE_URL": self.openai_base_url,
            "ANTHROPIC_API_KEY": self.script.api_key or api_key,
            "OPENAI_API_KEY": self.script.api_key or api_key,
        }

    @property
    def counters(self) -> Counters:
        return self.state.counters

    # --- lifecycle ----------------------------------------------------------

    def start(self) -> FakeProviders:
        if self._httpd is not None:
            raise RuntimeError("the fake server is already running")
        self._httpd = _HTTPServer((self.host, self.port), _Handler, self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-providers:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> FakeProviders:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- dispatch -----------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Route one request; count it; wrap errors in the provider's envelope."""
        provider = provider_of(request.path)
        rid = request_id()
        found = self._route(request)
        endpoint = found[0].endpoint if found else "unknown"
        try:
            response = self._answer(request, endpoint, found)
        except ApiError as error:
            response = error_response(provider, error, rid)  # type: ignore[arg-type]
        except Exception as exc:  # a bug in a handler or a script function
            traceback.print_exc(file=sys.stderr)
            error = ApiError(500, f"fake server error: {type(exc).__name__}: {exc}")
            response = error_response(provider, error, rid)  # type: ignore[arg-type]
        response.headers["request-id" if provider == "anthropic" else "x-request-id"] = rid
        received = Received(endpoint, request.method, request.path, dict(request.headers), response.status)
        self.counters.record_request(received)
        return response

    def _route(self, request: Request) -> tuple[Route, Any] | None:
        for candidate in ROUTES:
            if candidate.method == request.method:
                match = candidate.pattern.match(request.path)
                if match:
                    return candidate, match
        return None

    def _answer(self, request: Request, endpoint: str, found: tuple[Route, Any] | None) -> Response:
        self._check_auth(request)
        fault = self.script.take_http_fault(endpoint, _json_or_none(request))
        if fault is not None:
            return _fault_response(provider_of(request.path), fault)
        if found is None:
            path_known = any(r.pattern.match(request.path) for r in ROUTES)
            if path_known:
                raise ApiError(405, f"method {request.method} not allowed on {request.path}")
            raise ApiError(404, f"the fake server has no route for {request.method} {request.path}")
        handler_route, match = found
        return handler_route.handler(self.state, request, match)

    def _check_auth(self, request: Request) -> None:
        """Accept `x-api-key` or `Authorization: Bearer` (anthropic 2.14 sends the latter)."""
        key = request.headers.get("x-api-key", "").strip()
        if not key:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            key = token.strip() if scheme.lower() == "bearer" else ""
        if not key:
            raise ApiError(401, "missing API key: send x-api-key or Authorization: Bearer <key>")
        if self.script.api_key is not None and key != self.script.api_key:
            raise ApiError(401, "invalid API key")


def _json_or_none(request: Request) -> dict[str, Any] | None:
    if "json" not in request.headers.get("content-type", ""):
        return None
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _fault_response(provider: str, fault: HttpFault) -> Response:
    message = fault.message or f"scripted HTTP {fault.status} from the fake server"
    response = error_response(provider, ApiError(fault.status, message), request_id())  # type: ignore[arg-type]
    if fault.retry_after_ms is not None:
        response.headers["retry-after-ms"] = str(fault.retry_after_ms)
    return response


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # SDK keep-alive connections must not block stop()

    def __init__(self, address: tuple[str, int], handler: type, fake: FakeProviders) -> None:
        self.fake = fake
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path.rstrip("/") or "/",
            query=dict(parse_qsl(parts.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
        )
        response = self.server.fake.dispatch(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after each chunk
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.fake.verbose:
            super().log_message(format, *args)
