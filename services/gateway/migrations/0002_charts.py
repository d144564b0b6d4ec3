"""Chart read model kept from the protection and customer events: customers, claims,
pool history, stages reached, activity."""

from services.chassis.migrations import run_sql_file

revision = "gateway_0002"
down_revision = "gateway_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
