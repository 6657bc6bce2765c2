"""The Price List API adapter against a fake pricing client: products in, a price-table override out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from cloudburst.aws.price_list import PriceListIncomplete, fargate_price_override
from cloudburst.core.pricing import load_price_table
from cloudburst.models.job import Architecture, Capacity


def _product(usage_type: str, usd: str, published: str = "2026-10-01T00:00:00Z") -> str:
    return json.dumps(
        {
            "product": {"productFamily": "Compute", "attributes": {"usagetype": usage_type, "regionCode": "eu-west-1"}},
            "publicationDate": published,
            "terms": {
                "OnDemand": {
                    "SKU.TERM": {"priceDimensions": {"SKU.TERM.RATE": {"unit": "hours", "pricePerUnit": {"USD": usd}}}}
                }
            },
        }
    )


class FakePricing:
    """Serves products two pages at a time and records the requests."""

    def __init__(self, products: list[str]) -> None:
        self.pages = [products[i : i + 2] for i in range(0, len(products), 2)] or [[]]
        self.requests: list[dict[str, Any]] = []

    def get_products(self, **kwargs: Any) -> Mapping[str, Any]:
        self.requests.append(kwargs)
        page = int(kwargs.get("NextToken", "0"))
        answer: dict[str, Any] = {"PriceList": self.pages[page]}
        if page + 1 < len(self.pages):
            answer["NextToken"] = str(page + 1)
        return answer


def test_the_override_holds_the_regions_fargate_rates_and_reads_every_page() -> None:
    client = FakePricing(
        [
            _product("EU-Fargate-vCPU-Hours:perCPU", "0.0410000000"),
            _product("EU-Fargate-GB-Hours", "0.0045000000"),
            _product("EU-Fargate-ARM-vCPU-Hours:perCPU", "0.0328000000"),
            _product("EU-Fargate-ARM-GB-Hours", "0.0036000000", published="2026-11-02T00:00:00Z"),
            _product("EU-Fargate-Windows-vCPU-Hours:perCPU", "0.0920000000"),  # not ours: ignored
            _product("EU-Fargate-EphemeralStorage-GB-Hours", "0.0001200000"),
        ]
    )
    override = fargate_price_override(client, "eu-west-1")
    assert len(client.requests) == 3
    assert client.requests[0]["Filters"] == [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"}]
    assert override["checked_on"] == "2026-11-02"
    rates = override["regions"]["eu-west-1"]
    assert rates["fargate"] == {
        "x86_64": {"vcpu_hour": 0.041, "gb_hour": 0.0045},
        "arm64": {"vcpu_hour": 0.0328, "gb_hour": 0.0036},
    }
    assert rates["ephemeral_storage_gb_hour"] == 0.00012
    table = load_price_table(override)
    assert table.fargate_rates("eu-west-1", Architecture.X86_64, Capacity.ON_DEMAND).vcpu_hour == 0.041
    # What the API did not say is kept from the bundled table.
    assert table.region("eu-west-1").public_ipv4_hour == 0.005


def test_missing_x86_rates_are_an_error_naming_them() -> None:
    with pytest.raises(PriceListIncomplete, match=r"fargate\.x86_64\.gb_hour for eu-west-1"):
        fargate_price_override(FakePricing([_product("EU-Fargate-vCPU-Hours:perCPU", "0.04")]), "eu-west-1")
