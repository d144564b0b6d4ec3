"""Every configurable number and list of the customer domain, with DOMAIN.md defaults.

One frozen tree of dataclasses so ``config.py`` can build it from the environment
and hand it to the handlers; domain functions take the section they need and default
to the documented values, which keeps them callable on their own in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.customer.domain.lead_classes import LeadClass
from services.customer.domain.roles import ADMIN, MANAGER

YUAN = 100  # fen per yuan: money is integer fen everywhere

DEFAULT_LEGAL_FORMS: tuple[str, ...] = (
    # Chinese forms; longest match wins, so generic "公司" only applies when nothing
    # more specific does.
    "集团股份有限公司",
    "集团有限公司",
    "股份有限公司",
    "有限责任公司",
    "股份合作公司",
    "有限公司",
    "分公司",
    "公司",
    "集团",
    "普通合伙",
    "有限合伙",
    "合伙企业",
    "个人独资企业",
    "个体工商户",
    "专业合作社",
    "合作社",
    "工作室",
    "事务所",
    "研究院",
    "研究所",
    "经营部",
    "门市部",
    "商行",
    "中心",
    "工厂",
    "厂",
    "商店",
    "店",
    # Latin forms are matched on whole words, so "Zinc" never looks like "Inc".
    "Co., Ltd.",
    "Company Limited",
    "Limited",
    "Ltd.",
    "Inc.",
    "Incorporated",
    "Corp.",
    "Corporation",
    "Company",
    "Co.",
    "LLC",
    "LLP",
    "LP",
    "PLC",
    "GmbH",
    "AG",
    "S.A.",
    "B.V.",
    "Pte. Ltd.",
    "Pty Ltd",
)

DEFAULT_INDUSTRIES: tuple[str, ...] = (
    "制造业",
    "批发零售",
    "建筑",
    "房地产",
    "空调暖通",
    "机电设备",
    "信息技术",
    "通信",
    "金融",
    "教育",
    "医疗卫生",
    "交通运输",
    "能源",
    "农林牧渔",
    "住宿餐饮",
    "政府机关",
    "其他",
)

DEFAULT_LEVELS: tuple[str, ...] = ("important", "potential", "ordinary")

@dataclass(frozen=True)
class PhoneRules:
    """Phone, postcode and e-mail formats (DOMAIN 1.6)."""

    mobile_length: int = 11
    # Matched at the start of the 11 digits; carriers add prefixes over the years.
    mobile_prefix_pattern: str = r"1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])"
    # Prefix-free alternatives, so an unseparated "052386541234" splits one way only:
    # 010 and 02x are the 3-digit codes, everything else is 0 + 3 digits.
    landline_area_code_pattern: str = r"0(?:10|2\d|[3-9]\d\d)"
    landline_subscriber_min_digits: int = 7
    landline_subscriber_max_digits: int = 8
    landline_extension_max_digits: int = 6
    postcode_length: int = 6
    email_max_length: int = 254

    def __post_init__(self) -> None:
        if not 0 < self.landline_subscriber_min_digits <= self.landline_subscriber_max_digits:
            raise ValueError("landline subscriber digit range is empty")
        if self.mobile_length <= 0 or self.postcode_length <= 0:
            raise ValueError("lengths must be positive")


@dataclass(frozen=True)
class NameRules:
    """Company-name handling and keyword search (DOMAIN 1.1, 1.2)."""

    legal_forms: tuple[str, ...] = DEFAULT_LEGAL_FORMS
    # A keyword of this many digits or more is searched as a phone number.
    phone_keyword_min_digits: int = 7


@dataclass(frozen=True)
class TextRules:
    """Sanity limits on free text; not from the handbooks, so generous."""

    max_short_text: int = 200
    max_long_text: int = 4000


@dataclass(frozen=True)
class LeadRules:
    """Call-center leads (DOMAIN 1.6). The classes are fixed (``LeadClass``: A, B,
    C); which of them must be dispatched to a dealer is the setting."""

    dispatch_classes: frozenset[str] = frozenset({LeadClass.A, LeadClass.B})

    def __post_init__(self) -> None:
        unknown = self.dispatch_classes - set(LeadClass)
        if unknown:
            raise ValueError(f"{', '.join(sorted(unknown))}: not a lead class; lead classes "
                             f"are {', '.join(LeadClass)}")


@dataclass(frozen=True)
class AbcRules:
    """ABC classification by trailing purchase amount (DOMAIN 1.7, handbook 004).

    The handbook gives no figures; these cut points are shipped defaults.
    """

    a_min_fen: int = 1_000_000 * YUAN
    b_min_fen: int = 200_000 * YUAN
    window_days: int = 365

    def __post_init__(self) -> None:
        if self.a_min_fen < self.b_min_fen:
            raise ValueError("class A cut point must not be below class B")
        if self.window_days <= 0:
            raise ValueError("window_days must be positive")


@dataclass(frozen=True)
class VipRules:
    """VIP qualification (DOMAIN 1.7, handbook 000 篇4)."""

    single_purchase_min_fen: int = 10_000 * YUAN
    monthly_total_min_fen: int = 20_000 * YUAN
    # Calendar months are the company's (China, no DST), not UTC's.
    utc_offset_hours: int = 8
    # None: any qualifying history counts; a number: only the last N days.
    lookback_days: int | None = None


@dataclass(frozen=True)
class VisibilityRules:
    """Who sees unmasked phone numbers and e-mails besides the owner (DOMAIN 1.9)."""

    unmasked_roles: frozenset[str] = frozenset({MANAGER, ADMIN})


@dataclass(frozen=True)
class CustomerRules:
    """All customer-domain configuration; build one in ``config.py``, pass sections down."""

    phones: PhoneRules = field(default_factory=PhoneRules)
    names: NameRules = field(default_factory=NameRules)
    text: TextRules = field(default_factory=TextRules)
    leads: LeadRules = field(default_factory=LeadRules)
    abc: AbcRules = field(default_factory=AbcRules)
    vip: VipRules = field(default_factory=VipRules)
    visibility: VisibilityRules = field(default_factory=VisibilityRules)
    levels: tuple[str, ...] = DEFAULT_LEVELS
    # Empty: any industry is accepted.
    industries: tuple[str, ...] = DEFAULT_INDUSTRIES


DEFAULT_RULES = CustomerRules()
