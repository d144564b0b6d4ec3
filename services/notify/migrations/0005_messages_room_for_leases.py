"""Messages leave room on each page for every message's leased version (HOT)."""

from services.chassis.migrations import run_sql_file

revision = "notify_0005"
down_revision = "notify_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
