"""Field validation shared by customers, contacts and leads.

Parsers take raw input and return the normalised value or raise a one-field
``InvalidArgument``; ``Violations`` runs many of them and raises one error that
lists every broken field, which is what the agents' form needs (DOMAIN 1.6).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Concatenate, ParamSpec, TypeVar

from services.chassis.errors import FieldViolation, InvalidArgument
from services.customer.domain.errors import Reason, invalid_field
from services.customer.domain.rules import PhoneRules, TextRules

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_PHONE_RULES = PhoneRules()
DEFAULT_TEXT_RULES = TextRules()

_WHITESPACE = re.compile(r"\s+")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")


class Violations:
    """Collects field violations; ``raise_if_any`` turns them into one ``InvalidArgument``."""

    def __init__(self) -> None:
        self._items: list[FieldViolation] = []

    def add(self, field: str, description: str, reason: Reason | str) -> None:
        self._items.append(FieldViolation(field, description, str(reason)))

    def check(
        self, field: str, parse: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T | None:
        """Run ``parse``; on failure record its violations under ``field`` and return None."""
        try:
            return parse(*args, **kwargs)
        except InvalidArgument as exc:
            for v in exc.violations:
                self._items.append(FieldViolation(field, v.description, v.reason))
            return None

    def check_required(
        self,
        field: str,
        parse: Callable[Concatenate[str, P], T],
        raw: str | None,
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T | None:
        """Like ``check``, but a blank ``raw`` is recorded as REQUIRED."""
        if not clean_text(raw):
            self.add(field, "is required", Reason.REQUIRED)
            return None
        return self.check(field, parse, raw or "", *args, **kwargs)

    def check_optional(
        self,
        field: str,
        parse: Callable[Concatenate[str, P], T],
        raw: str | None,
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T | None:
        """Like ``check``, but a blank ``raw`` is simply absent (None)."""
        if not clean_text(raw):
            return None
        return self.check(field, parse, raw or "", *args, **kwargs)

    def absorb(self, exc: InvalidArgument, prefix: str) -> None:
        """Take a nested validator's violations, e.g. prefix ``contacts[0]``."""
        for v in exc.violations:
            self._items.append(FieldViolation(f"{prefix}.{v.field}", v.description, v.reason))

    def check_text(self, field: str, value: str, max_length: int) -> None:
        """Record what is wrong with free text kept as given (see ``text_violation``)."""
        problem = text_violation(value, field=field, max_length=max_length)
        if problem is not None:
            self._items.append(problem)

    def raise_if_any(self) -> None:
        if self._items:
            raise InvalidArgument(list(self._items))

    @property
    def items(self) -> tuple[FieldViolation, ...]:
        return tuple(self._items)

    def fields(self) -> list[str]:
        return [v.field for v in self._items]

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[FieldViolation]:
        return iter(self._items)


def clean_text(raw: str | None) -> str:
    """Full-width to half-width, whitespace runs to one space, trimmed; None to ''."""
    if raw is None:
        return ""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", raw)).strip()


def optional_text(
    raw: str | None,
    *,
    field: str = "text",
    max_length: int = DEFAULT_TEXT_RULES.max_short_text,
) -> str | None:
    """Cleaned text, or None when blank."""
    text = clean_text(raw)
    if not text:
        return None
    problem = text_violation(text, field=field, max_length=max_length)
    if problem is not None:
        raise InvalidArgument([problem])
    return text


def text_violation(value: str, *, field: str, max_length: int) -> FieldViolation | None:
    """Length and control characters of free text, without normalising it.

    Control characters (NUL above all, which PostgreSQL cannot store) are never
    part of a legitimate name, address or note; line breaks and tabs are.
    """
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in value):
        return FieldViolation(field, "contains control characters", Reason.INVALID_TEXT)
    if len(value) > max_length:
        return FieldViolation(field, f"must be at most {max_length} characters",
                              Reason.TOO_LONG)
    return None


def required_text(
    raw: str | None,
    *,
    field: str = "text",
    max_length: int = DEFAULT_TEXT_RULES.max_short_text,
) -> str:
    text = optional_text(raw, field=field, max_length=max_length)
    if text is None:
        raise invalid_field(field, "is required", Reason.REQUIRED)
    return text


def parse_postcode(
    raw: str, *, field: str = "postcode", rules: PhoneRules = DEFAULT_PHONE_RULES
) -> str:
    """A Chinese postcode: exactly ``rules.postcode_length`` digits, spaces tolerated."""
    digits = _WHITESPACE.sub("", unicodedata.normalize("NFKC", raw))
    if not (digits.isascii() and digits.isdigit()) or len(digits) != rules.postcode_length:
        description = f"postcode must be exactly {rules.postcode_length} digits"
        raise invalid_field(field, description, Reason.INVALID_POSTCODE)
    return digits


def parse_email(raw: str, *, field: str = "email", rules: PhoneRules = DEFAULT_PHONE_RULES) -> str:
    """Basic syntax only (no DNS): local@label.label..., domain lowercased, local part kept."""
    text = unicodedata.normalize("NFKC", raw).strip()
    problem = _email_problem(text, rules.email_max_length)
    if problem:
        raise invalid_field(field, problem, Reason.INVALID_EMAIL)
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _email_problem(text: str, max_length: int) -> str | None:
    if not text:
        return "e-mail is empty"
    if len(text) > max_length:
        return f"e-mail must be at most {max_length} characters"
    if text.count("@") != 1:
        return "e-mail must contain exactly one '@'"
    local, domain = text.split("@")
    if not local or len(local) > 64 or not _EMAIL_LOCAL.fullmatch(local):
        return "e-mail has an invalid part before '@'"
    labels = domain.lower().split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return "e-mail has an invalid domain"
    if not _TLD.fullmatch(labels[-1]):
        return "e-mail has an invalid top-level domain"
    return None


def parse_website(raw: str, *, field: str = "website") -> str:
    """A web address with or without scheme; the host must look like a domain."""
    text = unicodedata.normalize("NFKC", raw).strip()
    match = re.fullmatch(r"(?:(https?)://)?([^/\s?#:]+)(:\d{1,5})?([/?#]\S*)?", text, re.IGNORECASE)
    host = match.group(2).lower() if match else ""
    labels = host.split(".")
    if not match or len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(lb) for lb in labels):
        raise invalid_field(field, "website must be a web address like www.example.com",
                            Reason.INVALID_WEBSITE)
    scheme = f"{match.group(1).lower()}://" if match.group(1) else ""
    return f"{scheme}{host}{match.group(3) or ''}{match.group(4) or ''}"
