"""The journal: every request harness sends, with its answer, usage and cost; batches and their state.

The embedded default is an SQLite file next to the run's reports (`reports/journal.sqlite`). Runners
that evaluate the same suites at once (several CI jobs, two people) share one PostgreSQL database
instead, `HARNESS_JOURNAL=postgresql://...` (or `--journal`), and each request is sent once across
all of them. Both run the same numbered migrations. See docs/batch.md.
"""

from ._backends import is_database_url
from ._journal import JOURNAL_ENV, Answer, Journal, journal_exists, journal_location, open_journal, request_key
from ._migrations import MIGRATIONS

__all__ = ["JOURNAL_ENV", "MIGRATIONS", "Answer", "Journal", "is_database_url", "journal_exists",
           "journal_location", "open_journal", "request_key"]
