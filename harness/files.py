"""Reading and writing the files people hand harness and the ones harness writes for them.

Text comes in under one encoding policy: UTF-8, with or without a byte-order mark, unless the
user names another encoding. Anything else is refused with where the first undecodable byte is
and what to set: spreadsheet exports are often Windows-1252 or UTF-16, and decoding them as
UTF-8 would either crash or, with a lenient decoder, put replacement characters into prompts and
targets without a word. Outputs are written atomically, so a reader never sees half a file.
"""

from __future__ import annotations

import codecs
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


@dataclass(frozen=True)
class Undecodable:
    """Why a file's bytes are not text in the expected encoding, and what to do."""

    message: str
    hint: str
    line: int | None = None


def decode(data: bytes, encoding: str | None = None, setting: str | None = None) -> str | Undecodable:
    """The file's text, or why it cannot be read as `encoding` (default: UTF-8, BOM allowed).

    `setting` says how the user states another encoding, as a template for it (e.g. "the task's
    `encoding: {}`"); the hints offer it when there is one, and otherwise ask for UTF-8."""
    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            return Undecodable(f"unknown text encoding {encoding!r}",
                               "use a Python codec name such as utf-8, cp1252, latin-1 or utf-16")
        try:
            # utf-8-sig drops a BOM when one is there and reads plain UTF-8 otherwise
            return data.decode("utf-8-sig" if name == "utf-8" else encoding)
        except UnicodeDecodeError as exc:
            return _bad_byte(data, exc, encoding, "name the file's real encoding" + (
                f" in {setting.format('...')}" if setting else ""))
    if data.startswith(_UTF32_BOMS):  # checked first: the UTF-32-LE mark starts with the UTF-16-LE one
        return Undecodable("the file is UTF-32 text (it starts with a UTF-32 byte-order mark)",
                           _hint("save it as UTF-8", setting, "utf-32"), 1)
    if data.startswith(_UTF16_BOMS) or _looks_utf16(data):
        return Undecodable("the file is UTF-16 text (what spreadsheets write as \"Unicode text\")",
                           _hint("save it as UTF-8 (CSV UTF-8)", setting, "utf-16"), 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # A detector (charset-normalizer) was tried: on short Western text it guesses cp1250 or cp1006,
        # a hint that would mislead. What reaches here is, in practice, a Windows-1252 / Latin-1 export.
        return _bad_byte(data, exc, "UTF-8", _hint("save the file as UTF-8", setting, "cp1252",
                                                   " (Windows-1252, a superset of Latin-1) if that is what it is"))


def read_text(path: Path, encoding: str | None = None, setting: str | None = None) -> str | Undecodable:
    return decode(path.read_bytes(), encoding, setting)


def _hint(save: str, setting: str | None, encoding: str, why: str = "") -> str:
    return f"{save}, or set {setting.format(encoding)}{why}" if setting else save


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: ASCII text has a NUL in every other byte."""
    head = data[:400]
    return len(head) >= 4 and (head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4)


def _bad_byte(data: bytes, exc: UnicodeDecodeError, encoding: str, hint: str) -> Undecodable:
    line = data[: exc.start].count(b"\n") + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return Undecodable(f"not {encoding} text: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line}, "
                       f"column {column}) cannot be decoded", hint, line)


def write_atomic(path: Path, text: str) -> Path:
    """Write `text` via a temp file + rename, so a reader never sees half a file; mode 0644 (meant to be shared)."""
    with open_atomic(path) as f:
        f.write(text.encode("utf-8"))
    return path


@contextmanager
def open_atomic(path: Path) -> Iterator[BinaryIO]:
    """A binary file that appears at `path` (temp file + fsync + rename, mode 0644) only when the block
    ends without an exception; on one, the temp file is removed and whatever was at `path` stays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
