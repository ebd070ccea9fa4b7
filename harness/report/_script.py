"""The report's only script: click (or Enter on) a column header of a `table.sortable` to sort by it.

It lives here, not in the template, so its exact text can be hashed into the page's
Content-Security-Policy (`script-src 'sha256-...'`): the browser runs this script and refuses
every other one, including any that a hostile model output might smuggle in.
Cells sort by their `data-sort` value when they have one (numbers), else by their text;
empty values go last in both directions.
"""

from __future__ import annotations

import base64
import hashlib

SORT_JS = """
(function () {
  "use strict";
  function key(cell) {
    var v = cell.getAttribute("data-sort");
    if (v === null) { v = cell.textContent.trim(); }
    if (v === "") { return null; }
    var n = Number(v);
    return isNaN(n) ? v.toLowerCase() : n;
  }
  function compare(x, y, dir) {
    if (x === null || y === null) { return x === y ? 0 : (x === null ? 1 : -1); }
    if (typeof x !== typeof y) { return typeof x === "number" ? -1 : 1; }
    return (x < y ? -1 : x > y ? 1 : 0) * dir;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    heads.forEach(function (th, col) {
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      th.title = "sort by this column";
      function sort() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) { return compare(key(a.cells[col]), key(b.cells[col]), dir); });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
    table.setAttribute("data-sortable", "ready");
  });
})();
"""


def csp_hash(script: str) -> str:
    """The CSP source expression that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
