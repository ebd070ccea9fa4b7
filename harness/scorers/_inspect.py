"""The bridge from our pure scorer functions to an inspect-ai scorer."""

from __future__ import annotations

import json
from typing import Any

from inspect_ai.scorer import Score, Scorer, Target, mean, scorer, stderr
from inspect_ai.solver import TaskState

from ._registry import SCORERS, score_text


@scorer(metrics=[mean(), stderr()], name="harness_score")
def harness_scorer(kind: str, options: dict[str, Any] | None = None) -> Scorer:
    if kind not in SCORERS:
        raise ValueError(f"unknown scorer {kind!r}")
    opts = dict(options or {})

    async def score(state: TaskState, target: Target) -> Score:
        # The raw target (number, dict, list) travels in metadata because
        # inspect's Target holds strings only.
        raw = state.metadata.get("target", target.text)
        output = state.output.completion if state.output else ""
        value = score_text(kind, opts, output, raw)
        return Score(value=value, answer=output, explanation=f"{kind} vs {json.dumps(raw, default=str)}")

    return score


class JudgeUnreadable(RuntimeError):
    """A rubric judge's answer holds no grade on its scale: the sample's error, never a guessed score."""


@scorer(metrics=[mean(), stderr()], name="harness_judge")
def judge_scorer(options: dict[str, Any], model: str, model_args: dict[str, Any] | None = None,
                 is_reference: bool = False) -> Scorer:
    """A judge scorer (docs/judge.md): `model` is the judge's inspect model name and `model_args` its provider's
    arguments (run builds them: the journal, for one; so a judge call answered once is never sent again).

    Pairwise: the candidate's answer against the reference answer (metadata `judge_reference`, else the
    target), once in each order; an unreadable verdict counts as a tie and is counted. The reference
    candidate itself scores 0.5 by construction, and an answer identical to the reference answer is a tie:
    neither is sent to the judge. Rubric: one grade, normalised to [0, 1]; an unreadable grade is the
    sample's error. The verdicts, the judge's text and its calls' usage go in the score's metadata."""
    from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model

    from ._judge import judge_calls, parse_choice, parse_grade, parse_scale, reference_text, rubric_score, verdict_of
    from ._pairwise import REFERENCE_SCORE, Verdict, consistent, pairwise_score
    from ._registry import JudgeOptions

    opts = JudgeOptions(**options)
    low, high = parse_scale(opts.scale)
    args = dict(model_args or {})

    async def ask(turns: list[tuple[str, str]]) -> tuple[str, dict[str, Any]]:
        judge = get_model(model, config=GenerateConfig(max_tokens=opts.max_tokens, temperature=0.0), **args)
        messages = [ChatMessageSystem(content=text) if role == "system" else ChatMessageUser(content=text)
                    for role, text in turns]
        out = await judge.generate(messages)
        meta, usage = out.metadata or {}, out.usage
        call = {"input_tokens": usage.input_tokens if usage else 0, "output_tokens": usage.output_tokens if usage else 0,
                "cache_read_tokens": (usage.input_tokens_cache_read or 0) if usage else 0,
                "cache_write_tokens": (usage.input_tokens_cache_write or 0) if usage else 0,
                "compute_s": meta.get("compute_s") or 0.0, "batch": bool(meta.get("batch", False)),
                "replayed": bool(meta.get("replayed", False)), "journal_key": meta.get("journal_key")}
        return out.completion, call

    def judged(value: float, output: str, verdict: str, reason: str, calls: list[dict[str, Any]],
               consistent_: bool | None = None, unparsed: int = 0) -> Score:
        return Score(value=value, answer=output, explanation=reason,
                     metadata={"judge": {"model": opts.model, "mode": opts.mode, "verdict": verdict, "reason": reason,
                                         "consistent": consistent_, "unparsed": unparsed, "calls": calls}})

    async def score(state: TaskState, target: Target) -> Score:
        output = state.output.completion if state.output else ""
        request = _request_text(state)
        reference = reference_text(state.metadata.get("judge_reference", state.metadata.get("target", target.text)))
        if opts.mode == "pairwise" and is_reference:
            return judged(REFERENCE_SCORE, output, "reference",
                          "the reference candidate: 0.5 by construction (docs/judge.md)", [])
        calls = judge_calls(opts.mode, opts.rubric, opts.scale, request, output, reference)
        if opts.mode == "rubric":
            text, call = await ask(calls[0])
            grade = parse_grade(text, low, high)
            if grade is None:
                raise JudgeUnreadable(f"the judge's answer has no grade on {opts.scale}: {text.strip()[:300]!r}")
            return judged(rubric_score(grade, low, high), output, f"{grade}/{high}", text.strip(), [call])
        if not calls:
            return judged(REFERENCE_SCORE, output, "same/same", "identical to the reference answer (not sent to "
                          "the judge)", [])
        (first, call1), (second, call2) = [await ask(turns) for turns in calls]
        v1, v2 = verdict_of(parse_choice(first), True), verdict_of(parse_choice(second), False)
        unparsed = (v1 is None) + (v2 is None)
        value = pairwise_score(v1 or Verdict.SAME, v2 or Verdict.SAME)
        agree = v1 is not None and v2 is not None and consistent(v1, v2)
        reason = f"candidate first: {first.strip()}\nreference first: {second.strip()}"
        return judged(value, output, f"{v1 or 'unparsed'}/{v2 or 'unparsed'}", reason, [call1, call2], agree,
                      unparsed)

    return score


def _request_text(state: TaskState) -> str:
    """What the judge is shown as the request: the sample's last user message (its own turn, after any shots)."""
    if isinstance(state.input, str):
        return state.input
    users = [m for m in state.input if m.role == "user"]
    return users[-1].text if users else ""
