"""Message templates per kind and locale (zh-CN by default, en), in Jinja2.

Each template is a subject line and a body. Rendering is strict: a parameter a
template uses but the caller did not give is an error, never an empty gap in a
message a customer reads. Templates render in a sandbox (campaign bodies are
written by users).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

DEFAULT_LOCALE = "zh-CN"
LOCALES = ("zh-CN", "en")

# services/notify/templates/<kind>.<locale>.txt: the subject on the first line,
# a blank line, then the body.
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"


def _load() -> dict[str, dict[str, tuple[str, str]]]:
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for path in sorted(TEMPLATE_DIR.glob("*.txt")):
        kind, _, locale = path.stem.partition(".")
        subject, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        found.setdefault(kind, {})[locale] = (subject.strip(), body.strip())
    return found


TEMPLATES = _load()

class _Sandbox(SandboxedEnvironment):
    """No arithmetic that builds huge values: ``**`` with a large exponent and ``*``
    repeating a string or a list many times (user-written campaign bodies)."""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise TemplateProblem("exponent too large")
        if operator == "*":
            counts = [v for v in (left, right) if isinstance(v, int)]
            repeats = [v for v in (left, right) if isinstance(v, str | list | tuple)]
            if repeats and counts and counts[0] * max(1, len(repeats[0])) > 10_000:
                raise TemplateProblem("repetition too large")
        return super().call_binop(context, operator, left, right)


_ENV = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


class TemplateProblem(ValueError):
    """An unknown kind, or a template that does not render with the parameters."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def locale_of(locale: str) -> str:
    return locale if locale in LOCALES else DEFAULT_LOCALE


def source(kind: str, locale: str) -> tuple[str, str]:
    by_locale = TEMPLATES.get(kind)
    if by_locale is None:
        raise TemplateProblem(f"unknown message kind {kind!r}")
    return by_locale.get(locale_of(locale)) or by_locale[DEFAULT_LOCALE]


@functools.lru_cache(maxsize=1024)
def _compiled(text: str) -> Template:
    """Compiling is most of a render's cost: each text once (a few dozen kinds, a
    campaign body each)."""
    return _ENV.from_string(text)


def render_text(text: str, params: Mapping[str, str]) -> str:
    """Render ``text``; whatever goes wrong (a Jinja error, a division by zero in a
    user-written body, a value too large) is a ``TemplateProblem``."""
    try:
        return _compiled(text).render(**params).strip()
    except TemplateProblem:
        raise
    except Exception as error:
        raise TemplateProblem(f"{type(error).__name__}: {error}") from None


def render(kind: str, locale: str, params: Mapping[str, str]) -> Rendered:
    subject, body = source(kind, locale)
    return Rendered(render_text(subject, params), render_text(body, params))


def parameters(text: str) -> set[str]:
    try:
        return set(meta.find_undeclared_variables(_ENV.parse(text)))
    except TemplateError as error:
        raise TemplateProblem(str(error)) from None


def parameters_of(kind: str, locale: str = DEFAULT_LOCALE) -> list[str]:
    subject, body = source(kind, locale)
    return sorted(parameters(subject) | parameters(body))
