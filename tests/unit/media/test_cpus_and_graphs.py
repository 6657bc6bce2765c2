"""Container CPU count from cgroup files; filter-graph escaping of option values."""

from __future__ import annotations

from cloudburst.renderer.media.cpus import cpus_from, parse_cfs, parse_cpu_max
from cloudburst.renderer.media.filtergraph import escape_graph, escape_option_value, filter_spec


def test_cgroup_v2_quota() -> None:
    assert parse_cpu_max("max 100000\n") is None
    assert parse_cpu_max("200000 100000\n") == 2.0
    assert parse_cpu_max("150000 100000") == 1.5


def test_cgroup_v1_quota() -> None:
    assert parse_cfs("-1\n", "100000\n") is None
    assert parse_cfs("400000", "100000") == 4.0


def test_the_smaller_of_affinity_and_quota_wins() -> None:
    assert cpus_from(16, 2.0) == 2
    assert cpus_from(16, 1.5) == 2
    assert cpus_from(2, 8.0) == 2
    assert cpus_from(4, None) == 4
    assert cpus_from(1, 0.25) == 1


def test_option_values_then_graphs_are_escaped_in_that_order() -> None:
    path = "/w/it's a [test], x:y; z\\q"
    assert escape_option_value(path) == "/w/it\\'s a [test], x\\:y; z\\\\q"
    assert escape_graph(escape_option_value(path)) == "/w/it\\\\\\'s a \\[test\\]\\, x\\\\:y\\; z\\\\\\\\q"
    assert filter_spec("ass", filename="a:b") == "ass=filename=a\\\\:b"
    assert filter_spec("null") == "null"
