"""A cascade's acceptance checks, as select applies them to the answers the results hold.

The logic lives in `harness.checks`, which `harness.routing` runs on live responses too: one
implementation, so a route accepts at run time what its evaluation accepted.
"""

from ..checks import ScorerInfo, agree, agrees_with_epoch, confident, needs_suite, parses, passes

__all__ = ["ScorerInfo", "agree", "agrees_with_epoch", "confident", "needs_suite", "parses", "passes"]
