"""Customers nobody has claimed yet are in the public pool too (their pool entries)."""

from services.chassis.migrations import run_sql_file

revision = "protection_0003"
down_revision = "protection_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
