"""`import cloudburst` stays light (the Lambdas import it) and its documented names resolve."""

from __future__ import annotations

import subprocess
import sys

import pytest

import cloudburst


def test_import_loads_no_client_module_and_no_boto3() -> None:
    probe = "import sys, cloudburst; print(sorted(m for m in ('boto3', 'cloudburst.client') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_documented_names_resolve() -> None:
    for name in cloudburst.__all__:
        assert getattr(cloudburst, name) is not None
    assert cloudburst.Job.__module__ == "cloudburst.client.job"
    with pytest.raises(AttributeError, match="no attribute 'Jobs'"):
        _ = cloudburst.Jobs
