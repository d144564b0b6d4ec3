"""Sales region and province name themselves: ``sales_region``, ``province``."""

from services.chassis.migrations import run_sql_file

revision = "protection_0004"
down_revision = "protection_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
