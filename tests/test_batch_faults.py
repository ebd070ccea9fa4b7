"""Each fault of issue 4 point 5, against the fake server through the real SDKs."""

from __future__ import annotations

import anthropic
import openai
from _batch_support import CLAUDE, GPT, KEY, answer_word, env, first_time, harness, results, rows, write_suite  # noqa: F401

from harness.testing import HttpFault, ItemFault, ManualClock, Script, text_contains

FAULTY = text_contains("number 1")  # the sample s1


def run(tmp_path, *candidates, n: int = 4, extra: tuple[str, ...] = ()) -> int:
    suite = write_suite(tmp_path / "suite.yaml", list(candidates), n=n)
    return harness("run", str(suite), "--reports", str(tmp_path / "r"), "--display", "none", *extra)


def attempts(tmp_path) -> dict[str, tuple[str, int]]:
    return {k: (s, a) for k, s, a in rows(tmp_path / "r", "SELECT key, status, attempts FROM requests")}


def per_item(fake, provider: str) -> list[int]:
    return sorted(n for (p, _), n in fake.counters.custom_ids.items() if p == provider)


def test_a_per_item_error_is_recorded_against_its_sample_and_not_retried(env, tmp_path):
    fake = env(Script(answer=answer_word, item_faults=[ItemFault("error", FAULTY, status=400, message="bad request")]))
    assert run(tmp_path, CLAUDE, GPT) == 0
    df = results(tmp_path / "r")
    failed = df[df["error"].notna()]
    assert sorted(failed["candidate"]) == ["claude", "gpt"] and set(failed["sample_id"]) == {"s1"}
    assert failed["error"].str.contains("bad request").all()
    assert (df[df["error"].isna()]["score"] == 1).all() and len(df) == 8  # one bad line never fails the rest
    assert (failed["cost_usd"] == 0).all()  # an errored request is not billed
    assert per_item(fake, "anthropic") == [1, 1, 1, 1] and per_item(fake, "openai") == [1, 1, 1, 1]
    assert sorted(attempts(tmp_path).values()).count(("error", 1)) == 2


def test_retryable_item_errors_are_resubmitted_a_bounded_number_of_times(env, tmp_path):
    fake = env(Script(answer=answer_word, item_faults=[
        ItemFault("error", first_time(text_contains("number 2")), status=529),  # overloaded once, then fine
        ItemFault("error", FAULTY, status=500),  # always fails
    ]))
    assert run(tmp_path, CLAUDE, GPT) == 0
    df = results(tmp_path / "r")
    assert set(df[df["error"].notna()]["sample_id"]) == {"s1"}
    assert df[df["error"].notna()]["error"].str.contains("gave up after 3 attempt").all()
    assert (df[df["sample_id"] == "s2"]["score"] == 1).all()
    # s1: 3 attempts per provider; s2: 2; the others: 1
    assert per_item(fake, "anthropic") == [1, 1, 2, 3] and per_item(fake, "openai") == [1, 1, 2, 3]


def test_missing_results_are_detected_and_resubmitted_or_recorded(env, tmp_path):
    fake = env(Script(answer=answer_word, item_faults=[
        ItemFault("missing", first_time(text_contains("number 2"))),  # missing once
        ItemFault("missing", FAULTY),  # missing every time
    ]))
    assert run(tmp_path, CLAUDE, GPT) == 0  # finishes: a missing result is never waited on forever
    df = results(tmp_path / "r")
    assert set(df[df["error"].notna()]["sample_id"]) == {"s1"}
    assert df[df["error"].notna()]["error"].str.contains("no result").all()
    assert (df[df["sample_id"] == "s2"]["score"] == 1).all()
    assert per_item(fake, "anthropic") == [1, 1, 2, 3]


def test_expired_items_and_an_expired_openai_batch_keep_what_was_answered(env, tmp_path):
    fake = env(Script(answer=answer_word, item_faults=[ItemFault("expired", first_time(FAULTY))]))
    assert run(tmp_path, CLAUDE, GPT) == 0
    df = results(tmp_path / "r")
    assert df["error"].isna().all() and (df["score"] == 1).all()
    openai_batches = rows(tmp_path / "r", "SELECT detail FROM batches WHERE provider='openai' ORDER BY created_at")
    assert openai_batches[0][0].startswith("expired")  # OpenAI expires the whole batch...
    assert per_item(fake, "openai") == [1, 1, 1, 2]  # ...but its completed lines were kept, not resubmitted
    assert per_item(fake, "anthropic") == [1, 1, 1, 2]


def test_cancelled_batches_are_resubmitted(env, tmp_path):
    clock = ManualClock()
    fake = env(Script(answer=answer_word, clock=clock, batch_processing_seconds=3600))
    assert run(tmp_path, CLAUDE, GPT, extra=("--detach",)) == 0
    # someone cancels both batches in the providers' consoles
    [(a_id,)] = rows(tmp_path / "r", "SELECT remote_id FROM batches WHERE provider='anthropic'")
    [(o_id,)] = rows(tmp_path / "r", "SELECT remote_id FROM batches WHERE provider='openai'")
    anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key=KEY).messages.batches.cancel(a_id)
    openai.OpenAI(base_url=fake.openai_base_url, api_key=KEY).batches.cancel(o_id)
    fake.script.batch_processing_seconds = 0
    assert harness("collect", "--reports", str(tmp_path / "r"), "--wait", "--display", "none") == 0
    df = results(tmp_path / "r")
    assert len(df) == 8 and df["error"].isna().all() and (df["score"] == 1).all()
    assert per_item(fake, "anthropic") == [2, 2, 2, 2] and per_item(fake, "openai") == [2, 2, 2, 2]


def test_a_whole_failed_openai_batch_is_retried(env, tmp_path):
    failed: list[int] = []

    def fail_first(items) -> bool:
        failed.append(1)
        return items[0].provider == "openai" and len(failed) == 1  # OpenAI status "failed" (validation)

    fake = env(Script(answer=answer_word, fail_batch_when=fail_first))
    assert run(tmp_path, GPT) == 0
    df = results(tmp_path / "r")
    assert df["error"].isna().all() and (df["score"] == 1).all()
    assert per_item(fake, "openai") == [2, 2, 2, 2]
    assert rows(tmp_path / "r", "SELECT COUNT(*) FROM batches WHERE detail LIKE 'failed%'") == [(1,)]


def test_http_429_500_529_on_batch_endpoints_are_retried_with_backoff(env, tmp_path):
    fake = env(Script(answer=answer_word))
    for status in (429, 500, 529):
        # batch creates are retried by harness (after checking the batch was not created after all)
        fake.script.http_faults.append(HttpFault(status, "*.batches.create", times=1))
        # idempotent reads are retried by the SDKs
        fake.script.http_faults.append(HttpFault(status, "*.batches.retrieve", times=1))
    fake.script.http_faults.append(HttpFault(503, "anthropic.batches.results", times=1))
    fake.script.http_faults.append(HttpFault(500, "openai.files.content", times=1))
    assert run(tmp_path, CLAUDE, GPT) == 0
    df = results(tmp_path / "r")
    assert len(df) == 8 and df["error"].isna().all()
    creates = fake.counters.endpoints["anthropic.batches.create"] + fake.counters.endpoints["openai.batches.create"]
    assert creates == 2 + 3  # three faulted creates, each retried once
    assert fake.counters.each_item_once()  # and no batch was created twice
    assert len(rows(tmp_path / "r", "SELECT id FROM batches WHERE remote_id IS NOT NULL")) == 2
