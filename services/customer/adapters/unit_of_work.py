"""The customer repositories on one chassis unit of work (one transaction)."""

from __future__ import annotations

from datetime import datetime

from services.chassis.uow import UnitOfWork
from services.customer.adapters.contract_repository import PostgresContracts
from services.customer.adapters.customer_repository import PostgresCustomers
from services.customer.adapters.lead_repository import PostgresLeads


class PostgresUnitOfWork:
    """Hands out the repositories of ``uow``; their saves write events to its outbox."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.customers = PostgresCustomers(uow.conn, uow.add_event, uow.clock.now)
        self.contracts = PostgresContracts(uow.conn, uow.add_event)
        self.leads = PostgresLeads(uow.conn, uow.add_event)

    def now(self) -> datetime:
        return self.uow.clock.now()
