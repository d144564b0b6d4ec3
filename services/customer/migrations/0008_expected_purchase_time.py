"""A lead's expected purchase period is named ``expected_purchase_time``, as in the API."""

from services.chassis.migrations import run_sql_file

revision = "customer_0008"
down_revision = "customer_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
