"""Classification ageing timer (customers.classification_due_at) and contract cancellation.

Branches from customer_0002 beside customer_0003 (written concurrently, also
from 0002). The two touch different things and migrations upgrade to "heads",
so both branches apply in either order; customer_0005 merges them.
"""

from services.chassis.migrations import run_sql_file

revision = "customer_0004"
down_revision = "customer_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file(__file__)
