"""Refresh Fargate rates from the AWS Price List API, as an override for `cloudburst.core.pricing`.

Optional: the bundled table works without it (and without credentials). Where `pricing:GetProducts` is
allowed, `fargate_price_override(client, region)` reads the region's Fargate products and returns the part
of the price table they determine, to pass to `load_price_table`. The Price List API answers from a few
endpoints only (us-east-1 among them); the client's region is the endpoint, not the region priced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

SERVICE_CODE = "AmazonECS"
PRICE_LIST_URL = "https://api.pricing.us-east-1.amazonaws.com (pricing:GetProducts, AmazonECS)"

# Usage types without their region prefix ("USE1-", "EUC1-", ...), mapped to where the rate goes.
_RATES: dict[str, tuple[str, ...]] = {
    "Fargate-vCPU-Hours:perCPU": ("fargate", "x86_64", "vcpu_hour"),
    "Fargate-GB-Hours": ("fargate", "x86_64", "gb_hour"),
    "Fargate-ARM-vCPU-Hours:perCPU": ("fargate", "arm64", "vcpu_hour"),
    "Fargate-ARM-GB-Hours": ("fargate", "arm64", "gb_hour"),
    "SpotUsage-Fargate-vCPU-Hours:perCPU": ("fargate_spot", "x86_64", "vcpu_hour"),
    "SpotUsage-Fargate-GB-Hours": ("fargate_spot", "x86_64", "gb_hour"),
    "Fargate-EphemeralStorage-GB-Hours": ("ephemeral_storage_gb_hour",),
}
_REGION_PREFIX = re.compile(r"^[A-Z]{2,4}\d?-")
_REQUIRED = (("fargate", "x86_64", "vcpu_hour"), ("fargate", "x86_64", "gb_hour"))


class PricingClient(Protocol):
    """The one call we need from boto3's `pricing` client."""

    def get_products(self, **kwargs: Any) -> Mapping[str, Any]: ...


class PriceListIncomplete(RuntimeError):
    """The Price List API did not return the rates the override needs for the region."""


def fargate_price_override(client: PricingClient, region: str) -> dict[str, Any]:
    """`{"regions": {region: {...}}, "checked_on": ..., "sources": [...]}` from the region's Fargate products."""
    rates: dict[str, Any] = {}
    published: list[str] = []
    for product in _products(client, region):
        usage_type = str(product.get("product", {}).get("attributes", {}).get("usagetype", ""))
        path = _RATES.get(_REGION_PREFIX.sub("", usage_type, count=1))
        price = _on_demand_usd(product)
        if path is None or price is None:
            continue
        _put(rates, path, price)
        if product.get("publicationDate"):
            published.append(str(product["publicationDate"])[:10])
    missing = [".".join(path) for path in _REQUIRED if _get(rates, path) is None]
    if missing:
        raise PriceListIncomplete(f"the Price List API has no {', '.join(missing)} for {region}")
    override: dict[str, Any] = {"regions": {region: rates}, "sources": [PRICE_LIST_URL]}
    if published:
        override["checked_on"] = max(published)
    return override


def _products(client: PricingClient, region: str) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        request: dict[str, Any] = {
            "ServiceCode": SERVICE_CODE,
            "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}],
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        if token:
            request["NextToken"] = token
        page = client.get_products(**request)
        for item in page.get("PriceList", []):
            yield json.loads(item) if isinstance(item, str) else dict(item)
        token = page.get("NextToken")
        if not token:
            return


def _on_demand_usd(product: Mapping[str, Any]) -> float | None:
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if usd is not None:
                return float(usd)
    return None


def _put(target: dict[str, Any], path: tuple[str, ...], value: float) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def _get(source: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(source, Mapping) or key not in source:
            return None
        source = source[key]
    return source
