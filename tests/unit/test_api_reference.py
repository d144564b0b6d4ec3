"""docs/api-reference.md is what the protos say today (roles, scopes, field limits)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    path = ROOT / "deploy" / "local" / "api_reference.py"
    spec = importlib.util.spec_from_file_location("api_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_reference_matches_the_protos() -> None:
    expected = _generator().render()
    current = (ROOT / "docs" / "api-reference.md").read_text(encoding="utf-8")
    assert current == expected, "docs/api-reference.md is stale: run `make docs`"


def test_every_rpc_and_its_roles_are_in_the_reference() -> None:
    from tests.support.hostile import service_descriptors

    text = (ROOT / "docs" / "api-reference.md").read_text(encoding="utf-8")
    for service in ("customer", "protection"):
        for descriptor in service_descriptors(service):
            for method in descriptor.methods:
                assert f"### {method.name}\n" in text
    assert "| `request_id` | string | ≤ 128 characters |" in text
    assert "`pre_sales` (own)" in text
