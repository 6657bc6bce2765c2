"""Deterministic job ids and task groups (cloudburst.core.naming)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from cloudburst.core.naming import (
    batch_of_task_group,
    content_job_id,
    is_job_id,
    job_id,
    manifest_job_id,
    safe_job_name,
    task_group,
)

EXECUTION_NAME = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/]{1,80}$")


def test_the_same_manifest_version_gives_the_same_id_and_a_new_version_a_new_one() -> None:
    first = manifest_job_id(None, "b", "jobs/team/story.json", "v1")
    assert first == manifest_job_id(None, "b", "jobs/team/story.json", "v1")
    assert first != manifest_job_id(None, "b", "jobs/team/story.json", "v2")
    assert first.startswith("story-")
    assert is_job_id(first)
    assert manifest_job_id("named", "b", "jobs/x.json", "v1").startswith("named-")


def test_content_ids_follow_the_bytes() -> None:
    assert content_job_id("a", b"{}") == content_job_id("a", b"{}") != content_job_id("a", b"{ }")


@given(name=st.one_of(st.none(), st.text(max_size=120)), seed=st.binary(max_size=64))
def test_every_id_is_a_valid_execution_name(name: str | None, seed: bytes) -> None:
    value = job_id(name, seed)
    assert EXECUTION_NAME.match(value)
    assert len(value) <= 77
    assert is_job_id(value)
    assert safe_job_name(name) == value.rsplit("-", 1)[0]


def test_task_groups_name_job_batch_and_attempt() -> None:
    assert task_group("story-0123456789ab", 4, 1) == "cloudburst:story-0123456789ab:4:1"


def test_a_task_group_is_read_back_only_for_its_own_job() -> None:
    assert batch_of_task_group(task_group("story-0123456789ab", 12, 1), "story-0123456789ab") == (12, 1)
    assert batch_of_task_group(task_group("story-0123456789ab", 0, 0), "story-0123456789") is None
    assert batch_of_task_group(task_group("other-0123456789ab", 0, 0), "story-0123456789ab") is None
    assert batch_of_task_group("family:renderer", "story-0123456789ab") is None
    assert batch_of_task_group("cloudburst:story-0123456789ab:x:0", "story-0123456789ab") is None
