"""A delivery receipt that comes before its send is recorded waits on the message."""

from services.chassis.migrations import run_sql_file

revision = "notify_0006"
down_revision = "notify_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
