"""Credentials found in a log are stripped before anything reads the call; `--redact` masks contact data.

Scrubbing runs on the raw parsed line (every string, every key), so no later step, message or
written file can see a key: what is reported is the kind of credential and where it was, never its
value. The patterns are for credentials with a recognisable shape; docs/traffic.md lists what they
cannot see.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STRIPPED = "[REDACTED-SECRET]"


def _with_digit(m: re.Match[str]) -> bool:
    # Random keys have digits; prose such as "sk-learn-compatible-estimators" has none.
    return any(ch.isdigit() for ch in m.group(0))


def _always(m: re.Match[str]) -> bool:
    return True


_Pattern = tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool]]
# Order matters: the most specific shape first, so a key is reported under its own name.
_PATTERNS: list[_Pattern] = [
    ("an Anthropic API key (sk-ant-...)", re.compile(r"(?<![\w-])sk-ant-[A-Za-z0-9_-]{16,}"), _always),
    ("an OpenAI-style API key (sk-...)", re.compile(r"(?<![\w-])sk-[A-Za-z0-9_-]{16,}"), _with_digit),
    ("a bearer token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{12,}=*"), _with_digit),
    ("an Authorization header", re.compile(r"(?i)\b(?:proxy-)?authorization\s*[:=]\s*[\"']?"
                                           r"(?:basic|digest|token|negotiate)\s+[A-Za-z0-9._~+/-]{6,}=*"), _always),
    ("a JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), _always),
    ("an AWS access key id (AKIA...)", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), _always),
    ("a Google API key (AIza...)", re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), _always),
    ("a GitHub token (ghp_...)", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), _always),
    ("a Slack token (xox...)", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), _always),
    ("a private key block", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
                                       re.S), _always),
]
# Keys whose value is a credential whatever it looks like (headers logged with the request, config dumps).
_SECRET_KEYS = re.compile(r"(?i)^(?:proxy-)?authorization$|^x-api-key$|^api[-_]?key$|^(?:openai|anthropic)[-_]api[-_]key$"
                          r"|^(?:access|auth|refresh|bearer)[-_]?token$|^client[-_]secret$|^password$|^secret$")


@dataclass
class Found:
    """The credentials stripped from one line: (what, where) pairs, values never kept."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        shown = [f"{what} in {where}" if where else what for what, where in dict.fromkeys(self.items)]
        more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
        return ", ".join(shown[:3]) + more


def strip_text(text: str, found: Found, where: str = "") -> str:
    """`text` with every credential replaced by STRIPPED; what was replaced is added to `found`."""
    for what, pattern, accept in _PATTERNS:
        def replace(m: re.Match[str], what: str = what, accept: Callable[[re.Match[str]], bool] = accept) -> str:
            if not accept(m):
                return m.group(0)
            found.items.append((what, where))
            return STRIPPED
        text = pattern.sub(replace, text)
    return text


def strip_tree(value: Any, found: Found, where: str = "") -> Any:
    """A JSON value with credentials stripped from its strings, and the values of credential keys removed."""
    if isinstance(value, str):
        return strip_text(value, found, where)
    if isinstance(value, list):
        return [strip_tree(v, found, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            at = f"{where}.{k}" if where else str(k)
            if isinstance(k, str) and _SECRET_KEYS.match(k) and isinstance(v, str) and v.strip():
                found.items.append((f"a credential field ({k})", at))
                out[k] = STRIPPED
            else:
                out[k] = strip_tree(v, found, at)
        return out
    return value


# --- --redact: contact data -------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# A number written the way phone numbers are: an optional +country code, groups of digits with
# spaces, dots, dashes or parentheses between them. Checked further in `_phone`.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,5}){1,4}(?![\w])")
_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def _phone(m: re.Match[str]) -> str:
    text = m.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if not 9 <= digits <= 15 or _DATE_START.match(text) or _DOTTED_QUAD.fullmatch(text):
        return text
    return "[PHONE]"


def redact(text: str) -> str:
    """E-mail addresses and phone numbers masked as [EMAIL] and [PHONE] (docs/traffic.md: what it misses)."""
    return _PHONE.sub(_phone, _EMAIL.sub("[EMAIL]", text))
