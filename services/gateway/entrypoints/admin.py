"""People management (role admin): create, list, change roles and org placement,
disable and enable, set a password."""


from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.gateway.domain.people import MAX_PASSWORD, MAX_TEXT, ROLES, PersonChanges
from services.gateway.entrypoints.auth import PersonOut, person_out
from services.gateway.entrypoints.http_common import (
    PLAIN,
    Body,
    PageSize,
    PageToken,
    PathId,
)
from services.gateway.entrypoints.problems import problem_responses
from services.gateway.entrypoints.security import SignedIn, SignedInDep, require_admin
from services.gateway.service_layer.accounts import NewPerson
from services.gateway.service_layer.deps import GatewayDeps

PersonId = PathId
ERRORS = problem_responses(400, 401, 403, 404, 409, 500, 503)


class NewPersonIn(Body):
    username: str = Field(max_length=64, description="2-64 of a-z 0-9 . _ -")
    password: str = Field(max_length=MAX_PASSWORD)
    display_name: str = Field(max_length=MAX_TEXT, pattern=PLAIN)
    roles: list[str] = Field(default_factory=list, max_length=len(ROLES))
    sales_region: str = Field(default="", max_length=MAX_TEXT, pattern=PLAIN)
    department: str = Field(default="", max_length=MAX_TEXT, pattern=PLAIN)
    org_unit: str = Field(default="", max_length=MAX_TEXT, pattern=PLAIN,
                          description="large region of a key_account_dept, 'hq' for HQ roles")


class PersonPatch(Body):
    display_name: str | None = Field(default=None, max_length=MAX_TEXT, pattern=PLAIN)
    roles: list[str] | None = Field(default=None, max_length=len(ROLES))
    sales_region: str | None = Field(default=None, max_length=MAX_TEXT, pattern=PLAIN)
    department: str | None = Field(default=None, max_length=MAX_TEXT, pattern=PLAIN)
    org_unit: str | None = Field(default=None, max_length=MAX_TEXT, pattern=PLAIN)
    disabled: bool | None = None


class PasswordIn(Body):
    password: str = Field(max_length=MAX_PASSWORD)


class PeoplePage(BaseModel):
    users: list[PersonOut]
    next_page_token: str


class RolesOut(BaseModel):
    roles: list[str]


def router(deps: GatewayDeps, signed_in: SignedInDep) -> APIRouter:
    admin = require_admin(signed_in)
    api = APIRouter(prefix="/api/admin", tags=["people (admin)"], responses=ERRORS)
    Admin = Annotated[SignedIn, Depends(admin)]

    @api.get("/roles", response_model=RolesOut, summary="The roles a person may hold")
    async def roles(_who: Admin) -> dict[str, Any]:
        return {"roles": list(ROLES)}

    @api.get("/users", response_model=PeoplePage, summary="People, by user name")
    async def list_people(
            _who: Admin,
            query: Annotated[str, Query(max_length=200, pattern=PLAIN,
                                        description="part of the user or display name")] = "",
            role: Annotated[str, Query(max_length=64, pattern=PLAIN)] = "",
            include_disabled: bool = True,
            page_size: PageSize = 0, page_token: PageToken = "") -> dict[str, Any]:
        page = await deps.views.people(query=query, role=role, include_disabled=include_disabled,
                                       page_size=page_size, page_token=page_token)
        return {"users": [person_out(p) for p in page.items],
                "next_page_token": page.next_token}

    @api.post("/users", response_model=PersonOut, status_code=201, summary="Add a person")
    async def create(body: NewPersonIn, _who: Admin) -> dict[str, Any]:
        person = await deps.accounts.create(NewPerson(
            body.username, body.password, body.display_name, frozenset(body.roles),
            body.sales_region, body.department, body.org_unit))
        return person_out(person)

    @api.get("/users/{user_id}", response_model=PersonOut, summary="One person")
    async def get(user_id: PersonId, _who: Admin) -> dict[str, Any]:
        return person_out(await deps.accounts.person(user_id))

    @api.patch("/users/{user_id}", response_model=PersonOut,
               summary="Change roles, region, department, org unit, name or disabled")
    async def change(user_id: PersonId, body: PersonPatch, _who: Admin) -> dict[str, Any]:
        given = body.model_dump(exclude_unset=True)
        changes = PersonChanges(
            display_name=body.display_name, sales_region=body.sales_region,
            department=body.department, org_unit=body.org_unit, disabled=body.disabled,
            roles=frozenset(body.roles) if body.roles is not None else None,
            fields=tuple(sorted(given)))
        return person_out(await deps.accounts.change(user_id, changes))

    @api.post("/users/{user_id}/disable", response_model=PersonOut,
              summary="Disable: sign-ins and tokens refused at once, sessions ended")
    async def disable(user_id: PersonId, _who: Admin) -> dict[str, Any]:
        return person_out(await deps.accounts.change(
            user_id, PersonChanges(disabled=True, fields=("disabled",))))

    @api.post("/users/{user_id}/enable", response_model=PersonOut, summary="Enable again")
    async def enable(user_id: PersonId, _who: Admin) -> dict[str, Any]:
        return person_out(await deps.accounts.change(
            user_id, PersonChanges(disabled=False, fields=("disabled",))))

    @api.put("/users/{user_id}/password", status_code=204, response_model=None,
             summary="Set a new password (ends the person's sessions)")
    async def set_password(user_id: PersonId, body: PasswordIn, _who: Admin) -> None:
        await deps.accounts.set_password(user_id, body.password)

    return api
