"""Key-account assessments through the gateway: the regional key-account office
starts one for a customer credit knows, adds a document, fills the scores, and
completing an incomplete one answers 412 with every gap."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from tests.integration.gateway.conftest import Http
from tests.integration.gateway.support import company, problem
from tests.support.waiting import eventually

SignedIn = Callable[..., Awaitable[dict[str, str]]]


async def test_an_assessment_started_documented_scored_and_its_gaps(
        http: Http, signed_in: SignedIn) -> None:
    rep, office = await signed_in("rep"), await signed_in("ka-office")
    client = http()
    created = await client.post("/api/customers", headers=rep,
                                json=company(uuid.uuid4().hex[:8]))
    customer_id = created.json()["customer"]["id"]

    async def started() -> Any:
        answer = await client.post("/api/credit/assessments", headers=office,
                                   json={"customer_id": customer_id})
        return answer if answer.status_code == 201 else None

    assessment = (await eventually(started, "credit to know the customer")).json()["assessment"]
    path = f"/api/credit/assessments/{assessment['id']}"
    documented = await client.post(f"{path}/documents", headers=office, json={
        "kind": "DOCUMENT_KIND_BUSINESS_LICENCE", "file_name": "licence.pdf",
        "content_type": "application/pdf", "size_bytes": 1024,
        "storage_uri": "s3://crm-docs/licence.pdf"})
    assert documented.status_code == 200, documented.text
    scored = await client.patch(path, headers=office, json={"scores": {
        "basic_information": 80, "overall_capacity": 70, "capital": 60, "environment": 90}})
    assert scored.status_code == 200, scored.text
    read = (await client.get(path, headers=office)).json()["assessment"]
    assert read["scores"]["capital"] == 60 and len(read["documents"]) == 1
    gaps = problem(await client.post(f"{path}/complete", headers=office), 412)
    assert gaps["violations"] or gaps["preconditions"]
    bad = problem(await client.patch(path, headers=office,
                                      json={"scores": {"capital": 101}}), 400)
    assert bad["violations"][0]["field"] == "scores.capital"
    problem(await client.post("/api/credit/assessments", headers=rep,
                              json={"customer_id": customer_id}), 403)
