"""The notify service's outbound side over HTTP: campaigns (create, follow, pause,
resume, cancel, each recipient's status), single messages and the delivery log,
opt-outs, and webhook subscriptions with their delivery log. Who may call each is
notify's access table (managers and above for campaigns, admins for webhooks)."""


from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, Field

from crm.notify.v1 import notify_pb2 as pb
from crm.notify.v1 import notify_service_pb2 as api
from services.gateway.adapters.proto_json import from_json
from services.gateway.adapters.service_clients import NOTIFY
from services.gateway.entrypoints.http_common import (
    ERRORS,
    UUID_PATTERN,
    Body,
    Id,
    IdempotencyKey,
    PageSize,
    PageToken,
    PathId,
    ProtoEnum,
    answer,
    answers,
    service_call,
)
from services.gateway.entrypoints.security import SignedIn, SignedInDep
from services.gateway.service_layer.deps import GatewayDeps

ChannelName = Annotated[str, ProtoEnum(pb.Channel)]
Status = Annotated[str, Query(), ProtoEnum(pb.DeliveryStatus)]
CampaignStatus = Annotated[str, Query(), ProtoEnum(pb.CampaignStatus)]


class SegmentIn(Body):
    addresses: list[Annotated[str, Field(max_length=254)]] = Field(
        default_factory=list, max_length=10000,
        description="mobile numbers or e-mail addresses (by the channel); or a filter:")
    sales_region: str = Field(default="", max_length=200)
    unsigned_only: bool = False
    signed_only: bool = False


class CampaignIn(Body):
    name: str = Field(max_length=200)
    channel: ChannelName
    subject: str = Field(default="", max_length=400, description="e-mail only")
    body: str = Field(max_length=4000, description="Jinja2; {{ name }} is the contact's name")
    sms_template_code: str = Field(default="", max_length=64,
                                   description="SMS: the platform's approved template")
    segment: SegmentIn
    scheduled_at: AwareDatetime | None = Field(default=None, description="default: now")
    rate_per_second: int = Field(default=0, ge=0, le=100000, description="0: the channel's")


class MessageIn(Body):
    channel: ChannelName
    contact_id: Id | None = None
    address: str = Field(default="", max_length=254, description="or a contact_id")
    subject: str = Field(default="", max_length=400)
    body: str = Field(max_length=4000)
    send_at: AwareDatetime | None = None


class OptOutIn(Body):
    address: str = Field(max_length=254)
    opted_out: bool = True
    reason: str = Field(default="", max_length=1000)


class WebhookIn(Body):
    url: str = Field(max_length=2000)
    event_types: list[Annotated[str, Field(max_length=200)]] = Field(
        max_length=100, description='full event names, "<package>.*" or "*"')


class EnabledIn(Body):
    enabled: bool


def router(deps: GatewayDeps, signed_in: SignedInDep) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["outreach"], responses=ERRORS)
    Who = Annotated[SignedIn, Depends(signed_in)]

    call = service_call(deps, NOTIFY)

    @r.post("/campaigns", status_code=201, responses=answers(api.CreateCampaignResponse, 201),
            summary="Create a campaign (sent at its time, within its rate)")
    async def create_campaign(body: CampaignIn, who: Who,
                              idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("CreateCampaign", api.CreateCampaignRequest(
            campaign=from_json(pb.Campaign, body), request_id=idempotency_key), who), 201)

    @r.get("/campaigns", responses=answers(api.ListCampaignsResponse),
           summary="Campaigns, newest first, with their progress")
    async def campaigns(who: Who, status: CampaignStatus = "CAMPAIGN_STATUS_UNSPECIFIED",
                        mine_only: bool = False, page_size: PageSize = 0,
                        page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListCampaigns", from_json(
            api.ListCampaignsRequest, status=status, mine_only=mine_only,
            page_size=page_size, page_token=page_token), who))

    @r.get("/campaigns/{campaign_id}", responses=answers(api.GetCampaignResponse),
           summary="A campaign and its progress")
    async def campaign(campaign_id: PathId, who: Who) -> JSONResponse:
        return answer(await call("GetCampaign", api.GetCampaignRequest(
            campaign_id=campaign_id), who))

    @r.post("/campaigns/{campaign_id}/pause", responses=answers(api.PauseCampaignResponse),
            summary="Pause a running campaign (nothing more is sent until resumed)")
    async def pause(campaign_id: PathId, who: Who) -> JSONResponse:
        return answer(await call("PauseCampaign", api.PauseCampaignRequest(
            campaign_id=campaign_id), who))

    @r.post("/campaigns/{campaign_id}/resume", responses=answers(api.ResumeCampaignResponse),
            summary="Resume a paused campaign")
    async def resume(campaign_id: PathId, who: Who) -> JSONResponse:
        return answer(await call("ResumeCampaign", api.ResumeCampaignRequest(
            campaign_id=campaign_id), who))

    @r.post("/campaigns/{campaign_id}/cancel", responses=answers(api.CancelCampaignResponse),
            summary="Cancel a campaign (nobody not yet sent to gets it)")
    async def cancel(campaign_id: PathId, who: Who) -> JSONResponse:
        return answer(await call("CancelCampaign", api.CancelCampaignRequest(
            campaign_id=campaign_id), who))

    @r.get("/campaigns/{campaign_id}/recipients",
           responses=answers(api.ListCampaignRecipientsResponse),
           summary="Each recipient's message and its status")
    async def recipients(campaign_id: PathId, who: Who,
                         status: Status = "DELIVERY_STATUS_UNSPECIFIED",
                         page_size: PageSize = 0, page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListCampaignRecipients", from_json(
            api.ListCampaignRecipientsRequest, campaign_id=campaign_id, status=status,
            page_size=page_size, page_token=page_token), who))

    @r.post("/messages", status_code=201, responses=answers(api.SendMessageResponse, 201),
            summary="Send one SMS or e-mail (to a contact or an address)")
    async def send(body: MessageIn, who: Who, idempotency_key: IdempotencyKey = "",
                   ) -> JSONResponse:
        return answer(await call("SendMessage", from_json(
            api.SendMessageRequest, body, request_id=idempotency_key), who), 201)

    @r.get("/messages", responses=answers(api.ListMessagesResponse),
           summary="The delivery log: SMS and e-mail by status, channel and campaign")
    async def messages(who: Who, status: Status = "DELIVERY_STATUS_UNSPECIFIED",
                       channel: Annotated[str, Query(), ProtoEnum(pb.Channel)] = (
                           "CHANNEL_UNSPECIFIED"),
                       campaign_id: Annotated[str, Query(pattern=f"^$|{UUID_PATTERN}",
                                                         max_length=36)] = "",
                       page_size: PageSize = 0, page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListMessages", from_json(
            api.ListMessagesRequest, status=status, channel=channel, campaign_id=campaign_id,
            page_size=page_size, page_token=page_token), who))

    @r.put("/opt-outs", responses=answers(api.SetOptOutResponse),
           summary="Opt an address out of (or back into) customer messages")
    async def opt_out(body: OptOutIn, who: Who) -> JSONResponse:
        return answer(await call("SetOptOut", from_json(api.SetOptOutRequest, body), who))

    @r.post("/webhooks", status_code=201,
            responses=answers(api.CreateWebhookSubscriptionResponse, 201),
            summary="Subscribe a URL to events (the signing secret is shown once)")
    async def subscribe(body: WebhookIn, who: Who,
                        idempotency_key: IdempotencyKey = "") -> JSONResponse:
        return answer(await call("CreateWebhookSubscription", from_json(
            api.CreateWebhookSubscriptionRequest, body, request_id=idempotency_key), who), 201)

    @r.get("/webhooks", responses=answers(api.ListWebhookSubscriptionsResponse),
           summary="Webhook subscriptions")
    async def subscriptions(who: Who, page_size: PageSize = 0,
                            page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListWebhookSubscriptions", api.ListWebhookSubscriptionsRequest(
            page_size=page_size, page_token=page_token), who))

    @r.put("/webhooks/{subscription_id}/enabled",
           responses=answers(api.SetWebhookEnabledResponse),
           summary="Enable or disable a subscription")
    async def enable(subscription_id: PathId, body: EnabledIn, who: Who) -> JSONResponse:
        return answer(await call("SetWebhookEnabled", api.SetWebhookEnabledRequest(
            subscription_id=subscription_id, enabled=body.enabled), who))

    @r.get("/webhooks/{subscription_id}/deliveries",
           responses=answers(api.ListWebhookDeliveriesResponse),
           summary="A subscription's delivery log, newest first")
    async def deliveries(subscription_id: PathId, who: Who,
                         status: Status = "DELIVERY_STATUS_UNSPECIFIED",
                         page_size: PageSize = 0, page_token: PageToken = "") -> JSONResponse:
        return answer(await call("ListWebhookDeliveries", from_json(
            api.ListWebhookDeliveriesRequest, subscription_id=subscription_id, status=status,
            page_size=page_size, page_token=page_token), who))

    return r

