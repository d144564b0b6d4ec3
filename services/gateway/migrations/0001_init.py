"""Gateway tables: users (argon2 hashes, roles, org placement), sign-in attempts, sessions."""

from services.chassis.migrations import run_sql_file

revision = "gateway_0001"
down_revision = None
branch_labels = ("gateway",)
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
