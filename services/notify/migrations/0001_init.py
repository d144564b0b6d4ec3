"""Notify tables: messages, reads, read model, opt-outs, preferences, campaigns, webhooks."""

from services.chassis.migrations import run_sql_file

revision = "notify_0001"
down_revision = None
branch_labels = ("notify",)
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
