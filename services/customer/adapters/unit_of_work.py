"""The customer repositories on one chassis unit of work (one transaction)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.chassis.uow import UnitOfWork
from services.customer.adapters.contract_repository import PostgresContracts
from services.customer.adapters.customer_repository import PostgresCustomers
from services.customer.adapters.lead_repository import PostgresLeads


class PostgresUnitOfWork:
    """Hands out the repositories of ``uow``; their saves write events to its outbox.

    ``conn`` stands in for the unit's connection (a test counts statements with it).
    """

    def __init__(self, uow: UnitOfWork, conn: asyncpg.Connection | None = None) -> None:
        self.uow = uow
        conn = uow.conn if conn is None else conn
        self.customers = PostgresCustomers(conn, uow.add_event, uow.clock.now)
        self.contracts = PostgresContracts(conn, uow.add_event)
        self.leads = PostgresLeads(conn, uow.add_event)

    def now(self) -> datetime:
        return self.uow.clock.now()
