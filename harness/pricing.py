"""What one model call costs, from its token usage (or compute time, for local models).

Prices come from genai-prices' *bundled* data snapshot, read offline. We never start its
`UpdatePrices` background fetch: a price must be reproducible from the installed version.
A suite's `prices:` entries win over the library (they exist for models it lacks).
Conventions, rules and assumptions are written out in docs/pricing.md.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from .text import table

# Hourly rate for local models: a 2-vCPU / 8 GB on-demand cloud VM, the machine local models are
# measured on. AWS t3.large (us-east-1, Linux on-demand) is $0.0832/h and GCP e2-standard-2 is
# $0.067/h (list prices, 2024); we round up to $0.10/h so disk and idle time are not free.
DEFAULT_LOCAL_HOURLY_USD = 0.10

# Share of the list price saved by the provider's batch API (50% at both, per their pricing pages).
BATCH_DISCOUNT = {"anthropic": 0.5, "openai": 0.5}

# inspect-ai provider names that genai-prices spells differently.
_PROVIDER_ALIASES = {"grok": "x-ai", "bedrock": "aws", "azureai": "azure"}
_MTOK = Decimal(1_000_000)


class PriceNotFound(LookupError):
    """Neither the suite nor genai-prices has a price for this model."""

    def __init__(self, model: str, reason: str = "") -> None:
        self.model = model
        super().__init__(f"""No price for model {model!r}{': ' + reason if reason else ''}.
Add a `prices:` entry to the suite, in USD per million tokens, for example:

prices:
  {model}:
    input: 0.15
    output: 0.60
    cache_read: 0.075   # optional; defaults to the input price
    cache_write: 0.15   # optional; defaults to the input price
""")


class ExplicitPrice(BaseModel):
    """One `prices:` entry of a suite, USD per million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0, description="USD per million input tokens")
    output: float = Field(ge=0, description="USD per million output tokens")
    cache_read: float | None = Field(default=None, ge=0, description="USD per million cached input tokens read "
                                                                       "(default: the input price)")
    cache_write: float | None = Field(default=None, ge=0, description="USD per million input tokens written to "
                                                                        "the cache (default: the input price)")
    # the suite loader sets e.g. "suite prices: evalsets/x.yaml"
    source: str = Field("suite prices", description="where the price comes from (harness fills it in)")


class HourlyPrice(BaseModel):
    """A self-hosted endpoint priced by the hour (its `endpoints:` entry's `hourly_usd`): each call costs its
    share of the server's measured busy time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hourly_usd: float = Field(ge=0, description="USD per hour of the server")
    source: str = Field("suite endpoints", description="where the price comes from (harness fills it in)")


@dataclass(frozen=True)
class ModelPrice:
    """Prices of one model in USD per million tokens, or per hour of compute (`hourly_usd`, local)."""

    provider: str
    input: float
    output: float
    cache_read: float | None  # None: not published; charged at the input price
    cache_write: float | None  # None: no write premium (e.g. OpenAI); charged at the input price
    source: str
    batch_discount: float | None = None  # 0.5 = batch costs half; None = no batch API
    hourly_usd: float | None = None  # set only for local models and endpoints priced by busy time
    notes: tuple[str, ...] = ()  # fallbacks and simplifications applied, for people to read

    @property
    def cache_read_rate(self) -> float:
        return self.input if self.cache_read is None else self.cache_read

    @property
    def cache_write_rate(self) -> float:
        return self.input if self.cache_write is None else self.cache_write


@dataclass(frozen=True)
class Usage:
    """Tokens of one call. `input_tokens` counts *uncached* input only (Anthropic's convention),
    so the four token counts never overlap and their sum is the whole prompt plus the output."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    compute_seconds: float = 0.0  # wall time of a local model call; an endpoint call's share of busy time

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value < 0:
                raise ValueError(f"Usage.{name} must not be negative, got {value}")

    @property
    def prompt_tokens(self) -> int:
        """All input tokens, cached or not."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    @classmethod
    def from_openai(cls, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> Usage:
        """OpenAI's `prompt_tokens` *includes* `prompt_tokens_details.cached_tokens`; OpenAI has
        no cache-write charge, so nothing is a cache write."""
        if cached_tokens > prompt_tokens:
            raise ValueError(f"cached_tokens ({cached_tokens}) exceed prompt_tokens ({prompt_tokens})")
        return cls(prompt_tokens - cached_tokens, completion_tokens, cache_read_tokens=cached_tokens)

    @classmethod
    def from_anthropic(
        cls,
        input_tokens: int,
        output_tokens: int,
        cache_read_input_tokens: int = 0,
        cache_creation_input_tokens: int = 0,
    ) -> Usage:
        """Anthropic's `input_tokens` already *excludes* cache reads and cache creation."""
        return cls(input_tokens, output_tokens, cache_read_input_tokens, cache_creation_input_tokens)


class CallCosts(NamedTuple):
    """USD for one call: what the eval run paid, and what production would pay per call."""

    eval_usd: float
    prod_usd: float


def lookup_price(
    model: str,
    explicit: dict[str, ExplicitPrice | HourlyPrice] | None = None,
    *,
    local_hourly_usd: float = DEFAULT_LOCAL_HOURLY_USD,
    as_of: datetime | None = None,
) -> ModelPrice:
    """Price of an inspect-ai style `provider/model`: suite price, else genai-prices, else raise.

    `local/...` models and `classifier/...` candidates are priced by compute time at `local_hourly_usd`.
    `as_of` picks among dated prices (default: now). Raises `PriceNotFound` when no price is known.
    """
    provider, model_ref = split_model(model)
    if explicit and model in explicit:
        return _from_explicit(provider, explicit[model])
    if provider in ("local", "classifier"):  # a classifier/ candidate runs on the same machine as local models
        return ModelPrice(provider, 0.0, 0.0, 0.0, 0.0, f"{provider} compute at ${local_hourly_usd:.2f}/h",
                          hourly_usd=local_hourly_usd)
    if provider == "openai-compatible":  # the same weights cost what their host charges: no library guess
        raise PriceNotFound(model, "a self-hosted endpoint: give its `endpoints:` entry an hourly_usd, or add "
                                   "per-token prices")
    return _from_library(model, provider, model_ref, as_of or datetime.now(UTC))


def split_model(model: str) -> tuple[str, str]:
    """`anthropic/claude-3-5-haiku-20241022` -> ("anthropic", "claude-3-5-haiku-20241022")."""
    provider, sep, model_ref = model.partition("/")
    if not sep or not provider or not model_ref:
        raise ValueError(f"Model {model!r} is not of the form provider/model (e.g. openai/gpt-4o-mini)")
    return provider.lower(), model_ref


def local_cost(seconds: float, hourly_usd: float = DEFAULT_LOCAL_HOURLY_USD) -> float:
    """USD for `seconds` of local compute at `hourly_usd` per hour."""
    if seconds < 0 or hourly_usd < 0:
        raise ValueError("seconds and hourly_usd must not be negative")
    return float(_dec(seconds) * _dec(hourly_usd) / 3600)


def call_cost(price: ModelPrice, usage: Usage, batch: bool) -> float:
    """USD for one call. Tokens are billed at their own rates (a missing cache price falls back
    to the input price); the total is cut by `batch_discount` when `batch` and the provider has a
    batch API. Local models cost their compute time; `batch` does not apply to them."""
    if price.hourly_usd is not None:
        return local_cost(usage.compute_seconds, price.hourly_usd)
    total = (
        usage.input_tokens * _dec(price.input)
        + usage.output_tokens * _dec(price.output)
        + usage.cache_read_tokens * _dec(price.cache_read_rate)
        + usage.cache_write_tokens * _dec(price.cache_write_rate)
    ) / _MTOK
    if batch and price.batch_discount:
        total *= 1 - _dec(price.batch_discount)
    return float(total)


def production_usage(usage: Usage, cache_prompt: bool) -> Usage:
    """The usage one synchronous production call would have, given the eval call's usage.

    With `cache_prompt`, production runs in steady state: the prefix the eval read from *or wrote
    to* the cache is already cached, so all of it is a cache read. Without it, every input token
    is paid at the full input price (conservative for OpenAI, which caches long prefixes on its own).
    """
    cached = usage.cache_read_tokens + usage.cache_write_tokens
    if cache_prompt:
        return Usage(usage.input_tokens, usage.output_tokens, cached, 0, usage.compute_seconds)
    return Usage(usage.input_tokens + cached, usage.output_tokens, 0, 0, usage.compute_seconds)


def costs_for_call(
    model: str,
    usage: Usage,
    *,
    batch: bool,
    cache_prompt: bool,
    explicit: dict[str, ExplicitPrice | HourlyPrice] | None = None,
    local_hourly_usd: float = DEFAULT_LOCAL_HOURLY_USD,
    as_of: datetime | None = None,
) -> CallCosts:
    """Eval cost (as run: `batch`, cache use as it happened) and production cost (synchronous, no
    batch discount, caching per `cache_prompt`, see `production_usage`). Local and hourly endpoints: both are
    compute (busy) time."""
    price = lookup_price(model, explicit, local_hourly_usd=local_hourly_usd, as_of=as_of)
    return CallCosts(
        eval_usd=call_cost(price, usage, batch=batch),
        prod_usd=call_cost(price, production_usage(usage, cache_prompt), batch=False),
    )


def describe_prices(
    models: list[str],
    explicit: dict[str, ExplicitPrice | HourlyPrice] | None = None,
    *,
    local_hourly_usd: float = DEFAULT_LOCAL_HOURLY_USD,
) -> list[dict[str, Any]]:
    """One row per model for `harness prices`: USD/MTok prices, batch prices and the source.

    Cache prices are the rates actually charged; `cache_*_fallback` is True where the input price
    stands in. Unknown models give a row with `found=False` instead of raising.
    """
    rows = []
    for model in models:
        try:
            p = lookup_price(model, explicit, local_hourly_usd=local_hourly_usd)
        except PriceNotFound:
            rows.append({"model": model, "found": False, "source": "no price: add a `prices:` entry"})
            continue
        local = p.hourly_usd is not None
        keep = 1 - (p.batch_discount or 0)
        rows.append({
            "model": model, "found": True, "provider": p.provider,
            "input": None if local else p.input, "output": None if local else p.output,
            "cache_read": None if local else p.cache_read_rate,
            "cache_write": None if local else p.cache_write_rate,
            "cache_read_fallback": p.cache_read is None, "cache_write_fallback": p.cache_write is None,
            "batch_input": p.input * keep if p.batch_discount and not local else None,
            "batch_output": p.output * keep if p.batch_discount and not local else None,
            "hourly_usd": p.hourly_usd, "source": p.source, "notes": list(p.notes),
        })
    return rows


def format_price_table(rows: list[dict[str, Any]]) -> str:
    """Plain-text table of `describe_prices` rows; prices in USD per million tokens."""
    def cell(row: dict[str, Any], key: str) -> str:
        value = row.get(key)
        return "-" if value is None else f"{value:g}" + ("*" if row.get(f"{key}_fallback") else "")

    header = ["model", "input", "output", "cache read", "cache write", "batch in", "batch out", "source"]
    keys = ["input", "output", "cache_read", "cache_write", "batch_input", "batch_output"]
    lines = [table(header, [[r["model"], *(cell(r, k) for k in keys), r["source"]] for r in rows])]
    lines.append("USD per million tokens. * no separate price: charged at the input price.")
    return "\n".join(lines)


# --- genai-prices ----------------------------------------------------------------------------


def _from_explicit(provider: str, entry: ExplicitPrice | HourlyPrice) -> ModelPrice:
    if isinstance(entry, HourlyPrice):
        return ModelPrice(provider, 0.0, 0.0, 0.0, 0.0, entry.source, hourly_usd=entry.hourly_usd)
    return ModelPrice(provider, entry.input, entry.output, entry.cache_read, entry.cache_write,
                      entry.source, BATCH_DISCOUNT.get(provider),
                      notes=_fallback_notes(entry.cache_read, entry.cache_write))


def _from_library(model: str, provider: str, model_ref: str, when: datetime) -> ModelPrice:
    import genai_prices
    from genai_prices.data_snapshot import find_provider_by_id

    if provider == "openai-api":  # inspect-ai's openai-api/<service>/<model>
        provider, _, model_ref = model_ref.partition("/")
    library_provider = find_provider_by_id(_bundled_snapshot().providers, _PROVIDER_ALIASES.get(provider, provider))
    if library_provider is None:
        raise PriceNotFound(model, f"genai-prices {genai_prices.__version__} has no provider {provider!r}")
    try:
        _, info = _bundled_snapshot().find_provider_model(model_ref, library_provider, None, None)
    except LookupError:
        raise PriceNotFound(model, f"genai-prices {genai_prices.__version__} does not know it") from None
    prices = _current_prices(info, when)
    values = {k: getattr(prices, f"{k}_mtok") for k in ("input", "output", "cache_read", "cache_write")}
    if values["input"] is None or values["output"] is None:
        raise PriceNotFound(model, "genai-prices has no per-token input/output price for it")
    # Tiered prices (e.g. Anthropic above 200k prompt tokens) are cliffs; we take the base tier.
    notes = [f"{k} is tiered: base tier used (prompts under {v.tiers[0].start:,} tokens)"
             for k, v in values.items() if hasattr(v, "tiers") and v.tiers]
    rates = {k: None if v is None else float(getattr(v, "base", v)) for k, v in values.items()}
    notes += _fallback_notes(rates["cache_read"], rates["cache_write"])
    return ModelPrice(
        provider, rates["input"], rates["output"], rates["cache_read"], rates["cache_write"],  # type: ignore[arg-type]
        source=f"genai-prices {genai_prices.__version__} ({library_provider.id}/{info.id})",
        batch_discount=BATCH_DISCOUNT.get(provider), notes=tuple(notes),
    )


def _current_prices(info: Any, when: datetime) -> Any:
    """The price in force at `when`: the last conditional price whose start date has passed.
    Time-of-day windows (DeepSeek's peak hours) count as always in force, so the price is the
    standard peak rate and does not depend on the hour the code runs."""
    from genai_prices.types import StartDateConstraint

    if not isinstance(info.prices, list):
        return info.prices
    for conditional in reversed(info.prices):
        constraint = conditional.constraint
        if not isinstance(constraint, StartDateConstraint) or constraint.active(when):
            return conditional.prices
    return info.prices[0].prices


@functools.cache
def _bundled_snapshot() -> Any:
    """The data shipped with the installed genai-prices, never an auto-updated snapshot."""
    from genai_prices.data import providers
    from genai_prices.data_snapshot import DataSnapshot

    return DataSnapshot(providers=providers, from_auto_update=False)


def _fallback_notes(cache_read: float | None, cache_write: float | None) -> tuple[str, ...]:
    missing = [name for name, rate in (("cache_read", cache_read), ("cache_write", cache_write)) if rate is None]
    return tuple(f"no separate {name} price: input price used" for name in missing)


def _dec(value: float) -> Decimal:
    """Exact decimal of a price as written (0.08, not 0.0800000000000000016...)."""
    return Decimal(repr(value))
