"""An in-memory stand-in for the service layer: the same data Postgres will keep
(claims, latest claim per customer, formal customers, cooldowns, pool-claim
counters), with every decision delegated to the pure rules.

Used by unit and property tests and as the reference for the real handlers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from . import commands as cmd
from .actors import Actor
from .aware_times import require_aware
from .errors import ClaimNotFound, CustomerNotFound
from .events import CustomerBecameFormal, Event
from .handover import hand_over
from .model import Claim, OwnershipSpan, Stage
from .ownership import (
    CustomerOwnership,
    CustomerStatus,
    RepClaimFacts,
    count_active,
    customer_history,
    open_claim,
)
from .permissions import ensure_can_claim
from .policy import Policy, PolicyBook
from .working_days import WorkingCalendar, china_date


@dataclass(frozen=True)
class CustomerRecord:
    customer_id: str
    region: str
    level: str = ""


class ProtectionRegistry:
    def __init__(self, policies: PolicyBook | None = None,
                 calendar: WorkingCalendar | None = None,
                 new_id: Callable[[], str] | None = None) -> None:
        self.policies = policies or PolicyBook()
        self.calendar = calendar or WorkingCalendar()
        counter = itertools.count(1)
        self._new_id = new_id or (lambda: f"claim-{next(counter)}")
        self.customers: dict[str, CustomerRecord] = {}
        self.claims: dict[str, Claim] = {}
        self.claims_by_customer: dict[str, list[str]] = {}
        self.formal: set[str] = set()
        self.cooldowns: dict[tuple[str, str], datetime] = {}
        self.pool_claims: dict[tuple[str, date], int] = {}
        self.events: list[Event] = []

    # ------------------------------------------------------------------ data

    def add_customer(self, customer_id: str, region: str, level: str = "") -> None:
        self.customers[customer_id] = CustomerRecord(customer_id, region, level)

    def claim(self, claim_id: str) -> Claim:
        try:
            return self.claims[claim_id]
        except KeyError:
            raise ClaimNotFound(claim_id) from None

    def latest_claim(self, customer_id: str) -> Claim | None:
        ids = self.claims_by_customer.get(customer_id)
        return self.claims[ids[-1]] if ids else None

    def ownership(self, customer_id: str) -> CustomerOwnership:
        return CustomerOwnership(customer_id, self.latest_claim(customer_id),
                                 customer_id in self.formal)

    def status(self, customer_id: str, now: datetime) -> CustomerStatus:
        return self.ownership(customer_id).status(now)

    def policy_for(self, claim: Claim) -> Policy:
        return self.policies.resolve(claim.region, claim.customer_level)

    def rep_facts(self, rep_id: str, customer_id: str, now: datetime) -> RepClaimFacts:
        return RepClaimFacts(
            holding_count=count_active(self.claims.values(), rep_id, now),
            pool_claims_today=self.pool_claims.get((rep_id, china_date(now)), 0),
            cooldown_until=self.cooldowns.get((rep_id, customer_id)),
        )

    def review_queue(self, now: datetime) -> list[Claim]:
        queued = [c for c in self.claims.values()
                  if c.effective_stage(now) is Stage.PENDING_REVIEW]
        return sorted(queued, key=Claim.review_key)

    def history(self, customer_id: str, now: datetime) -> list[OwnershipSpan]:
        ids = self.claims_by_customer.get(customer_id, [])
        return customer_history((self.claims[i] for i in ids), now)

    def collect_events(self) -> list[Event]:
        for claim in self.claims.values():
            self.events.extend(claim.events)
            claim.events.clear()
        out, self.events = self.events, []
        return out

    # ------------------------------------------------------------------ commands

    def handle(self, command: cmd.Command, actor: Actor | None, now: datetime) -> object:
        """Run one command. ``actor`` is None only for system commands (events, timers)."""
        now = require_aware(now)
        if isinstance(command, cmd.ClaimCustomer):
            return self._claim_customer(self._human(actor), command, now)
        if isinstance(command, cmd.HandOverCustomers):
            return self._hand_over(self._human(actor), command, now)
        if isinstance(command, cmd.RecordContractSigned):
            return self._contract_signed(command, now)
        if isinstance(command, cmd.RecordFollowUp):
            claim = self.latest_claim(command.customer_id)
            return claim is not None and claim.record_follow_up(
                command.at, now, self.policy_for(claim))
        if isinstance(command, cmd.ClaimCommand):
            return self._on_claim(actor, command, now)
        raise TypeError(f"unknown command {type(command).__name__}")

    def _on_claim(self, actor: Actor | None, command: cmd.ClaimCommand, now: datetime) -> object:
        claim = self.claim(command.claim_id)
        claim.ensure_version(command.expected_version)
        policy = self.policy_for(claim)
        if isinstance(command, cmd.FireTimer):
            return claim.fire(command.timer, now, policy)
        cmd.apply(claim, self._human(actor), command, now, policy, self.calendar)
        if isinstance(command, cmd.ReleaseCustomer):
            assert claim.cooldown_until is not None
            self.cooldowns[(claim.owner_id, claim.customer_id)] = claim.cooldown_until
        return claim

    def _claim_customer(self, actor: Actor, command: cmd.ClaimCustomer, now: datetime) -> Claim:
        ensure_can_claim(actor)  # permission before existence
        record = self.customers.get(command.customer_id)
        if record is None:
            raise CustomerNotFound(command.customer_id)
        ownership = self.ownership(command.customer_id)
        policy = self.policies.resolve(record.region, record.level)
        claim = open_claim(claim_id=self._new_id(), actor=actor, ownership=ownership,
                           facts=self.rep_facts(actor.user_id, command.customer_id, now),
                           policy=policy, region=record.region, customer_level=record.level,
                           now=now)
        previous = ownership.latest_claim
        if previous is not None:
            previous.settle(now)  # owe the ClaimExpired nobody has fired yet
        self.claims[claim.id] = claim
        self.claims_by_customer.setdefault(command.customer_id, []).append(claim.id)
        if claim.from_pool:
            key = (actor.user_id, china_date(now))
            self.pool_claims[key] = self.pool_claims.get(key, 0) + 1
        return claim

    def _hand_over(self, actor: Actor, command: cmd.HandOverCustomers,
                   now: datetime) -> list[Claim]:
        return hand_over(actor, list(self.claims.values()), from_owner_id=command.from_owner_id,
                         to_owner_id=command.to_owner_id, to_department=command.to_department,
                         reason=command.reason, now=now)

    def _contract_signed(self, command: cmd.RecordContractSigned, now: datetime) -> bool:
        if command.customer_id in self.formal:
            return False  # duplicate delivery
        self.formal.add(command.customer_id)
        claim = self.latest_claim(command.customer_id)
        if claim is not None:
            claim.settle(now)
            if claim.become_formal(command.contract_id, command.signed_at, now):
                return True
        self.events.append(CustomerBecameFormal(
            occurred_at=now, customer_id=command.customer_id, contract_id=command.contract_id,
            signed_at=command.signed_at,
            region=self.customers[command.customer_id].region
            if command.customer_id in self.customers else None))
        return True

    def fire_due(self, now: datetime) -> int:
        """What the scheduler loop does: fire every due timer of every claim, in due order."""
        fired = 0
        for claim in list(self.claims.values()):
            policy = self.policy_for(claim)
            # Like timer rows: each due one fires on its own; a no-op is fine.
            for timer in claim.timers(policy):
                if timer.due_at <= now and claim.fire(timer, now, policy):
                    fired += 1
        return fired

    @staticmethod
    def _human(actor: Actor | None) -> Actor:
        if actor is None:
            raise ValueError("this command needs an actor")
        return actor
