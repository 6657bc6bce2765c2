"""What AWS charges, per region: the price table and the arithmetic that turns usage into dollars.

The bundled table (`data/prices.json`) names its sources and the date it was checked. Prices change and
accounts differ (Savings Plans, private pricing), so a caller may override any part of it with a mapping or
a JSON file of the same shape; `cloudburst.aws.price_list` can build such an override from the AWS Price
List API. Only *rates* live here; which seconds are billed is `billing`'s job.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cloudburst.models.errors import describe_validation_error
from cloudburst.models.job import Architecture, Capacity

PRICES_FILE = "prices.json"
SECONDS_PER_HOUR = 3600.0


class _Rates(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FargateRates(_Rates):
    """USD per vCPU-hour and per GB-hour of a task's requested size."""

    vcpu_hour: float = Field(ge=0)
    gb_hour: float = Field(ge=0)

    def per_second(self, vcpu: float, memory_gb: float) -> float:
        """USD per second for a task of this size."""
        return (vcpu * self.vcpu_hour + memory_gb * self.gb_hour) / SECONDS_PER_HOUR


class RegionPrices(_Rates):
    """Every rate CloudBurst's cost depends on, for one region."""

    fargate: dict[Architecture, FargateRates]
    fargate_spot: dict[Architecture, FargateRates] = Field(default_factory=dict)
    ephemeral_storage_gb_hour: float = Field(ge=0)
    public_ipv4_hour: float = Field(ge=0)
    lambda_gb_second: dict[Architecture, float]
    lambda_requests_per_million: float = Field(ge=0)
    step_functions_per_thousand_transitions: float = Field(ge=0)
    s3_put_per_thousand: float = Field(ge=0, description="PUT, COPY, POST, LIST.")
    s3_get_per_thousand: float = Field(ge=0, description="GET, HEAD and the rest.")


class PriceTable(_Rates):
    schema_version: int = 1
    currency: str = "USD"
    checked_on: str = Field(description="ISO date the rates were last compared with their sources.")
    sources: list[str] = Field(min_length=1)
    notes: list[str] = Field(default_factory=list)
    free_ephemeral_storage_gb: float = Field(default=20, ge=0)
    spot_discount: float = Field(ge=0, lt=1, description="Used for Spot where a region has no Spot rates.")
    fallback_region: str = Field(
        default="us-east-1", description="Whose rates price a region the table lacks (flagged in the report)."
    )
    regions: dict[str, RegionPrices] = Field(min_length=1)

    @model_validator(mode="after")
    def _fallback_is_priced(self) -> Self:
        if self.fallback_region not in self.regions:
            raise ValueError(f"fallback_region {self.fallback_region!r} is not one of the table's regions")
        return self

    def priced_region(self, region: str) -> str:
        """The region whose rates price a job run in `region`: itself, or the fallback when the table lacks it.

        A deployment in a region the bundled table does not list must still get its report (the job has run
        and been paid for); the report says which rates it used, and an override prices the region exactly.
        """
        return region if region in self.regions else self.fallback_region

    def region(self, region: str) -> RegionPrices:
        """The rates of `region`; an unknown region is refused with the ones we know."""
        try:
            return self.regions[region]
        except KeyError:
            known = ", ".join(sorted(self.regions))
            raise ValueError(
                f"region: no prices for {region!r}; the table has {known} (add it with a price override)"
            ) from None

    def fargate_rates(self, region: str, architecture: Architecture, capacity: Capacity) -> FargateRates:
        """The Fargate rates a task of this architecture and capacity pays in `region`."""
        prices = self.region(region)
        try:
            on_demand = prices.fargate[architecture]
        except KeyError:
            raise ValueError(f"prices: {region} has no Fargate rates for {architecture.value}") from None
        if capacity is Capacity.ON_DEMAND:
            return on_demand
        spot = prices.fargate_spot.get(architecture)
        if spot is not None:
            return spot
        keep = 1.0 - self.spot_discount
        return FargateRates(vcpu_hour=on_demand.vcpu_hour * keep, gb_hour=on_demand.gb_hour * keep)


def load_price_table(override: Mapping[str, Any] | str | bytes | os.PathLike[str] | None = None) -> PriceTable:
    """The bundled table, deep-merged with `override` (a mapping, JSON text or a JSON file's path).

    An override need only hold what differs, e.g. `{"regions": {"us-east-1": {"public_ipv4_hour": 0}}}`;
    an empty object replaces what it names (`{"fargate_spot": {}}` drops a region's Spot rates, so Spot is
    priced with `spot_discount`). A malformed override is refused with the field that is wrong.
    """
    base = _bundled_document()
    if override is None:
        return _validated(base)
    if isinstance(override, os.PathLike):
        override = Path(override).read_text(encoding="utf-8")
    patch = json.loads(override) if isinstance(override, str | bytes) else override
    if not isinstance(patch, Mapping):
        raise ValueError("prices: an override must be a JSON object")
    return _validated(_deep_merge(base, patch))


@cache
def bundled_price_table() -> PriceTable:
    """The price table shipped with the package."""
    return _validated(_bundled_document())


def fargate_cost(billed_seconds: float, vcpu: float, memory_gb: float, rates: FargateRates) -> float:
    """USD for a task billed `billed_seconds` at this size."""
    return billed_seconds * rates.per_second(vcpu, memory_gb)


def ephemeral_storage_cost(billed_seconds: float, storage_gb: float, prices: RegionPrices, free_gb: float) -> float:
    """USD for the task storage configured above the free allowance, for the task's billed time."""
    extra_gb = max(0.0, storage_gb - free_gb)
    return billed_seconds / SECONDS_PER_HOUR * extra_gb * prices.ephemeral_storage_gb_hour


def public_ipv4_cost(seconds: float, prices: RegionPrices) -> float:
    """USD for one public IPv4 address held `seconds` (a task with `assignPublicIp` holds one)."""
    return seconds / SECONDS_PER_HOUR * prices.public_ipv4_hour


def lambda_cost(invocations: int, gb_seconds: float, architecture: Architecture, prices: RegionPrices) -> float:
    """USD for Lambda requests and compute (free tier not deducted: a report prices one job)."""
    return invocations * prices.lambda_requests_per_million / 1e6 + gb_seconds * prices.lambda_gb_second[architecture]


def step_functions_cost(transitions: int, prices: RegionPrices) -> float:
    """USD for Standard workflow state transitions."""
    return transitions * prices.step_functions_per_thousand_transitions / 1000


def s3_cost(put_requests: int, get_requests: int, prices: RegionPrices) -> float:
    """USD for S3 Standard requests (storage and transfer within the region are not job costs here)."""
    return (put_requests * prices.s3_put_per_thousand + get_requests * prices.s3_get_per_thousand) / 1000


def _bundled_document() -> dict[str, Any]:
    text = resources.files("cloudburst.core.data").joinpath(PRICES_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _validated(document: Mapping[str, Any]) -> PriceTable:
    try:
        return PriceTable.model_validate(document)
    except ValidationError as exc:
        raise ValueError("prices: " + "; ".join(describe_validation_error(exc))) from None


def _deep_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        current = merged.get(key)
        if isinstance(value, Mapping) and value and isinstance(current, Mapping):
            merged[key] = _deep_merge(current, value)
        else:
            merged[key] = value
    return merged
