"""The holder's display name in the owner read model."""

from services.chassis.migrations import run_sql_file

revision = "customer_0006"
down_revision = "customer_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
