"""What every notify handler needs: the clock, the settings and the rules; the
caller as recipient keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.chassis.clock import Clock
from services.chassis.context import current_identity
from services.chassis.errors import Unauthenticated
from services.notify.config import NotifySettings
from services.notify.domain.policy import NotifyPolicy
from services.notify.domain.recipients import keys_of


@dataclass(frozen=True)
class Reader:
    """The caller as the inbox sees them."""

    user_id: str
    roles: frozenset[str]
    keys: tuple[str, ...]


@dataclass
class NotifyDeps:
    clock: Clock
    settings: NotifySettings
    policy: NotifyPolicy = field(init=False)

    def __post_init__(self) -> None:
        self.policy = self.settings.policy()

    def now(self) -> datetime:
        return self.clock.now()

    @staticmethod
    def reader() -> Reader:
        identity = current_identity()
        if identity is None:
            raise Unauthenticated("no caller identity", reason="MISSING_TOKEN")
        return Reader(identity.user_id, frozenset(identity.roles), tuple(keys_of(
            identity.user_id, identity.roles, region=identity.region,
            department=identity.department)))
