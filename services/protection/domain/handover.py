"""Hand-over of a departing rep's customers: all or nothing, clocks keep running."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .actors import Actor
from .aware_times import require_aware
from .errors import require_reason
from .model import Claim
from .permissions import ensure_manager


def hand_over(actor: Actor, claims: Iterable[Claim], *, from_owner_id: str, to_owner_id: str,
              to_department: str, reason: str, now: datetime,
              to_owner_name: str = "") -> list[Claim]:
    """Transfer every customer ``from_owner_id`` holds at ``now``; return the claims moved.

    Permission is checked on every claim before any changes, so a manager who
    does not manage all of them moves none.
    """
    now = require_aware(now)
    reason = require_reason(reason)
    held = [c for c in claims if c.owner_id == from_owner_id and c.is_held(now)]
    for claim in held:
        ensure_manager(actor, claim, "hand over customers")
    for claim in held:
        claim.transfer(actor, to_owner_id, to_department, reason, now, to_owner_name)
    return held
