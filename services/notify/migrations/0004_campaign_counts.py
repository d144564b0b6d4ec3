"""A campaign's messages counted by status, kept by triggers: progress without a count."""

from services.chassis.migrations import run_sql_file

revision = "notify_0004"
down_revision = "notify_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
