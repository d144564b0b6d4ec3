"""Pins of what the read, list, review and transfer refusals say: message and
ErrorInfo metadata (who, which action) as literals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from services.chassis.errors import PermissionDenied
from services.protection.domain.actors import Actor
from services.protection.domain.permissions import claims_scope as scope
from services.protection.domain.permissions import (
    ensure_can_transfer,
    ensure_can_view,
    ensure_protection_user,
    review_queue_region,
)


@dataclass(frozen=True)
class Held:
    owner_id: str = "alice"
    owner_department: str = "d1"
    sales_region: str = "east"


BOB = Actor("bob", frozenset({"pre_sales"}), "east", "d1")
OTTO = Actor("otto", frozenset({"manager"}), "east", "d2")
NINA = Actor("nina", frozenset({"finance"}), "east", "d9")


@pytest.mark.parametrize(("call", "message", "metadata"), [
    (lambda: ensure_protection_user(NINA),
     "nina may not use protection: needs a sales, review or management role",
     {"user_id": "nina", "action": "use protection"}),
    (lambda: ensure_can_transfer(BOB),
     "bob may not transfer customers: only a manager of the owner's department",
     {"user_id": "bob", "action": "transfer customers"}),
    (lambda: ensure_can_view(BOB, Held()),
     "bob may not see this claim: only the owner, the owner's manager or a reviewer of the "
     "region",
     {"user_id": "bob", "action": "see this claim"}),
    (lambda: scope(OTTO, department="d1"),
     "otto may not list the department's claims: only that department's manager",
     {"user_id": "otto", "action": "list the department's claims"}),
    (lambda: scope(BOB, owner_id="alice"),
     "bob may not list another rep's claims: only the rep or the rep's manager",
     {"user_id": "bob", "action": "list another rep's claims"}),
    (lambda: review_queue_region(BOB),
     "bob may not see the review queue: only reviewers",
     {"user_id": "bob", "action": "see the review queue"}),
])
def test_refusals_say_who_and_what(call: Callable[[], object], message: str,
                                   metadata: dict[str, str]) -> None:
    with pytest.raises(PermissionDenied) as err:
        call()
    assert str(err.value) == message
    assert err.value.metadata == metadata
