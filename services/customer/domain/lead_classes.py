"""The classes of call-center leads (DOMAIN 1.6): a closed set, fixed by the
business rules. Which of them must be dispatched to a dealer is a setting
(``rules.LeadRules.dispatch_classes``)."""

from __future__ import annotations

from enum import StrEnum


class LeadClass(StrEnum):
    A = "A"
    B = "B"
    C = "C"
