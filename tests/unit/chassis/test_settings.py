"""Infrastructure settings fail fast on a bad environment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from services.chassis.settings import InfraSettings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("CRM_"):
            monkeypatch.delenv(key)


@pytest.mark.parametrize(("var", "value"), [
    ("CRM_DB_POOL_MAX", "-1"),
    ("CRM_DB_POOL_MIN", "0"),
    ("CRM_DB_POOL_MAX", "ten"),
    ("CRM_LOG_FORMAT", "xml"),
    ("CRM_LOG_LEVEL", "verbose"),
    ("CRM_AUTH_SECRET", "short"),
    ("CRM_OUTBOX_BATCH", "0"),
    ("CRM_OUTBOX_BATCH", "100000"),
    ("CRM_CONSUMER_MAX_RETRIES", "-3"),
    ("CRM_OUTBOX_SWEEP_INTERVAL", "soon"),
])
def test_bad_value_fails_naming_the_variable(monkeypatch: pytest.MonkeyPatch, var: str,
                                             value: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ValidationError) as caught:
        InfraSettings()
    assert var.removeprefix("CRM_").lower() in str(caught.value)


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DB_POOL_MAX", "32")
    monkeypatch.setenv("CRM_EXCHANGE", "crm.events.eu")
    monkeypatch.setenv("CRM_QUEUE_PREFIX", "eu.")
    monkeypatch.setenv("CRM_CONSUMER_RETRY_DELAY", "PT0.5S")
    monkeypatch.setenv("CRM_LOG_FORMAT", "json")
    settings = InfraSettings()
    assert settings.db_pool_max == 32
    assert settings.exchange == "crm.events.eu"
    assert settings.consumer_retry_delay == timedelta(milliseconds=500)
    assert settings.log_format == "json"
    assert settings.queue_name("customer") == "eu.customer"


def test_defaults_are_valid() -> None:
    settings = InfraSettings()
    assert settings.exchange == "crm.events"
    assert settings.queue_name("protection") == "protection"


def test_frozen() -> None:
    settings = InfraSettings()
    with pytest.raises(ValidationError):
        settings.db_pool_max = 3


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.delenv("CRM_AUTH_SECRET", raising=False)
    with pytest.raises(ValidationError, match="CRM_AUTH_SECRET is the published development"):
        InfraSettings()
    monkeypatch.setenv("CRM_AUTH_SECRET", "a-real-secret-of-at-least-32-characters!")
    assert InfraSettings().env == "production"
    monkeypatch.setenv("CRM_ENV", "development")
    monkeypatch.delenv("CRM_AUTH_SECRET")
    assert InfraSettings().auth_secret == "dev-only-insecure-secret-change-me"
