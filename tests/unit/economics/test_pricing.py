"""The price table: the bundled rates, overrides, Spot, and the cost arithmetic on worked examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudburst.core.pricing import (
    bundled_price_table,
    ephemeral_storage_cost,
    fargate_cost,
    lambda_cost,
    load_price_table,
    public_ipv4_cost,
    s3_cost,
    step_functions_cost,
)
from cloudburst.models.job import Architecture, Capacity

REQUIRED_REGIONS = {
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
}


def test_the_bundled_table_covers_the_required_regions_and_names_its_sources() -> None:
    table = bundled_price_table()
    assert set(table.regions) >= REQUIRED_REGIONS
    assert table.checked_on
    assert all(url.startswith("https://") for url in table.sources)
    for region in REQUIRED_REGIONS:
        prices = table.region(region)
        assert set(prices.fargate) == {Architecture.X86_64, Architecture.ARM64}
        # Graviton is cheaper than x86 everywhere.
        assert prices.fargate[Architecture.ARM64].vcpu_hour < prices.fargate[Architecture.X86_64].vcpu_hour


def test_us_east_1_x86_is_the_published_rate_not_the_old_librarys() -> None:
    rates = bundled_price_table().fargate_rates("us-east-1", Architecture.X86_64, Capacity.ON_DEMAND)
    assert (rates.vcpu_hour, rates.gb_hour) == (0.04048, 0.004445)
    # 2 vCPU / 4 GB for an hour: $0.09874 (the older library said $0.08772, 11% low).
    assert fargate_cost(3600, 2, 4, rates) == pytest.approx(0.09874)


def test_spot_uses_the_regions_spot_rates_or_else_the_discount() -> None:
    table = bundled_price_table()
    spot = table.fargate_rates("us-east-1", Architecture.X86_64, Capacity.SPOT)
    assert spot.vcpu_hour == 0.01264355
    no_spot_table = load_price_table({"regions": {"us-east-1": {"fargate_spot": {}}}, "spot_discount": 0.7})
    discounted = no_spot_table.fargate_rates("us-east-1", Architecture.X86_64, Capacity.SPOT)
    assert discounted.vcpu_hour == pytest.approx(0.04048 * 0.3)
    assert discounted.gb_hour == pytest.approx(0.004445 * 0.3)


def test_an_override_changes_only_what_it_names() -> None:
    table = load_price_table({"regions": {"eu-west-1": {"public_ipv4_hour": 0.0}}, "checked_on": "2030-01-01"})
    assert table.region("eu-west-1").public_ipv4_hour == 0.0
    assert table.region("eu-west-1").fargate[Architecture.X86_64].vcpu_hour == 0.04048
    assert table.checked_on == "2030-01-01"
    assert bundled_price_table().region("eu-west-1").public_ipv4_hour == 0.005


def test_an_override_can_add_a_region_from_a_file(tmp_path: Path) -> None:
    region = bundled_price_table().region("us-east-1").model_dump(mode="json")
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"regions": {"sa-east-1": region}}))
    assert "sa-east-1" in load_price_table(path).regions


def test_a_bad_override_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"regions\.us-east-1\.public_ipv4_hour"):
        load_price_table({"regions": {"us-east-1": {"public_ipv4_hour": -1}}})
    with pytest.raises(ValueError, match="JSON object"):
        load_price_table("[1, 2]")


def test_an_unknown_region_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"no prices for 'xx-east-9'.*us-east-1"):
        bundled_price_table().region("xx-east-9")


def test_service_costs_on_worked_examples() -> None:
    prices = bundled_price_table().region("us-east-1")
    # 50 GB configured, 20 free: 30 GB for 2 hours at $0.000111.
    assert ephemeral_storage_cost(7200, 50, prices, free_gb=20) == pytest.approx(30 * 2 * 0.000111)
    assert ephemeral_storage_cost(7200, 20, prices, free_gb=20) == 0.0
    assert public_ipv4_cost(1800, prices) == pytest.approx(0.0025)
    # 1M requests + 100,000 GB-s on arm64.
    assert lambda_cost(1_000_000, 100_000, Architecture.ARM64, prices) == pytest.approx(0.20 + 1.33334)
    assert step_functions_cost(4000, prices) == pytest.approx(0.1)
    assert s3_cost(1000, 10_000, prices) == pytest.approx(0.005 + 0.004)
