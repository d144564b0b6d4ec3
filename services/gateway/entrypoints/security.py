"""Who is calling: a bearer token (API clients) or the access cookie (the console,
with the double-submit CSRF check on unsafe methods), resolved to the person as
stored now."""


import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import APIKeyCookie, HTTPBearer
from fastapi.security.base import SecurityBase

from services.gateway.adapters.service_clients import Caller
from services.gateway.domain.errors import PermissionDenied, Unauthenticated
from services.gateway.domain.people import ADMIN, Person
from services.gateway.service_layer.deps import GatewayDeps

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPENAPI_SECURITY = "openapi_security"


@dataclass(frozen=True)
class SignedIn:
    person: Person
    caller: Caller
    via: str  # "bearer" or "cookie"


SignedInDep = Callable[..., Awaitable[SignedIn]]


def check_csrf(request: Request, deps: GatewayDeps) -> None:
    """The double-submit check: the csrf cookie echoed in the CSRF header."""
    settings = deps.settings
    cookie = request.cookies.get(settings.csrf_cookie, "")
    header = request.headers.get(settings.csrf_header, "")
    if not cookie or not header:
        raise PermissionDenied(f"a cookie-authenticated {request.method} needs the "
                               f"{settings.csrf_header} header (the {settings.csrf_cookie} "
                               "cookie's value)", reason="CSRF_TOKEN_MISSING")
    if not hmac.compare_digest(cookie.encode(), header.encode()):
        raise PermissionDenied("the CSRF header does not match the csrf cookie",
                               reason="CSRF_TOKEN_MISMATCH")


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (the scheme in any
    case), None for anything else: what ``HTTPBearer(auto_error=False)`` reads."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if token and scheme.lower() == "bearer" else None


def authenticator(deps: GatewayDeps) -> SignedInDep:
    bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                        description="The access_token from POST /api/auth/login (mode token).")
    cookie = APIKeyCookie(name=deps.settings.access_cookie, auto_error=False,
                          scheme_name="cookie",
                          description="Set by POST /api/auth/login (mode cookie); unsafe "
                                      f"methods also need the {deps.settings.csrf_header} "
                                      "header.")

    cookie_name = deps.settings.access_cookie

    # The schemes are read here rather than declared as sub-dependencies: FastAPI's
    # dependency solving cost about 0.1 ms a request for them, and their own readers
    # (a pydantic model per request) 0.01 ms more. The OpenAPI document gets them from
    # OPENAPI_SECURITY (docs.openapi_document).
    async def signed_in(request: Request) -> SignedIn:
        token = bearer_token(request.headers.get("authorization", ""))
        via = "bearer"
        if token is None:
            token, via = request.cookies.get(cookie_name) or None, "cookie"
        if token is None:
            raise Unauthenticated("sign in first: a bearer token or the session cookie",
                                  reason="MISSING_TOKEN")
        claims = deps.tokens.verify(token, deps.clock.now())
        if via == "cookie" and request.method not in SAFE_METHODS:
            check_csrf(request, deps)
        person = await deps.accounts.signed_in_person(claims.subject)
        structlog.contextvars.bind_contextvars(user_id=person.id)
        return SignedIn(person, Caller(deps.tokens.reissue(person, claims)), via)

    setattr(signed_in, OPENAPI_SECURITY, (bearer, cookie))
    return signed_in


def openapi_security(dependant: Dependant) -> tuple[SecurityBase, ...]:
    """The security schemes a route's dependencies read (``authenticator``'s)."""
    schemes: tuple[SecurityBase, ...] = getattr(dependant.call, OPENAPI_SECURITY, ())
    for sub in dependant.dependencies:
        schemes = schemes or openapi_security(sub)
    return schemes


def require_admin(signed_in: SignedInDep) -> Callable[..., Awaitable[SignedIn]]:
    async def admin(who: Annotated[SignedIn, Depends(signed_in)]) -> SignedIn:
        if ADMIN not in who.person.roles:
            raise PermissionDenied("people are managed by admins", reason="ROLE_REQUIRED",
                                   metadata={"allowed_roles": ADMIN})
        return who

    return admin
