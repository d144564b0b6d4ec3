"""Collision search from an ordered side table of name and pinyin-initial grams."""

from services.chassis.migrations import run_sql_file

revision = "customer_0003"
down_revision = "customer_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
