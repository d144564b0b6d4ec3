"""Caller identity: a signed token in the ``authorization`` metadata.

The gateway issues tokens for people; other systems get service tokens. Every
service verifies the signature itself and checks permissions in its handlers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt

from services.chassis.errors import Unauthenticated

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Identity:
    user_id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    region: str = ""
    department: str = ""
    display_name: str = ""

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


SYSTEM = Identity(user_id="system", roles=frozenset({"system"}), display_name="system")


def issue_token(
    identity: Identity,
    secret: str,
    *,
    issuer: str = "crm-gateway",
    ttl: timedelta = timedelta(hours=12),
    now: datetime | None = None,
) -> str:
    """Sign a token for ``identity``."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": identity.user_id,
        "roles": sorted(identity.roles),
        "region": identity.region,
        "dept": identity.department,
        "name": identity.display_name,
        "iss": issuer,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, secret: str, *, issuer: str = "crm-gateway") -> Identity:
    """Check signature, issuer and expiry; return who is calling."""
    return _verify(token, secret, issuer)[0]


def _verify(token: str, secret: str, issuer: str) -> tuple[Identity, float]:
    """The identity and the expiry (epoch seconds) of a valid token."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=issuer,
                            options={"require": ["sub", "exp", "iss"]})
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"invalid token: {exc}", reason="INVALID_TOKEN") from exc
    roles = claims.get("roles") or []
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthenticated("invalid token: roles must be a list of strings",
                              reason="INVALID_TOKEN")
    return Identity(
        user_id=str(claims["sub"]),
        roles=frozenset(roles),
        region=str(claims.get("region", "")),
        department=str(claims.get("dept", "")),
        display_name=str(claims.get("name", "")),
    ), float(claims["exp"])


class TokenVerifier:
    """``verify_token`` that remembers tokens it has verified until they expire.

    A caller sends the same token with every request; checking its HMAC and
    claims each time is the largest fixed cost of a small RPC. Only valid
    tokens are kept (a bad one is re-checked, and refused, every time), each
    until its own ``exp``; the oldest entries go first beyond ``size``.
    """

    def __init__(self, secret: str, *, issuer: str, size: int = 10_000,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._issuer = issuer
        self._size = size
        self._clock = clock
        self._known: dict[str, tuple[Identity, float]] = {}

    def __call__(self, token: str) -> Identity:
        now = self._clock()
        known = self._known.get(token)
        if known is not None and now < known[1]:
            return known[0]
        identity, expires = _verify(token, self._secret, self._issuer)
        if len(self._known) >= self._size:
            for stale in list(self._known)[: max(1, self._size // 10)]:
                del self._known[stale]
        self._known[token] = (identity, expires)
        return identity


def bearer(token: str) -> str:
    return f"Bearer {token}"


def parse_bearer(value: str) -> str:
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("authorization must be 'Bearer <token>'", reason="INVALID_TOKEN")
    return token.strip()
