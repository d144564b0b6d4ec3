"""Signing in and out: POST /api/auth/login, /refresh, /logout and GET /api/me."""


import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from services.gateway.domain.errors import Unauthenticated
from services.gateway.domain.people import MAX_PASSWORD, Person
from services.gateway.entrypoints.http_common import PLAIN, Body
from services.gateway.entrypoints.problems import problem_responses
from services.gateway.entrypoints.security import SignedIn, SignedInDep, check_csrf
from services.gateway.service_layer.deps import GatewayDeps


class LoginRequest(Body):
    # No control characters: no one's user name has them, and PostgreSQL's text holds
    # no NUL (the throttle records the name tried).
    username: str = Field(min_length=1, max_length=200, pattern=PLAIN)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)
    # "token": answer an access token for an API client (Authorization: Bearer).
    # "cookie": the console's session: HttpOnly access and refresh cookies plus a
    # readable csrf cookie to echo in X-CSRF-Token. Without it: "cookie" when the
    # request asks for text/html first (a browser form), else "token".
    mode: Literal["token", "cookie"] | None = None


class PersonOut(BaseModel):
    id: str
    username: str
    display_name: str
    roles: list[str]
    sales_region: str
    department: str
    org_unit: str
    disabled: bool
    # The region claim the services see (a large-region department's large region).
    region: str
    version: int
    created_at: str
    updated_at: str


def person_out(person: Person) -> dict[str, Any]:
    return PersonOut(
        id=person.id, username=person.username, display_name=person.display_name,
        roles=sorted(person.roles), sales_region=person.sales_region,
        department=person.department, org_unit=person.org_unit, disabled=person.disabled,
        region=person.region_claim(), version=person.version,
        created_at=person.created_at.isoformat() if person.created_at else "",
        updated_at=person.updated_at.isoformat() if person.updated_at else "",
    ).model_dump()


class TokenAnswer(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


class SessionAnswer(BaseModel):
    user: PersonOut
    expires_in: int
    csrf_token: str


def client_address(request: Request, trust_forwarded: bool) -> str:
    if trust_forwarded:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first[:64]
    return (request.client.host if request.client else "unknown")[:64]


def router(deps: GatewayDeps, signed_in: SignedInDep) -> APIRouter:
    settings = deps.settings
    api = APIRouter(prefix="/api", tags=["sign-in"])
    ttl_s = int(settings.token_ttl.total_seconds())

    def set_session_cookies(response: JSONResponse, access: str, refresh: str,
                            csrf: str) -> None:
        secure = settings.secure_cookies
        response.set_cookie(settings.access_cookie, access, max_age=ttl_s, path="/",
                            secure=secure, httponly=True, samesite="strict")
        response.set_cookie(settings.refresh_cookie, refresh,
                            max_age=int(settings.session_ttl.total_seconds()),
                            path="/api/auth", secure=secure, httponly=True, samesite="strict")
        response.set_cookie(settings.csrf_cookie, csrf,
                            max_age=int(settings.session_ttl.total_seconds()), path="/",
                            secure=secure, httponly=False, samesite="strict")

    def clear_cookies(response: Response) -> None:
        for name, path in ((settings.access_cookie, "/"), (settings.refresh_cookie, "/api/auth"),
                           (settings.csrf_cookie, "/")):
            response.delete_cookie(name, path=path, secure=settings.secure_cookies,
                                   httponly=name != settings.csrf_cookie, samesite="strict")

    @api.post("/auth/login", summary="Sign in with user name and password",
              response_model=TokenAnswer | SessionAnswer,
              responses=problem_responses(400, 401, 429, 500, 503))
    async def login(body: LoginRequest, request: Request) -> JSONResponse:
        """Mode ``token`` answers ``{"access_token", "token_type": "bearer", "expires_in"}``.
        Mode ``cookie`` sets the session cookies and answers the person and the CSRF
        token. Five failures for one user name (twenty from one address) within 15
        minutes answer 429 with Retry-After until the oldest leaves the window."""
        person = await deps.accounts.sign_in(
            body.username, body.password, client_address(request, settings.trust_forwarded_for))
        now = deps.clock.now()
        access = deps.tokens.issue(person, now)
        mode = body.mode or ("cookie" if request.headers.get("accept", "")
                             .startswith("text/html") else "token")
        if mode == "token":
            return JSONResponse({"access_token": access, "token_type": "bearer",
                                 "expires_in": ttl_s})
        refresh = await deps.accounts.open_session(person)
        csrf = secrets.token_urlsafe(32)
        response = JSONResponse({"user": person_out(person), "expires_in": ttl_s,
                                 "csrf_token": csrf})
        set_session_cookies(response, access, refresh, csrf)
        return response

    @api.post("/auth/refresh", summary="Renew the console's access cookie",
              response_model=SessionAnswer, responses=problem_responses(401, 403, 500, 503))
    async def refresh(request: Request) -> JSONResponse:
        """Needs the refresh cookie (and X-CSRF-Token): a new access cookie for another
        token lifetime, until the session's own lifetime ends or it is signed out."""
        token = request.cookies.get(settings.refresh_cookie, "")
        if not token:
            raise Unauthenticated("no session to renew; sign in", reason="MISSING_SESSION")
        check_csrf(request, deps)
        person, renewed = await deps.accounts.refresh(token)
        csrf = request.cookies.get(settings.csrf_cookie, "") or secrets.token_urlsafe(32)
        response = JSONResponse({"user": person_out(person), "expires_in": ttl_s,
                                 "csrf_token": csrf})
        set_session_cookies(response, deps.tokens.issue(person, deps.clock.now()), renewed,
                            csrf)
        return response

    @api.post("/auth/logout", summary="Sign out: end the session, clear the cookies",
              status_code=204, responses=problem_responses(403, 500))
    async def logout(request: Request) -> Response:
        """Bearer tokens simply expire; the console's session ends here. With the
        session cookies the CSRF header is needed (a page elsewhere cannot sign you out)."""
        token = request.cookies.get(settings.refresh_cookie, "")
        if token or request.cookies.get(settings.access_cookie):
            check_csrf(request, deps)
        if token:
            await deps.accounts.close_session(token)
        response = Response(status_code=204)
        clear_cookies(response)
        return response

    @api.get("/me", summary="The signed-in person", response_model=PersonOut,
             responses=problem_responses(401, 500, 503))
    async def me(who: Annotated[SignedIn, Depends(signed_in)]) -> dict[str, Any]:
        return person_out(who.person)

    return api
