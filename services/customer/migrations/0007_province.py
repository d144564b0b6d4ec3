"""The customer's and the dealer's administrative region is named ``province``."""

from services.chassis.migrations import run_sql_file

revision = "customer_0007"
down_revision = "customer_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
