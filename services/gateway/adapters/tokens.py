"""The HS256 token people carry (cookie or bearer) and the services verify.

The gateway signs with the shared ``CRM_AUTH_SECRET``/``CRM_AUTH_ISSUER`` through the
chassis's ``issue_token``: the token a person gets at sign-in is the token every
service accepts. Before each call the gateway re-signs it from the person as stored
now, with the same issue and expiry times: unchanged people get the very same token
back (the services' verified-token cache keeps working), changed roles or a changed
region apply at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from services.chassis.auth import ALGORITHM, issue_token
from services.gateway.domain.errors import Unauthenticated
from services.gateway.domain.people import Person


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    issued_at: datetime
    expires_at: datetime


class Tokens:
    def __init__(self, secret: str, issuer: str, ttl: timedelta) -> None:
        self._secret = secret
        self._issuer = issuer
        self.ttl = ttl

    def issue(self, person: Person, now: datetime) -> str:
        return issue_token(person.identity(), self._secret, issuer=self._issuer, ttl=self.ttl,
                           now=now)

    def reissue(self, person: Person, claims: TokenClaims) -> str:
        """``person``'s token with the issue and expiry times of ``claims``."""
        return issue_token(person.identity(), self._secret, issuer=self._issuer,
                           ttl=claims.expires_at - claims.issued_at, now=claims.issued_at)

    def verify(self, token: str, now: datetime) -> TokenClaims:
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], issuer=self._issuer,
                                options={"require": ["sub", "exp", "iat", "iss"],
                                         "verify_exp": False, "verify_iat": False})
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"invalid token: {error}"[:200],
                                  reason="INVALID_TOKEN") from None
        try:
            issued = datetime.fromtimestamp(int(claims["iat"]), UTC)
            expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            raise Unauthenticated("invalid token: bad times", reason="INVALID_TOKEN") from None
        if expires <= now:
            raise Unauthenticated("the token has expired; sign in again",
                                  reason="TOKEN_EXPIRED")
        return TokenClaims(str(claims["sub"]), issued, expires)
