"""Per-request context (correlation id, caller identity) carried in contextvars."""

from __future__ import annotations

from contextvars import ContextVar

from services.chassis.auth import Identity
from services.chassis.ids import new_id

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
identity_var: ContextVar[Identity | None] = ContextVar("identity", default=None)


def current_correlation_id() -> str:
    """The request's correlation id, or a fresh one when outside any request."""
    cid = correlation_id_var.get()
    if cid is None:
        cid = new_id()
        correlation_id_var.set(cid)
    return cid


def current_identity() -> Identity | None:
    return identity_var.get()
