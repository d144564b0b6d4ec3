from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.chassis.clock import ManualClock
from services.protection.domain import commands as cmd
from services.protection.domain.actors import Actor
from services.protection.domain.model import Claim
from services.protection.domain.policy import PolicyBook

from .fakes import FakeProtection

REGION = "east"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in China


def rep(user_id: str, department: str = "d1", region: str = REGION) -> Actor:
    return Actor(user_id, frozenset({"pre_sales"}), region, department)


ALICE = rep("alice")
BOB = rep("bob")
CAROL = rep("carol", department="d2")
MANAGER = Actor("mia", frozenset({"manager"}), REGION, "d1")
OTHER_MANAGER = Actor("otto", frozenset({"manager"}), REGION, "d2")
REVIEWER = Actor("rita", frozenset({"reviewer"}), REGION, "cs")
ADMIN = Actor("root", frozenset({"admin"}), REGION, "it")
AFTER_SALES = Actor("sam", frozenset({"after_sales"}), REGION, "d1")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


class World:
    """The real handlers on in-memory fakes (``reg``) plus a clock, with short-hands
    for the usual steps."""

    def __init__(self, clock: ManualClock, policies: PolicyBook | None = None) -> None:
        self.clock = clock
        self.reg = FakeProtection(policies)
        for i in range(1, 6):
            self.reg.add_customer(f"c{i}", REGION, "B")
        self.reg.add_customer("vip", REGION, "A")

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def do(self, command: cmd.Command, actor: Actor | None = None) -> object:
        return self.reg.handle(command, actor, self.now)

    def claim(self, customer: str = "c1", actor: Actor = ALICE) -> Claim:
        result = self.do(cmd.ClaimCustomer(customer_id=customer), actor)
        assert isinstance(result, Claim)
        return result

    def approved(self, customer: str = "c1", actor: Actor = ALICE) -> Claim:
        claim = self.claim(customer, actor)
        self.do(cmd.ApproveClaim(claim_id=claim.id), REVIEWER)
        return claim

    def promoted(self, customer: str = "c1", actor: Actor = ALICE) -> Claim:
        claim = self.approved(customer, actor)
        self.do(cmd.RequestPromotion(claim_id=claim.id, reason="asked for a quote"), actor)
        self.do(cmd.ApprovePromotion(claim_id=claim.id), MANAGER)
        return claim


@pytest.fixture
def world(clock: ManualClock) -> World:
    return World(clock)
