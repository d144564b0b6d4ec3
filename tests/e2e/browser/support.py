"""What the browser tests share besides fixtures: the stack they run against, setting
up data through the gateway's HTTP API (as the demo people, with bearer tokens) or,
where the gateway has no route (credit assessments), through a service's gRPC API;
and waiting for what events carry between the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.chassis.settings import InfraSettings
from services.gateway.config import GatewaySettings
from services.gateway.service_layer.demo import DEMO_PASSWORD
from tests.integration.gateway.support import GatewayProcess
from tests.support.processes import ServiceProcess
from tests.support.waiting import eventually

Json = dict[str, Any]


@dataclass
class Stack:
    """The four services and the gateway, each its own process, for every browser test,
    and the fake SMS platform notify sends to."""

    infra: InfraSettings
    settings: GatewaySettings
    services: dict[str, ServiceProcess]
    gateway: GatewayProcess
    sms: Any = None  # deploy/local's FakeSmsProvider: what notify sent, and its modes

    @property
    def url(self) -> str:
        return self.gateway.url



def tag() -> str:
    """Eight hex digits making a test's names, phones and references its own."""
    return uuid.uuid4().hex[:8]


def phone(tag_: str, prefix: str = "139") -> str:
    """A mobile number of 11 digits derived from ``tag_`` (unique per tag)."""
    return f"{prefix}{int(tag_, 16) % 10**8:08d}"


def company(name: str, mobile: str, **more: str) -> Json:
    """A valid new customer (full legal name: region + brand + industry + legal form)."""
    return {"name": name, "address": "江苏省南京市鼓楼区中山路1号", "industry": "空调暖通",
            "mobile": mobile, "level": "potential", "introduction": "browser test",
            "province": "江苏省", **more}


@dataclass
class Api:
    """The gateway's HTTP API as any person: ``await api.post("rep", "/api/claims", {...})``."""

    client: httpx.AsyncClient
    passwords: dict[str, str] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)

    async def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            answer = await self.client.post("/api/auth/login", json={
                "username": username, "password": self.passwords.get(username, DEMO_PASSWORD)})
            assert answer.status_code == 200, answer.text
            self._tokens[username] = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    async def call(self, method: str, username: str, path: str, *, json: Json | None = None,
                   params: dict[str, Any] | None = None, expect: int | None = None) -> Json:
        answer = await self.client.request(method, path, json=json, params=params,
                                           headers=await self.headers(username))
        if expect is not None:
            assert answer.status_code == expect, (
                f"{method} {path}: {answer.status_code} {answer.text}")
        elif answer.status_code >= 400:
            raise AssertionError(f"{method} {path}: {answer.status_code} {answer.text}")
        return answer.json() if answer.content else {}

    async def get(self, username: str, path: str, **params: Any) -> Json:
        return await self.call("GET", username, path, params=params or None)

    async def post(self, username: str, path: str, json: Json | None = None,
                   expect: int | None = None) -> Json:
        return await self.call("POST", username, path, json=json or {}, expect=expect)

    async def person(self, username: str, display_name: str, role: str, *,
                     department: str = "sales-1", sales_region: str = "cn-east",
                     org_unit: str = "") -> Json:
        """A new person (as the demo admin), signed in with the demo password."""
        created = await self.post("admin", "/api/admin/users", {
            "username": username, "password": DEMO_PASSWORD, "display_name": display_name,
            "roles": [role], "department": department, "sales_region": sales_region,
            "org_unit": org_unit}, expect=201)
        return created

    async def customer(self, username: str, fields: Json) -> Json:
        answer = await self.post(username, "/api/customers", fields, expect=201)
        created: Json = answer["customer"]
        return created

    async def claim(self, username: str, customer_id: str) -> Json:
        claimed: Json = (await self.post(username, "/api/claims", {"customer_id": customer_id},
                                         expect=201))["claim"]
        return claimed

    async def approve(self, claim_id: str, reviewer: str = "reviewer") -> Json:
        """Approve once the claim is in the reviewer's queue (it gets there by events)."""
        async def queued() -> Json | None:
            queue = await self.get(reviewer, "/api/review-queue", page_size=500)
            return next((c for c in queue["claims"] if c["id"] == claim_id), None)

        await eventually(queued, f"claim {claim_id} in the review queue")
        approved: Json = (await self.post(reviewer, f"/api/claims/{claim_id}/approve",
                                          expect=200))["claim"]
        return approved

    async def follow_up(self, username: str, customer_id: str, fields: Json) -> Json:
        """Log a follow-up once the customer service knows the approved claim's owner
        (it learns of the approval by events)."""
        path = f"/api/customers/{customer_id}/follow-ups"

        async def logged() -> Json | None:
            answer = await self.client.post(path, json=fields,
                                            headers=await self.headers(username))
            if answer.status_code == 403 and answer.json()["reason"] == "NOT_CUSTOMER_OWNER":
                return None
            assert answer.status_code == 201, f"POST {path}: {answer.status_code} {answer.text}"
            created: Json = answer.json()
            return created

        return await eventually(logged, f"{username} the owner of {customer_id} for follow-ups")

    async def claims_of(self, username: str, **params: Any) -> list[Json]:
        found: list[Json] = (await self.get(username, "/api/claims", page_size=500,
                                            **params))["claims"]
        return found
