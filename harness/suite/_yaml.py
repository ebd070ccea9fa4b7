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
from ..files import Undecodable, read_text

Path_ = tuple[str | int, ...]


def load_with_lines(path: Path) -> tuple[Any, dict[Path_, int]]:
    """Parse a YAML file; return its value and a {key path: 1-based line} map."""
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise InputError([Problem(str(path), "file not found", hint="check the path")]) from None
    except IsADirectoryError:
        raise InputError([Problem(str(path), "is a folder, not a suite file",
                                  hint="name the .yaml files, e.g. evalsets/*.yaml")]) from None
    if isinstance(text, Undecodable):
        # the `encoding:` a task can set is for its data files; the suite file itself is always UTF-8
        raise InputError([Problem(str(path), text.message, line=text.line,
                                  hint="save the suite file as UTF-8")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = f"YAML syntax error: {exc.problem or exc.context}"
        raise InputError([Problem(str(path), msg, line=line, hint="fix the YAML at that line")]) from None
    except yaml.reader.ReaderError as exc:  # a control character, which YAML does not allow in a file
        line = text[: exc.position].count("\n") + 1
        raise InputError([Problem(str(path), f"character U+{exc.character:04X} is not allowed in a YAML file",
                                  line=line, hint="remove it: a suite file is plain text")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(str(path), f"YAML error: {exc}", hint="fix the YAML")]) from None
    except RecursionError:  # PyYAML's composer recurses once per level of nesting
        raise _too_deep(path, None) from None
    lines: dict[Path_, int] = {}
    if node is None:
        return None, lines
    deepest = _deepest(node)
    if deepest is not None:
        raise _too_deep(path, deepest.start_mark.line + 1)
    budget = [MAX_NODES]
    return _construct(path, node, (), lines, budget), lines


# A suite is a few levels deep; far deeper input is a mistake (or an attack), and everything after
# the parser (our constructor, pydantic, the cell fingerprints) walks it recursively.
MAX_DEPTH = 64
# YAML aliases can expand a small file into an enormous value ("billion laughs"): cap the nodes built.
MAX_NODES = 1_000_000


def _too_deep(path: Path, line: int | None) -> InputError:
    return InputError([Problem(str(path), f"nested more than {MAX_DEPTH} levels deep", line=line,
                               hint="a suite file nests a few levels: check the brackets and indentation")])


def _deepest(root: yaml.Node) -> yaml.Node | None:
    """The first node deeper than MAX_DEPTH, found without recursion."""
    stack = [(root, 0)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return node
        if id(node) in seen:  # an alias: its node was walked already
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack += [(n, depth + 1) for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(n, depth + 1) for n in node.value]
    return None


def _construct(path: Path, node: yaml.Node, at: Path_, lines: dict[Path_, int], budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise InputError([Problem(str(path), f"expands to more than {MAX_NODES:,} values (YAML aliases)",
                                  hint="write the values out instead of repeating anchors (*name)")])
    lines[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError([Problem(str(path), "a key must be a plain name, not a list or a mapping",
                                          line=key_node.start_mark.line + 1, hint="fix the key at that line")])
            key = _scalar(key_node)
            out[key] = _construct(path, value_node, at + (str(key),), lines, budget)
            lines[at + (str(key),)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(path, item, at + (i,), lines, budget) for i, item in enumerate(node.value)]
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
