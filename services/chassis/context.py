"""Per-request context (correlation id, caller identity) carried in contextvars."""

from __future__ import annotations

from contextvars import ContextVar

from services.chassis.auth import Identity
from services.chassis.ids import new_id

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
identity_var: ContextVar[Identity | None] = ContextVar("identity", default=None)


def current_correlation_id() -> str:
    """The request's (or handled event's) correlation id; a fresh one outside both.

    A fresh id is not stored: a long-lived task (scheduler, relay) must not
    stamp everything it ever does with one id.
    """
    return correlation_id_var.get() or new_id()


def current_identity() -> Identity | None:
    return identity_var.get()
