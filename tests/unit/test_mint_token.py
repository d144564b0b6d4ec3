"""`make token` prints a header the services accept, for the roles the protos know."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from services.chassis.auth import verify_token
from services.chassis.settings import InfraSettings

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "mint_token", ROOT / "deploy" / "local" / "mint_token.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_header_carries_the_asked_identity(capsys: pytest.CaptureFixture[str]) -> None:
    assert _script().main(["--roles", "pre_sales,reviewer", "--user", "u1",
                           "--region", "cn-east", "--dept", "d7"]) == 0
    header = capsys.readouterr().out.strip()
    assert header.startswith("authorization: Bearer ")
    infra = InfraSettings()
    identity = verify_token(header.removeprefix("authorization: Bearer "), infra.auth_secret,
                            issuer=infra.auth_issuer)
    assert (identity.user_id, identity.roles, identity.region, identity.department) == (
        "u1", frozenset({"pre_sales", "reviewer"}), "cn-east", "d7")


def test_an_unknown_role_is_refused_listing_the_known_ones(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _script().main(["--roles", "boss"]) == 2
    message = capsys.readouterr().err
    assert message.startswith("unknown role(s): boss; roles are: admin, after_sales,")
    assert "pre_sales" in message and "key_account_center" in message
