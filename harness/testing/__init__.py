"""Test aids that harness users can reuse in their own CI.

`FakeProviders` is a fake Anthropic (Messages + Message Batches) and OpenAI
(Chat Completions + Files + Batch) server on 127.0.0.1, scripted per test by
a `Script`. The real `anthropic` / `openai` SDKs and inspect-ai's providers
(batch mode included) talk to it unchanged:

    from harness.testing import FakeProviders, Script, ItemFault, custom_id_in, echo

    script = Script(answer=echo("you said: "),
                    item_faults=[ItemFault("error", custom_id_in("b"), status=400)])
    with FakeProviders(script) as fake:
        client = anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="sk-test")
        ...
        assert fake.counters.each_item_once()

Run it by hand with `python -m harness.testing --port 8765` (`--rules FILE` scripts its answers). See
docs/fake-server.md.
"""

from ._calls import Call, Item, Usage, last_user_text
from ._clock import Clock, ManualClock, RealClock
from ._counters import Counters, Received, body_key
from ._script import HttpFault, ItemFault, Script, custom_id_in, echo, fixed, from_last_user, replies, text_contains
from ._rules import Rule, RulesError, load_rules, rules_answer
from ._server import FakeProviders
from ._usage import SimulatedUsage, count_tokens

__all__ = [
    "Call",
    "Clock",
    "Counters",
    "FakeProviders",
    "HttpFault",
    "Item",
    "ItemFault",
    "ManualClock",
    "RealClock",
    "Received",
    "Rule",
    "RulesError",
    "Script",
    "SimulatedUsage",
    "Usage",
    "body_key",
    "count_tokens",
    "custom_id_in",
    "echo",
    "fixed",
    "from_last_user",
    "last_user_text",
    "load_rules",
    "replies",
    "rules_answer",
    "text_contains",
]
