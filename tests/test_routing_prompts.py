"""Routes carry the prompt they were evaluated with: build, hash-only tables, old v1 files, exports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from _prompt_data import ROOT, results, support, three_providers

from harness import routing
from harness.cli import main
from harness.errors import InputError
from harness.pipeline import Overrides, decide, route_prompts
from harness.suite import chat_turns

FEW_SHOT = {"ticket_routing": "few-shot", "contact_extraction": "few-shot"}


@pytest.fixture(scope="module")
def supported() -> routing.RoutingTable:
    suite = support()
    table = decide(results([suite], FEW_SHOT), [suite]).table
    assert table is not None
    return table


def _as_messages(turns: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"role": role, "content": text} for role, text in turns]


def test_a_few_shot_route_sends_what_the_eval_sent(supported: routing.RoutingTable, tmp_path: Path) -> None:
    table = routing.load(routing.write(supported, tmp_path / "routing.json"))
    assert table.schema_version == routing.V2 == "harness.routing/v2"  # no compound route: v2
    task = next(t for t in support().tasks if t.name == "ticket_routing")
    variant = task.variants["few_shot"]
    route = table.pick("ticket_routing")
    assert route.config.prompt == "few_shot" and route.prompt is not None and len(route.prompt.shots or []) == 12
    for record in task.records[:25]:
        assert route.messages(record) == _as_messages(chat_turns(variant, record, task.target_field))
    record = task.records[0]
    messages = route.messages(record)
    assert [m["role"] for m in messages] == ["system", *["user", "assistant"] * 12, "user"]
    assert route.messages(record["text"]) == messages  # one placeholder: a plain string fills it
    # Anthropic takes the system prompt as `system=`; OpenAI-shaped kwargs keep it as the first message.
    anthropic = route.anthropic_kwargs(record)
    assert anthropic["system"] == messages[0]["content"] and anthropic["messages"] == messages[1:]
    assert route.generic_kwargs(record)["messages"] == messages == route.sdk_kwargs(record)["messages"]
    assert route.openai_kwargs() == route.generic_kwargs() == {"model": "gemma-3-270m", "max_tokens": 4,
                                                               "temperature": 0.0}
    assert "'ticket_routing'" in (table.default_from or "")  # the busiest task's route, prompt and all
    assert table.default.prompt == route.prompt


def test_messages_refuse_a_record_that_does_not_fit(tmp_path: Path) -> None:
    suite = three_providers(tmp_path)
    table = decide(results([suite]), [suite]).table
    assert table is not None
    extract = table.pick("extract")
    assert extract.messages({"lang": "en", "text": {"a": 1}})[-1]["content"] == 'Language: en\nMessage: {"a": 1}\nJSON:'
    with pytest.raises(routing.PromptError, match=r"needs field\(s\) lang, missing from the record"):
        extract.messages({"text": "hi"})
    with pytest.raises(routing.PromptError, match="a plain string fills a prompt with one placeholder.*has 2"):
        extract.messages("hi")
    tickets = table.pick("tickets")  # the system prompt's placeholder is a field too
    with pytest.raises(routing.PromptError, match=r"needs field\(s\) channel"):
        tickets.messages({"text": "hi"})
    assert tickets.anthropic_kwargs({"text": "hi", "channel": "email"})["system"] == (
        "You route email tickets. Reply with one word.")


def test_hash_only_table_keeps_no_text(supported: routing.RoutingTable, tmp_path: Path) -> None:
    suite = support()
    df = results([suite], FEW_SHOT)
    df.to_csv(tmp_path / "r.csv", index=False)
    out = tmp_path / "routing.json"
    assert main(["select", "--results", str(tmp_path / "r.csv"), "--suite", str(suite.path), "--no-prompts",
                 "--out", str(out)]) == 0
    text = out.read_text()
    assert "Queue:" not in text and "You route customer support tickets" not in text
    hashed = routing.load(out)
    route, full = hashed.pick("ticket_routing"), supported.pick("ticket_routing")
    assert route.prompt is not None and full.prompt is not None
    assert not route.prompt.has_text and route.prompt.sha256 == full.prompt.sha256
    assert route.prompt == full.prompt.hashed() and hashed.default.prompt == supported.default.prompt.hashed()
    with pytest.raises(routing.PromptError, match="only the sha256.*--no-prompts"):
        route.messages({"text": "hi"})
    # A team holding the prompt privately checks it against the table.
    variant = next(t for t in suite.tasks if t.name == "ticket_routing").variants["few_shot"]
    shots = [(s.user, s.assistant) for s in full.prompt.shots or []]
    assert routing.PromptSpec.of(variant.template, variant.system, shots).sha256 == route.prompt.sha256
    assert routing.PromptSpec.of(variant.template + " ", variant.system, shots).sha256 != route.prompt.sha256


def test_run_no_prompts_reaches_the_saved_settings() -> None:
    from harness.cli import _parser, _settings  # the flag's path into RunSettings, kept for `harness collect`

    assert _settings(_parser().parse_args(["run", "--no-prompts"])).no_prompts is True
    assert _settings(_parser().parse_args(["run"])).no_prompts is False


def test_an_old_v1_file_still_loads(tmp_path: Path) -> None:
    old = shutil.copy(ROOT / "reports" / "routing.json", tmp_path / "routing.json")
    assert json.loads(Path(old).read_text())["schema"] == routing.V1
    table = routing.load(old)
    assert table.schema_version == routing.V1 and table.routes
    route = table.pick("ticket_routing")
    assert route.prompt is None and route.config.prompt == "few_shot"
    assert route.sdk_kwargs()["model"] == "smollm2-135m-instruct"
    with pytest.raises(routing.PromptError, match=r"carries no prompt.*harness\.routing/v1"):
        route.messages({"text": "hi"})
    again = routing.write(table, tmp_path / "again.json")  # still a v1 file: no prompt blocks appear
    data = json.loads(again.read_text())
    assert data["schema"] == routing.V1 and "prompt" not in data["default"]
    assert all("prompt" not in r for r in data["routes"].values()) and routing.load(again) == table


def test_a_v1_file_cannot_hold_prompts(supported: routing.RoutingTable, tmp_path: Path) -> None:
    path = routing.write(supported, tmp_path / "routing.json")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "schema": routing.V1}))
    with pytest.raises(InputError, match=r"routes carry prompts only from harness\.routing/v2 on"):
        routing.load(path)


def test_an_edited_prompt_no_longer_loads(supported: routing.RoutingTable, tmp_path: Path) -> None:
    path = routing.write(supported, tmp_path / "routing.json")
    data = json.loads(path.read_text())
    data["routes"]["ticket_routing"]["prompt"]["template"] = "Ticket: {{text}}\nTeam:"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as info:
        routing.load(path)
    message = str(info.value)
    assert "routes.ticket_routing.prompt: the prompt's template do(es) not match its sha256" in message
    assert "a changed prompt needs its own eval" in message
    data["routes"]["ticket_routing"]["prompt"] = {"template": "x", "sha256": data["default"]["prompt"]["sha256"]}
    path.write_text(json.dumps(data))
    assert "lists its `shots`" in str(pytest.raises(InputError, routing.load, path).value)


def test_results_without_suites_route_without_prompts() -> None:
    suite = support()
    df = results([suite], FEW_SHOT)
    made = decide(df, [], Overrides(reference="few-shot"))
    assert made.table is not None
    route = made.table.routes["ticket_routing"]
    assert route.prompt is None and made.table.default.prompt is None
    assert any("no suite given defines task 'ticket_routing'" in n for n in route.notes)
    with pytest.raises(routing.PromptError, match="carries no prompt"):
        route.messages({"text": "hi"})
    bare = routing.build_table(made.decisions)  # a caller that passes no prompts at all
    assert routing.NO_PROMPT_GIVEN in bare.routes["ticket_routing"].notes


def test_why_a_suite_gives_no_prompt(tmp_path: Path) -> None:
    suite = support()
    decisions = decide(results([suite], FEW_SHOT), [suite]).decisions
    task = next(t for t in suite.tasks if t.name == "ticket_routing")
    task.variants.pop("few_shot")
    notes = route_prompts(decisions, [suite])
    assert "has no prompt variant 'few_shot'" in notes["ticket_routing"]
    task.inspect_task = "tasks.py@tickets"
    assert "inspect-ai task tasks.py@tickets builds the prompt itself" in route_prompts(decisions, [suite])[
        "ticket_routing"]


def test_python_export_renders_like_the_route(tmp_path: Path) -> None:
    suite = three_providers(tmp_path)
    made = decide(results([suite]), [suite])
    table = made.table
    assert table is not None
    namespace: dict = {}
    exec(compile(routing.to_python(table), "routes.py", "exec"), namespace)
    picked = namespace["pick"]("tickets")
    assert picked["template"] == "Ticket: {{text}}\nQueue:" and len(picked["shots"]) == 2
    assert picked["prompt"] == "few_shot" and picked["sha256"] == table.routes["tickets"].prompt.sha256.model_dump()
    records = {"tickets": {"text": "hi", "channel": "chat"}, "extract": {"lang": "en", "text": [1, "é"]},
               "chat": "3+3?"}
    for task, record in records.items():
        assert namespace["messages"](task, record) == table.pick(task).messages(record), task
    with pytest.raises(ValueError, match="needs field"):
        namespace["messages"]("extract", {"text": "x"})
    hashed = routing.build_table(made.decisions, task_prompts=route_prompts(made.decisions, [suite]), prompts="hash")
    namespace = {}
    exec(compile(routing.to_python(hashed), "routes.py", "exec"), namespace)
    assert "template" not in namespace["pick"]("tickets") and "sha256" in namespace["pick"]("tickets")
    with pytest.raises(ValueError, match="only the sha256"):
        namespace["messages"]("tickets", {"text": "x", "channel": "y"})


def test_litellm_export_keeps_the_prompts_beside_the_model_list(tmp_path: Path) -> None:
    suite = three_providers(tmp_path)
    table = decide(results([suite]), [suite]).table
    assert table is not None
    text = routing.to_litellm_yaml(table)
    assert text.startswith("# LiteLLM router config") and "harness_prompts: the prompt" in text
    config = yaml.safe_load(text)
    assert config == routing.to_litellm(table)
    names = [e["model_name"] for e in config["model_list"]]
    assert list(config[routing.LITELLM_PROMPTS]) == names == [*table.routes, "default"]
    for name in names:
        route = table.pick(name)
        assert route.prompt is not None
        assert config[routing.LITELLM_PROMPTS][name] == route.prompt.model_dump(mode="json")
    assert "prompts" not in config  # LiteLLM's proxy reads that key itself (server-side prompt management)
    without = routing.build_table(decide(results([suite]), [suite]).decisions)
    assert set(routing.to_litellm(without)[routing.LITELLM_PROMPTS].values()) == {None}
    # Prompts print as YAML blocks where a block can hold them, quoted where it cannot: the text is exact.
    awkward = routing.PromptSpec.of("Q: {{q}} \n\tA:\r\n", " sys \n", [("x\n ", " y\n\n")])
    odd = table.model_copy(update={"default": table.default.model_copy(update={"prompt": awkward})})
    assert yaml.safe_load(routing.to_litellm_yaml(odd)) == routing.to_litellm(odd)
