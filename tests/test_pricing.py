"""Tests for harness/pricing.py: library prices, batch, cache, suite prices, local compute, offline."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
import pytest

from harness import pricing
from harness.pricing import (
    CallCosts,
    ExplicitPrice,
    PriceNotFound,
    Usage,
    call_cost,
    costs_for_call,
    describe_prices,
    format_price_table,
    local_cost,
    lookup_price,
)

HAIKU = "anthropic/claude-3-5-haiku-20241022"
MINI = "openai/gpt-4o-mini"


def library_rate(model_ref: str, provider_id: str, **tokens: int) -> float:
    """USD per MTok for one kind of token, from genai-prices' own public calc_price."""
    usage = genai_prices.Usage(**{k: v * 1_000_000 for k, v in tokens.items()})
    return float(genai_prices.calc_price(usage, model_ref, provider_id=provider_id).total_price)


# --- prices from the library --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "ref", "provider"),
    [(HAIKU, "claude-3-5-haiku-20241022", "anthropic"), (MINI, "gpt-4o-mini", "openai")],
)
def test_library_prices_match_genai_prices_own_calculation(model, ref, provider):
    price = lookup_price(model)
    assert price.input == library_rate(ref, provider, input_tokens=1)
    assert price.output == library_rate(ref, provider, output_tokens=1)
    # genai-prices' input_tokens include cached tokens, ours do not.
    assert price.cache_read_rate == library_rate(ref, provider, input_tokens=1, cache_read_tokens=1)
    assert price.cache_write_rate == library_rate(ref, provider, input_tokens=1, cache_write_tokens=1)
    assert price.source.startswith(f"genai-prices {genai_prices.__version__} ({provider}/")


def test_published_figures():
    mini = lookup_price(MINI)  # openai.com/api/pricing: $0.15 in, $0.60 out, $0.075 cached in
    assert (mini.input, mini.output, mini.cache_read, mini.cache_write) == (0.15, 0.60, 0.075, None)
    assert mini.cache_write_rate == 0.15  # OpenAI charges no cache-write premium
    haiku = lookup_price(HAIKU)  # anthropic.com/pricing: $0.80 / $4 / $0.08 read / $1 write
    assert (haiku.input, haiku.output, haiku.cache_read, haiku.cache_write) == (0.80, 4.0, 0.08, 1.0)
    assert haiku.source == f"genai-prices {genai_prices.__version__} (anthropic/claude-3-5-haiku-latest)"


def test_model_name_matching():
    assert lookup_price("anthropic/claude-3-5-haiku-latest").source == lookup_price(HAIKU).source
    assert lookup_price("Anthropic/Claude-3-5-Haiku-20241022").input == 0.80
    assert lookup_price("openai-api/deepseek/deepseek-chat").source.endswith("(deepseek/deepseek-chat)")
    assert "(x-ai/" in lookup_price("grok/grok-4.20").source
    with pytest.raises(ValueError, match="provider/model"):
        lookup_price("gpt-4o-mini")


def test_batch_discount_by_provider():
    assert lookup_price(HAIKU).batch_discount == 0.5
    assert lookup_price(MINI).batch_discount == 0.5
    assert lookup_price("mistral/mistral-small-latest").batch_discount is None


@pytest.mark.parametrize(("ref", "provider"), [("gpt-4o-mini", "openai"), ("claude-haiku-4-5", "anthropic")])
def test_flat_batch_discount_agrees_with_library_batch_prices(ref, provider):
    when = datetime(2026, 11, 1, tzinfo=UTC)
    usage = genai_prices.Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    sync, batch = (
        genai_prices.calc_price(usage, ref, provider_id=provider, genai_request_timestamp=when,
                                price_context=context).total_price
        for context in (None, {"processing": "batch"})
    )
    assert batch == sync / 2


def test_price_by_date_uses_price_in_force():
    # o3 was cut from $10/$40 to $2/$8 on 2025-06-10.
    assert lookup_price("openai/o3", as_of=datetime(2025, 6, 1, tzinfo=UTC)).input == 10.0
    assert lookup_price("openai/o3", as_of=datetime(2025, 6, 10, tzinfo=UTC)).input == 2.0


def test_time_of_day_prices_do_not_depend_on_the_clock():
    night = lookup_price("openai-api/deepseek/deepseek-chat", as_of=datetime(2026, 1, 1, 20, tzinfo=UTC))
    noon = lookup_price("openai-api/deepseek/deepseek-chat", as_of=datetime(2026, 1, 1, 12, tzinfo=UTC))
    assert night == noon
    assert (noon.input, noon.output) == (0.27, 1.1)  # standard (peak) rate, not the off-peak discount


def test_tiered_prices_use_base_tier_and_say_so():
    sonnet = lookup_price("anthropic/claude-sonnet-4-5")
    assert (sonnet.input, sonnet.output, sonnet.cache_read, sonnet.cache_write) == (3.0, 15.0, 0.3, 3.75)
    assert any("tiered: base tier" in note for note in sonnet.notes)


# --- usage and cost -----------------------------------------------------------------------------


def test_usage_conventions_agree():
    from_openai = Usage.from_openai(prompt_tokens=2060, completion_tokens=2, cached_tokens=2048)
    from_anthropic = Usage.from_anthropic(12, 2, cache_read_input_tokens=2048)
    assert from_openai == from_anthropic == Usage(12, 2, 2048, 0)
    assert from_openai.prompt_tokens == 2060
    with pytest.raises(ValueError):
        Usage.from_openai(prompt_tokens=10, completion_tokens=1, cached_tokens=11)
    with pytest.raises(ValueError):
        Usage(input_tokens=-1)


def test_cached_anthropic_call_by_hand():
    usage = Usage.from_anthropic(input_tokens=12, output_tokens=2, cache_read_input_tokens=2048)
    # 2048 * $0.08 + 12 * $0.80 + 2 * $4.00 per MTok = $181.44 / 1e6
    assert call_cost(lookup_price(HAIKU), usage, batch=False) == 0.00018144
    assert call_cost(lookup_price(HAIKU), usage, batch=True) == 0.00009072
    library = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=2060, cache_read_tokens=2048, output_tokens=2),
        "claude-3-5-haiku-20241022", provider_id="anthropic",
    )
    assert library.total_price == Decimal("0.00018144")


def test_cache_write_priced_at_write_rate():
    usage = Usage(input_tokens=0, output_tokens=0, cache_write_tokens=1_000_000)
    assert call_cost(lookup_price(HAIKU), usage, batch=False) == 1.0


@pytest.mark.parametrize("model", [HAIKU, MINI])
def test_batch_halves_cost(model):
    usage = Usage(input_tokens=1234, output_tokens=567, cache_read_tokens=890)
    price = lookup_price(model)
    assert call_cost(price, usage, batch=True) == pytest.approx(call_cost(price, usage, batch=False) / 2, rel=1e-12)


def test_batch_ignored_without_batch_api():
    price = lookup_price("mistral/mistral-small-latest")
    usage = Usage(input_tokens=1000, output_tokens=100)
    assert call_cost(price, usage, batch=True) == call_cost(price, usage, batch=False)


def test_costs_for_call_eval_vs_production():
    # Eval: batch, first call wrote 2,000 prefix tokens to the cache and read 1,000.
    usage = Usage(input_tokens=100, output_tokens=10, cache_read_tokens=1000, cache_write_tokens=2000)
    costs = costs_for_call(HAIKU, usage, batch=True, cache_prompt=True)
    assert isinstance(costs, CallCosts)
    eval_usd, prod_usd = costs
    assert eval_usd == pytest.approx((100 * 0.8 + 10 * 4 + 1000 * 0.08 + 2000 * 1.0) / 1e6 / 2, rel=1e-12)
    # Production, cached steady state: all 3,000 prefix tokens are reads, no batch discount.
    assert prod_usd == pytest.approx((100 * 0.8 + 10 * 4 + 3000 * 0.08) / 1e6, rel=1e-12)
    # Production without prompt caching: every input token at the input price.
    _, uncached = costs_for_call(HAIKU, usage, batch=True, cache_prompt=False)
    assert uncached == pytest.approx((3100 * 0.8 + 10 * 4) / 1e6, rel=1e-12)


# --- suite prices and missing prices ------------------------------------------------------------


def test_explicit_price_overrides_library():
    explicit = {MINI: ExplicitPrice(input=1.0, output=2.0, cache_read=0.5, source="suite prices: evalsets/x.yaml")}
    price = lookup_price(MINI, explicit)
    assert (price.input, price.output, price.cache_read, price.cache_write_rate) == (1.0, 2.0, 0.5, 1.0)
    assert price.source == "suite prices: evalsets/x.yaml"
    assert price.batch_discount == 0.5  # still the provider's batch API


def test_explicit_price_covers_unknown_model():
    explicit = {"vllm/my-model": ExplicitPrice(input=0.2, output=0.4)}
    price = lookup_price("vllm/my-model", explicit)
    assert price.batch_discount is None
    assert price.cache_read_rate == 0.2  # falls back to input, and says so
    assert any("cache_read" in note for note in price.notes)
    assert call_cost(price, Usage(input_tokens=1_000_000, output_tokens=1_000_000), batch=True) == pytest.approx(0.6)


@pytest.mark.parametrize("model", ["openai/gpt-no-such-model", "vllm/my-model", "anthropic/not-a-model"])
def test_unknown_model_raises_price_not_found(model):
    with pytest.raises(PriceNotFound) as caught:
        lookup_price(model, {"openai/other": ExplicitPrice(input=1, output=1)})
    message = str(caught.value)
    assert model in message and "prices:" in message and "cache_write" in message
    assert isinstance(caught.value, LookupError)


def test_explicit_price_validation():
    with pytest.raises(ValueError):
        ExplicitPrice(input=-1, output=1)
    with pytest.raises(ValueError):
        ExplicitPrice(input=1, output=1, typo=2)


# --- local models -------------------------------------------------------------------------------


def test_local_compute_cost():
    assert local_cost(3600, 0.10) == 0.10
    assert local_cost(36) == pytest.approx(pricing.DEFAULT_LOCAL_HOURLY_USD / 100)
    price = lookup_price("local/qwen2.5-0.5b", local_hourly_usd=0.5)
    assert price.hourly_usd == 0.5 and price.source == "local compute at $0.50/h"
    usage = Usage(input_tokens=500, output_tokens=20, compute_seconds=7.2)
    assert costs_for_call("local/qwen2.5-0.5b", usage, batch=True, cache_prompt=False,
                          local_hourly_usd=0.5) == (0.001, 0.001)


# --- the prices command -------------------------------------------------------------------------


def test_describe_and_format_prices():
    rows = describe_prices([HAIKU, MINI, "local/qwen", "vllm/unknown"])
    haiku, mini, local, unknown = rows
    assert (haiku["input"], haiku["batch_input"], haiku["batch_output"]) == (0.8, 0.4, 2.0)
    assert mini["cache_write"] == 0.15 and mini["cache_write_fallback"]
    assert local["input"] is None and local["hourly_usd"] == pricing.DEFAULT_LOCAL_HOURLY_USD
    assert unknown["found"] is False
    table = format_price_table(rows)
    assert HAIKU in table and "0.15*" in table and "local compute" in table and "prices:" in table
    assert table.splitlines()[0].split()[:3] == ["model", "input", "output"]


# --- offline ------------------------------------------------------------------------------------


def test_no_network_access(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pricing tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    pricing._bundled_snapshot.cache_clear()  # load the data again, under the patch
    for model in [HAIKU, MINI, "anthropic/claude-sonnet-4-5", "google/gemini-2.5-pro", "openai/o3"]:
        lookup_price(model)
    with pytest.raises(PriceNotFound):
        lookup_price("openai/gpt-no-such-model")
    assert not any(t.name.startswith("genai_prices") for t in threading.enumerate())
    from genai_prices import data_snapshot, update_prices

    assert update_prices._shared_updater.thread is None
    assert not pricing._bundled_snapshot().from_auto_update
    assert data_snapshot._custom_snapshot is None
