"""Addresses: mainland mobile numbers and e-mail addresses, normalised and masked."""

from __future__ import annotations

import re
import unicodedata

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


def normalise(address: str) -> str:
    """Full-width digits and spaces folded; +86 and separators dropped from numbers;
    e-mail addresses lower-cased."""
    text = unicodedata.normalize("NFKC", address).strip()
    if "@" in text:
        return text.lower()
    digits = re.sub(r"[\s\-()]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def is_mobile(address: str) -> bool:
    return bool(_MOBILE.fullmatch(address))


def is_email(address: str) -> bool:
    return bool(_EMAIL.fullmatch(address)) and len(address) <= 254


def mask(address: str) -> str:
    """138****5678, z***@example.com."""
    if is_mobile(address):
        return f"{address[:3]}****{address[-4:]}"
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return "***" if address else ""
