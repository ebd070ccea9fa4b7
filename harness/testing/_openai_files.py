"""OpenAI Files: upload (multipart), retrieve, content, list, delete.

Batch output and error files are stored here too (purpose "batch_output").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ._state import Route, State, route
from ._wire import (
    ApiError,
    Request,
    Response,
    int_param,
    json_response,
    parse_multipart,
    unix,
)

_PURPOSES = {"assistants", "batch", "fine-tune", "vision", "user_data", "evals", "batch_output"}
_THIRTY_DAYS = 30 * 86_400


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: float

    def json(self) -> dict[str, Any]:
        expires = self.created_at + _THIRTY_DAYS if self.purpose.startswith("batch") else None
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": unix(self.created_at),
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "expires_at": unix(expires),
            "status_details": None,
        }


def store_file(state: State, filename: str, purpose: str, data: bytes) -> StoredFile:
    """Keep a file (caller holds `state.lock`)."""
    stored = StoredFile(state.ids.next("file-"), filename, purpose, data, state.now())
    state.openai_files[stored.id] = stored
    return stored


def find_file(state: State, file_id: str) -> StoredFile:
    stored = state.openai_files.get(file_id)
    if stored is None:
        raise ApiError(404, f"No such File object: {file_id}", param="id")
    return stored


def create_file(state: State, request: Request, match: re.Match[str]) -> Response:
    parts = parse_multipart(request.headers.get("content-type", ""), request.body)
    purpose_part, file_part = parts.get("purpose"), parts.get("file")
    if purpose_part is None:
        raise ApiError(400, "Missing required parameter: 'purpose'.", param="purpose")
    if file_part is None:
        raise ApiError(400, "Missing required parameter: 'file'.", param="file")
    purpose = purpose_part.data.decode("utf-8", "replace").strip()
    if purpose not in _PURPOSES - {"batch_output"}:
        raise ApiError(400, f"Invalid value for 'purpose': {purpose!r}.", param="purpose")
    with state.lock:
        stored = store_file(state, file_part.filename or "upload", purpose, file_part.data)
        return json_response(200, stored.json())


def retrieve_file(state: State, request: Request, match: re.Match[str]) -> Response:
    with state.lock:
        return json_response(200, find_file(state, match["id"]).json())


def file_content(state: State, request: Request, match: re.Match[str]) -> Response:
    with state.lock:
        stored = find_file(state, match["id"])
        return Response(200, stored.data, {"content-type": "application/octet-stream"})


def delete_file(state: State, request: Request, match: re.Match[str]) -> Response:
    with state.lock:
        stored = find_file(state, match["id"])
        del state.openai_files[stored.id]
        return json_response(200, {"id": stored.id, "object": "file", "deleted": True})


def list_files(state: State, request: Request, match: re.Match[str]) -> Response:
    limit = int_param(request.query, "limit", 10_000, 1, 10_000)
    purpose = request.query.get("purpose")
    with state.lock:
        files = [f for f in reversed(state.openai_files.values()) if purpose in (None, f.purpose)]
        return json_response(200, cursor_page([f.json() for f in files], request.query.get("after"), limit))


def cursor_page(newest_first: list[dict[str, Any]], after: str | None, limit: int) -> dict[str, Any]:
    """OpenAI's cursor page: items after the `after` id, `limit` of them."""
    ids = [entry["id"] for entry in newest_first]
    if after is not None and after not in ids:
        raise ApiError(400, f"unknown cursor {after!r}", param="after")
    start = ids.index(after) + 1 if after is not None else 0
    page = newest_first[start : start + limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": start + limit < len(ids),
    }


ROUTES: list[Route] = [
    route("POST", "/v1/files", "openai.files.create", create_file),
    route("GET", "/v1/files", "openai.files.list", list_files),
    route("GET", "/v1/files/{id}", "openai.files.retrieve", retrieve_file),
    route("GET", "/v1/files/{id}/content", "openai.files.content", file_content),
    route("DELETE", "/v1/files/{id}", "openai.files.delete", delete_file),
]
