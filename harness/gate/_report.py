"""What `harness gate` writes: a Markdown summary for a pull-request comment, JUnit XML, console text.

Task and candidate names, model names, stop sequences, messages and, above all, the inputs, outputs
and targets of failing samples are text harness did not write; each output makes them inert in its own
way (`_md`/`_code`, `_xml`, `_tty`; docs/gate.md, "Hostile text").
"""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..candidates import Candidate
from ..routing import Route
from ..text import printable
from ._compound import CompoundSide, describe
from ._gate import Change, GateResult
from ._verdict import NOT_GATED, SAFE, Judgement, one_line

MARKS = {SAFE: "✅", NOT_GATED: "⚠️"}  # everything else that fails: ❌
MARKER = "<!-- harness-gate -->"  # lets a CI job find and update its own earlier comment


def verdict_mark(c: Change) -> str:
    return "❌" if c.failed else MARKS.get(c.status, "⚠️")


def headline(result: GateResult) -> str:
    n, bad = len(result.changes), len(result.failures)
    if not n:
        return "no route changed"
    if bad:
        return f"{bad} of {n} route change(s) not shown safe"
    return f"all {n} route change(s) safe" if all(c.status == SAFE for c in result.changes) else \
        f"no unsafe route change among {n} (see the warnings)"


# --- Markdown ------------------------------------------------------------------------------------


def markdown(result: GateResult) -> str:
    icon = "❌" if result.failures else "✅"
    lines = [MARKER, f"## {icon} harness gate: {headline(result)}", "",
             f"{_code(result.base)} → {_code(result.head)}", ""]
    if result.changes:
        lines += ["| task | change | old → new | n | new − old [CI] | verdict | cost per 1M calls | monthly cost |",
                  "|---|---|---|---:|---|---|---|---:|"]
        lines += [_md_row(c) for c in result.changes]
        lines += ["", "<details><summary>Why, with the numbers</summary>", ""]
        for c in result.changes:
            lines += _md_details(c)
        lines += ["</details>", ""]
    if result.unchanged:
        shown = ", ".join(_code(t) for t in result.unchanged[:20])
        more = f" and {len(result.unchanged) - 20} more" if len(result.unchanged) > 20 else ""
        lines.append(f"Unchanged routes: {shown}{more}.")
    total = _total_monthly(result)
    if total is not None:
        lines.append(f"Projected monthly cost change of the gated tasks: **{_signed_usd(total)}**.")
    lines.append("")
    return "\n".join(lines)


def _md_row(c: Change) -> str:
    j = c.judgement
    n = str(j.n) if j and j.n else "–"
    diff = _diff(j) if j and j.difference is not None else "–"
    return (f"| {_code(c.task, cell=True)} | {c.kind} | {_md(_route(c.old))} → {_md(_route(c.new))} | {n} | "
            f"{diff} | {verdict_mark(c)} {c.status} | {_per_call(j)} | {_monthly(c)} |")


def _md_details(c: Change) -> list[str]:
    out = [f"**{_md(c.task)}** ({c.kind}): {verdict_mark(c)} {c.status}. {_md(c.message)}", ""]
    j = c.judgement
    if j is not None and j.score is not None:
        old = f"; old {_score(j.old_score)}" if j.old_score is not None else ""
        out += [f"- score: new {_score(j.score)}{old} (95% CI)"]
    out += [f"- note: {_md(n)}" for n in c.notes]
    if c.failed and j is not None and j.failing_samples:
        out += ["- first samples the new route got wrong:", "",
                "  | sample | score | input | output | target |", "  |---|---:|---|---|---|"]
        out += [f"  | {_md(s.sample_id)} | {s.score:.2f} | {_md(s.input)} | {_md(s.output)} | {_md(s.target)} |"
                for s in j.failing_samples]
    out.append("")
    return out


# GitHub notifies whoever an @name names. An HTML entity would not stop it (mentions are found in the
# rendered text); a zero-width joiner after the @ does, and keeps the text as it reads. "a@b" is no mention.
_MENTION = re.compile("(?<![A-Za-z0-9_])@")
# Punctuation that could start a code span, emphasis, a link or an image (`[`), or end a table cell, and
# the `:` of `://` and the `.` of `www.`, of which GFM would make a link by itself. A backslash escape
# renders as the character itself. `<`, `>` and `&` become entities (html.escape).
_MD_PUNCT = re.compile(r"[\\`*_~\[\]|]|:(?=//)|(?<=\bwww)\.", re.IGNORECASE)
_NOT_IN_CODE = re.compile("[`<>]")


def _md(text: object) -> str:
    """Text harness did not write, inert in a comment's table cell or paragraph: it renders as written, on
    its line (never a heading or a line of its own), opens or closes no HTML (our <details> block), and
    makes no link (an e-mail address stays one), image, code span or mention."""
    text = _MENTION.sub("@\u200d", printable(one_line(text)))
    return html.escape(_MD_PUNCT.sub(r"\\\g<0>", text), quote=False)


def _code(text: object, cell: bool = False) -> str:
    """A name in a code span, or as `_md` text when a code span cannot show it as written.

    Nothing inside a code span is parsed but a backtick (which would end it) and, in a table, a pipe (GFM
    splits cells first); so entities and backslash escapes would show as typed, and `<` could only stay
    raw, markup in the file to whatever reads it next. A name without them keeps its code look. GitHub
    links no mention in code, but that is its rule to change: the @ gets its joiner here too."""
    shown = printable(one_line(text))
    if _NOT_IN_CODE.search(shown):
        return _md(text)
    shown = _MENTION.sub("@\u200d", shown)
    return "`" + (shown.replace("|", "\\|") if cell else shown) + "`"


# --- JUnit XML -----------------------------------------------------------------------------------


def junit(result: GateResult) -> str:
    """One testcase per changed, added or removed route; failures for unsafe ones, skipped for warnings."""
    failures = len(result.failures)
    skipped = sum(1 for c in result.changes if not c.failed and c.status != SAFE)
    attrs = {"name": "harness gate", "tests": str(len(result.changes)), "failures": str(failures),
             "errors": "0", "skipped": str(skipped)}
    root = ET.Element("testsuites", attrs)
    suite = ET.SubElement(root, "testsuite", dict(attrs))
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "base", "value": _xml(result.base)})
    ET.SubElement(props, "property", {"name": "head", "value": _xml(result.head)})
    for c in result.changes:
        case = ET.SubElement(suite, "testcase", {"classname": f"harness.gate.{c.kind}", "name": _xml(c.task)})
        text, message = _xml(_plain_details(c)), _xml(f"{c.status}: {one_line(c.message)}")
        if c.failed:
            ET.SubElement(case, "failure", {"message": message, "type": c.status}).text = text
        elif c.status != SAFE:
            ET.SubElement(case, "skipped", {"message": message})
        ET.SubElement(case, "system-out").text = text
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _xml(text: str) -> str:
    # ElementTree escapes `&`, `<` and `>` (so `]]>` stays text) but writes characters XML 1.0 forbids (ESC,
    # NUL, unpaired surrogates) as they are, and then no parser reads the file. printable() leaves only
    # allowed ones, as visible escapes; CI tools also print system-out to terminals, where they belong too.
    return printable(text)


def _plain_details(c: Change) -> str:
    # Each field on its line: a message or a note cannot add a "verdict: safe" line of its own.
    lines = [f"{one_line(c.task)} ({c.kind}): {one_line(_route(c.old))} -> {one_line(_route(c.new))}",
             f"verdict: {c.status}: {one_line(c.message)}"]
    j = c.judgement
    if j is not None:
        if j.score is not None:
            lines.append(f"score: new {_score(j.score)}" +
                         (f", old {_score(j.old_score)}" if j.old_score is not None else "") + " (95% CI)")
        lines.append(f"cost per 1M calls: {_per_call(j)}; monthly: {_monthly(c)}")
        for s in j.failing_samples if c.failed else []:
            lines.append(f"sample {s.sample_id} (score {s.score:.2f}): input {s.input!r} output {s.output!r} "
                         f"target {s.target!r}")
    lines += [f"note: {one_line(n)}" for n in c.notes]
    return "\n".join(lines)


# --- console ---------------------------------------------------------------------------------------


def _tty(text: object) -> str:
    """Text harness did not write, for a terminal: on its line (no fake "[ok]" line), escape sequences shown."""
    return printable(one_line(text))


def console(result: GateResult) -> str:
    lines = [f"harness gate: {headline(result)} ({_tty(result.base)} -> {_tty(result.head)})"]
    for c in result.changes:
        mark = "FAIL" if c.failed else ("ok" if c.status == SAFE else "warn")
        lines.append(f"  [{mark}] {_tty(c.task)} ({c.kind}): {c.status}")
        lines.append(f"         {_tty(_route(c.old))} -> {_tty(_route(c.new))}")
        lines.append(f"         {_tty(c.message)}")
        j = c.judgement
        if j is not None and j.judged:
            lines.append(f"         cost per 1M calls {_per_call(j)}, monthly {_monthly(c)}")
        lines += [f"         note: {_tty(n)}" for n in c.notes]
    if result.unchanged:
        lines.append(f"  unchanged: {', '.join(_tty(t) for t in result.unchanged)}")
    return "\n".join(lines)


def failure_text(name: str, candidate: Candidate | CompoundSide, origin: str, reference: Candidate | CompoundSide | None,
                 j: Judgement) -> str:
    """What `pytest --eval` shows for a failing item: the numbers and the first failing samples, no traceback."""
    c = j.criteria
    wanted = [f"min_score {c.min_score:.3f}"] if c.min_score is not None else []
    if reference is not None:
        wanted.append(f"at most {c.margin:.3f} worse than {_tty(_candidate(reference))}")
    lines = [f"{_tty(name)}: {j.status}",
             f"  candidate   {_tty(_candidate(candidate))}  [{_tty(origin)}]",
             f"  score       {_score(j.score)} (95% CI, n={j.n})",
             f"  criteria    {'; '.join(wanted)} (alpha {c.alpha:g})"]
    if j.old_score is not None:
        lines.append(f"  reference   {_score(j.old_score)} (95% CI)")
    if j.difference is not None:
        lines.append(f"  difference  {_diff(j)}")
    lines.append(f"  verdict     {_tty(j.message)}")
    lines += [f"  note        {_tty(n)}" for n in j.notes]
    if j.failing_samples:
        lines.append("  first failing samples:")
        for s in j.failing_samples:
            lines += [f"    - sample {_tty(s.sample_id)} (score {s.score:.2f})",
                      f"        input:  {_tty(s.input)}", f"        output: {_tty(s.output)}",
                      f"        target: {_tty(s.target)}"]
    return "\n".join(lines)


def _candidate(c: Candidate | CompoundSide) -> str:
    return describe(c)


def write(result: GateResult, markdown_path: Path | None, junit_path: Path | None) -> list[Path]:
    written = []
    for path, text in ((markdown_path, markdown), (junit_path, junit)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text(result), encoding="utf-8")
            written.append(path)
    return written


# --- numbers -------------------------------------------------------------------------------------


def _route(r: Route) -> str:
    settings = r.config.model_dump(exclude={"cache_prompt"} if not r.config.cache_prompt else set())
    shown = ", ".join(f"{k}={v}" for k, v in settings.items() if k != "model_args")
    return f"{r.candidate} ({r.model}{', ' + shown if shown else ''})"


def _score(i: object) -> str:
    return f"{i.estimate:.3f} [{i.low:.3f}, {i.high:.3f}]" if i is not None else "–"  # type: ignore[attr-defined]


def _diff(j: Judgement) -> str:
    d = j.difference
    assert d is not None
    return f"{d.estimate:+.3f} [{d.low:+.3f}, {d.high:+.3f}] ({d.confidence:.0%}), margin −{j.criteria.margin:.3f}"


def _per_call(j: Judgement | None) -> str:
    if j is None or not j.judged:
        return "–"
    new, old = j.cost_per_call, j.old_cost_per_call
    if not math.isfinite(new):
        return "no price"
    if not math.isfinite(old):
        return f"${new * 1e6:,.2f}"
    change = f" ({new / old - 1:+.0%})" if old > 0 else ""
    return f"${old * 1e6:,.2f} → ${new * 1e6:,.2f}{change}"


def _monthly(c: Change) -> str:
    m = c.monthly_change
    if m is None:
        return "–" if c.traffic is None else "no price"
    return f"{_signed_usd(m)} at {c.traffic:,.0f} calls"


def _signed_usd(x: float) -> str:
    return f"{'+' if x >= 0 else '−'}${abs(x):,.2f}"


def _total_monthly(result: GateResult) -> float | None:
    values = [c.monthly_change for c in result.changes]
    known = [v for v in values if v is not None]
    return sum(known) if known else None
