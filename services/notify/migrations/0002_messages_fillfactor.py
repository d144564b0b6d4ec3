"""Messages leave room on each page, so leasing one is a HOT update."""

from services.chassis.migrations import run_sql_file

revision = "notify_0002"
down_revision = "notify_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
