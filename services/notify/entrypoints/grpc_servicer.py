"""NotifyService: translate protobuf to the service layer and the stores, and back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from crm.notify.v1 import notify_pb2 as pb
from crm.notify.v1 import notify_service_pb2 as api
from crm.notify.v1 import notify_service_pb2_grpc as api_grpc
from services.chassis.errors import FieldViolation, InvalidArgument, NotFound
from services.chassis.ids import new_id
from services.chassis.logging import get_logger
from services.chassis.paging import INT, TEXT, TIME, decode_token, page_of
from services.chassis.protobuf import optional_timestamp
from services.chassis.unit_calls import UnitCalls
from services.notify.adapters.read_model import Prefs
from services.notify.adapters.unit import NotifyUnit
from services.notify.domain.addresses import is_email, is_mobile, normalise
from services.notify.domain.message import Channel, Planned
from services.notify.domain.templates import (
    LOCALES,
    TemplateProblem,
    locale_of,
    parameters_of,
    render,
)
from services.notify.entrypoints.messages import (
    CAMPAIGN_STATUS_OF,
    CHANNEL_OF,
    CHANNELS,
    STATUS_OF,
    campaign_message,
    delivery_message,
    message_message,
    subscription_message,
)
from services.notify.service_layer import campaigns, webhooks
from services.notify.service_layer.deps import NotifyDeps
from services.notify.service_layer.inbox_hub import InboxHub
from services.notify.service_layer.planning import plan

log = get_logger(__name__)
ADDRESS_READERS = frozenset({"manager", "admin"})


class NotifyServicer(api_grpc.NotifyServiceServicer):
    def __init__(self, deps: NotifyDeps, calls: UnitCalls[NotifyUnit], hub: InboxHub) -> None:
        self.deps = deps
        self.calls = calls
        self.hub = hub
        self.page_sizes = deps.settings.page_sizes()

    # ------------------------------------------------------------------ inbox

    async def ListInbox(self, request: api.ListInboxRequest, context: Any,
                        ) -> api.ListInboxResponse:
        reader = self.deps.reader()
        size = self.page_sizes.size(request.page_size)
        after = decode_token("inbox", request.page_token, INT, TIME, TEXT)

        async def work(unit: NotifyUnit) -> api.ListInboxResponse:
            rows = await unit.messages.inbox(
                reader.user_id, reader.keys, unread_only=request.unread_only, size=size,
                after=(after[0], after[1], after[2]) if after else None)
            page = page_of("inbox", rows, size,
                           lambda m: (0 if m.read_at is None else 1, m.created_at, m.id))
            unread = await unit.messages.unread(reader.user_id, reader.keys)
            return api.ListInboxResponse(messages=[message_message(m) for m in page.items],
                                         next_page_token=page.next_token, unread=unread)

        return await self.calls.plain(work)

    async def MarkRead(self, request: api.MarkReadRequest, context: Any) -> api.MarkReadResponse:
        reader = self.deps.reader()
        if not request.all and not request.message_ids:
            raise InvalidArgument([FieldViolation("message_ids", "name messages or set all",
                                                  "REQUIRED")])

        async def work(unit: NotifyUnit) -> api.MarkReadResponse:
            await unit.messages.mark_read(
                reader.user_id, reader.keys, None if request.all else list(request.message_ids),
                self.deps.now())
            return api.MarkReadResponse(
                unread=await unit.messages.unread(reader.user_id, reader.keys))

        return await self.calls.plain(work)

    async def GetUnreadCount(self, request: api.GetUnreadCountRequest, context: Any,
                             ) -> api.GetUnreadCountResponse:
        reader = self.deps.reader()

        async def work(unit: NotifyUnit) -> api.GetUnreadCountResponse:
            return api.GetUnreadCountResponse(
                unread=await unit.messages.unread(reader.user_id, reader.keys))

        return await self.calls.plain(work)

    async def WatchInbox(self, request: api.WatchInboxRequest, context: Any,
                         ) -> AsyncIterator[api.WatchInboxResponse]:
        reader = self.deps.reader()
        async with self.hub.watch(reader.keys) as queue:
            count = await self.GetUnreadCount(api.GetUnreadCountRequest(), context)
            yield api.WatchInboxResponse(unread=count.unread)
            while True:
                message_id = await queue.get()

                async def work(unit: NotifyUnit, mid: str = message_id,
                               ) -> api.WatchInboxResponse | None:
                    found = await unit.messages.get(mid)
                    if found is None:
                        return None
                    unread = await unit.messages.unread(reader.user_id, reader.keys)
                    return api.WatchInboxResponse(message=message_message(found), unread=unread)

                # The announcement can reach this replica a moment before a new snapshot
                # sees the committed row: look again briefly rather than send nothing.
                for wait in (0.0, 0.02, 0.05, 0.1, 0.2, 0.5):
                    await asyncio.sleep(wait)
                    item = await self.calls.plain(work)
                    if item is not None:
                        yield item
                        break
                else:
                    log.warning("inbox_watch_message_not_found", message_id=message_id)

    # ------------------------------------------------------------------ preferences

    async def GetPreferences(self, request: api.GetPreferencesRequest, context: Any,
                             ) -> api.GetPreferencesResponse:
        reader = self.deps.reader()

        async def work(unit: NotifyUnit) -> api.GetPreferencesResponse:
            found = (await unit.model.prefs([reader.user_id])).get(reader.user_id)
            return api.GetPreferencesResponse(preferences=_prefs_message(
                found or Prefs(reader.user_id)))

        return await self.calls.plain(work)

    async def SetPreferences(self, request: api.SetPreferencesRequest, context: Any,
                             ) -> api.SetPreferencesResponse:
        reader = self.deps.reader()
        prefs = _prefs_of(reader.user_id, request.preferences)

        async def work(unit: NotifyUnit) -> api.SetPreferencesResponse:
            await unit.model.set_prefs(prefs)
            return api.SetPreferencesResponse(preferences=_prefs_message(prefs))

        return await self.calls.plain(work)

    # ------------------------------------------------------------------ templates, sending

    async def PreviewTemplate(self, request: api.PreviewTemplateRequest, context: Any,
                              ) -> api.PreviewTemplateResponse:
        self.deps.reader()
        locale = request.locale or "zh-CN"
        if locale not in LOCALES:
            raise InvalidArgument([FieldViolation("locale", "one of " + ", ".join(LOCALES),
                                                  "UNKNOWN_LOCALE")])
        try:
            names = parameters_of(request.kind, locale)
            params = {n: request.params.get(n, f"<{n}>") for n in names}
            rendered = render(request.kind, locale_of(locale), params)
        except TemplateProblem as problem:
            raise InvalidArgument([FieldViolation("kind", str(problem), "UNKNOWN_KIND")],
                                  ) from None
        return api.PreviewTemplateResponse(subject=rendered.subject, body=rendered.body,
                                           parameters=names)

    async def SendMessage(self, request: api.SendMessageRequest, context: Any,
                          ) -> api.SendMessageResponse:
        reader, deps = self.deps.reader(), self.deps
        channel = CHANNEL_OF.get(request.channel)
        if channel not in (Channel.SMS, Channel.EMAIL):
            raise InvalidArgument([FieldViolation("channel", "SMS or EMAIL", "INVALID_CHANNEL")])
        if bool(request.contact_id) == bool(request.address):
            raise InvalidArgument([FieldViolation("contact_id", "give a contact or an address",
                                                  "ONE_OF")])
        if channel == Channel.EMAIL and not request.subject.strip():
            raise InvalidArgument([FieldViolation("subject", "an e-mail needs a subject",
                                                  "REQUIRED")])
        send_at = optional_timestamp(request, "send_at")

        async def work(unit: NotifyUnit) -> api.SendMessageResponse:
            address = normalise(request.address)
            subject_id = ""
            if request.contact_id:
                contact = await unit.model.contact(request.contact_id)
                if contact is None:
                    raise NotFound("contact", request.contact_id, reason="CONTACT_NOT_FOUND")
                address = contact.mobile if channel == Channel.SMS else contact.email
                subject_id = contact.customer_id
                if not address:
                    what = "mobile" if channel == Channel.SMS else "e-mail"
                    raise InvalidArgument([FieldViolation(
                        "contact_id", f"the contact has no {what}", "NO_ADDRESS")])
            valid = is_mobile if channel == Channel.SMS else is_email
            if not valid(address):
                raise InvalidArgument([FieldViolation(
                    "address", "not a mainland mobile number" if channel == Channel.SMS
                    else "not an e-mail address", "INVALID_ADDRESS")])
            cause = f"adhoc:{reader.user_id}:{request.request_id or _fresh()}"
            await plan(unit, deps, [Planned(
                kind="message", channel=Channel(channel), recipient=f"address:{address}",
                cause=cause, due_at=send_at or deps.now(), address=address,
                customer_facing=True, subject=request.subject, body=request.body,
                params={}, subject_type="customer" if subject_id else "",
                subject_id=subject_id)])
            stored = await unit.messages.by_cause(f"address:{address}", channel, cause)
            assert stored is not None
            return api.SendMessageResponse(message=message_message(
                stored, show_address=True))

        return await self.calls.once(request.request_id, api.SendMessageResponse, work)

    async def ListMessages(self, request: api.ListMessagesRequest, context: Any,
                           ) -> api.ListMessagesResponse:
        reader = self.deps.reader()
        size = self.page_sizes.size(request.page_size)
        after = decode_token("messages", request.page_token, TIME, TEXT)

        async def work(unit: NotifyUnit) -> api.ListMessagesResponse:
            rows = await unit.messages.page(
                status=STATUS_OF.get(request.status, ""),
                channel=CHANNEL_OF.get(request.channel, ""), campaign_id=request.campaign_id,
                size=size, after=(after[0], after[1]) if after else None)
            page = page_of("messages", rows, size, lambda m: (m.created_at, m.id))
            show = bool(reader.roles & ADDRESS_READERS)
            return api.ListMessagesResponse(
                messages=[message_message(m, show_address=show) for m in page.items],
                next_page_token=page.next_token)

        return await self.calls.plain(work)

    async def SetOptOut(self, request: api.SetOptOutRequest, context: Any,
                        ) -> api.SetOptOutResponse:
        self.deps.reader()
        address = normalise(request.address)
        if not (is_mobile(address) or is_email(address)):
            raise InvalidArgument([FieldViolation("address", "a mobile number or an e-mail "
                                                  "address", "INVALID_ADDRESS")])

        async def work(unit: NotifyUnit) -> api.SetOptOutResponse:
            await unit.model.set_opt_out(address, request.opted_out, request.reason.strip(),
                                         self.deps.now())
            return api.SetOptOutResponse(address=address, opted_out=request.opted_out)

        return await self.calls.plain(work)

    # ------------------------------------------------------------------ campaigns

    async def CreateCampaign(self, request: api.CreateCampaignRequest, context: Any,
                             ) -> api.CreateCampaignResponse:
        reader, deps = self.deps.reader(), self.deps
        c = request.campaign
        segment = {"addresses": list(c.segment.addresses), "sales_region": c.segment.sales_region,
                   "unsigned_only": c.segment.unsigned_only, "signed_only": c.segment.signed_only}

        async def work(unit: NotifyUnit) -> api.CreateCampaignResponse:
            row = await campaigns.create(
                unit, deps, name=c.name, channel=CHANNEL_OF.get(c.channel, ""),
                subject=c.subject, body=c.body, sms_template_code=c.sms_template_code,
                segment=segment, scheduled_at=optional_timestamp(c, "scheduled_at",
                                                                 path="campaign.scheduled_at"),
                rate_per_second=c.rate_per_second, created_by=reader.user_id)
            return api.CreateCampaignResponse(campaign=campaign_message(row))

        return await self.calls.once(request.request_id, api.CreateCampaignResponse, work)

    async def GetCampaign(self, request: api.GetCampaignRequest, context: Any,
                          ) -> api.GetCampaignResponse:
        self.deps.reader()

        async def work(unit: NotifyUnit) -> api.GetCampaignResponse:
            row = await unit.campaigns.get(request.campaign_id)
            if row is None:
                raise NotFound("campaign", request.campaign_id, reason="CAMPAIGN_NOT_FOUND")
            progress = await unit.campaigns.progress(row.id)
            return api.GetCampaignResponse(campaign=campaign_message(row, progress))

        return await self.calls.plain(work)

    async def _campaign_action(self, campaign_id: str, action: str) -> pb.Campaign:
        self.deps.reader()

        async def work(unit: NotifyUnit) -> pb.Campaign:
            row = await campaigns.set_status(unit, campaign_id, action)
            return campaign_message(row, await unit.campaigns.progress(row.id))

        return await self.calls.plain(work)

    async def PauseCampaign(self, request: api.PauseCampaignRequest, context: Any,
                            ) -> api.PauseCampaignResponse:
        return api.PauseCampaignResponse(
            campaign=await self._campaign_action(request.campaign_id, "pause"))

    async def ResumeCampaign(self, request: api.ResumeCampaignRequest, context: Any,
                             ) -> api.ResumeCampaignResponse:
        return api.ResumeCampaignResponse(
            campaign=await self._campaign_action(request.campaign_id, "resume"))

    async def CancelCampaign(self, request: api.CancelCampaignRequest, context: Any,
                             ) -> api.CancelCampaignResponse:
        return api.CancelCampaignResponse(
            campaign=await self._campaign_action(request.campaign_id, "cancel"))

    async def ListCampaigns(self, request: api.ListCampaignsRequest, context: Any,
                            ) -> api.ListCampaignsResponse:
        reader = self.deps.reader()
        size = self.page_sizes.size(request.page_size)
        after = decode_token("campaigns", request.page_token, TIME, TEXT)

        async def work(unit: NotifyUnit) -> api.ListCampaignsResponse:
            rows = await unit.campaigns.page(
                status=CAMPAIGN_STATUS_OF.get(request.status, ""),
                created_by=reader.user_id if request.mine_only else "", size=size,
                after=(after[0], after[1]) if after else None)
            page = page_of("campaigns", rows, size, lambda c: (c.created_at, c.id))
            progress = await unit.campaigns.progress_of([c.id for c in page.items])
            return api.ListCampaignsResponse(
                campaigns=[campaign_message(c, progress[c.id]) for c in page.items],
                next_page_token=page.next_token)

        return await self.calls.plain(work)

    async def ListCampaignRecipients(self, request: api.ListCampaignRecipientsRequest,
                                     context: Any) -> api.ListCampaignRecipientsResponse:
        self.deps.reader()
        response = await self.ListMessages(api.ListMessagesRequest(
            status=request.status, campaign_id=request.campaign_id, page_size=request.page_size,
            page_token=request.page_token), context)
        return api.ListCampaignRecipientsResponse(messages=response.messages,
                                                  next_page_token=response.next_page_token)

    # ------------------------------------------------------------------ webhooks

    async def CreateWebhookSubscription(self, request: api.CreateWebhookSubscriptionRequest,
                                        context: Any) -> api.CreateWebhookSubscriptionResponse:
        reader, deps = self.deps.reader(), self.deps

        async def work(unit: NotifyUnit) -> api.CreateWebhookSubscriptionResponse:
            sub, secret = await webhooks.subscribe(unit, deps, url=request.url.strip(),
                                                   event_types=list(request.event_types),
                                                   created_by=reader.user_id)
            return api.CreateWebhookSubscriptionResponse(
                subscription=subscription_message(sub), secret=secret)

        return await self.calls.once(request.request_id, api.CreateWebhookSubscriptionResponse,
                                     work)

    async def ListWebhookSubscriptions(self, request: api.ListWebhookSubscriptionsRequest,
                                       context: Any) -> api.ListWebhookSubscriptionsResponse:
        self.deps.reader()
        size = self.page_sizes.size(request.page_size)
        after = decode_token("webhooks", request.page_token, TEXT)

        async def work(unit: NotifyUnit) -> api.ListWebhookSubscriptionsResponse:
            rows = await unit.webhooks.page(size, after[0] if after else None)
            page = page_of("webhooks", rows, size, lambda s: (s.id,))
            return api.ListWebhookSubscriptionsResponse(
                subscriptions=[subscription_message(s) for s in page.items],
                next_page_token=page.next_token)

        return await self.calls.plain(work)

    async def SetWebhookEnabled(self, request: api.SetWebhookEnabledRequest, context: Any,
                                ) -> api.SetWebhookEnabledResponse:
        reader = self.deps.reader()

        async def work(unit: NotifyUnit) -> api.SetWebhookEnabledResponse:
            if await unit.webhooks.get(request.subscription_id) is None:
                raise NotFound("webhook_subscription", request.subscription_id,
                               reason="SUBSCRIPTION_NOT_FOUND")
            await unit.webhooks.set_enabled(
                request.subscription_id, request.enabled,
                "" if request.enabled else f"disabled by {reader.user_id}")
            found = await unit.webhooks.get(request.subscription_id)
            assert found is not None
            return api.SetWebhookEnabledResponse(subscription=subscription_message(found))

        return await self.calls.plain(work)

    async def ListWebhookDeliveries(self, request: api.ListWebhookDeliveriesRequest,
                                    context: Any) -> api.ListWebhookDeliveriesResponse:
        self.deps.reader()
        size = self.page_sizes.size(request.page_size)
        after = decode_token("deliveries", request.page_token, TIME, TEXT)

        async def work(unit: NotifyUnit) -> api.ListWebhookDeliveriesResponse:
            rows = await unit.webhooks.deliveries(request.subscription_id,
                                                  STATUS_OF.get(request.status, ""), size,
                                                  (after[0], after[1]) if after else None)
            page = page_of("deliveries", rows, size, lambda d: (d.created_at, d.id))
            return api.ListWebhookDeliveriesResponse(
                deliveries=[delivery_message(d) for d in page.items],
                next_page_token=page.next_token)

        return await self.calls.plain(work)


def _fresh() -> str:
    return new_id()


def _prefs_message(p: Prefs) -> pb.Preferences:
    return pb.Preferences(
        email=p.email, mobile=p.mobile, locale=p.locale,
        kinds=[pb.KindChannels(kind=k, channels=[CHANNELS[c] for c in cs])
               for k, cs in sorted((p.kinds or {}).items())])


def _prefs_of(user_id: str, p: pb.Preferences) -> Prefs:
    bad: list[FieldViolation] = []
    email, mobile = normalise(p.email) if p.email else "", normalise(p.mobile) if p.mobile else ""
    if email and not is_email(email):
        bad.append(FieldViolation("preferences.email", "not an e-mail address",
                                  "INVALID_ADDRESS"))
    if mobile and not is_mobile(mobile):
        bad.append(FieldViolation("preferences.mobile", "not a mainland mobile number",
                                  "INVALID_ADDRESS"))
    locale = p.locale or "zh-CN"
    if locale not in LOCALES:
        bad.append(FieldViolation("preferences.locale", "one of " + ", ".join(LOCALES),
                                  "UNKNOWN_LOCALE"))
    kinds: dict[str, list[str]] = {}
    for i, entry in enumerate(p.kinds):
        channels = [CHANNEL_OF.get(c, "") for c in entry.channels]
        if "" in channels or "IN_APP" in channels:
            bad.append(FieldViolation(f"preferences.kinds[{i}].channels",
                                      "EMAIL or SMS (the inbox always gets it)",
                                      "INVALID_CHANNEL"))
        if "EMAIL" in channels and not email:
            bad.append(FieldViolation(f"preferences.kinds[{i}].channels",
                                      "e-mail needs preferences.email", "NO_ADDRESS"))
        if "SMS" in channels and not mobile:
            bad.append(FieldViolation(f"preferences.kinds[{i}].channels",
                                      "SMS needs preferences.mobile", "NO_ADDRESS"))
        kinds[entry.kind] = sorted(set(channels))
    if bad:
        raise InvalidArgument(bad)
    return Prefs(user_id, email, mobile, locale, kinds)

