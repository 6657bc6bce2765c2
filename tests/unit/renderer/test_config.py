"""The renderer's settings come from the environment, validated once, with errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudburst.renderer.config import GIB, ConfigError, load_config


def test_defaults_match_the_documented_contract() -> None:
    config = load_config({"RENDERER_TOKEN": "t0k"})
    assert (config.host, config.port, config.concurrency) == ("0.0.0.0", 8080, 1)
    assert config.idle_timeout_s == 0
    assert config.max_lifetime_s == 0
    assert config.max_input_bytes == 2 * GIB
    assert config.retention_s == 3600
    assert not config.stub_render
    assert config.auth_required


def test_environment_values_are_parsed() -> None:
    config = load_config(
        {
            "RENDERER_TOKEN": "t0k",
            "PORT": "9123",
            "RENDER_CONCURRENCY": "2",
            "IDLE_TIMEOUT": "30",
            "MAX_LIFETIME": "3600",
            "WORK_DIR": "/srv/work",
            "MAX_INPUT_BYTES": "1000",
            "RENDER_RETENTION_SECONDS": "60",
            "CLOUDBURST_STUB_RENDER": "1",
            "UNRELATED": "ignored",
        }
    )
    assert config.port == 9123
    assert config.concurrency == 2
    assert config.idle_timeout_s == 30
    assert config.max_lifetime_s == 3600
    assert config.work_dir == Path("/srv/work")
    assert config.max_input_bytes == 1000
    assert config.retention_s == 60
    assert config.stub_render


def test_flags_override_the_environment() -> None:
    config = load_config({"RENDERER_TOKEN": "t", "PORT": "9000", "HOST": "0.0.0.0"}, port=9001, host="127.0.0.2")
    assert (config.host, config.port) == ("127.0.0.2", 9001)


@pytest.mark.parametrize("token", [None, "", "   "])
def test_no_token_refuses_to_start(token: str | None) -> None:
    environ = {} if token is None else {"RENDERER_TOKEN": token}
    with pytest.raises(ConfigError, match=r"RENDERER_TOKEN is not set.*--insecure-local-dev"):
        load_config(environ)


def test_insecure_local_dev_allows_no_token_and_turns_auth_off() -> None:
    config = load_config({}, insecure_local_dev=True)
    assert config.token is None
    assert not config.auth_required


def test_a_token_given_with_the_insecure_flag_is_still_enforced() -> None:
    assert load_config({"RENDERER_TOKEN": "t"}, insecure_local_dev=True).auth_required


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORT", "http"), ("PORT", "70000"), ("RENDER_CONCURRENCY", "0"), ("IDLE_TIMEOUT", "-5"), ("LOG_LEVEL", "LOUD")],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{name}: "):
        load_config({"RENDERER_TOKEN": "t", name: value})


def test_the_token_is_not_in_the_settings_repr() -> None:
    assert "s3cr3t" not in repr(load_config({"RENDERER_TOKEN": "s3cr3t"}))
