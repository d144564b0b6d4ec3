"""The public pool as an indexed table written with every claim change."""

from services.chassis.migrations import run_sql_file

revision = "protection_0002"
down_revision = "protection_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
