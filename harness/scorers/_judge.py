"""Judge scorers' pure parts: the judge's prompts, and reading its verdict or grade from its answer.

A judge is a model; calling it is the inspect adapter's job (`_inspect.judge_scorer`). Here: what it is
asked and how its answer is read. An answer that cannot be read is None, never a guess: the adapter
counts it (a tie in pairwise mode, docs/judge.md; a sample error in rubric mode).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._pairwise import Verdict

Turn = tuple[str, str]  # (role, text), as harness.suite.chat_turns gives them

PAIRWISE_SYSTEM = (
    "You compare two answers, A and B, to the same request, and say which is better.\n"
    "{rubric}\n"
    "Write one or two sentences of reasons, then a last line that is exactly one of:\n"
    "Verdict: A\nVerdict: B\nVerdict: same")
RUBRIC_SYSTEM = (
    "You grade an answer to a request on a scale from {low} (worst) to {high} (best).\n"
    "{rubric}\n"
    "Write one or two sentences of reasons, then a last line `Grade: N` with N a whole number from {low} to {high}.")


def pairwise_prompt(request: str, first: str, second: str) -> str:
    return (f"Request:\n<<<\n{request}\n>>>\n\nAnswer A:\n<<<\n{first}\n>>>\n\n"
            f"Answer B:\n<<<\n{second}\n>>>\n\nWhich answer is better?")


def rubric_prompt(request: str, answer: str) -> str:
    return f"Request:\n<<<\n{request}\n>>>\n\nAnswer:\n<<<\n{answer}\n>>>\n\nGrade the answer."


def reference_text(raw: Any) -> str:
    """A record's reference answer as the judge is shown it."""
    return raw if isinstance(raw, str) else json.dumps(raw, default=str)


def judge_calls(mode: str, rubric: str, scale: str, request: str, output: str, reference: str) -> list[list[Turn]]:
    """The judge's requests for one answer, as chat turns: pairwise, the candidate first and then the reference
    first (none when the answer is the reference answer: a tie without asking); rubric, one grade.

    The one place these are built: the scorer sends them, and run builds the same turns (so the same journal
    keys) to send them ahead of scoring, in batches."""
    if mode == "rubric":
        low, high = parse_scale(scale)
        return [[("system", RUBRIC_SYSTEM.format(low=low, high=high, rubric=rubric)),
                 ("user", rubric_prompt(request, output))]]
    if output.strip() == reference.strip():
        return []
    system = PAIRWISE_SYSTEM.format(rubric=rubric)
    return [[("system", system), ("user", pairwise_prompt(request, output, reference))],
            [("system", system), ("user", pairwise_prompt(request, reference, output))]]


_VERDICT = re.compile(r"verdict\s*[:=\-]?\s*[*_`\"'\[(]*\s*(?:answer\s+)?"
                      r"(same|tie|equal|neither|both|a(?!\s+(?:tie|draw)\b)|b)\b", re.IGNORECASE)
_BARE = re.compile(r"^[*_`\"'\[(\s]*(a|b|same|tie)[*_`\"'\])\s.]*$", re.IGNORECASE)
_GRADE = re.compile(r"(?:grade|score|rating)\s*[:=\-]?\s*[*_`\"'\[(]*\s*(\d+)(?:\s*/\s*\d+)?", re.IGNORECASE)
_SCALE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


def parse_choice(text: str) -> str | None:
    """"A", "B" or "same" from a pairwise judge's answer: its last `Verdict: ...`, or an answer that is only
    A, B or same; None when there is neither."""
    found = _VERDICT.findall(text)
    if found:
        word = found[-1].lower()
    else:
        bare = _BARE.match(text.strip())
        if not bare:
            return None
        word = bare.group(1).lower()
    return word.upper() if word in ("a", "b") else "same"


def verdict_of(choice: str | None, candidate_first: bool) -> Verdict | None:
    """The verdict from the candidate's side: A is the answer shown first."""
    if choice is None:
        return None
    if choice == "same":
        return Verdict.SAME
    wins = (choice == "A") == candidate_first
    return Verdict.BETTER if wins else Verdict.WORSE


def parse_scale(scale: str) -> tuple[int, int]:
    """"1-5" -> (1, 5); ValueError unless two whole numbers, the first below the second."""
    m = _SCALE.match(scale)
    if not m or int(m.group(1)) >= int(m.group(2)):
        raise ValueError(f"scale {scale!r} is not of the form LOW-HIGH with LOW < HIGH, e.g. 1-5")
    return int(m.group(1)), int(m.group(2))


def parse_grade(text: str, low: int, high: int) -> int | None:
    """The last `Grade: N` (or a bare number) in the judge's answer, when it is on the scale; else None."""
    found = _GRADE.findall(text)
    if not found:
        bare = text.strip().strip("*`.")
        found = [bare] if bare.isdigit() else []
    if not found:
        return None
    grade = int(found[-1])
    return grade if low <= grade <= high else None


def rubric_score(grade: int, low: int, high: int) -> float:
    """A grade on low..high normalised to [0, 1]."""
    return (grade - low) / (high - low)
