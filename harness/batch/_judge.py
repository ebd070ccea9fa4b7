"""A judged task's API judge calls, built from the candidates' answers in the journal and sent like theirs.

The judge's requests exist only once the answers they judge do. For API candidates those answers are in
the journal after the driver has collected them, so the judge's requests can be built then (the same
turns the scorer builds, `scorers.judge_calls`, so the same journal keys) and sent like any other: in
batches, or synchronously with --no-batch, within --max-cost. inspect then scores every cell and the judge
scorer replays the answers. Answers that only inspect produces (local or endpoint candidates, inspect
tasks) are judged while inspect scores, synchronously, through the same journal.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..journal import Journal
from ..scorers import JudgeOptions, judge_calls, reference_text
from ..suite import chat_turns
from ._outcomes import response_text
from ._requests import API_PROVIDERS, ApiRequest, BodySettings, CellLike, make_request


def judge_settings(options: dict[str, Any]) -> BodySettings:
    """The judge's request settings: greedy, its own max_tokens."""
    return BodySettings(max_tokens=JudgeOptions(**options).max_tokens, temperature=0.0)


def is_reference(cell: CellLike) -> bool:
    """Whether the cell's candidate is its task's reference (a pairwise judge scores it 0.5 by construction)."""
    return cell.task.criteria.reference == cell.candidate.label()


def api_judge(cell: CellLike) -> str | None:
    """The judge of the cell's task when it is an API model with calls to make for this cell."""
    t = cell.task
    if t.scorer != "judge" or t.inspect_task is not None:
        return None
    model = str(t.scorer_options["model"])
    if model.split("/", 1)[0] not in API_PROVIDERS:
        return None
    if t.scorer_options.get("mode") == "pairwise" and is_reference(cell):
        return None
    return model


def judged_ahead(cell: CellLike) -> bool:
    """Whether the cell's judge calls can be built before inspect scores it (its answers come from the journal)."""
    return cell.candidate.provider in API_PROVIDERS and cell.task.inspect_task is None


def judge_samples(cell: CellLike, answer: Any) -> list[tuple[str, int, list[ApiRequest] | None]]:
    """(sample id, epoch, the judge's requests) of each sample × epoch of an API-judged cell, `answer(turns,
    epoch)` giving the candidate's answer text; requests None when it gives None (no answer yet)."""
    t, opts = cell.task, JudgeOptions(**cell.task.scorer_options)
    provider, model_id = opts.model.split("/", 1)
    settings, variant, wanted = judge_settings(t.scorer_options), t.variants[cell.candidate.prompt], set(cell.sample_ids)
    out = []
    for record in t.records:
        if record["id"] not in wanted:
            continue
        turns = chat_turns(variant, record, t.target_field)
        request = next((text for role, text in reversed(turns) if role == "user"), "")
        reference = reference_text(record.get(opts.reference or t.target_field))
        for epoch in range(1, t.epochs + 1):
            output = answer(turns, epoch)
            if output is None:
                out.append((str(record["id"]), epoch, None))
                continue
            calls = judge_calls(opts.mode, opts.rubric, opts.scale, request, output, reference)
            out.append((str(record["id"]), epoch, [make_request(provider, model_id, call, settings, epoch)
                                                   for call in calls]))
    return out


def judge_requests(cells: Iterable[CellLike], journal: Journal) -> tuple[list[ApiRequest], dict[str, int]]:
    """The API judge's requests of the cells' answered samples, and per cell name the samples × epochs whose
    answers are not in yet (a failed one becomes the sample's error, as without a judge)."""
    out: dict[str, ApiRequest] = {}
    waiting: dict[str, int] = {}
    for cell in cells:
        if api_judge(cell) is None or not judged_ahead(cell):
            continue
        c = cell.candidate
        provider, model_id = c.model.split("/", 1)
        settings = BodySettings.from_candidate(c)

        def answer(turns: list[tuple[str, str]], epoch: int) -> str | None:
            got = journal.answered(make_request(provider, model_id, turns, settings, epoch).key)
            return None if got is None else response_text(provider, got.response)[0]

        for _, _, reqs in judge_samples(cell, answer):
            if reqs is None:
                waiting[cell.name] = waiting.get(cell.name, 0) + 1
            else:
                out.update({r.key: r for r in reqs})
    return list(out.values()), waiting
