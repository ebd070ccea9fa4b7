"""A cell of the matrix: one task × one candidate × a set of samples, and its identity for resume."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cached_property

from ..candidates import CLASSIFIER_PROVIDER, ENDPOINT_FIELDS, Candidate, fingerprint
from ..suite import Suite, TaskDef


@dataclass(frozen=True)
class Cell:
    suite: Suite
    task: TaskDef
    candidate: Candidate
    sample_ids: tuple[str, ...]
    round: int | None = None  # sequential runs: which round this slice of samples is (not part of the key:
    planned: int | None = None  # the same samples give the same answers whichever round asks)

    @cached_property
    def key(self) -> str:
        """Everything that can change this cell's answers or scores; a finished log with this key is reused.
        Computed once per cell: it hashes every record the cell holds (100,000 of them in a large suite)."""
        t, c = self.task, self.candidate
        variant = t.variants.get(c.prompt)
        wanted = set(self.sample_ids)
        records = [r for r in t.records if r["id"] in wanted]
        # An endpoint candidate's server is the suite's (by name), whether written on it or under `endpoints:`;
        # other cells keep the keys they had before endpoints existed, so their finished logs stay reused.
        endpoint = self.suite.endpoint(c)
        served = [endpoint.identity()] if endpoint else []
        # `logprobs` joined later: left out when off, so the cells that do not ask for it keep their keys.
        fields = set(ENDPOINT_FIELDS) | (set() if c.logprobs else {"logprobs"})
        # A classifier's answers depend on what it was trained on; the other cells' keys leave `train:` out.
        trained = [t.train_records] if c.provider == CLASSIFIER_PROVIDER else []
        # A pairwise judge scores the reference by construction: whether this candidate is it changes its scores.
        judged = [("judge-reference", t.criteria.reference == c.label())] if t.scorer == "judge" else []
        return fingerprint(t.suite, t.name, c.model_dump(exclude=fields),
                           variant.__dict__ if variant else None, t.scorer, t.scorer_options, t.target_field,
                           t.cluster_field, t.epochs, t.inspect_task, records, *served, *trained, *judged)

    @property
    def name(self) -> str:
        return f"{self.task.name}.{self.candidate.label()}"

    def with_samples(self, sample_ids: tuple[str, ...], round: int | None = None,
                     planned: int | None = None) -> Cell:
        """The same task and candidate on other samples (a round of a sequential run)."""
        return Cell(self.suite, self.task, self.candidate, sample_ids, round=round, planned=planned)


def select_sample_ids(task: TaskDef, limit: int | None, seed: int) -> tuple[str, ...]:
    """All record ids, or a seeded random subset of `limit` of them (kept in dataset order).

    Random rather than the first N: files are often grouped by template, and
    the first N would then be a few clusters only.
    """
    ids = [r["id"] for r in task.records]
    if limit is None or limit >= len(ids):
        return tuple(ids)
    chosen = set(random.Random(f"{seed}:{task.name}").sample(ids, limit))
    return tuple(i for i in ids if i in chosen)
