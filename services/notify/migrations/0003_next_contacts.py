"""The newest follow-up per customer and author, so a late older one changes nothing."""

from services.chassis.migrations import run_sql_file

revision = "notify_0003"
down_revision = "notify_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
