"""The container files, read (no Docker engine here): what the image holds and refuses."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "deploy" / "Dockerfile").read_text()
COMPOSE = (ROOT / "deploy" / "compose.yaml").read_text()


def _runtime_stage() -> str:
    stages = re.split(r"^FROM ", DOCKERFILE, flags=re.MULTILINE)
    return stages[-1]


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "crm", "tests", "bench", "**/__pycache__"} <= ignored


def test_the_runtime_image_has_no_build_tools() -> None:
    runtime = _runtime_stage()
    assert "pip install" not in runtime
    assert "uninstall --yes pip setuptools wheel" in runtime
    assert "gcc" not in runtime and "build-essential" not in runtime
    # grpcio-tools (protoc) is a build-stage extra, not a run-time dependency.
    pyproject = (ROOT / "pyproject.toml").read_text()
    dependencies = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert "grpcio-tools" not in dependencies


def test_the_image_checks_its_health_and_runs_as_production() -> None:
    runtime = _runtime_stage()
    assert "HEALTHCHECK" in runtime and "services.chassis.health_probe" in runtime
    assert "CRM_ENV=production" in runtime
    assert "USER crm" in runtime


def test_demo_data_and_token_minting_are_inside_the_image() -> None:
    assert "deploy/local/demo_data.py deploy/local/mint_token.py /app/deploy/local/" in (
        _runtime_stage())


def test_compose_gives_each_app_its_health_port_and_development_mode() -> None:
    for service, port in (("customer", "50051"), ("protection", "50052")):
        block = COMPOSE.split(f"\n  {service}:\n", 1)[1].split("\n  depends_on", 1)[0]
        assert f'SERVICE_PORT: "{port}"' in block
        assert "CRM_ENV: development" in block
