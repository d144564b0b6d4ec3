"""Credit tables: profiles, contract facts, level changes, timers, assessments, holds, reads."""

from services.chassis.migrations import run_sql_file

revision = "credit_0001"
down_revision = None
branch_labels = ("credit",)
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
