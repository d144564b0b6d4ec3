"""Customers, their phones, contacts, follow-ups, audit trail and owner read model."""

from services.chassis.migrations import run_sql_file

revision = "customer_0001"
down_revision = None
branch_labels = ("customer",)
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
