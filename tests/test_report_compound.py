"""The report's compound routes: one box per cascade or router, with its threshold curve.

The numbers in each box are checked against the decision select makes on the same results; the
curve's groups are named in the SVG (gids), so what it draws is counted, not eyeballed. Hostile text
in candidate names, compound ids and check patterns stays text; a page without compound candidates
is what it was before they existed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from _report_compound_data import BIG_COST, MAX_DROP, TRAFFIC, compounds, decide, page, specs, tickets
from _report_data import CRITERIA, ESCAPED, HOSTILE, frame, routing_table
from _report_data import TRAFFIC as FRAME_TRAFFIC
from harness import report, results, routing
from harness.compound import CascadeSpec, ConfidenceCheck, RegexCheck, RouterSpec
from harness.report import _data, _render
from harness.select import TaskCompounds, TaskDecision, select
from test_report import region, tags

SVG = "{http://www.w3.org/2000/svg}"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).replace("&#39;", "'").replace("&gt;", ">").strip()


def _box(html: str, i: int, j: int) -> str:
    start = html.rindex("<div", 0, html.index(f'id="compound-{i}-{j}"'))
    ends = [k for k in (html.find('<div class="compound', start + 1), html.find("</section>", start)) if k > 0]
    return html[start:min(ends)]


def _drawn(svg: str, prefix: str) -> dict[str, int]:
    """Markers drawn per named group of a compound curve (its gids, prefixed by the figure's prefix)."""
    root = ET.fromstring(svg)
    return {g.get("id").removeprefix(prefix + "-"): len(list(g.iter(f"{SVG}use")))
            for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith(prefix + "-")
            and g.get("id").removeprefix(prefix + "-") in ("safe", "not-safe", "chosen", "order", "margin",
                                                           "reference-score", "min-score")}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[str, list[TaskDecision]]:
    out = tmp_path_factory.mktemp("compound")
    df = results.validate(pd.concat([tickets(), tickets("routed", seed=2)], ignore_index=True), "synthetic")
    found = compounds({"tickets": specs(), "routed": [RouterSpec(kind="router", cheap="mini", fallback="big")]})
    return page(out, df, found)


def test_every_compound_candidate_gets_a_box(built):
    html, decisions = built
    assert [d.chosen for d in decisions] == ["cascade:mini>big", "router:mini|big"]  # what the data are built for
    assert html.count('<div class="compound') == 3 + 1
    assert 'id="compounds-1"' in html and 'id="compounds-2"' in html and "Compound routes" in html


def test_the_tuned_cascade_box_has_its_numbers(built):
    html, decisions = built
    v = decisions[0].verdict("conf")
    e = v.compound
    p = e.points[e.chosen]
    box = _text(_box(html, 1, 2))
    assert box.startswith("conf pass cascade")  # passes; the task chose another route
    assert "mini answers when its answer's own probability reaches the threshold; big answers the rest" in box
    assert f"Who answers mini {p.shares[0]:.0%} · big {p.shares[1]:.0%} at confidence ≥ {p.threshold:.3g}" in box
    # the best single route is the reference: mini alone is proven worse
    assert (f"Cost per 1M calls {_render.per_million(p.cost)} {1 - p.cost / BIG_COST:.0%} cheaper than big "
            f"({_render.per_million(BIG_COST)}; the reference: no cheaper single candidate passes); "
            f"{_render.usd(p.cost * TRAFFIC)} a month against {_render.usd(BIG_COST * TRAFFIC)}") in box
    big = float(e.reference.mean())
    assert (f"Score {v.score.estimate:.3f} 95% interval [{v.score.low:.3f}, {v.score.high:.3f}]; big {big:.3f} on "
            f"the same {len(e.test_samples)} samples ({_render.signed(v.score.estimate - big)})") in box
    d = v.difference
    assert (f"How sure shown safe difference against big {_render.signed(d.estimate)}, 90% interval "
            f"[{_render.signed(d.low)}, {_render.signed(d.high)}] (the test needs its low end above −{MAX_DROP}); "
            f"{e.rejected} of {len(e.points)} thresholds shown safe; adjusted p {_render.pvalue(v.p_adjusted)}") in box
    assert f"Verdict: {v.reason}" in box and "learned on" not in box


def test_the_tuned_cascade_curve_marks_safe_chosen_and_the_margin(built):
    html, decisions = built
    e = decisions[0].verdict("conf").compound
    assert 0 < e.rejected < len(e.points)  # some thresholds shown safe, some not: both kinds drawn
    figure = region(html, 'id="compound-plot-1-2"', "</figure>")
    svg = figure[figure.index("<svg"): figure.index("</svg>") + 6]
    assert _drawn(svg, "c1-2") == {"safe": e.rejected, "not-safe": len(e.points) - e.rejected, "chosen": 1,
                                   "order": 0, "reference-score": 0, "margin": 0}
    chosen = e.points[e.chosen]
    assert f"confidence ≥ {chosen.threshold:g}  ← chosen threshold" in svg and "(first tested)" in svg
    assert "reference − max_drop (0.02)" in svg and "shown safe (fixed-sequence)" in svg
    assert "score on the 400 samples" in svg
    table = region(html, 'id="points-1-2"', "</details>")
    rows = re.findall(r"<tr class=\"(chosen)?\">(.*?)</tr>", table, re.S)
    assert len(rows) == len(e.points) and [bool(c) for c, _ in rows].index(True) == e.chosen
    assert sum("shown safe" in _text(r) for _, r in rows) == e.rejected
    assert "shown safe, chosen" in _text(rows[e.chosen][1])
    assert "not shown: testing stops here" in _text(rows[e.rejected][1])
    assert all("not tested (after the stop)" in _text(r) for _, r in rows[e.rejected + 1:])


def test_the_cascade_with_nothing_to_tune_has_a_box_but_no_curve(built):
    html, decisions = built
    box = _text(_box(html, 1, 1))
    e = decisions[0].verdict("cascade:mini>big").compound
    assert box.startswith("cascade:mini>big pass chosen cascade")
    assert f"Who answers mini {e.points[0].shares[0]:.0%} · big {e.points[0].shares[1]:.0%}" in box
    assert "Nothing to tune" in box and 'id="compound-plot-1-1"' not in html
    assert "thresholds shown safe" not in box and "at confidence" not in box


def test_the_router_box_says_what_it_learned_on_and_is_judged_on_the_rest(built):
    html, decisions = built
    v = decisions[0].verdict("router:mini|big")
    e = v.compound
    p = e.points[e.chosen]
    box = _text(_box(html, 1, 3))
    assert e.train_samples == 200 and len(e.test_samples) == 200
    assert ("This router learned on 200 samples and is judged only on the other 200: every number in this box is "
            "on those 200.") in box
    assert f"Who answers mini {p.shares[0]:.0%} · big {p.shares[1]:.0%} at router probability ≥ {p.threshold:.3g}" in box
    # its baseline score is big's on the 200 held-out samples, not on all 400
    held = float(e.reference.mean())
    assert f"big {held:.3f} on the same 200 samples" in box
    figure = region(html, 'id="compound-plot-1-3"', "</figure>")
    svg = figure[figure.index("<svg"): figure.index("</svg>") + 6]
    drawn = _drawn(svg, "c1-3")
    assert drawn["safe"] == e.rejected and drawn["not-safe"] == len(e.points) - e.rejected and drawn["chosen"] == 1
    assert "score on the 200 held-out samples" in svg and f"{p.shares[0]:.0%} to mini  ← chosen threshold" in svg


def test_a_chosen_router_shows_where_it_lost_with_the_answer_it_gave(built):
    html, decisions = built
    d = decisions[1]
    e = d.verdict(d.chosen).compound
    i = e.chosen
    ref = e.reference
    lost = int(((ref - e.scores[i]) > 0).sum())
    samples = region(html, 'id="samples-2"', "</details>")
    assert (f"{lost} samples where router:mini|big scored below the reference big (of the 200 samples it did not "
            "learn on)") in _text(samples)
    answered = re.findall(r"router:mini\|big \(chosen; (mini|big) answered\)", samples)
    assert len(answered) == min(lost, _data.MAX_SAMPLES) and set(answered) <= {"mini", "big"}


def test_the_candidates_table_links_each_compound_row_to_its_box(built):
    html, decisions = built
    table = region(html, 'id="candidates-1"', "</table>")
    e = decisions[0].verdict("conf").compound
    p = e.points[e.chosen]
    assert table.count("compound/cascade") == 2 and table.count("compound/router") == 1
    assert (f"mini → big; threshold {p.threshold:.3g}; answered by mini {p.shares[0]:.0%}, big {p.shares[1]:.0%}"
            in table)
    assert all(f'href="#compound-1-{j}"' in table for j in (1, 2, 3)) and "model not recorded" not in table


def test_without_the_specs_the_page_says_why_compounds_are_missing(tmp_path):
    df = tickets()
    html, _ = page(tmp_path, df, compounds({"tickets": specs()}), give_specs=False)
    warning = _text(region(html, 'id="warnings"', "</div>"))
    assert ("the routing table has compound candidate(s) cascade:mini>big, conf, router:mini|big, which this page "
            "can re-evaluate only with the task's suite") in warning
    assert "made from other results" not in warning and '<div class="compound' not in html


def test_compounds_named_on_one_line_are_re_evaluated_from_their_names(tmp_path):
    """`harness select --compound cascade:mini>big@confidence` on a results file: no suite, and the names
    are the specs, so `harness report` rebuilds the same boxes from the routing table alone."""
    df = tickets()
    one_line = [CascadeSpec(kind="cascade", steps=["mini", "big"], checks=[ConfidenceCheck(type="confidence")]),
                RouterSpec(kind="router", cheap="mini", fallback="big")]
    found = {"tickets": TaskCompounds(one_line)}  # what select builds for --compound without a suite
    html, decisions = page(tmp_path, df, found, give_specs=False)
    assert "can re-evaluate only with" not in html
    ids = re.findall(r'id="compound-(\d+)-(\d+)"', html)
    assert len(ids) == 2, ids
    boxes = " ".join(_text(_box(html, int(i), int(j))) for i, j in ids)
    assert "cascade:mini>big@confidence" in boxes and "router:mini|big" in boxes


def test_results_the_specs_no_longer_fit_leave_the_compounds_out_with_a_warning(tmp_path):
    df = tickets()
    found = compounds({"tickets": specs()})
    page(tmp_path, df, found)
    few = df[df["sample_id"].isin([f"s{i}" for i in range(16)])]  # too few to train a router and test it
    data = _data.build(few, routing.load(tmp_path / "routing.json"), found)
    assert any("its compound candidates cannot be evaluated on these results" in w for w in data.warnings)
    assert data.tasks[0].compounds == []


# --- safety -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("hostile")
    cheap, ref = f"mini {HOSTILE}", f"big {HOSTILE}"
    df = tickets(task=f"t {HOSTILE}", cheap=cheap, ref=ref)
    found = compounds({f"t {HOSTILE}": [
        CascadeSpec(kind="cascade", id=f"conf {HOSTILE}", steps=[cheap, ref], checks=[ConfidenceCheck(type="confidence")]),
        CascadeSpec(kind="cascade", id=f"re {HOSTILE}", steps=[cheap, ref], checks=[RegexCheck(type="regex",
                                                                                               pattern=HOSTILE)]),
        RouterSpec(kind="router", id=f"router {HOSTILE}", cheap=cheap, fallback=ref)]})
    return page(out, df, found, ref=ref)[0]


def test_hostile_compound_text_never_becomes_markup(hostile):
    found = tags(hostile)
    assert [t for t, _ in found].count("script") == 1
    assert not [t for t, _ in found if t in ("img", "iframe", "object", "embed", "foreignobject")]
    assert [(t, a) for t, attrs in found for a in attrs if a.lower().startswith("on")] == []
    assert "<script>document.title" not in hostile and "<img src=x" not in hostile


@pytest.mark.parametrize("j,what", [(1, "conf"), (2, "re"), (3, "router")])
def test_hostile_compound_text_is_shown_as_text_in_each_box(hostile, j, what):
    box = _box(hostile, 1, j)
    assert f"<h4>{what} {ESCAPED}" in box  # its id
    assert box.count(ESCAPED) >= 4  # the steps in how it routes, who answers, the baseline
    if what == "re":
        assert f"its answer matches &#39;{ESCAPED}" in box  # the check's pattern
    if what != "re":  # a regex check has no threshold: no curve
        figure = region(hostile, f'id="compound-plot-1-{j}"', "</figure>")
        svg = figure[figure.index("<svg"): figure.index("</svg>")]
        assert "&lt;script&gt;" in svg and "<script" not in svg and "<img" not in svg  # names in labels, legend


# --- a page without compound candidates --------------------------------------------------------------


def test_a_page_without_compounds_has_no_trace_of_them(tmp_path):
    df = frame()
    html = report.render(df, routing_table(df, tmp_path / "routing.json"), tmp_path, results_path="r.parquet")
    assert "compound" not in html.lower()


def test_tasks_without_compounds_render_the_same_beside_a_task_with_them(tmp_path):
    """The singles' sections are byte for byte what they are on a page without any compound candidate."""
    plain = frame()
    alone = report.render(plain, routing_table(plain, tmp_path / "a.json"), tmp_path, results_path="r.parquet")
    both = results.validate(pd.concat([plain, tickets()], ignore_index=True), "synthetic")
    found = compounds({"tickets": specs()})
    decided = both[both["task"].isin([*CRITERIA, "tickets"])]
    table = routing.build_table(select(decided, {**CRITERIA, "tickets": decide(tickets(), found)[0].criteria},
                                       {**FRAME_TRAFFIC, "tickets": TRAFFIC}, compounds=found),
                                source={"results": "synthetic"})
    mixed = report.render(both, table, tmp_path, results_path="r.parquet", compounds=found)
    assert '<div class="compound' in mixed
    for i in range(1, 5):
        assert region(mixed, f'id="task-{i}"', "</section>") == region(alone, f'id="task-{i}"', "</section>"), i
