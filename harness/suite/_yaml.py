"""YAML loading that remembers where each value came from.

PyYAML's composed node tree carries line marks; plain `safe_load` throws
them away. Validation messages need "file:line", so we construct the Python
value ourselves and keep a map from key path to line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem

Path_ = tuple[str | int, ...]


def load_with_lines(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Parse a YAML file; return its value and a {key path: 1-based line} map."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([Problem(str(path), "file not found", hint="check the path")]) from None
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), f"not UTF-8 text ({exc.reason})")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = f"YAML syntax error: {exc.problem or exc.context}"
        raise InputError([Problem(str(path), msg, line=line, hint="fix the YAML at that line")]) from None
    lines: dict[Path_, int] = {}
    value = _construct(node, (), lines) if node is not None else None
    return value, lines


def _construct(node: yaml.Node, at: Path_, lines: dict[Path_, int]) -> Any:
    lines[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader(" ").construct_object(key_node) if not isinstance(key_node, yaml.ScalarNode) else _scalar(key_node)
            out[key] = _construct(value_node, at + (str(key),), lines)
            lines[at + (str(key),)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, at + (i,), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # Resolve tags exactly as safe_load would (ints, floats, bools, nulls).
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def line_of(lines: dict[Path_, int], at: Path_) -> int | None:
    """The line of `at`, or of its nearest ancestor that has one."""
    while at:
        if at in lines:
            return lines[at]
        at = at[:-1]
    return lines.get(())
