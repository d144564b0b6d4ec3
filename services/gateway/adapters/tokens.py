"""The HS256 token people carry (cookie or bearer) and the services verify.

The gateway signs with the shared ``CRM_AUTH_SECRET``/``CRM_AUTH_ISSUER`` through the
chassis's ``issue_token``: the token a person gets at sign-in is the token every
service accepts. Before each call the gateway re-signs it from the person as stored
now, with the same issue and expiry times: unchanged people get the very same token
back (the services' verified-token cache keeps working), changed roles or a changed
region apply at once.

Both are remembered for the last few thousand tokens (checking and signing cost
about 0.1 ms a request): a verified token's claims (its expiry is still compared
with the time of each request), and the re-signed token per identity and times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from services.chassis.auth import ALGORITHM, Identity, issue_token
from services.gateway.domain.errors import Unauthenticated
from services.gateway.domain.people import Person

REMEMBERED = 4096


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
        self._verified: dict[str, TokenClaims] = {}
        self._reissued: dict[tuple[Identity, TokenClaims], str] = {}

    def issue(self, person: Person, now: datetime) -> str:
        return issue_token(person.identity(), self._secret, issuer=self._issuer, ttl=self.ttl,
                           now=now)

    def reissue(self, person: Person, claims: TokenClaims) -> str:
        """``person``'s token with the issue and expiry times of ``claims``."""
        key = (person.identity(), claims)
        token = self._reissued.get(key)
        if token is None:
            token = issue_token(key[0], self._secret, issuer=self._issuer,
                                ttl=claims.expires_at - claims.issued_at, now=claims.issued_at)
            if len(self._reissued) >= REMEMBERED:
                self._reissued.clear()
            self._reissued[key] = token
        return token

    def verify(self, token: str, now: datetime) -> TokenClaims:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._check(token)
            if len(self._verified) >= REMEMBERED:
                self._verified.clear()
            self._verified[token] = claims
        if claims.expires_at <= now:
            raise Unauthenticated("the token has expired; sign in again",
                                  reason="TOKEN_EXPIRED")
        return claims

    def _check(self, token: str) -> TokenClaims:
        """The claims of a token signed with the secret by the issuer (any times)."""
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
        return TokenClaims(str(claims["sub"]), issued, expires)
