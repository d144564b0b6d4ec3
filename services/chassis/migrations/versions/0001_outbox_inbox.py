"""Outbox and inbox tables, in every service's schema."""

from services.chassis.migrations import run_sql_file

revision = "chassis_0001"
down_revision = None
branch_labels = ("chassis",)
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
