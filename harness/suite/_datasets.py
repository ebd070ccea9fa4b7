"""Dataset records for a suite task: inline lists, JSONL or CSV files next to the suite.

Read strictly: a CSV with an unterminated quote or a row with the wrong number of fields, a
record with an empty target or id, is a problem with its line, not a record scored against
None. Each kind of problem is reported once with every line it affects.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..files import Undecodable, read_text
from ..errors import spans
from ._problems import Validator
from ._yaml import Path_

Found = dict[tuple[str, str], list[int]]  # (message, hint) -> record positions (file lines, or list indexes)
Place = tuple[int, bool]  # a record's file line (or list index), and whether it has an `id` of its own


def load_records(v: Validator, spec: str | list[dict[str, Any]], at: Path_, target_field: str,
                 cluster_field: str | None, encoding: str | None = None,
                 located: list[Place] | None = None) -> list[dict[str, Any]]:
    """Records as dicts with a string `id`; problems are reported to `v` with file and line.

    `located`, when given, receives each returned record's place (its file line, or its index in an inline
    list) and whether the record gave its own `id` (else the id is its position)."""
    src = None
    if isinstance(spec, str):
        src = v.path.parent / spec
        if not src.is_file():
            v.add(at, f"dataset file {spec!r} not found (looked in {src.parent})",
                  "put the file next to the suite or fix the path")
            return []
        read = _read_file(v, src, at, encoding)
        if read is None:  # unreadable: the reason is already reported
            return []
        records, where = read
    else:
        records, where = spec, list(range(len(spec)))
    if not records:
        v.add(at, "dataset is empty", "add at least one record")
        return []
    found: Found = defaultdict(list)
    out = _check(records, where, target_field, cluster_field, found, located)
    for (message, hint), places in found.items():
        if src is not None:
            v.add_on_lines(src, places, message, hint)
        elif len(places) == 1:
            v.add(at + (places[0],), message, hint)
        else:
            v.add(at, f"{message} in records {spans(places)} (counting from 0)", hint)
    return out


def _check(records: list[Any], where: list[int], target_field: str, cluster_field: str | None,
           found: Found, located: list[Place] | None = None) -> list[dict[str, Any]]:
    dicts = [r for r in records if isinstance(r, dict)]
    fields = sorted({k for r in dicts for k in r})
    missing_everywhere = bool(dicts) and all(target_field not in r for r in dicts)
    out, seen = [], set()
    for i, (rec, place) in enumerate(zip(records, where)):
        if not isinstance(rec, dict):
            found[("a record must be an object with named fields", "write {field: value, ...}")].append(place)
            continue
        if missing_everywhere:
            pass  # said once below, not once per record
        elif target_field not in rec:
            found[(f"record has no target field {target_field!r}",
                   f"add it, or set the task's `target:` to one of {', '.join(map(str, rec))}")].append(place)
        elif _blank(rec[target_field]):
            found[(f"empty target field {target_field!r}", "give every record its expected answer, or drop the "
                                                           "record")].append(place)
        if cluster_field and cluster_field not in rec:
            found[(f"record has no cluster field {cluster_field!r}", "add it or drop `cluster:`")].append(place)
        if "id" in rec and _blank(rec["id"]):
            found[("empty id", "give every record a unique id, or drop the `id` field to number them")].append(place)
        rid = str(rec.get("id", i + 1))
        if rid in seen and not _blank(rec.get("id", i + 1)):
            found[(f"duplicate record id {rid!r}", "record ids must be unique")].append(place)
        seen.add(rid)
        out.append({**rec, "id": rid})
        if located is not None:
            located.append((place, "id" in rec))
    if missing_everywhere:
        found[(f"no record has the target field {target_field!r}",
               f"set the task's `target:` to the field with the expected answer (the fields are: "
               f"{', '.join(map(str, fields))})")].append(where[0])
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_file(v: Validator, path: Path, at: Path_, encoding: str | None) -> tuple[list[Any], list[int]] | None:
    if path.suffix not in (".jsonl", ".csv"):
        v.add(at, f"unsupported dataset format {path.suffix!r}", "use .jsonl or .csv")
        return None
    text = read_text(path, encoding, setting="the task's `encoding: {}`")
    if isinstance(text, Undecodable):
        v.add_in_file(path, text.line, text.message, text.hint)
        return None
    return _read_jsonl(v, path, text) if path.suffix == ".jsonl" else _read_csv(v, path, text)


def _read_jsonl(v: Validator, path: Path, text: str) -> tuple[list[Any], list[int]]:
    records, lines, bad = [], [], defaultdict(list)
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            bad[exc.msg].append(n)
            continue
        lines.append(n)
    for msg, where in bad.items():
        v.add_on_lines(path, where, f"invalid JSON ({msg})", "one JSON object per line")
    return records, lines


def _read_csv(v: Validator, path: Path, text: str) -> tuple[list[Any], list[int]] | None:
    # strict: the csv module otherwise reads an unterminated quote as one field running to the end of the file
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[dict[str, str]] = []
    lines: list[int] = []
    ragged: list[int] = []
    header: list[str] | None = None
    start = 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1  # a quoted field may span lines: a record starts at `line`
            if not row or not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [h.strip() for h in row]
                _check_header(v, path, line, header)
                continue
            if len(row) != len(header):
                ragged.append(line)
                continue
            records.append(dict(zip(header, row)))
            lines.append(line)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):  # the quote opened where the unfinished record starts
            v.add_in_file(path, start, f"a quoted field that starts on line {start} is never closed",
                          "close the quote (a quote inside a quoted field is written twice: \"\")")
        else:
            v.add_in_file(path, reader.line_num, f"CSV syntax error: {exc}",
                          "quote a field that contains quotes, and write a quote inside it twice (\"\")")
        return None
    if ragged and header is not None:
        v.add_on_lines(path, ragged, f"row does not have the header's {len(header)} fields",
                       "give every row one value per column (quote values that contain commas)")
    return records, lines


def _check_header(v: Validator, path: Path, line: int, header: list[str]) -> None:
    if any(not h for h in header):
        v.add_in_file(path, line, "a column of the header has no name", "name every column in the first row")
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        v.add_in_file(path, line, f"duplicate column name(s): {', '.join(duplicates)}", "name each column once")
