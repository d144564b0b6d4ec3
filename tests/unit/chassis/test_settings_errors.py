"""A bad setting is one line naming the environment variable, its value and the form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from services.chassis.settings_errors import explain, explain_unparsed


class SampleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMPLE_", extra="ignore", frozen=True)

    hold_for: timedelta = timedelta(days=30)
    batch: int = Field(default=10, ge=1)
    overrides: dict[str, int] = Field(default_factory=dict)


def test_a_bad_duration_names_the_variable_value_and_form(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMPLE_HOLD_FOR", "abc")
    with pytest.raises(ValidationError) as caught:
        SampleSettings()
    [line] = explain(caught.value, service="sample")
    assert line.startswith("sample: SAMPLE_HOLD_FOR='abc' is not valid: ")
    assert line.endswith("; expected a duration (ISO 8601 like P30D or PT12H, or seconds)")


def test_a_value_out_of_range_says_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMPLE_BATCH", "0")
    with pytest.raises(ValidationError) as caught:
        SampleSettings()
    assert explain(caught.value) == [
        "SAMPLE_BATCH='0' is not valid: Input should be greater than or equal to 1"]


def test_a_nested_value_names_where_inside_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMPLE_OVERRIDES", '{"cn-east": "many"}')
    with pytest.raises(ValidationError) as caught:
        SampleSettings()
    [line] = explain(caught.value)
    assert line.startswith("SAMPLE_OVERRIDES='{\"cn-east\": \"many\"}' is not valid at cn-east: ")


def test_json_that_does_not_parse_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMPLE_OVERRIDES", "nope")
    with pytest.raises(SettingsError) as caught:
        SampleSettings()
    assert explain_unparsed(caught.value, service="sample") == [
        "sample: SAMPLE_OVERRIDES='nope' is not valid: expected a JSON object"]
