"""Caller identity: a signed token in the ``authorization`` metadata.

The gateway issues tokens for people; other systems get service tokens. Every
service verifies the signature itself and checks permissions in its handlers.
"""

from __future__ import annotations

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
    )


def bearer(token: str) -> str:
    return f"Bearer {token}"


def parse_bearer(value: str) -> str:
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("authorization must be 'Bearer <token>'", reason="INVALID_TOKEN")
    return token.strip()
