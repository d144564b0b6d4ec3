"""Tables the chassis integration tests write: business rows and handler effects."""

from services.chassis.migrations import run_sql_file

revision = "chassis_test_0001"
down_revision = None
branch_labels = ("chassis_test",)
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
