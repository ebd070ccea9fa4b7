"""Samples in rounds, for runs that stop early (`harness run --sequential`, a suite's `sequential:`).

A sequential task's planned samples (the same seeded subset a fixed run takes) are put in a
seeded random order and cut into rounds of `round` samples. Which candidates receive the next
round is decided above this layer (harness/pipeline runs the loop, harness/select decides);
here is only which samples a round holds, the same for every caller.
"""

from __future__ import annotations

import random

from ..suite import Suite

DEFAULT_ROUND = 50


def round_size(suite: Suite, cli_round: int | None, cli_sequential: bool) -> int | None:
    """Samples per round for this suite's tasks, or None for a fixed-size run."""
    if cli_sequential:
        return cli_round or suite.sequential_round or DEFAULT_ROUND
    return suite.sequential_round


def is_sequential_run(suites: list[Suite], cli_sequential: bool) -> bool:
    return cli_sequential or any(s.sequential_round for s in suites)


def sample_order(ids: tuple[str, ...], seed: int, task: str) -> tuple[str, ...]:
    """The planned samples in the seeded random order the rounds take them in."""
    order = list(ids)
    random.Random(f"{seed}:{task}:sequential").shuffle(order)
    return tuple(order)


def round_slice(ids: tuple[str, ...], order: tuple[str, ...], r: int, size: int) -> tuple[str, ...]:
    """Round r's samples (1-based) of `order`, listed in the order of `ids` (dataset order), as every
    other cell lists them (a cell's key is its set of records)."""
    part = set(order[(r - 1) * size: r * size])
    return tuple(i for i in ids if i in part)


def rounds_in(order: tuple[str, ...], size: int) -> int:
    return -(-len(order) // size)
