"""Call-center leads and dealers; contracts, their lines, payments and deliveries."""

from services.chassis.migrations import run_sql_file

revision = "customer_0002"
down_revision = "customer_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
