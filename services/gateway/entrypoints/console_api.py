"""What the web console needs beyond the services' one-to-one routes: the people of
the caller's department (a manager hands a departing rep's customers to another rep),
and the names of several customers at once (claims, holds and level changes carry
customer ids only: one BatchGetCustomers call for them all)."""


from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from crm.customer.v1 import customer_service_pb2 as api
from services.chassis.errors import FieldViolation, InvalidArgument, PermissionDenied
from services.gateway.adapters.service_clients import CUSTOMER
from services.gateway.domain.people import ADMIN, MANAGER, ROLES, Person
from services.gateway.entrypoints.http_common import ERRORS, UUID_PATTERN
from services.gateway.entrypoints.security import SignedIn, SignedInDep
from services.gateway.service_layer.deps import GatewayDeps

MAX_NAMES = 100
MAX_PEOPLE_PAGES = 20  # of 500: a department is never that large


class Colleague(BaseModel):
    id: str
    username: str
    display_name: str
    department: str
    sales_region: str
    roles: list[str]


class Colleagues(BaseModel):
    people: list[Colleague]


class CustomerName(BaseModel):
    id: str
    name: str
    industry: str
    sales_region: str
    level: str


class CustomerNames(BaseModel):
    customers: list[CustomerName]


def _colleague(person: Person) -> Colleague:
    return Colleague(id=person.id, username=person.username,
                     display_name=person.display_name, department=person.department,
                     sales_region=person.sales_region, roles=sorted(person.roles))


def router(deps: GatewayDeps, signed_in: SignedInDep) -> APIRouter:
    r = APIRouter(prefix="/api/console", tags=["console"], responses=ERRORS)
    Who = Annotated[SignedIn, Depends(signed_in)]

    @r.get("/colleagues", response_model=Colleagues,
           summary="People of your department holding a role (managers; admins: everyone)")
    async def colleagues(
            who: Who,
            role: Annotated[str, Query(max_length=64,
                                       description="one of the roles; empty: any")] = "",
    ) -> dict[str, Any]:
        person = who.person
        if not person.roles & {MANAGER, ADMIN}:
            raise PermissionDenied("the people of a department are listed for its managers",
                                   reason="ROLE_REQUIRED",
                                   metadata={"allowed_roles": f"{MANAGER},{ADMIN}"})
        if role and role not in ROLES:
            raise InvalidArgument([FieldViolation("role", "not a role", "INVALID_ROLE")])
        found: list[Colleague] = []
        token = ""
        for _ in range(MAX_PEOPLE_PAGES):
            page = await deps.views.people(role=role, include_disabled=False, page_size=500,
                                           page_token=token)
            found.extend(_colleague(p) for p in page.items
                         if person.is_admin() or p.department == person.department)
            token = page.next_token
            if not token:
                break
        return {"people": found}

    @r.get("/customer-names", response_model=CustomerNames,
           summary="Names of up to 100 customers you may see (others are left out)")
    async def customer_names(
            who: Who,
            ids: Annotated[list[Annotated[str, Field(pattern=UUID_PATTERN, max_length=36)]],
                           Query(description="customer ids (repeat the parameter)")] = [],  # noqa: B006
    ) -> dict[str, Any]:
        unique = list(dict.fromkeys(ids))
        if len(unique) > MAX_NAMES:
            raise InvalidArgument([FieldViolation(
                "ids", f"at most {MAX_NAMES} customers at once", "TOO_MANY")])
        if not unique:
            return {"customers": []}
        reply: Any = await deps.clients.call(
            CUSTOMER, "BatchGetCustomers", api.BatchGetCustomersRequest(customer_ids=unique),
            who.caller)
        return {"customers": [
            CustomerName(id=c.id, name=c.name, industry=c.industry,
                         sales_region=c.sales_region, level=c.level)
            for c in reply.customers]}

    return r
