"""Identity tokens: round trip, expiry, tampering, the bearer header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.chassis.auth import (
    ALGORITHM,
    Identity,
    TokenVerifier,
    bearer,
    issue_token,
    parse_bearer,
    verify_token,
)
from services.chassis.errors import Unauthenticated

SECRET = "unit-test-secret-0123456789abcdef"
ALICE = Identity(user_id="u-alice", roles=frozenset({"rep", "manager"}), region="cn-east",
                 department="d-7", display_name="Alice 王")


def test_round_trip_keeps_every_field() -> None:
    assert verify_token(issue_token(ALICE, SECRET), SECRET) == ALICE


def test_has_role() -> None:
    assert ALICE.has_role("admin", "rep")
    assert not ALICE.has_role("admin")


def test_expired_token_is_refused() -> None:
    token = issue_token(ALICE, SECRET, ttl=timedelta(minutes=5),
                        now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(Unauthenticated) as caught:
        verify_token(token, SECRET)
    assert caught.value.reason == "INVALID_TOKEN"
    assert "expired" in caught.value.message.lower()


def test_token_valid_until_expiry() -> None:
    token = issue_token(ALICE, SECRET, ttl=timedelta(minutes=5),
                        now=datetime.now(UTC) - timedelta(minutes=4))
    assert verify_token(token, SECRET).user_id == "u-alice"


def test_wrong_secret_is_refused() -> None:
    token = issue_token(ALICE, "another-secret-0123456789abcdef0")
    with pytest.raises(Unauthenticated, match="invalid token"):
        verify_token(token, SECRET)


def test_tampered_payload_is_refused() -> None:
    header, payload, signature = issue_token(ALICE, SECRET).split(".")
    forged = jwt.encode({"sub": "u-admin", "roles": ["admin"], "iss": "crm-gateway",
                         "exp": 4102444800}, "guess-the-secret-0123456789abcdef",
                        algorithm=ALGORITHM).split(".")[1]
    with pytest.raises(Unauthenticated):
        verify_token(f"{header}.{forged}.{signature}", SECRET)
    assert payload != forged


def test_unsigned_token_is_refused() -> None:
    token = jwt.encode({"sub": "u-admin", "iss": "crm-gateway", "exp": 4102444800}, key=None,
                       algorithm="none")
    with pytest.raises(Unauthenticated):
        verify_token(token, SECRET)


def test_wrong_issuer_is_refused() -> None:
    token = issue_token(ALICE, SECRET, issuer="someone-else")
    with pytest.raises(Unauthenticated):
        verify_token(token, SECRET)
    assert verify_token(token, SECRET, issuer="someone-else").user_id == "u-alice"


def test_roles_must_be_strings() -> None:
    token = jwt.encode({"sub": "u1", "iss": "crm-gateway", "exp": 4102444800, "roles": "admin"},
                       SECRET, algorithm=ALGORITHM)
    with pytest.raises(Unauthenticated, match="roles"):
        verify_token(token, SECRET)


def test_missing_expiry_is_refused() -> None:
    token = jwt.encode({"sub": "u1", "iss": "crm-gateway"}, SECRET, algorithm=ALGORITHM)
    with pytest.raises(Unauthenticated):
        verify_token(token, SECRET)


@pytest.mark.parametrize("value", ["Bearer abc", "bearer abc", "Bearer  abc "])
def test_parse_bearer(value: str) -> None:
    assert parse_bearer(value) == "abc"
    assert parse_bearer(bearer("xyz")) == "xyz"


@pytest.mark.parametrize("value", ["abc", "Basic abc", "Bearer", "Bearer ", ""])
def test_parse_bearer_refuses_other_schemes(value: str) -> None:
    with pytest.raises(Unauthenticated):
        parse_bearer(value)


class Ticking:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_verifier_remembers_a_valid_token_until_its_expiry() -> None:
    issued = datetime.now(UTC)
    token = issue_token(ALICE, SECRET, now=issued, ttl=timedelta(minutes=10))
    clock = Ticking(issued.timestamp() + 60)
    verify = TokenVerifier(SECRET, issuer="crm-gateway", clock=clock)
    assert verify(token) == ALICE
    verify._secret = "rotated-secret-0123456789abcdef01"  # a re-check would now refuse it
    assert verify(token) == ALICE  # from memory
    clock.now = issued.timestamp() + 601  # past exp: checked again
    with pytest.raises(Unauthenticated):
        verify(token)


def test_verifier_never_remembers_a_bad_token_and_stays_bounded() -> None:
    verify = TokenVerifier(SECRET, issuer="crm-gateway", size=5)
    forged = issue_token(ALICE, "another-secret-0123456789abcdef0")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            verify(forged)
    for i in range(12):
        verify(issue_token(Identity(user_id=f"u-{i}"), SECRET))
    assert len(verify._known) <= 5
