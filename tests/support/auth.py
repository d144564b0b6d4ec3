"""Identity tokens and call metadata for gRPC tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from services.chassis.auth import Identity, bearer, issue_token

CORRELATION_HEADER = "x-correlation-id"

# The test suite's signing secret and issuer: ``infra_settings`` carries them,
# so every service a test starts accepts tokens minted with them.
TEST_AUTH_SECRET = "test-secret-for-the-crm-test-suite-0123456789"
TEST_AUTH_ISSUER = "crm-gateway"


def mint_token(
    secret: str,
    user_id: str = "u-test",
    *,
    issuer: str = "crm-gateway",
    roles: Iterable[str] = (),
    region: str = "cn-east",
    department: str = "",
    display_name: str = "",
    ttl: timedelta = timedelta(hours=1),
) -> str:
    """A signed identity token; services configured with ``secret``/``issuer`` accept it.

    With ``infra_settings``: ``mint_token(s.auth_secret, "u1", issuer=s.auth_issuer)``.
    """
    identity = Identity(user_id=user_id, roles=frozenset(roles), region=region,
                        department=department, display_name=display_name or user_id)
    return issue_token(identity, secret, issuer=issuer, ttl=ttl)


def call_metadata(token: str | None = None, *,
                  correlation_id: str | None = None) -> tuple[tuple[str, str], ...]:
    """gRPC metadata carrying ``token`` (as a bearer) and/or a correlation id."""
    metadata: list[tuple[str, str]] = []
    if token is not None:
        metadata.append(("authorization", bearer(token)))
    if correlation_id is not None:
        metadata.append((CORRELATION_HEADER, correlation_id))
    return tuple(metadata)
