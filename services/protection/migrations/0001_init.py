"""Protection tables: customer directory, claims, timers, cooldowns, pool counters, history."""

from services.chassis.migrations import run_sql_file

revision = "protection_0001"
down_revision = None
branch_labels = ("protection",)
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
