"""What the HTTP handlers may use: settings and clock from the start, the rest once
the app's lifespan has opened the database and the channels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.chassis.clock import Clock
from services.chassis.settings import InfraSettings
from services.gateway.config import GatewaySettings
from services.gateway.service_layer.accounts import Accounts

if TYPE_CHECKING:
    from services.gateway.adapters.service_clients import ServiceClients
    from services.gateway.adapters.tokens import Tokens
    from services.gateway.chart_views import ChartViews
    from services.gateway.views import GatewayViews


@dataclass
class Opened:
    accounts: Accounts
    views: GatewayViews
    clients: ServiceClients
    tokens: Tokens
    charts: ChartViews | None = None


class GatewayDeps:
    def __init__(self, settings: GatewaySettings, infra: InfraSettings, clock: Clock) -> None:
        self.settings = settings
        self.infra = infra
        self.clock = clock
        self._opened: Opened | None = None

    def attach(self, opened: Opened | None) -> None:
        self._opened = opened

    @property
    def opened(self) -> Opened:
        if self._opened is None:
            raise RuntimeError("the gateway is not started (its lifespan has not run)")
        return self._opened

    @property
    def accounts(self) -> Accounts:
        return self.opened.accounts

    @property
    def views(self) -> GatewayViews:
        return self.opened.views

    @property
    def clients(self) -> ServiceClients:
        return self.opened.clients

    @property
    def tokens(self) -> Tokens:
        return self.opened.tokens

    @property
    def charts(self) -> ChartViews:
        if self.opened.charts is None:
            raise RuntimeError("the charts' read model is not open")
        return self.opened.charts
