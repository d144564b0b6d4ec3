"""Turn planned messages into stored ones: render each in the recipient's locale,
add the channels a person chose for that kind, delay customer-facing ones out
of quiet hours, skip opted-out addresses, replace what a newer one supersedes.
The store keeps one message per (recipient, channel, cause)."""

from __future__ import annotations

from collections.abc import Sequence

from services.notify.adapters.message_store import Row
from services.notify.adapters.read_model import Prefs
from services.notify.adapters.unit import NotifyUnit
from services.notify.domain.addresses import normalise
from services.notify.domain.message import Channel, Planned, Status
from services.notify.domain.recipients import is_role_key
from services.notify.domain.templates import TemplateProblem, render, render_text
from services.notify.service_layer.deps import NotifyDeps


def _with_preferences(planned: Sequence[Planned], prefs: dict[str, Prefs]) -> list[Planned]:
    """Each in-app message to a person also goes by the channels they chose for its kind."""
    out = list(planned)
    for p in planned:
        chosen = prefs.get(p.recipient)
        if p.channel is not Channel.IN_APP or chosen is None or not chosen.kinds:
            continue
        for name in chosen.kinds.get(p.kind, []):
            address = {Channel.EMAIL: chosen.email, Channel.SMS: chosen.mobile}.get(
                Channel(name), "")
            if address:
                out.append(Planned(kind=p.kind, channel=Channel(name), recipient=p.recipient,
                                   cause=p.cause, due_at=p.due_at, params=p.params,
                                   address=address, subject_type=p.subject_type,
                                   subject_id=p.subject_id, supersedes=p.supersedes))
    return out


async def plan(unit: NotifyUnit, deps: NotifyDeps, planned: Sequence[Planned]) -> int:
    """Store ``planned`` (with preferences' extra channels); returns how many were new."""
    if not planned:
        return 0
    now = deps.now()
    people = sorted({p.recipient for p in planned if not is_role_key(p.recipient)})
    prefs = await unit.model.prefs(people)
    everything = _with_preferences(planned, prefs)
    superseding = [p for p in everything if p.supersedes]
    await unit.messages.supersede(sorted({p.supersedes for p in superseding}),
                                  sorted({p.cause for p in superseding}))
    addresses = [normalise(p.address) for p in everything if p.address]
    opted_out = await unit.model.opted_out(addresses)
    rows = [_row(p, prefs, opted_out, deps) for p in everything]
    return len(await unit.messages.insert(rows, now))


def _row(p: Planned, prefs: dict[str, Prefs], opted_out: set[str], deps: NotifyDeps) -> Row:
    now = deps.now()
    locale = prefs[p.recipient].locale if p.recipient in prefs else "zh-CN"
    address = normalise(p.address) if p.address else ""
    error = ""
    try:
        if p.subject or p.body:
            subject = render_text(p.subject, p.params) if p.subject else ""
            body = render_text(p.body, p.params)
        else:
            rendered = render(p.kind, locale, p.params)
            subject, body = rendered.subject, rendered.body
    except TemplateProblem as problem:
        subject, body, error = "", "", f"template: {problem}"
    due = p.due_at
    if p.customer_facing and p.channel is not Channel.IN_APP:
        due = deps.policy.quiet_hours.next_allowed(due)
    if error:
        status = Status.FAILED
    elif address and address in opted_out:
        status, error = Status.SKIPPED, "opted out"
    elif due > now:
        status = Status.SCHEDULED
    else:
        status = Status.SENT if p.channel is Channel.IN_APP else Status.QUEUED
    return Row(channel=p.channel, kind=p.kind, recipient=p.recipient, address=address,
               subject=subject, body=body, cause=p.cause, supersede_key=p.supersedes or None,
               customer_facing=p.customer_facing, subject_type=p.subject_type,
               subject_id=p.subject_id, template_code="", params=dict(p.params),
               campaign_id=p.campaign_id or None, status=status, due_at=due, last_error=error)
