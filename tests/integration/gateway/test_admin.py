"""People management by admins; changes apply to signed-in people at once."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from tests.integration.gateway.conftest import Http
from tests.integration.gateway.support import problem

SignedIn = Callable[..., Awaitable[dict[str, str]]]


def new_person(**changes: object) -> dict[str, object]:
    return {"username": f"p-{uuid.uuid4().hex[:10]}", "password": "a-long-secret-1",
            "display_name": "测试员", "roles": ["pre_sales"], "sales_region": "cn-east",
            "department": "sales-2", **changes}


async def test_only_admins_manage_people(http: Http, signed_in: SignedIn) -> None:
    refused = problem(await http().get("/api/admin/users", headers=await signed_in("manager")),
                      403)
    assert refused["reason"] == "ROLE_REQUIRED" and refused["allowed_roles"] == ["admin"]
    problem(await http().post("/api/admin/users", json=new_person()), 401)


async def test_an_admin_adds_changes_disables_and_enables_a_person(
        http: Http, signed_in: SignedIn) -> None:
    admin = await signed_in("admin")
    client = http()
    body = new_person()
    created = await client.post("/api/admin/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["roles"] == ["pre_sales"] and not person["disabled"]
    assert "password" not in person and "password_hash" not in person

    taken = problem(await client.post("/api/admin/users", json=body, headers=admin), 409)
    assert taken["reason"] == "USERNAME_TAKEN" and taken["metadata"]["existing_id"] == person["id"]

    own = await signed_in(str(body["username"]), str(body["password"]))
    assert (await client.get("/api/customers", headers=own)).status_code == 200

    # New roles apply to the token already held: the gateway re-signs it per call.
    changed = await client.patch(f"/api/admin/users/{person['id']}", headers=admin,
                                 json={"roles": ["reviewer"], "department": "cs"})
    assert changed.status_code == 200 and changed.json()["roles"] == ["reviewer"]
    me = (await client.get("/api/me", headers=own)).json()
    assert me["roles"] == ["reviewer"] and me["department"] == "cs"
    assert (await client.get("/api/review-queue", headers=own)).status_code == 200
    refused = problem(await client.post("/api/claims", headers=own,
                                        json={"customer_id": str(uuid.uuid4())}), 403)
    assert "pre_sales" in refused["allowed_roles"]

    disabled = await client.post(f"/api/admin/users/{person['id']}/disable", headers=admin)
    assert disabled.json()["disabled"] is True
    assert problem(await client.get("/api/me", headers=own), 401)["reason"] == "PERSON_DISABLED"
    problem(await client.post("/api/auth/login", json={
        "username": body["username"], "password": body["password"]}), 401)

    enabled = await client.post(f"/api/admin/users/{person['id']}/enable", headers=admin)
    assert enabled.json()["disabled"] is False
    assert (await client.get("/api/me", headers=own)).status_code == 200

    reset = await client.put(f"/api/admin/users/{person['id']}/password", headers=admin,
                             json={"password": "another-secret-2"})
    assert reset.status_code == 204
    await signed_in(str(body["username"]), "another-secret-2")

    listed = (await client.get("/api/admin/users", headers=admin,
                               params={"query": str(body["username"])})).json()
    assert [p["id"] for p in listed["users"]] == [person["id"]]
    by_role = (await client.get("/api/admin/users", headers=admin,
                                params={"role": "admin"})).json()
    assert "admin" in {p["username"] for p in by_role["users"]}


async def test_bad_people_are_400_with_a_violation_per_field(http: Http,
                                                             signed_in: SignedIn) -> None:
    admin = await signed_in("admin")
    body = problem(await http().post("/api/admin/users", headers=admin, json=new_person(
        username="X", password="short", display_name=" ", roles=["wizard"])), 400)
    fields = {v["field"] for v in body["violations"]}
    assert fields == {"username", "password", "display_name", "roles"}
    unknown = problem(await http().get(f"/api/admin/users/{uuid.uuid4()}", headers=admin), 404)
    assert unknown["resource"]["resource_type"] == "person"
    extra = problem(await http().post("/api/admin/users", headers=admin,
                                      json=new_person(is_root=True)), 400)
    assert extra["violations"][0]["field"] == "is_root"
    nul = problem(await http().get("/api/admin/users", headers=admin,
                                   params={"query": "a\x00b", "role": "x\x01"}), 400)
    assert {v["field"] for v in nul["violations"]} == {"query", "role"}
    # Control characters in stored text: 400 per field (a NUL was a 500 from PostgreSQL).
    controls = problem(await http().post("/api/admin/users", headers=admin, json=new_person(
        display_name="张\x00三", sales_region="cn-east\n", department="d\x1b",
        org_unit="\x7f")), 400)
    assert {v["field"] for v in controls["violations"]} == {
        "display_name", "sales_region", "department", "org_unit"}
    created = (await http().post("/api/admin/users", headers=admin, json=new_person())).json()
    patched = problem(await http().patch(f"/api/admin/users/{created['id']}", headers=admin,
                                         json={"display_name": "a\x00"}), 400)
    assert [v["field"] for v in patched["violations"]] == ["display_name"]


async def test_paging_people(http: Http, signed_in: SignedIn) -> None:
    admin = await signed_in("admin")
    first = (await http().get("/api/admin/users", headers=admin,
                              params={"page_size": 3})).json()
    assert len(first["users"]) == 3 and first["next_page_token"]
    second = (await http().get("/api/admin/users", headers=admin, params={
        "page_size": 3, "page_token": first["next_page_token"]})).json()
    assert first["users"][-1]["username"] < second["users"][0]["username"]
    bad = problem(await http().get("/api/admin/users", headers=admin,
                                   params={"page_token": "nonsense"}), 400)
    assert bad["reason"] == "INVALID_ARGUMENT"
    assert bad["violations"][0]["reason"] == "INVALID_PAGE_TOKEN"
