"""Text normalisation shared by the scorers (one definition, so 'exact' and 'f1' agree)."""

from __future__ import annotations

import re
import string
import unicodedata

_PUNCT = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_WS = re.compile(r"\s+")


def normalize(text: str, *, ignore_case: bool = True, ignore_punctuation: bool = True) -> str:
    text = unicodedata.normalize("NFKC", text)
    if ignore_case:
        text = text.lower()
    if ignore_punctuation:
        text = text.translate(_PUNCT)
    return _WS.sub(" ", text).strip()


def answer_tokens(text: str) -> list[str]:
    """SQuAD-style answer normalisation: lower case, no punctuation, no articles."""
    return _ARTICLES.sub(" ", normalize(text)).split()
