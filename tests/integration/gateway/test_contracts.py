"""Contracts through the gateway: a manager reserves a number for a rep's customer,
fills the draft, confirms it, records a payment and a delivery, lists and reads it;
a second reserved contract is abandoned; bad input is refused per field."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from tests.integration.gateway.conftest import Http
from tests.integration.gateway.support import company, problem

SignedIn = Callable[..., Awaitable[dict[str, str]]]
SIGNED = date.today()


def money(yuan: int) -> dict[str, object]:
    return {"amount_minor": yuan * 100, "currency_code": "CNY"}


DRAFT = {
    "contract_type": "sales", "signing_date": SIGNED.isoformat(),
    "payment_method": "PAYMENT_METHOD_DEPOSIT_AND_BALANCE", "buyer": "春意空调采购部",
    "lines": [{"product": "KFR-35GW", "quantity": 10, "unit_price": money(3000)}],
    "extras_and_promises": ["赠送安装服务"], "main_terms": "一年保修",
    "start_date": SIGNED.isoformat(), "end_date": (SIGNED + timedelta(days=365)).isoformat(),
    "signatory": "张总", "deposit": money(1000),
    "payment_due_date": (SIGNED + timedelta(days=8)).isoformat(),
    "delivery_due_date": (SIGNED + timedelta(days=13)).isoformat()}


async def test_a_contract_from_reservation_to_payment_and_delivery(
        http: Http, signed_in: SignedIn) -> None:
    rep, manager = await signed_in("rep"), await signed_in("manager")
    client = http()
    created = await client.post("/api/customers", headers=rep,
                                json=company(uuid.uuid4().hex[:8]))
    assert created.status_code == 201, created.text
    customer_id = created.json()["customer"]["id"]
    reserved = await client.post(f"/api/customers/{customer_id}/contracts", headers=manager)
    assert reserved.status_code == 201, reserved.text
    contract = reserved.json()["contract"]
    assert contract["status"] == "CONTRACT_STATUS_RESERVED" and contract["number"]
    path = f"/api/contracts/{contract['id']}"
    drafted = await client.put(f"{path}/draft", headers=manager, json={"draft": DRAFT})
    assert drafted.status_code == 200, drafted.text
    confirmed = await client.post(f"{path}/confirm", headers=manager)
    assert confirmed.json()["contract"]["status"] == "CONTRACT_STATUS_SIGNED", confirmed.text
    paid = await client.post(f"{path}/payments", headers=manager, json={
        "method": "PAYMENT_METHOD_DEPOSIT_AND_BALANCE", "paid_on": SIGNED.isoformat(),
        "amount": money(30000), "handler": "财务王"})
    assert paid.status_code == 201, paid.text
    delivered = await client.post(f"{path}/deliveries", headers=manager, json={
        "delivered_on": SIGNED.isoformat(), "description": "全部到货", "complete": True})
    assert delivered.status_code == 201, delivered.text
    assert delivered.json()["contract"]["status"] == "CONTRACT_STATUS_FULFILLED"
    listed = await client.get("/api/contracts", headers=manager,
                              params={"customer_id": customer_id})
    assert [c["id"] for c in listed.json()["contracts"]] == [contract["id"]], listed.text
    assert (await client.get(path, headers=manager)).json()["contract"]["number"] == (
        contract["number"])
    spare = (await client.post(f"/api/customers/{customer_id}/contracts",
                               headers=manager)).json()["contract"]
    abandoned = await client.post(f"/api/contracts/{spare['id']}/cancel", headers=manager,
                                  json={"reason": "客户改签"})
    assert abandoned.json()["contract"]["status"] == "CONTRACT_STATUS_CANCELLED", abandoned.text
    problem(await client.post(f"{path}/cancel", headers=manager, json={}), 412)


async def test_bad_contract_input_is_refused_per_field(http: Http,
                                                       signed_in: SignedIn) -> None:
    manager = await signed_in("manager")
    client = http()
    bad = problem(await client.put(f"/api/contracts/{uuid.uuid4()}/draft", headers=manager,
                                   json={"draft": {**DRAFT, "payment_method": "BARTER",
                                                   "lines": [{"product": "x"}]}}), 400)
    fields = {v["field"] for v in bad["violations"]}
    assert "draft.payment_method" in fields and any(f.startswith("draft.lines") for f in fields)
    problem(await client.get(f"/api/contracts/{uuid.uuid4()}", headers=manager), 404)
