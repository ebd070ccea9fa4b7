"""Logged production calls -> a suite and its datasets: one task per feature, the logged model as reference.

    from harness.traffic import ImportOptions, import_traffic
    done = import_traffic(["calls.jsonl"], ImportOptions(out=Path("evalsets/traffic"), sample=200))
    done.suite     # evalsets/traffic/traffic.yaml, which `harness validate` accepts

Sources: OpenAI Chat Completions and Anthropic Messages request/response JSONL, OpenAI Batch and
Anthropic Message Batches files, a SQL table of calls (SQLite or PostgreSQL). docs/traffic.md has
the field mapping, what is stripped (credentials, always) and masked (--redact), and what is not.
"""

from ._call import Call, Issue, Settings
from ._import import DEFAULT_RUBRIC, ImportOptions, ImportSummary, import_traffic, problems_of
from ._measure import Spread, Volume, answer_kind
from ._prepare import Feature
from ._secrets import Found, redact, strip_text
from ._sources import FORMATS
from ._sql import COLUMN_KEYS, SqlOptions
from ._summary import summary_text

__all__ = ["COLUMN_KEYS", "DEFAULT_RUBRIC", "FORMATS", "Call", "Feature", "Found", "ImportOptions", "ImportSummary", "Issue", "Settings",
           "SqlOptions", "Spread", "Volume", "answer_kind", "import_traffic", "problems_of", "redact", "strip_text",
           "summary_text"]
