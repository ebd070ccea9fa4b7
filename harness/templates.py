"""`{{field}}` prompt templates: the one renderer, shared by the eval and by applications.

The eval (`harness.suite`) renders a record into the prompt a model is sent; an application that
loads a route (`harness.routing`) renders its own records with the route's prompt. Both must
produce the same text, or the scores do not apply, so both call `render` here. This module sits
at the bottom of the layers and imports only the standard library: `import harness.routing`
stays cheap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")


def render(template: str, record: Mapping[str, Any]) -> str:
    """`template` with each {{field}} replaced by the record's value (JSON for non-strings)."""
    return PLACEHOLDER.sub(lambda m: as_text(record[m.group(1)]), template)


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def fields(*templates: str | None) -> list[str]:
    """The distinct placeholder names of the templates, in the order they first appear."""
    return list(dict.fromkeys(name for t in templates if t for name in PLACEHOLDER.findall(t)))
