"""Notify rows -> crm.notify.v1 messages."""

from __future__ import annotations

from crm.notify.v1 import notify_pb2 as pb
from services.chassis.protobuf import set_timestamp
from services.notify.adapters.campaign_store import CampaignRow, Progress
from services.notify.adapters.message_store import StoredMessage
from services.notify.adapters.webhook_store import Delivery, Subscription
from services.notify.domain.addresses import mask

CHANNELS = {"IN_APP": pb.CHANNEL_IN_APP, "EMAIL": pb.CHANNEL_EMAIL, "SMS": pb.CHANNEL_SMS}
CHANNEL_OF = {v: k for k, v in CHANNELS.items()}
STATUSES = {"SCHEDULED": pb.DELIVERY_STATUS_SCHEDULED, "QUEUED": pb.DELIVERY_STATUS_QUEUED,
            "SENT": pb.DELIVERY_STATUS_SENT, "DELIVERED": pb.DELIVERY_STATUS_DELIVERED,
            "FAILED": pb.DELIVERY_STATUS_FAILED, "SKIPPED": pb.DELIVERY_STATUS_SKIPPED}
STATUS_OF = {v: k for k, v in STATUSES.items()}
CAMPAIGN_STATUSES = {"SCHEDULED": pb.CAMPAIGN_STATUS_SCHEDULED,
                     "RUNNING": pb.CAMPAIGN_STATUS_RUNNING, "PAUSED": pb.CAMPAIGN_STATUS_PAUSED,
                     "CANCELLED": pb.CAMPAIGN_STATUS_CANCELLED,
                     "COMPLETED": pb.CAMPAIGN_STATUS_COMPLETED}
CAMPAIGN_STATUS_OF = {v: k for k, v in CAMPAIGN_STATUSES.items()}


def message_message(m: StoredMessage, *, show_address: bool = False) -> pb.Message:
    msg = pb.Message(
        id=m.id, channel=CHANNELS[m.channel], kind=m.kind, recipient=m.recipient,
        address=m.address if show_address else mask(m.address), subject=m.subject,
        body=m.body, status=STATUSES[m.status], subject_type=m.subject_type,
        subject_id=m.subject_id, attempts=m.attempts, last_error=m.last_error,
        campaign_id=m.campaign_id or "")
    set_timestamp(msg.created_at, m.created_at)
    set_timestamp(msg.due_at, m.due_at)
    set_timestamp(msg.sent_at, m.sent_at)
    set_timestamp(msg.delivered_at, m.delivered_at)
    set_timestamp(msg.read_at, m.read_at)
    return msg


def campaign_message(c: CampaignRow, progress: Progress | None = None) -> pb.Campaign:
    segment = pb.Segment(addresses=c.segment.get("addresses", []),
                         sales_region=c.segment.get("sales_region", ""),
                         unsigned_only=bool(c.segment.get("unsigned_only")),
                         signed_only=bool(c.segment.get("signed_only")))
    msg = pb.Campaign(
        id=c.id, name=c.name, channel=CHANNELS[c.channel], subject=c.subject, body=c.body,
        sms_template_code=c.sms_template_code, segment=segment,
        rate_per_second=c.rate_per_second, status=CAMPAIGN_STATUSES[c.status],
        recipients=c.recipients, created_by=c.created_by, version=c.version)
    if progress is not None:
        msg.sent, msg.failed, msg.skipped = progress.sent, progress.failed, progress.skipped
    set_timestamp(msg.scheduled_at, c.scheduled_at)
    set_timestamp(msg.created_at, c.created_at)
    return msg


def subscription_message(s: Subscription) -> pb.WebhookSubscription:
    msg = pb.WebhookSubscription(id=s.id, url=s.url, event_types=s.event_types,
                                 enabled=s.enabled, consecutive_failures=s.consecutive_failures,
                                 created_by=s.created_by, disabled_reason=s.disabled_reason)
    set_timestamp(msg.created_at, s.created_at)
    return msg


def delivery_message(d: Delivery) -> pb.WebhookDelivery:
    msg = pb.WebhookDelivery(id=d.id, subscription_id=d.subscription_id, event_id=d.event_id,
                             event_type=d.event_type, status=STATUSES[d.status],
                             attempts=d.attempts, last_http_status=d.last_http_status,
                             last_error=d.last_error)
    set_timestamp(msg.created_at, d.created_at)
    if d.status == "QUEUED":
        set_timestamp(msg.next_attempt_at, d.next_attempt_at)
    set_timestamp(msg.delivered_at, d.delivered_at)
    return msg
