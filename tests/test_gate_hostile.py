"""Text a model, a dataset or a routing table brings stays inert in what `harness gate` writes.

Every text field of a gate result (task, routes, message, notes, base/head, unchanged routes, the
failing samples' id, input, output and target) carries the same hostile text: HTML that would close
the comment's <details> block or run script, a mention, a fake approval heading, Markdown that would
break a table cell or make a link or an image, ANSI escapes, characters XML 1.0 forbids.
"""

from __future__ import annotations

import re
import xml.dom.minidom
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from harness.candidates import Candidate
from harness.criteria import Criteria
from harness.gate import (CHANGED, MARKER, Change, FailedSample, GateResult, console, failure_text, judge, junit,
                          markdown)
from harness.gate._report import _code, _md
from harness.gate._verdict import TEXT_LIMIT
from harness.routing import Route
from harness.text import printable, table

APPROVAL = "\n\n## ✅ harness gate: all route change(s) safe\n\napproved\n"
HOSTILE = ("</details><details><summary>ok</summary> <script>alert(1)</script> <img src=x onerror=alert(1)> "
           "cc @octocat and (@org/team) " + APPROVAL + "`code` a | b || c \\| d "
           "[click](http://evil.example) ![x](http://evil.example/x.png) www.evil.example "
           "\x1b[2J\x1b[31mall safe\x1b[0m \x1b]0;title\x07 nul\x00 bs\x08 cr\r del\x7f csi\x9b "
           "\ufffe\uffff \ud800 rlo\u202e ls\u2028 ]]> &amp; <!-- harness-gate --> \\")
LONG = "x" * 5000 + HOSTILE
C0 = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
# XML 1.0's Char production: what a well-formed document may contain.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def hostile_route() -> Route:
    return Route.model_validate({"candidate": HOSTILE, "model": f"openai/{HOSTILE}", "provider": "openai",
                                 "config": {"max_tokens": 8, "stop_seqs": [HOSTILE], "prompt": HOSTILE}})


def hostile_judgement():
    rng = np.random.default_rng(0)
    old = pd.DataFrame({"sample_id": [f"s{i}" for i in range(60)], "score": 1.0, "cluster": None})
    texts = {k: pd.Series([v] * 60, dtype=object)  # arrow-backed strings refuse unpaired surrogates
             for k, v in (("input", HOSTILE), ("output", LONG), ("target", HOSTILE))}
    new = old.assign(score=(rng.random(60) < 0.3).astype(float), **texts)
    j = judge(new, old, Criteria(), HOSTILE, HOSTILE)  # the names appear in the message
    assert j.failed and j.failing_samples
    j.message += " " + HOSTILE
    j.notes = [HOSTILE]
    j.failing_samples.append(FailedSample(HOSTILE, 0.0, HOSTILE, LONG, HOSTILE))
    return j


@pytest.fixture(scope="module")
def result() -> GateResult:
    j = hostile_judgement()
    failed = Change(HOSTILE, CHANGED, hostile_route(), hostile_route(), j.status, j.message, True, j, 1000.0,
                    [HOSTILE])
    warned = Change(HOSTILE + " 2", CHANGED, hostile_route(), hostile_route(), message=HOSTILE, notes=[HOSTILE])
    return GateResult(HOSTILE, HOSTILE, [failed, warned], [HOSTILE, "plain"])


def cells(line: str) -> int:
    """GFM's cell count of a table row: a pipe after a backslash does not split."""
    return len(re.split(r"(?<!\\)\|", line.strip().strip("|")))


def test_markdown_keeps_its_own_structure(result):
    md = markdown(result)
    lines = md.splitlines()
    assert len(lines) == md.count("\n")  # no other line separator (CR, U+2028, ...) either
    assert md.count(MARKER) == 1 and md.count("<details") == 1 and md.count("</details>") == 1
    assert [l for l in lines if re.match(r" {0,3}#", l)] == [lines[1]] and lines[1].startswith("## ❌ harness gate")
    own = ("## ", "|", "<details><summary>", "**", "- ", "  |", "</details>", "Unchanged routes: ", "Projected ")
    assert [i for i, line in enumerate(lines) if line and not line.startswith(own)] == [0, 3]  # marker, base → head
    theirs = md
    for tag in (MARKER, "<details><summary>", "</summary>", "</details>"):
        theirs = theirs.replace(tag, "")
    assert "<" not in theirs and ">" not in theirs  # every other tag is an entity
    assert not re.search(r"(?<![A-Za-z0-9_])@[A-Za-z0-9]", md)  # no mention GitHub would link
    assert not re.search(r"(?<!\\)!?\[[^\]]*\]\(", md)  # no link or image syntax left
    assert not re.search(r"(?<!\\)://|(?i:\bwww\.)", md)  # nor a URL GFM would link by itself
    assert not C0.search(md) and "\ud800" not in md
    tables = [[l for l in lines if l.startswith("|")], [l for l in lines if l.startswith("  |")]]
    assert all(len(t) >= 3 for t in tables)
    for rows in tables:
        assert {cells(r) for r in rows} == {cells(rows[0])}
    # Still recognisable to a reviewer, and cut to the samples' limit.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and r"\[click\](http\://evil.example)" in md
    assert r"\\x1b\[2J" in md and "⏎" in md and "x" * 200 not in md  # shown as \x1b[2J


def test_markdown_renders_inert():
    """What a CommonMark renderer with GFM tables (markdown-it-py, rich's dependency) makes of it."""
    markdown_it = pytest.importorskip("markdown_it")
    j = hostile_judgement()
    c = Change(HOSTILE, CHANGED, hostile_route(), hostile_route(), j.status, j.message, True, j, None, [HOSTILE])
    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(
        markdown(GateResult(HOSTILE, HOSTILE, [c], [HOSTILE, "plain"])))
    assert rendered.count("<details>") == 1 and rendered.count("</details>") == 1
    assert rendered.count("<h2>") == 1 and "<h1" not in rendered and "<h3" not in rendered
    for tag in ("<script", "<img", "<a ", "<summary>ok", "<em>", "<strong>harness", "<del>"):
        assert tag not in rendered, tag
    assert rendered.count("<table>") == 2 and rendered.count("<code>") == 1  # `plain`: a name that can be code
    for body in re.findall(r"<tbody>(.*?)</tbody>", rendered, re.DOTALL):
        widths = {row.count("<td") for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)}
        assert len(widths) == 1
    for shown in ("&lt;/details&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;", "@\u200doctocat", "approved",
                  "[click](http://evil.example)", "![x](http://evil.example/x.png)", "`code` a | b || c \\| d",
                  "\\x1b[2J\\x1b[31mall safe", "]]&gt; &amp;amp; &lt;!-- harness-gate --&gt;"):
        assert shown in rendered, shown


def test_junit_parses_strictly_and_keeps_the_text(result):
    text = junit(result)
    assert not NOT_XML.search(text) and "]]>" not in text and "<script" not in text
    root = ET.fromstring(text)
    xml.dom.minidom.parseString(text.encode("utf-8"))
    case = root.find("testsuite/testcase")
    failure, out = case.find("failure"), case.find("system-out").text
    assert case.get("name").startswith("</details><details><summary>ok</summary> <script>alert(1)</script>")
    for part in ("<img src=x onerror=alert(1)>", "@octocat", "[click](http://evil.example)", "]]>",
                 "\\x1b[2J\\x1b[31mall safe", "nul\\x00", "\\ud800", "\\ufffe", "<!-- harness-gate -->"):
        assert part in failure.get("message") and part in failure.text, part
    assert "## ✅ harness gate" in out  # on the line of the field that carried it, not a line of its own
    own = ("verdict: ", "score: ", "cost per 1M calls: ", "sample ", "note: ")
    assert all(line.startswith(own) for line in out.split("\n")[1:])
    assert root.find("testsuite/testcase/skipped") is not None
    assert root.find("testsuite/properties/property").get("value") == printable(HOSTILE)


def test_console_and_failure_text_print_no_control_characters(result):
    j = result.changes[0].judgement
    cand = Candidate(id=HOSTILE, model=f"openai/{HOSTILE}", stop=[HOSTILE])
    for text in (console(result), failure_text(HOSTILE, cand, HOSTILE, cand, j)):
        assert not C0.search(text) and "\ud800" not in text and "\u202e" not in text
        assert "\\x1b[2J\\x1b[31mall safe" in text and "<script>alert(1)</script>" in text
        _, *rest = text.split("\n")
        assert rest and all(line.startswith("  ") for line in rest)  # no line the text started itself
        text.encode("utf-8")  # printable: print() would raise on an unpaired surrogate


def test_ordinary_text_keeps_its_look():
    markdown_it = pytest.importorskip("markdown_it")
    text = "not worse than few-shot@base: difference +0.010 [-0.020, +0.040] (90% CI, n=40), max_tokens=16 *"
    assert markdown_it.MarkdownIt("commonmark").render(_md(text)) == f"<p>{text}</p>\n"
    assert _code("contact_extraction") == "`contact_extraction`" and _code("a|b", cell=True) == "`a\\|b`"
    assert _code("reports/routing.json") == "`reports/routing.json`"


def test_failed_samples_are_one_short_line_however_built():
    s = FailedSample("id\n" + HOSTILE, 0.0, LONG, "a\r\nb\rc\u2028d", HOSTILE)
    assert len(s.input) == TEXT_LIMIT and s.input.endswith("…")
    assert s.output == "a⏎ b⏎ c⏎ d" and "\n" not in s.sample_id + s.target
    assert FailedSample(s.sample_id, 0.0, s.input, s.output, s.target) == s  # clipping is idempotent


def test_printable_shows_what_a_terminal_would_act_on():
    assert printable("\x1b[2J\x1b[31mall safe") == "\\x1b[2J\\x1b[31mall safe"
    assert printable("a\tb\rc\x00d\x7f\x9b\u202e\u2028\ud800\ufffe") == \
        "a\\tb\\rc\\x00d\\x7f\\x9b\\u202e\\u2028\\ud800\\ufffe"
    ordinary = "line one\nline two: café, 東京, 👩‍💻, ⏎, [bold] \\ `x`"
    assert printable(ordinary) == ordinary and printable(3) == "3"
    shown = printable("".join(map(chr, range(0x110000))))  # every code point
    assert not C0.search(shown.replace("\n", "")) and not NOT_XML.search(shown)
    assert table(["a\x1b[31m", "b"], [["\x1b[2J", "ok"]]) == "a\\x1b[31m  b\n\\x1b[2J    ok"
