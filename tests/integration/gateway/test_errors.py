"""gRPC statuses become HTTP statuses with RFC 9457 problems carrying the details."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import grpc
import pytest_asyncio
from fastapi import FastAPI

from services.chassis.settings import InfraSettings
from services.gateway.bootstrap import create_app
from services.gateway.config import GatewaySettings
from tests.integration.gateway.conftest import Http
from tests.integration.gateway.support import company, problem
from tests.support.processes import free_port

SignedIn = Callable[..., Awaitable[dict[str, str]]]


async def test_an_invalid_customer_is_400_with_the_services_violations(
        http: Http, signed_in: SignedIn) -> None:
    body = problem(await http().post("/api/customers", headers=await signed_in("rep"), json={
        **company(), "mobile": "12345", "industry": "不存在的行业"}), 400)
    fields = {v["field"] for v in body["violations"]}
    assert {"customer.mobile", "customer.industry"} <= fields, body
    assert all(v["description"] and v["reason"] for v in body["violations"])


async def test_the_gateway_refuses_malformed_requests_itself(http: Http,
                                                             signed_in: SignedIn) -> None:
    rep = await signed_in("rep")
    body = problem(await http().post("/api/customers", headers=rep,
                                     json={"name": "x" * 201, "colour": "red"}), 400)
    assert {v["field"] for v in body["violations"]} == {"name", "colour"}
    body = problem(await http().get("/api/customers/not-a-uuid", headers=rep), 400)
    assert body["violations"][0]["field"] == "customer_id"
    body = problem(await http().get("/api/customers", headers=rep,
                                    params={"stage": "SOMEWHERE", "page_size": -1}), 400)
    assert {v["field"] for v in body["violations"]} == {"stage", "page_size"}


async def test_unknown_records_are_404(http: Http, signed_in: SignedIn) -> None:
    missing = str(uuid.uuid4())
    body = problem(await http().get(f"/api/customers/{missing}",
                                    headers=await signed_in("admin")), 404)
    assert body["resource"]["resource_name"] == missing
    body = problem(await http().get(f"/api/claims/{missing}", headers=await signed_in("rep")),
                   404)
    assert body["reason"]
    route = problem(await http().get("/api/nowhere"), 404)
    assert route["reason"] == "NOT_FOUND"


async def test_a_role_the_rpc_does_not_grant_is_403_naming_the_allowed_roles(
        http: Http, signed_in: SignedIn) -> None:
    body = problem(await http().get("/api/customers", headers=await signed_in("dealer")), 403)
    assert body["reason"] == "ROLE_REQUIRED"
    assert {"pre_sales", "manager", "admin"} <= set(body["allowed_roles"])
    assert body["metadata"]["allowed_roles"]


async def test_duplicates_and_stale_versions_are_409_and_rules_412(
        http: Http, signed_in: SignedIn) -> None:
    rep, manager = await signed_in("rep"), await signed_in("manager")
    client = http()
    fields = company()
    created = await client.post("/api/customers", headers=rep, json=fields)
    assert created.status_code == 201, created.text
    customer = created.json()["customer"]
    duplicate = problem(await client.post("/api/customers", headers=rep, json=fields), 409)
    assert duplicate["metadata"].get("existing_id") == customer["id"], duplicate

    stale = problem(await client.patch(f"/api/customers/{customer['id']}", headers=rep, json={
        "address": "江苏省南京市玄武区2号", "expected_version": int(customer["version"]) + 5}), 409)
    assert stale["reason"]
    updated = await client.patch(f"/api/customers/{customer['id']}", headers=rep, json={
        "address": "江苏省南京市玄武区2号", "expected_version": int(customer["version"])})
    assert updated.status_code == 200, updated.text
    assert updated.json()["customer"]["address"] == "江苏省南京市玄武区2号"

    claimed = await client.post("/api/claims", headers=rep, json={"customer_id": customer["id"]})
    assert claimed.status_code == 201, claimed.text
    again = problem(await client.post(f"/api/pool/{customer['id']}/claim", headers=manager), 403)
    assert again["reason"] == "ROLE_REQUIRED"
    other = await _second_rep(client, signed_in)
    taken = problem(await client.post("/api/claims", headers=other,
                                      json={"customer_id": customer["id"]}), 412)
    assert taken["preconditions"], taken
    assert taken["reason"]


async def _second_rep(client: Any, signed_in: SignedIn) -> dict[str, str]:
    admin = await signed_in("admin")
    username = f"rep-{uuid.uuid4().hex[:8]}"
    made = await client.post("/api/admin/users", headers=admin, json={
        "username": username, "password": "second-rep-pass", "display_name": "第二销售",
        "roles": ["pre_sales"], "sales_region": "cn-east", "department": "sales-1"})
    assert made.status_code == 201, made.text
    return await signed_in(username, "second-rep-pass")


async def test_the_correlation_id_is_passed_on_and_returned(http: Http,
                                                           signed_in: SignedIn) -> None:
    rep = await signed_in("rep")
    answer = await http().get("/api/customers", headers={**rep, "X-Correlation-Id": "cid-42"})
    assert answer.headers["x-correlation-id"] == "cid-42"
    body = problem(await http().get(f"/api/customers/{uuid.uuid4()}",
                                    headers={**rep, "X-Correlation-Id": "cid-43"}), 404)
    assert body["correlation_id"] == "cid-43"
    fresh = await http().get("/api/me", headers={**rep, "X-Correlation-Id": "bad id\n"})
    assert fresh.headers["x-correlation-id"] not in ("", "bad id")


# --- services that are down or too slow ------------------------------------------


class Sleepy(grpc.GenericRpcHandler):
    """A 'customer service' that never answers in time."""

    def service(self, _details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler[Any, Any]:
        async def slow(_request: bytes, _context: Any) -> bytes:
            await asyncio.sleep(30)
            return b""

        return grpc.unary_unary_rpc_method_handler(slow)


@pytest_asyncio.fixture(loop_scope="session")
async def broken_gateway(gateway_settings: GatewaySettings,
                         infra_settings: InfraSettings) -> AsyncIterator[FastAPI]:
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((Sleepy(),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    settings = gateway_settings.model_copy(update={
        "customer_address": f"127.0.0.1:{port}",
        "protection_address": f"127.0.0.1:{free_port()}",  # nobody listens
        "call_deadline": timedelta(seconds=1)})
    app = create_app(settings, infra_settings)
    try:
        async with app.router.lifespan_context(app):
            yield app
    finally:
        await server.stop(0)


async def test_a_service_down_is_503_and_a_slow_one_504(
        broken_gateway: FastAPI, signed_in: SignedIn) -> None:
    import httpx

    rep = await signed_in("rep")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=broken_gateway),
                                 base_url="https://gateway.test") as client:
        down = problem(await client.get("/api/claims", headers=rep), 503)
        assert int(down["status"]) == 503
        assert "127.0.0.1" not in down["detail"]
        answer = await client.get("/api/claims", headers=rep)
        assert int(answer.headers["retry-after"]) >= 1
        slow = problem(await client.get(f"/api/customers/{uuid.uuid4()}", headers=rep), 504)
        assert slow["reason"] == "DEADLINE_EXCEEDED"
        assert down["reason"] in ("UNAVAILABLE", "SERVICE_UNREACHABLE")


async def test_a_crash_is_a_500_problem_with_the_correlation_id_and_one_log_line(
        gateway_settings: GatewaySettings, infra_settings: InfraSettings) -> None:
    import io

    import httpx
    import structlog

    from services.gateway.adapters.log_redaction import configure_gateway_logging

    app = create_app(gateway_settings, infra_settings)

    @app.get("/api/crash-for-the-test")
    async def crash() -> None:
        raise RuntimeError("a bug")

    stream = io.StringIO()
    saved = structlog.get_config()
    configure_gateway_logging("json", "debug", stream=stream)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="https://gateway.test") as client:
            answer = await client.get("/api/crash-for-the-test",
                                      headers={"X-Correlation-Id": "crash-test-1"})
    finally:
        structlog.configure(**saved)
    body = problem(answer, 500)
    assert body["reason"] == "INTERNAL" and "a bug" not in answer.text
    assert answer.headers["x-correlation-id"] == "crash-test-1"
    assert answer.headers["x-content-type-options"] == "nosniff"
    lines = [line for line in stream.getvalue().splitlines() if "crash-for-the-test" in line]
    events = [json.loads(line)["event"] for line in lines]
    assert events.count("request_crashed") == 1, lines
    assert all(json.loads(line)["correlation_id"] == "crash-test-1" for line in lines)
