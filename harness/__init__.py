"""harness: eval-driven model selection.

The flow is suite -> run -> results -> select -> routing / report / gate;
each stage is a module of its own (see docs/architecture.md).
"""

__version__ = "0.1.0"
