"""Adds the cheaper models to compare to an imported suite: what you would otherwise type under each task's
`candidates:` (the import names only the model that runs today). Each new candidate gets the reference's
settings, so the comparison changes the model and nothing else.

    python examples/traffic/add_candidates.py traffic-demo/traffic-demo.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

CHEAPER = {"route": ["gpt-4.1-nano"], "reply": ["gpt-4o-mini", "gpt-4.1-nano"]}


def main(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))  # the schema line, comments
    spec = yaml.safe_load(text)
    for task in spec["tasks"]:
        reference = task["candidates"][0]
        settings = {k: v for k, v in reference.items() if k not in ("id", "model")}
        task["candidates"] += [{"id": m, "model": f"openai/{m}", **settings} for m in CHEAPER.get(task["name"], [])]
    path.write_text(header + yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    print(f"{path}: added " + "; ".join(f"{t}: {', '.join(ms)}" for t, ms in CHEAPER.items()))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
