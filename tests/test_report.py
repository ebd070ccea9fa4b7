"""The HTML report: escaping everywhere text appears, the CSP, decisions, imported results and input errors.

The rendered page in a real browser is tested in test_report_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from _report_data import (CHEAP, ESCAPED, HOSTILE, KEEP, NOTHING, PLANNED, SWITCH,
                          UNDECIDED, frame, routing_table, sequential_frame, sequential_table)
from harness import report, results, routing
from harness.cli import main
from harness.report import _data, _plots, _render
from harness.report._script import SORT_JS


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("report")
    df = frame()
    table = routing_table(df, out / "routing.json")
    path = report.write_report(df, table, out, results_path=out / "results.parquet", routing_path=out / "routing.json")
    return path.read_text(encoding="utf-8")


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    p = Tags()
    p.feed(html)
    return p.tags


def region(html: str, start: str, end: str) -> str:
    i = html.index(start)
    return html[i: html.index(end, i)]


# --- safety ---------------------------------------------------------------------------------------


def test_hostile_text_never_becomes_markup(page):
    found = tags(page)
    assert [t for t, _ in found].count("script") == 1  # ours, at the end
    assert not [t for t, _ in found if t in ("img", "iframe", "object", "embed", "foreignobject")]
    handlers = [(t, a) for t, attrs in found for a in attrs if a.lower().startswith("on")]
    assert handlers == []
    assert "<script>document.title" not in page and "<img src=x" not in page


@pytest.mark.parametrize("where,start,end", [
    ("summary table: task and chosen candidate", 'id="summary-table"', "</table>"),
    ("task links", 'id="tasks"', "</nav>"),
    ("task heading, suite and decision", 'id="task-1"', 'id="plot-1"'),
    ("plot (matplotlib SVG text; labels are shortened)", 'id="plot-1"', "</svg>"),
    ("cost chart (matplotlib SVG text; labels are shortened)", 'id="cost-chart"', "</svg>"),
    ("candidates table: candidate, model, config", 'id="candidates-1"', "</table>"),
    ("samples: input, outputs, target", 'id="samples-1"', "</details>"),
    ("metadata: default route", 'id="metadata"', "<h3>"),
    ("metadata: models and configurations", 'id="models-table"', "</table>"),
])
def test_hostile_text_is_shown_as_text_in(page, where, start, end):
    short = "routing &lt;script&gt;" if where.startswith("cost chart") else "cheap &lt;script&gt;"
    assert (ESCAPED if "shortened" not in where else short) in region(page, start, end), where


def test_every_sample_text_is_escaped(page):
    samples = region(page, 'id="samples-1"', "</details>")
    # 4 samples × (input, target, chosen output, reference output "ok" is plain)
    assert samples.count(ESCAPED) >= 4 * 3
    assert "4 samples where cheap" in samples


def test_csp_forbids_network_and_allows_only_our_script(page):
    (meta,) = [a for t, a in tags(page) if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    csp = meta["content"]
    assert "default-src 'none'" in csp and "connect-src" not in csp  # falls back to 'none'
    digest = base64.b64encode(hashlib.sha256(SORT_JS.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    assert f"<script>{SORT_JS}</script>" in page  # byte for byte what the hash covers


def test_page_is_self_contained(page):
    urls = set(re.findall(r"https?://[^\s\"')<]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # XML namespaces, never fetched
    for t, attrs in tags(page):
        assert t not in ("link", "iframe") and "src" not in attrs, t
        assert all(v is None or not v.startswith(("http:", "https:", "//")) for k, v in attrs.items() if k != "xmlns"
                   and not k.startswith("xmlns")), t


def test_svg_ids_are_unique_across_plots(page):
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_matplotlib_escapes_hostile_and_dollar_names():
    view = _data.TaskView(name=HOSTILE, suite=None, decided=False, summary="", chosen=None, reference=None,
                          min_score=None, max_drop=None, alpha=None, n=3, traffic=None, monthly_before=None,
                          monthly_after=None, eval_spend=0.0, candidates=[
                              _data.CandidateRow(candidate=f"$5 and $6 {HOSTILE}", model=None, config="", status="",
                                                 reason="", n=3, score=0.5, score_low=0.2, score_high=0.8,
                                                 cost_per_call=1e-6, eval_cost=0.0)])
    svg = _plots.task_plot(view, 1)  # '$...$' must not be parsed as mathtext (it would raise)
    assert "$5 and $6 &lt;script&gt;" in svg and "<script" not in svg
    assert _plots.safe_svg(svg) == svg


@pytest.mark.parametrize("bad", [
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    '<use xlink:href="http://evil.example/x.svg#a"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org/1999/xhtml"/>'
    '</foreignObject></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(http://evil.example/p)"/></svg>',
    '<svg xmlns="http://www.w3.org/2000/svg"><style>@import "http://evil.example/x.css";</style></svg>',
])
def test_safe_svg_refuses_active_content(bad):
    with pytest.raises(ValueError, match="unsafe SVG"):
        _plots.safe_svg(bad)


# --- content --------------------------------------------------------------------------------------


def test_summary_has_decisions_money_and_eval_spend(page):
    summary = region(page, 'id="summary"', 'id="tasks"')
    assert "1 of 4 tasks can move to a cheaper configuration" in summary
    # routing: 1M calls × $1e-3 -> × $1e-4; keep_reference: 200k × $1e-3 both before and after
    assert 'id="kpi-before">$1,200<' in summary and 'id="kpi-after">$300<' in summary
    assert 'id="kpi-saving">$900<' in summary and "75% of today" in summary
    assert 'id="kpi-eval">$0.26<' in summary  # half the production price on every one of the 1,420 calls
    assert 'id="cost-chart"' in summary and summary.count("<tr>") == 1 + 4


def test_each_task_has_plot_and_sortable_candidate_table(page):
    for i in range(1, 5):
        section = region(page, f'id="task-{i}"', "</section>")
        assert f'<figure class="task-plot" id="plot-{i}"><svg' in section
        assert f'<table class="sortable candidates" id="candidates-{i}">' in section


def test_candidate_table_has_the_evidence(page):
    table = region(page, 'id="candidates-1"', "</table>")
    assert "Adjusted p" in table and "Difference vs reference" in table and "90% interval" in table
    assert table.count("<tr") == 1 + 4
    assert "proven worse than big" in table and "badge pass" in table and 'class="chosen"' in table
    assert "$100" in table and "$1,000" in table  # cost per 1M calls


def test_nothing_passed_task(page):
    section = region(page, 'id="task-2"', "</section>")
    assert f"<h2>{NOTHING}" in section
    assert "no route" in section and "falls back to the default route" in section
    assert section.count("badge fail") == 2 and "min_score (0.9)" in section  # legend in the SVG
    assert "<details" not in section and "no candidate was chosen" in section


def test_keep_reference_and_undecided_tasks(page):
    sections = {name: region(page, f'id="task-{i}"', "</section>")
                for i, name in enumerate([SWITCH, NOTHING, KEEP, UNDECIDED], 1)}
    assert "keep ref" in sections[KEEP] and "nothing changes for any sample" in sections[KEEP]
    assert "no criteria" in sections[UNDECIDED] and "only scores are shown" in sections[UNDECIDED]


def test_samples_are_capped_with_the_count(tmp_path, monkeypatch):
    monkeypatch.setattr(_data, "MAX_SAMPLES", 2)
    df = frame()
    data = _data.build(df, routing_table(df, tmp_path / "routing.json"))
    view = data.tasks[0]
    assert view.chosen == CHEAP and view.samples_total == 4 and len(view.samples) == 2
    assert view.samples[0].reference_score == 1.0 and view.samples[0].chosen_score == 0.0


def test_routing_from_other_results_is_flagged(tmp_path):
    df = frame()
    table = routing_table(df, tmp_path / "routing.json")
    other = df[~((df["task"] == SWITCH) & (df["candidate"] == CHEAP))]  # the chosen candidate is gone
    data = _data.build(other, table)
    assert any("was made from other results" in w for w in data.warnings)


def test_routing_reference_missing_from_results_is_flagged(tmp_path):
    df = frame()
    table = routing_table(df, tmp_path / "routing.json")
    data = _data.build(df[df["candidate"] != "big"], table)
    assert any("reference 'big' is not in these results" in w for w in data.warnings)
    assert not data.tasks[0].decided


def test_report_without_routing_table_shows_scores_only(tmp_path):
    path = report.write_report(frame(), None, tmp_path, results_path="r.csv")
    html = path.read_text()
    assert "no routing table" in html and html.count('class="task-plot"') == 4
    assert 'id="cost-chart"' not in html


def test_money_formats():
    assert [_render.usd(v) for v in (12345.6, 300, 12.344, 0.42, 0.00044, None, float("nan"))] == [
        "$12,346", "$300", "$12.34", "$0.42", "$0.00044", "n/a", "n/a"]
    assert _render.per_million(2e-5) == "$20.00" and _render.per_million(float("nan")) == "no price"


# --- the command ----------------------------------------------------------------------------------


def test_report_from_imported_csv_without_token_columns(tmp_path, capsys):
    """Results from another tool: no tokens, model, config, cluster or texts; select then report."""
    df = frame()
    df = df[df["task"] == KEEP][["task", "candidate", "sample_id", "score", "prod_cost_usd"]]
    csv = tmp_path / "other_tool.csv"
    df.to_csv(csv, index=False)
    assert main(["select", "--results", str(csv), "--reference", "ref", "--traffic", "5000",
                 "--out", str(tmp_path / "routing.json")]) == 0
    assert main(["report", "--results", str(csv), "--routing", str(tmp_path / "routing.json"),
                 "--out", str(tmp_path)]) == 0
    html = (tmp_path / "index.html").read_text()
    assert "keep the reference ref" in html and "model not recorded" in html
    assert html.count('class="task-plot"') == 1 and "no inspect logs" in html
    assert f"report -> {tmp_path / 'index.html'}" in capsys.readouterr().out


def test_imported_csv_with_texts_but_no_model_shows_samples(tmp_path):
    df = frame()
    df = df[df["task"] == SWITCH][["task", "candidate", "sample_id", "score", "cost_usd", "input", "output",
                                    "target"]]
    loaded = results.validate(df.reset_index(drop=True), "x.csv")
    data = _data.build(loaded, routing_table(frame(), tmp_path / "routing.json"))
    assert data.tasks[0].samples_total == 4 and data.tasks[0].samples[0].input.startswith("Ticket")


@pytest.mark.parametrize("content", [None, "", "task,candidate,sample_id,score,cost_usd\n"])
def test_missing_or_empty_results_is_a_clear_error(tmp_path, capsys, content):
    path = tmp_path / "results.csv"
    if content is not None:
        path.write_text(content)
    assert main(["report", "--results", str(path), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and ("not found" in err or "no rows" in err or "cannot read" in err)
    assert not (tmp_path / "index.html").exists()


def test_missing_routing_file_is_a_clear_error(tmp_path, capsys):
    csv = tmp_path / "r.csv"
    frame().to_csv(csv, index=False)
    assert main(["report", "--results", str(csv), "--routing", str(tmp_path / "nope.json"),
                 "--out", str(tmp_path)]) == 2
    assert f"{tmp_path / 'nope.json'}: routing file not found" in capsys.readouterr().err


def test_default_routing_is_optional(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame().to_parquet(tmp_path / "results.parquet")
    assert main(["report", "--results", "results.parquet", "--out", "out"]) == 0
    assert "scores without decisions" in capsys.readouterr().err
    assert (tmp_path / "out" / "index.html").is_file()


def test_metadata_names_versions_hashes_and_logs(tmp_path):
    suite = tmp_path / "s.yaml"
    (tmp_path / "d.jsonl").write_text('{"target": 1}\n')
    suite.write_text("suite: s\ntasks:\n  - name: t\n    dataset: d.jsonl\n")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.eval").write_bytes(b"")
    html = report.render(frame(), None, tmp_path, results_path="r.parquet", suite_paths=[suite])
    assert hashlib.sha256(suite.read_bytes()).hexdigest() in html
    assert hashlib.sha256(b'{"target": 1}\n').hexdigest() in html
    assert "inspect-ai <code>0.3.285</code>" in html and "genai-prices <code>" in html
    assert f"inspect view --log-dir {tmp_path / 'logs'}" in html


def test_write_is_atomic_and_readable(tmp_path):
    path = _render.write("<p>x</p>", tmp_path / "index.html")
    assert path.read_text() == "<p>x</p>" and oct(path.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_routing_table_round_trip_is_what_the_report_reads(tmp_path):
    df = frame()
    table = routing_table(df, tmp_path / "routing.json")
    data = _data.build(df, routing.load(tmp_path / "routing.json"))
    assert [t.chosen for t in data.tasks] == [table.routes[SWITCH].candidate, None, "ref", None]
    assert data.warnings == []


# --- sequential runs (harness run --sequential) ------------------------------------------------------

def _fixed_size(g: pd.DataFrame) -> tuple[int, float]:
    """Calls and eval USD of a fixed-size run: PLANNED samples per candidate at its mean eval cost per call."""
    planned = int(g["planned_samples"].max())
    per_call = g.groupby("candidate")["cost_usd"].mean()
    return planned * len(per_call), float(planned * per_call.sum())


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


@pytest.fixture(scope="module")
def sequential_page(tmp_path_factory) -> tuple[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("sequential")
    df = sequential_frame()
    table = sequential_table(df, out / "routing.json")
    path = report.write_report(df, table, out, results_path=out / "results.parquet", routing_path=out / "routing.json")
    return path.read_text(encoding="utf-8"), df


def test_sequential_task_says_what_stopping_early_saved(sequential_page):
    page, df = sequential_page
    calls, spent = len(df), float(df["cost_usd"].sum())
    fixed_calls, fixed_usd = _fixed_size(df)
    assert calls < fixed_calls and spent < fixed_usd  # the data did stop early
    box = _text(region(page, 'id="sequential-1"', "</p>"))
    assert (f"Sequential: {int(df['round'].max())} rounds; {calls:,} calls of the {fixed_calls:,} a fixed-size run "
            f"of {PLANNED} samples per candidate would make ({fixed_calls - calls:,} fewer, "
            f"{_render.pct((fixed_calls - calls) / fixed_calls)}); {_render.usd(spent)} spent instead of "
            f"{_render.usd(fixed_usd)} ({_render.usd(fixed_usd - spent)} saved)") in box
    summary = _text(region(page, 'id="summary"', 'id="tasks"'))
    assert (f"Early stopping on 1 task run in rounds: {calls:,} calls instead of the {fixed_calls:,} that "
            f"fixed-size runs of the planned samples would make ({fixed_calls - calls:,} fewer") in summary
    assert f"({_render.usd(fixed_usd - spent)} saved)" in summary
    assert "Note: sequential" not in page  # the box replaces select's note


def test_sequential_candidate_table_says_when_each_candidate_was_decided(sequential_page):
    page, df = sequential_page
    table = region(page, 'id="candidates-1"', "</table>")
    assert "<th>Decided</th>" in table and "Samples needed" not in table
    samples = df.groupby("candidate")["sample_id"].nunique()
    last = df.groupby("candidate")["round"].max()
    decided = dict(re.findall(r'<td><strong>([^<]+)</strong>.*?<td class="decided"[^>]*>([^<]*)</td>', table, re.S))
    assert decided == {
        # good passed at the end of the last round it got samples in: passing is why it stopped
        "good": f"passed, round {last['good']} ({samples['good']} samples)",
        "bad": f"dropped (futile) after {samples['bad']} samples",
        "pricey": f"not needed after {samples['pricey']} samples",  # good, cheaper, passed
        "ref": f"the reference: ran while the candidates did ({samples['ref']} samples)",
    }
    assert "switch to good" in page and f"up to {samples.max()} samples per candidate" in page


def test_fixed_size_report_has_no_decided_column(page):
    assert "Decided" not in page and 'id="sequential-' not in page and "Early stopping" not in page
    assert region(page, 'id="candidates-1"', "</table>").count("Samples needed") == 1


def test_mixed_report_sums_savings_over_sequential_tasks_only(tmp_path):
    seq = pd.concat([sequential_frame("seq_a"), sequential_frame("seq_b", planned=400, scale=3.0)],
                    ignore_index=True)
    fixed = frame()
    fixed = fixed[fixed["task"] == KEEP]
    df = results.validate(pd.concat([seq, fixed], ignore_index=True), "mixed")
    table = sequential_table(df, tmp_path / "routing.json")
    data = _data.build(df, table)
    assert [t.sequential is not None for t in data.tasks] == [True, True, False]
    per_task = [_fixed_size(g) for _, g in seq.groupby("task")]
    calls, fixed_calls = len(seq), sum(c for c, _ in per_task)
    spent, fixed_usd = float(seq["cost_usd"].sum()), sum(u for _, u in per_task)
    t = data.totals
    assert (t.sequential_tasks, t.sequential.samples_used, t.sequential.samples_fixed) == (2, calls, fixed_calls)
    assert t.sequential.spent_usd == pytest.approx(spent) and t.sequential.usd_saved == pytest.approx(fixed_usd - spent)
    keep = report.render(df, table, tmp_path, results_path="r.parquet")
    html = _text(keep)
    assert (f"Early stopping on 2 tasks run in rounds: {calls:,} calls instead of the {fixed_calls:,} that fixed-size "
            f"runs of the planned samples would make ({fixed_calls - calls:,} fewer, "
            f"{_render.pct((fixed_calls - calls) / fixed_calls)}), "
            f"{_render.usd(spent)} spent instead of {_render.usd(fixed_usd)} "
            f"({_render.usd(fixed_usd - spent)} saved)") in html
    assert "Samples needed" in region(keep, 'id="candidates-3"', "</table>")
    assert "Decided" not in region(keep, 'id="candidates-3"', "</table>")


def test_sequential_without_planned_samples_has_nothing_to_compare_with(tmp_path):
    df = sequential_frame(planned=None)
    html = report.render(df, sequential_table(df, tmp_path / "routing.json"), tmp_path, results_path="r.parquet")
    box = _text(region(html, 'id="sequential-1"', "</p>"))
    assert f"{len(df):,} calls (the planned samples per candidate are not recorded" in box
    assert "Early stopping" not in html and "<th>Decided</th>" in html


@pytest.mark.parametrize("fields,text", [
    ({"stopped": "passed", "decided_round": 5, "decided_samples": 100, "samples": 100},
     "passed, round 5 (100 samples)"),
    ({"stopped": "failed", "decided_round": 2, "decided_samples": 40, "samples": 40}, "failed, round 2 (40 samples)"),
    ({"stopped": "futile", "samples": 20}, "dropped (futile) after 20 samples"),
    ({"stopped": "not needed", "samples": 100}, "not needed after 100 samples"),
    ({"stopped": "open", "samples": 200}, "open (200 samples)"),
    ({"stopped": "passed", "decided_round": 2, "decided_samples": 40, "samples": 100, "reference": True},
     "passed, round 2 (40 samples); ran on to 100 samples"),
    ({}, ""),  # a fixed-size run
])
def test_decided_text(fields, text):
    row = _data.CandidateRow(candidate="c", model=None, config="", status="", reason="", n=200, score=0.5,
                             score_low=0.4, score_high=0.6, cost_per_call=1e-4, eval_cost=0.0, **fields)
    assert row.decided_text == text
