"""Campaigns (DOMAIN 4.3): bulk SMS or e-mail to a segment at a scheduled time,
throttled, with progress, pause, resume and cancel.

When its time comes a campaign's recipients become messages (one per address:
the cause is the campaign and the address, so starting twice adds nobody
twice), written in chunks in one transaction. The dispatcher sends them within
the campaign's rate while it runs; pausing stops it taking more, cancelling
skips everyone not yet sent to. A crash resumes where it stopped: what was sent
is recorded per message, and a message taken but not recorded is re-sent with
the same id, which the provider recognises.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.chassis.errors import FailedPrecondition, FieldViolation, InvalidArgument, NotFound
from services.chassis.ids import new_id
from services.notify.adapters.campaign_store import CampaignRow
from services.notify.adapters.unit import NotifyUnit
from services.notify.domain.addresses import is_email, is_mobile, normalise
from services.notify.domain.message import Channel, Planned
from services.notify.domain.templates import TemplateProblem, parameters, render_text
from services.notify.service_layer.deps import NotifyDeps
from services.notify.service_layer.planning import plan

CHUNK = 5000


def check(name: str, channel: str, subject: str, body: str, segment: dict[str, Any]) -> None:
    bad: list[FieldViolation] = []
    if not name.strip():
        bad.append(FieldViolation("campaign.name", "is required", "REQUIRED"))
    if channel not in (Channel.SMS, Channel.EMAIL):
        bad.append(FieldViolation("campaign.channel", "SMS or EMAIL", "INVALID_CHANNEL"))
    if channel == Channel.EMAIL and not subject.strip():
        bad.append(FieldViolation("campaign.subject", "an e-mail needs a subject", "REQUIRED"))
    if not body.strip():
        bad.append(FieldViolation("campaign.body", "is required", "REQUIRED"))
    else:
        try:
            unknown = parameters(body) - {"name"}
        except TemplateProblem as problem:
            bad.append(FieldViolation("campaign.body", f"not a valid template: {problem}",
                                      "INVALID_TEMPLATE"))
        else:
            if unknown:
                bad.append(FieldViolation("campaign.body", "only {{ name }} is known, not "
                                          + ", ".join(sorted(unknown)), "UNKNOWN_PARAMETER"))
            else:
                try:
                    render_text(body, {"name": "张三"})
                except TemplateProblem as problem:
                    bad.append(FieldViolation("campaign.body", f"does not render: {problem}",
                                              "INVALID_TEMPLATE"))
    valid = is_mobile if channel == Channel.SMS else is_email
    for i, address in enumerate(segment.get("addresses", [])):
        if not valid(normalise(address)):
            bad.append(FieldViolation(f"campaign.segment.addresses[{i}]",
                                      "not a mobile number" if channel == Channel.SMS
                                      else "not an e-mail address", "INVALID_ADDRESS"))
            if len(bad) > 20:
                break
    if segment.get("signed_only") and segment.get("unsigned_only"):
        bad.append(FieldViolation("campaign.segment", "signed_only and unsigned_only exclude "
                                  "each other", "CONFLICT"))
    if bad:
        raise InvalidArgument(bad)


async def create(unit: NotifyUnit, deps: NotifyDeps, *, name: str, channel: str, subject: str,
                 body: str, sms_template_code: str, segment: dict[str, Any],
                 scheduled_at: datetime | None, rate_per_second: int,
                 created_by: str) -> CampaignRow:
    check(name, channel, subject, body, segment)
    if rate_per_second < 0:
        raise InvalidArgument([FieldViolation("campaign.rate_per_second",
                                              "must not be negative", "OUT_OF_RANGE")])
    now = deps.now()
    campaign = CampaignRow(new_id(), name.strip(), channel, subject.strip(), body,
                           sms_template_code.strip(), segment, scheduled_at or now,
                           rate_per_second, "SCHEDULED", 0, False, created_by, now, 1)
    await unit.campaigns.add(campaign)
    return campaign


async def load(unit: NotifyUnit, campaign_id: str) -> CampaignRow:
    campaign = await unit.campaigns.get(campaign_id, lock=True)
    if campaign is None:
        raise NotFound("campaign", campaign_id, reason="CAMPAIGN_NOT_FOUND")
    return campaign


async def start_due(unit: NotifyUnit, deps: NotifyDeps, limit: int = 10) -> int:
    """Turn due campaigns' recipients into messages and set them running."""
    due = await unit.campaigns.due(deps.now(), limit)
    for campaign in due:
        await _materialize(unit, deps, campaign)
    return len(due)


async def _explicit(addresses: list[str]) -> AsyncIterator[list[tuple[str, str]]]:
    """An explicit list's addresses (at most 10,000), normalised, each once, in pages."""
    unique = list(dict.fromkeys(normalise(a) for a in addresses))
    for start in range(0, len(unique), CHUNK):
        yield [(address, "") for address in unique[start:start + CHUNK]]


async def _materialize(unit: NotifyUnit, deps: NotifyDeps, c: CampaignRow) -> None:
    """One message per address, written a page at a time in the campaign's one
    transaction (all or none, so a crash leaves it to be materialised again)."""
    addresses = c.segment.get("addresses", [])
    pages = (_explicit(addresses) if addresses
             else unit.campaigns.segment_addresses(c.channel, c.segment, CHUNK))
    total = 0
    now = deps.now()
    async for page in pages:
        planned = [Planned(
            kind="message", channel=Channel(c.channel), recipient=f"campaign:{c.id}",
            cause=f"campaign:{c.id}:{address}", due_at=now, address=address,
            customer_facing=True, campaign_id=c.id, subject=c.subject, body=c.body,
            params={"name": contact_name}, subject_type="campaign", subject_id=c.id)
            for address, contact_name in page]
        total += len(planned)
        await plan(unit, deps, planned)
    await unit.campaigns.save(replace(c, status="RUNNING", recipients=total, materialized=True,
                                      version=c.version + 1))


async def set_status(unit: NotifyUnit, campaign_id: str, action: str) -> CampaignRow:
    c = await load(unit, campaign_id)
    allowed = {"pause": {"SCHEDULED", "RUNNING"}, "resume": {"PAUSED"},
               "cancel": {"SCHEDULED", "RUNNING", "PAUSED"}}[action]
    if c.status not in allowed:
        raise FailedPrecondition(f"campaign {campaign_id} is {c.status.lower()}: cannot "
                                 f"{action} it", reason="CAMPAIGN_STATE", subject=campaign_id)
    if action == "pause":
        status = "PAUSED"
    elif action == "resume":
        status = "RUNNING" if c.materialized else "SCHEDULED"
    else:
        status = "CANCELLED"
        await unit.campaigns.cancel_pending(campaign_id)
    updated = replace(c, status=status, version=c.version + 1)
    await unit.campaigns.save(updated)
    return updated


async def finish_if_done(unit: NotifyUnit, campaign_id: str) -> None:
    c = await unit.campaigns.get(campaign_id, lock=True)
    if c is not None and c.status == "RUNNING":
        progress = await unit.campaigns.progress(campaign_id)
        if progress.pending == 0:
            await unit.campaigns.save(replace(c, status="COMPLETED", version=c.version + 1))
