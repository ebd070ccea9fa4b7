"""HTTP values and wire helpers shared by both providers.

Request/Response are plain values so handlers can be tested without a
socket. Error bodies follow each provider's envelope
(docs/fake-server.md; ../shared/reference/provider-batch-wire-formats.md).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        """The parsed JSON body; raises `ApiError` (400) when it is not JSON."""
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise ApiError(400, f"request body is not valid JSON: {exc}") from None

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise ApiError(400, "request body must be a JSON object")
        return body


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by handlers; rendered in the provider's error envelope."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code


def json_response(status: int, payload: Any) -> Response:
    body = json.dumps(payload).encode()
    return Response(status, body, {"content-type": "application/json"})


def jsonl(lines: list[dict[str, Any]]) -> bytes:
    """JSON Lines with `\\n` endings and no blank lines (json.dumps never emits newlines)."""
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def int_param(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    try:
        value = default if raw is None else int(raw)
    except ValueError:
        raise ApiError(400, f"{name}: must be an integer") from None
    if not low <= value <= high:
        raise ApiError(400, f"{name}: must be between {low} and {high}")
    return value


# --- error envelopes ---------------------------------------------------------

_ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def anthropic_error_type(status: int) -> str:
    return _ANTHROPIC_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


def anthropic_error_body(status: int, message: str, request_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "error",
        "error": {"type": anthropic_error_type(status), "message": message},
    }
    if request_id is not None:
        body["request_id"] = request_id
    return body


def openai_error_body(
    status: int, message: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    # Illustrative mapping; OpenAI documents the envelope, not a type per status.
    if status == 401:
        kind, code = "invalid_request_error", code or "invalid_api_key"
    elif status == 429:
        kind, code = "requests", code or "rate_limit_exceeded"
    elif status >= 500:
        kind = "server_error"
    else:
        kind = "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(
    provider: Literal["anthropic", "openai"], error: ApiError, request_id: str
) -> Response:
    if provider == "anthropic":
        return json_response(error.status, anthropic_error_body(error.status, error.message, request_id))
    return json_response(error.status, openai_error_body(error.status, error.message, error.param, error.code))


# --- ids and times -----------------------------------------------------------


class Ids:
    """Sequential ids per prefix (`msgbatch_fake000001`): readable and ordered."""

    def __init__(self) -> None:
        self._counters: dict[str, itertools.count[int]] = {}
        self._lock = threading.Lock()

    def next(self, prefix: str) -> str:
        with self._lock:
            counter = self._counters.setdefault(prefix, itertools.count(1))
            return f"{prefix}fake{next(counter):06d}"


def request_id() -> str:
    return "req_" + uuid.uuid4().hex[:24]


def rfc3339(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def unix(timestamp: float | None) -> int | None:
    return None if timestamp is None else int(timestamp)


# --- multipart/form-data -----------------------------------------------------


@dataclass(frozen=True)
class FormPart:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> dict[str, FormPart]:
    """Parse a multipart/form-data body byte-exactly (no email-parser line mangling)."""
    boundary = _header_param(content_type, "boundary")
    if not content_type.lower().startswith("multipart/form-data") or not boundary:
        raise ApiError(400, "expected a multipart/form-data body with a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    parts: dict[str, FormPart] = {}
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):  # closing delimiter
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk.lstrip(b"\n")
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ApiError(400, "malformed multipart part: no header/body separator")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = _part_headers(head.decode("utf-8", "replace"))
        disposition = headers.get("content-disposition", "")
        name = _header_param(disposition, "name")
        if name:
            filename = _header_param(disposition, "filename")
            parts[name] = FormPart(name, filename, headers.get("content-type"), data)
    return parts


def _part_headers(head: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in head.split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    return headers


_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def _header_param(header: str, param: str) -> str | None:
    """A `param=value` of a header such as Content-Disposition (value may be quoted)."""
    for match in _PARAM.finditer(header):
        if match.group(1).lower() == param:
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            return value
    return None
