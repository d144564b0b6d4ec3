"""Role names carried in the caller's identity token.

Plain strings, because the token is the source of truth; these constants only
keep spelling consistent. Which roles unlock what is configured in ``rules``.
"""

from __future__ import annotations

PRE_SALES = "pre_sales"
AFTER_SALES = "after_sales"
CALL_CENTER_AGENT = "call_center_agent"
DEALER = "dealer"
REVIEWER = "reviewer"
MANAGER = "manager"
KEY_ACCOUNT_OFFICE = "key_account_office"
KEY_ACCOUNT_DEPT = "key_account_dept"
KEY_ACCOUNT_CENTER = "key_account_center"
MARKETING_DIRECTOR = "marketing_director"
ADMIN = "admin"
# Another service of the system calling with its own identity.
SYSTEM = "system"

ALL_ROLES: frozenset[str] = frozenset(
    {
        PRE_SALES,
        AFTER_SALES,
        CALL_CENTER_AGENT,
        DEALER,
        REVIEWER,
        MANAGER,
        KEY_ACCOUNT_OFFICE,
        KEY_ACCOUNT_DEPT,
        KEY_ACCOUNT_CENTER,
        MARKETING_DIRECTOR,
        ADMIN,
    }
)
