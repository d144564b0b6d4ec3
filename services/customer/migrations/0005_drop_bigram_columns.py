"""Drop the unused bigram columns; merges the 0003 and 0004 branches."""

from services.chassis.migrations import run_sql_file

revision = "customer_0005"
down_revision = ("customer_0003", "customer_0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
