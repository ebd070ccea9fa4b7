"""JSONL logs, line by line: each line is decoded and parsed on its own, so one bad line costs one call.

A whole-file decoder would refuse a log for one byte a proxy mangled; here a line that is not
UTF-8 or not a JSON object is an `Issue` with its line number, and the next line is read. Secrets
are stripped from every parsed line before it is returned, and searched for in the text of lines
that do not parse (reported, never shown).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._call import SECRET, Issue
from ._secrets import Found, strip_text, strip_tree

Line = tuple[int, dict[str, Any]]  # (line number, the parsed and scrubbed object)
_UTF16_32 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def read_jsonl(path: Path, shown: str) -> Iterator[Line | Issue]:
    """Each non-blank line of `path` as a scrubbed JSON object, or the issue that keeps it out."""
    with path.open("rb") as f:
        head = f.read(4)
        if head.startswith(_UTF16_32) or (len(head) == 4 and head.count(0) >= 2):
            yield Issue(shown, 1, "the file is UTF-16 or UTF-32 text, not UTF-8", "convert it to UTF-8 "
                        "(iconv -f utf-16 -t utf-8), as JSONL logs are written")
            return
        f.seek(0)
        for n, raw in enumerate(f, start=1):
            if n == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            if raw.strip():
                yield from _parse(raw, n, shown)


def _parse(raw: bytes, n: int, shown: str) -> Iterator[Line | Issue]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield Issue(shown, n, f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at column {exc.start + 1} cannot be "
                    "decoded", "the line is skipped; re-export the log as UTF-8 to keep it")
        yield from _secrets_in_text(raw.decode("utf-8", "replace"), n, shown)
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip()) - 1
        yield Issue(shown, n, "truncated JSON: the line ends before its object closes" if cut
                    else f"invalid JSON ({exc.msg}, column {exc.colno})",
                    "the line is skipped; one complete JSON object per line")
        yield from _secrets_in_text(text, n, shown)
        return
    if not isinstance(value, dict):
        yield Issue(shown, n, f"a JSON {type(value).__name__} where a call object was expected",
                    "one JSON object per line")
        return
    found = Found()
    clean = strip_tree(value, found)
    if found.items:
        yield secret_issue(shown, n, found)
    yield n, clean


def _secrets_in_text(text: str, n: int, shown: str) -> Iterator[Issue]:
    found = Found()
    strip_text(text, found)
    if found.items:
        yield secret_issue(shown, n, found)


def secret_issue(shown: str, line: int | None, found: Found) -> Issue:
    return Issue(shown, line, f"credential found and stripped: {found.describe()}",
                 "nothing of it is written; rotate the key, and stop logging it", kind=SECRET)
