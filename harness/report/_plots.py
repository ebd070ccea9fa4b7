"""Plots as inline SVG strings, made with matplotlib's object API (no pyplot global state, no GUI backend).

Text stays text (`svg.fonttype: none`): the SVG is a few kB instead of glyph paths, and the
names in it remain selectable. The SVG goes into the page unescaped, so `safe_svg` checks
that it holds nothing that could run (matplotlib escapes text, and we verify rather than trust).
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ._compound import CompoundView, PointRow
from ._data import CandidateRow, TaskView

COLORS = {"pass": "#1b7f3b", "fail": "#c0392b", "inconclusive": "#d68910", "reference": "#1f5fa8", "": "#6b7280"}
CHOSEN = "#111827"
_RC = {
    "svg.fonttype": "none",  # keep text as <text>: small, selectable, and escaped by matplotlib
    "text.parse_math": False,  # a '$' in a candidate name is a dollar sign, not mathtext
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9ca3af",
    "axes.labelcolor": "#374151",
    "xtick.color": "#4b5563",
    "ytick.color": "#4b5563",
    "axes.grid": True,
    "grid.color": "#e5e7eb",
    "grid.linewidth": 0.6,
}


@contextmanager
def _style(salt: str) -> Iterator[None]:
    # A salt per figure keeps matplotlib's hashed ids (clip paths, markers) distinct between
    # the SVGs that share one HTML document.
    with matplotlib.rc_context({**_RC, "svg.hashsalt": salt}):
        yield


def task_plot(task: TaskView, index: int) -> str:
    """Cost per call (log) against score, 95% intervals, Pareto frontier, thresholds, the choice marked."""
    with _style(f"task{index}"):
        fig = Figure(figsize=(10, 4.2), layout="constrained")
        ax = fig.add_subplot()
        placed = [c for c in task.candidates if _plottable(c.cost_per_call)]
        ref = task.row(task.reference)
        if ref is not None and task.max_drop is not None:
            ax.axhspan(ref.score - task.max_drop, ref.score, color=COLORS["reference"], alpha=0.08, lw=0)
            ax.axhline(ref.score - task.max_drop, color=COLORS["reference"], lw=0.9, ls="--")
        if task.min_score is not None:
            ax.axhline(task.min_score, color=COLORS["fail"], lw=0.9, ls=":")
        frontier = _pareto(placed)
        if len(frontier) > 1:
            ax.plot([_x(c) for c in frontier], [c.score for c in frontier], color="#9ca3af", lw=1.2, zorder=1)
        for c in placed:
            _point(ax, c)
        _labels(ax, placed)
        _log_cost_axis(ax, [_x(c) for c in placed])
        ax.set_xlabel("production cost per 1M calls (USD, log scale)")
        ax.set_ylabel("score (mean, 95% interval)")
        ax.set_ylim(*_ylim(task, placed))
        ax.legend(handles=_legend(task), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        return _svg(fig, f"t{index}")


def compound_plot(box: CompoundView, prefix: str) -> str:
    """A compound candidate's thresholds: cost per call (log) against its score on the test samples, in the
    order they were tested; shown safe or not, the chosen one ringed, the reference and its margin drawn."""
    with _style(f"compound{prefix}"):
        fig = Figure(figsize=(10, 3.6), layout="constrained")
        ax = fig.add_subplot()
        ref = box.reference_score
        # gids name the groups in the SVG (prefixed per figure), so a test can count what is drawn.
        if ref is not None:
            ax.axhline(ref, color=COLORS["reference"], lw=1.0, gid="reference-score")
        if ref is not None and box.max_drop is not None:
            ax.axhspan(ref - box.max_drop, ref, color=COLORS["reference"], alpha=0.08, lw=0)
            ax.axhline(ref - box.max_drop, color=COLORS["reference"], lw=0.9, ls="--", gid="margin")
        if box.min_score is not None:
            ax.axhline(box.min_score, color=COLORS["fail"], lw=0.9, ls=":", gid="min-score")
        pts = [p for p in box.points if _plottable(p.cost_per_call)]
        ax.plot([p.cost_per_call * 1e6 for p in pts], [p.score for p in pts], color="#9ca3af", lw=1.0, zorder=1,
                gid="order")
        for safe in (True, False):
            group = [p for p in pts if p.safe == safe]
            if group:
                ax.plot([p.cost_per_call * 1e6 for p in group], [p.score for p in group], ls="none", marker="o",
                        ms=6, color=COLORS["pass"] if safe else "#6b7280", mfc=COLORS["pass"] if safe else "white",
                        zorder=3, gid="safe" if safe else "not-safe")
        singles = [(box.reference, box.reference_cost, ref, COLORS["reference"])]
        if box.baseline is not None and box.baseline != box.reference:
            singles.append((box.baseline, box.baseline_cost, box.baseline_score, "#374151"))
        placed = [(n, c, y, col) for n, c, y, col in singles
                  if n is not None and c is not None and y is not None and _plottable(c)]
        for name, cost, score, color in placed:
            ax.plot([cost * 1e6], [score], ls="none", marker="s", ms=7, color=color, zorder=3)
            ax.annotate(_short(name, 24), (cost * 1e6, score), xytext=(8, -12), textcoords="offset points",
                        fontsize=8, color=color)
        _threshold_labels(ax, box, pts)
        xs = [p.cost_per_call * 1e6 for p in pts] + [c * 1e6 for _, c, _, _ in placed]
        _log_cost_axis(ax, xs)
        ax.set_xlabel("production cost per 1M calls (USD, log scale)")
        ax.set_ylabel(f"score on the {box.test_samples} " + ("held-out samples" if box.train_samples else "samples"))
        values = [p.score for p in pts] + [y for _, _, y, _ in placed]
        if ref is not None and box.max_drop is not None:
            values += [ref, ref - box.max_drop]
        if box.min_score is not None:
            values.append(box.min_score)
        ax.set_ylim(*_zoom(values))
        ax.legend(handles=_compound_legend(box, pts, placed), loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
                  frameon=False)
        return _svg(fig, prefix)


def _threshold_labels(ax: Axes, box: CompoundView, pts: list[PointRow]) -> None:
    """The ends of the sequence (which way it runs) and the chosen threshold; the table lists them all."""
    if not pts:
        return
    marked = {0: pts[0], len(pts) - 1: pts[-1]}
    for i, p in marked.items():
        if not p.chosen:
            ax.annotate(_threshold_words(box, p) + (" (first tested)" if i == 0 else ""),
                        (p.cost_per_call * 1e6, p.score), xytext=(6, 6), textcoords="offset points", fontsize=7.5,
                        color="#6b7280")
    for p in pts:
        if p.chosen:
            ax.plot([p.cost_per_call * 1e6], [p.score], marker="o", ms=15, mfc="none", mec=CHOSEN, mew=1.6,
                    ls="none", zorder=4, gid="chosen")
            ax.annotate(f"{_threshold_words(box, p)}  ← chosen threshold", (p.cost_per_call * 1e6, p.score),
                        xytext=(10, 8), textcoords="offset points", fontsize=8, color="#111827", fontweight="bold")


def _threshold_words(box: CompoundView, p: PointRow) -> str:
    if box.kind == "router":
        step, share = p.shares[0]
        return f"{share:.0%} to {_short(step, 20)}"
    return f"confidence ≥ {p.threshold:g}" if p.threshold is not None else ""


def _compound_legend(box: CompoundView, pts: list[PointRow], placed: list) -> list[Line2D]:
    handles = []
    if any(p.safe for p in pts):
        handles.append(Line2D([], [], marker="o", ls="none", color=COLORS["pass"], label="shown safe (fixed-sequence)"))
    if not all(p.safe for p in pts):
        handles.append(Line2D([], [], marker="o", ls="none", color="#6b7280", mfc="white", label="not shown safe"))
    if any(p.chosen for p in pts):
        handles.append(Line2D([], [], marker="o", ms=11, mfc="none", mec=CHOSEN, ls="none", label="chosen threshold"))
    handles.append(Line2D([], [], color="#9ca3af", lw=1.0, label="thresholds in the order tested"))
    for name, _, _, color in placed:
        what = "reference" if name == box.reference else "best single route"
        handles.append(Line2D([], [], marker="s", ls="none", color=color, label=f"{what}: {_short(name, 20)}"))
    if box.reference_score is not None:
        handles.append(Line2D([], [], color=COLORS["reference"], lw=1.0, label="reference's score, same samples"))
    if box.reference_score is not None and box.max_drop is not None:
        handles.append(Line2D([], [], color=COLORS["reference"], lw=0.9, ls="--",
                              label=f"reference − max_drop ({box.max_drop:g})"))
    if box.min_score is not None:
        handles.append(Line2D([], [], color=COLORS["fail"], lw=0.9, ls=":", label=f"min_score ({box.min_score:g})"))
    return handles


def cost_bars(tasks: list[TaskView]) -> str | None:
    """Projected monthly cost per task: the reference everywhere against the chosen routes."""
    shown = [t for t in tasks if t.monthly_after is not None]
    if not shown:
        return None
    with _style("costbars"):
        fig = Figure(figsize=(10, 0.9 + 0.5 * len(shown)), layout="constrained")
        ax = fig.add_subplot()
        ys = list(range(len(shown)))[::-1]
        before = [t.monthly_before if t.monthly_before is not None else math.nan for t in shown]
        after = [t.monthly_after or 0.0 for t in shown]
        ax.barh([y + 0.19 for y in ys], before, height=0.36, color="#9db7d8", label="reference everywhere (today)")
        ax.barh([y - 0.19 for y in ys], after, height=0.36, color=COLORS["pass"], label="with the chosen routes")
        top = max([v for v in before + after if math.isfinite(v)] + [1e-12])
        for y, b, a in zip(ys, before, after):
            if math.isfinite(b):
                ax.text(b + top * 0.01, y + 0.19, _money(b), va="center", fontsize=8, color="#374151")
            ax.text(a + top * 0.01, y - 0.19, _money(a), va="center", fontsize=8, color="#374151")
        ax.set_yticks(ys, [_short(t.name, 28) for t in shown])
        ax.set_xlim(0, top * 1.18)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _money(v)))
        ax.set_xlabel("projected cost per month (USD)")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, fontsize=8, frameon=False)
        return _svg(fig, "cb")


# --- pieces ------------------------------------------------------------------------------------


def _log_cost_axis(ax: Axes, xs: list[float]) -> None:
    ax.set_xscale("log")
    # 1-2-5 ticks with plain dollar labels: a candidate range rarely spans a decade, and
    # matplotlib's default minor labels are mathtext, which parse_math=False would print raw.
    narrow = bool(xs) and max(xs) / min(xs) < 4
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=tuple(range(1, 10)) if narrow else (1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _money_tick(v)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    if xs:
        lo, hi = min(xs), max(xs)
        pad = max(hi / lo, 1.5) ** 0.25
        ax.set_xlim(lo / pad, hi * pad * 1.6)  # room on the right for labels


def _x(c: CandidateRow) -> float:
    return c.cost_per_call * 1e6


def _plottable(cost: float) -> bool:
    # A log axis has no place for a missing price or a free call; the caption lists them.
    return math.isfinite(cost) and cost > 0


def _pareto(cands: list[CandidateRow]) -> list[CandidateRow]:
    """Candidates no other candidate beats on both cost and score, cheapest first."""
    best, frontier = -math.inf, []
    for c in sorted(cands, key=lambda c: (c.cost_per_call, -c.score)):
        if c.score > best:
            frontier.append(c)
            best = c.score
    return frontier


def _point(ax: Axes, c: CandidateRow) -> None:
    color = COLORS.get(c.status, COLORS[""])
    err = [[max(c.score - c.score_low, 0)], [max(c.score_high - c.score, 0)]]
    shape = "s" if c.reference else "D" if c.compound is not None else "o"
    ax.errorbar([_x(c)], [c.score], yerr=err, fmt=shape, ms=7 if c.reference else 6,
                color=color, ecolor=color, elinewidth=1.2, capsize=3, zorder=3)
    if c.chosen:
        ax.plot([_x(c)], [c.score], marker="o", ms=15, mfc="none", mec=CHOSEN, mew=1.6, ls="none", zorder=4)


def _labels(ax: Axes, cands: list[CandidateRow]) -> None:
    """Names next to points, nudged apart when two points sit close together."""
    used: list[tuple[float, float]] = []
    for c in sorted(cands, key=lambda c: -c.score):
        lx, y = math.log10(_x(c)), c.score
        # Try 0, +11, -11, +22, ... points; 1 point of offset is about 1/250 of the score axis here.
        for dy in (0, 11, -11, 22, -22, 33, -33, 44, -44):
            if not any(abs(lx - ux) < 0.3 and abs(y + dy / 250 - uy) < 0.04 for ux, uy in used):
                break
        used.append((lx, y + dy / 250))
        label = _short(c.candidate, 24) + ("  ← chosen" if c.chosen else "")
        ax.annotate(label, (_x(c), c.score), xytext=(9, 3 + dy), textcoords="offset points", fontsize=8,
                    color="#111827", fontweight="bold" if c.chosen else "normal")


def _legend(task: TaskView) -> list[Line2D]:
    names = {"pass": "pass", "inconclusive": "inconclusive", "fail": "fail", "": "no decision"}
    handles = []
    ref = task.row(task.reference)
    if ref is not None:
        # The reference is a square, coloured by its own verdict (blue unless it fails min_score).
        handles.append(Line2D([], [], marker="s", ls="none", color=COLORS.get(ref.status, COLORS[""]),
                              label="reference (today)"))
    present = {c.status for c in task.candidates if not c.reference}
    handles += [Line2D([], [], marker="o", ls="none", color=COLORS[s], label=names[s])
                for s in ("pass", "inconclusive", "fail", "") if s in present]
    if task.compounds:
        handles.append(Line2D([], [], marker="D", ls="none", color=COLORS[""], label="compound (cascade, router)"))
    if task.chosen is not None:
        handles.append(Line2D([], [], marker="o", ms=11, mfc="none", mec=CHOSEN, ls="none", label="chosen"))
    handles.append(Line2D([], [], color="#9ca3af", lw=1.2, label="Pareto frontier"))
    if task.reference is not None and task.max_drop is not None:
        handles.append(Line2D([], [], color=COLORS["reference"], lw=0.9, ls="--",
                              label=f"reference − max_drop ({task.max_drop:g})"))
    if task.min_score is not None:
        handles.append(Line2D([], [], color=COLORS["fail"], lw=0.9, ls=":", label=f"min_score ({task.min_score:g})"))
    return handles


def _ylim(task: TaskView, cands: list[CandidateRow]) -> tuple[float, float]:
    """Zoom on the intervals and thresholds (at least 0.25 of the score range), within [0, 1]."""
    values = [v for c in cands for v in (c.score_low, c.score_high) if math.isfinite(v)]
    if task.min_score is not None:
        values.append(task.min_score)
    ref = task.row(task.reference)
    if ref is not None and task.max_drop is not None:
        values += [ref.score, ref.score - task.max_drop]
    return _zoom(values)


def _zoom(values: list[float]) -> tuple[float, float]:
    values = [v for v in values if math.isfinite(v)]
    if not values:
        return -0.02, 1.02
    lo, hi = min(values), max(values)
    grow = max(0.25 - (hi - lo), 0.0) / 2
    lo, hi = lo - grow, hi + grow
    pad = 0.06 * (hi - lo)
    lo, hi = max(lo - pad, -0.02), min(hi + pad, 1.02)
    if hi - lo < 0.25:  # pushed against an end of [0, 1]: extend the other way
        lo, hi = (lo, lo + 0.25) if lo <= 0 else (hi - 0.25, hi)
    return lo, hi


def _money(v: float) -> str:
    if v >= 100:
        return f"${v:,.0f}"
    if v >= 1:
        return f"${v:,.2f}"
    return f"${v:.2g}" if v > 0 else "$0"


def _money_tick(v: float) -> str:
    return f"${v:g}"


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- SVG out ------------------------------------------------------------------------------------

_HEADER = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_TAG = re.compile(r"(<[^>]*>)")
_ID_REF = re.compile(r'(\bid="|href="#|url\(#)([A-Za-z_][\w.\-]*)')
_SVG_NS = "{http://www.w3.org/2000/svg}"
_FORBIDDEN = {"script", "foreignObject", "iframe", "object", "embed", "image", "a", "animate", "set"}


def _svg(fig: Figure, prefix: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = _METADATA.sub("", _HEADER.sub("", buf.getvalue(), count=1))
    # matplotlib numbers its groups per figure (figure_1, axes_1, ...): prefix every id and
    # reference so several SVGs in one page never share an id. Only tags are rewritten,
    # never the text between them.
    text = "".join(_ID_REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", part) if part.startswith("<") else part
                   for part in _TAG.split(text))
    text = re.sub(r'width="[\d.]+pt" height="[\d.]+pt" ', "", text, count=1)  # size it with CSS, keep viewBox
    return safe_svg(text)


def safe_svg(svg: str) -> str:
    """Return `svg` if it holds no script, event handler, external reference or foreign HTML; else raise."""
    root = ET.fromstring(svg)  # well-formed XML or ParseError
    for el in root.iter():
        tag = el.tag.removeprefix(_SVG_NS)
        if tag in _FORBIDDEN or not el.tag.startswith(_SVG_NS):
            raise ValueError(f"unsafe SVG: <{tag}> element")
        if tag == "style" and re.search(r"url\(|@import", el.text or ""):
            raise ValueError("unsafe SVG: external reference in a style sheet")
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1]
            if local.lower().startswith("on"):
                raise ValueError(f"unsafe SVG: {local} attribute")
            if local == "href" and not value.startswith("#"):
                raise ValueError("unsafe SVG: external reference")
            if "url(" in value and not re.fullmatch(r"[^()]*url\(#[\w.\-]+\)[^()]*", value):
                raise ValueError("unsafe SVG: external url()")
    return svg
