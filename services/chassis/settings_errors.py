"""A bad setting, said in one line: which variable, the value it had, the expected form.

pydantic names the *field* of the settings class and prints a page; the person
who set ``PROTECTION_POTENTIAL_DURATION=abc`` wants to read::

    protection: PROTECTION_POTENTIAL_DURATION='abc' is not valid: expected a duration
    (ISO 8601 like P30D or PT12H, or seconds)
"""

from __future__ import annotations

import os
import re
import types
import typing
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, SettingsError

_FORMS: list[tuple[type, str]] = [
    (bool, "true or false"),
    (int, "a whole number"),
    (float, "a number"),
    (timedelta, "a duration (ISO 8601 like P30D or PT12H, or seconds)"),
    (datetime, "a time (ISO 8601 like 2026-01-01T00:00:00Z)"),
    (date, "a date (YYYY-MM-DD)"),
    (dict, "a JSON object"),
    (list, "a JSON list"),
    (tuple, "a JSON list"),
    (frozenset, "a JSON list"),
]


def _settings_classes() -> dict[str, type[BaseSettings]]:
    found: dict[str, type[BaseSettings]] = {}
    pending: list[type[BaseSettings]] = [BaseSettings]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            found.setdefault(sub.__name__, sub)
            pending.append(sub)
    return found


def _expected(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        forms = [_expected(a) for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(f for f in forms if f)
    target = origin or annotation
    if isinstance(target, type):
        if issubclass(target, BaseModel):
            return "a JSON object"
        for kind, form in _FORMS:
            if issubclass(target, kind):
                return form
    return ""


def explain(error: ValidationError, *, service: str = "") -> list[str]:
    """One line per invalid setting, naming its environment variable."""
    cls = _settings_classes().get(error.title)
    prefix = str(cls.model_config.get("env_prefix", "")) if cls is not None else ""
    lines = []
    for problem in error.errors():
        loc = [str(part) for part in problem["loc"]]
        field = loc[0] if loc else ""
        variable = f"{prefix}{field}".upper() if field else error.title
        info = cls.model_fields.get(field) if cls is not None else None
        expected = _expected(info.annotation) if info is not None else ""
        raw = os.environ.get(variable)
        shown = repr(raw) if raw is not None else "(not set)"
        inner = f" at {'.'.join(loc[1:])}" if len(loc) > 1 else ""
        why = problem["msg"]
        if problem["type"] in ("value_error", "assertion_error"):
            why = why.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        # A model-level check (several settings together) names its variables itself.
        text = f"{variable}={shown} is not valid{inner}: {why}" if field else why
        kind = problem["type"]
        if expected and len(loc) == 1 and (kind.endswith(("_parsing", "_type"))
                                           or kind.startswith("json")):
            text += f"; expected {expected}"
        lines.append(f"{service}: {text}" if service else text)
    return lines


def explain_unparsed(error: SettingsError, *, service: str = "") -> list[str]:
    """A complex setting (JSON) that is not JSON: pydantic-settings names only the field."""
    match = re.search(r'field "([^"]+)"', str(error))
    field = match.group(1) if match else ""
    for cls in _settings_classes().values():
        variable = f"{cls.model_config.get('env_prefix', '')}{field}".upper()
        if field in cls.model_fields and variable in os.environ:
            info = cls.model_fields[field]
            expected = _expected(info.annotation) or "valid JSON"
            text = f"{variable}={os.environ[variable]!r} is not valid: expected {expected}"
            return [f"{service}: {text}" if service else text]
    return [f"{service}: {error}" if service else str(error)]
