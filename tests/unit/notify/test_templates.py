"""Templates per kind and locale: every one renders with the parameters it declares,
strictly (a missing parameter is an error), in a sandbox."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from services.notify.domain.message import Planned
from services.notify.domain.reminders import (
    ClaimFact,
    CreditFact,
    for_claim,
    for_credit_step,
    next_contact,
    payment_reminders,
)
from services.notify.domain.templates import (
    DEFAULT_LOCALE,
    LOCALES,
    TEMPLATES,
    Rendered,
    TemplateProblem,
    locale_of,
    parameters,
    parameters_of,
    render,
    render_text,
    source,
)

from .common import NOW

KINDS = {
    "birthday_greeting", "birthday_reminder", "claim_approved", "claim_expired",
    "claim_expiring", "claim_extended", "claim_promoted", "claim_rejected", "contact_cadence",
    "credit_chain_overran", "credit_downgraded", "credit_hold", "credit_hold_decided",
    "credit_step", "credit_step_due_soon", "credit_step_overdue", "holiday_greeting",
    "message", "next_contact", "payment_due", "payment_overdue", "request_refused",
    "request_waiting", "review_queue",
}
EVERY = [(kind, locale) for kind in sorted(KINDS) for locale in LOCALES]


def test_locales() -> None:
    assert DEFAULT_LOCALE == "zh-CN"
    assert LOCALES == ("zh-CN", "en")


def test_every_kind_has_both_locales() -> None:
    assert set(TEMPLATES) == KINDS
    for kind in KINDS:
        assert set(TEMPLATES[kind]) == {"zh-CN", "en"}, kind


@pytest.mark.parametrize(("kind", "locale"), EVERY)
def test_every_template_renders_with_its_parameters(kind: str, locale: str) -> None:
    names = parameters_of(kind, locale)
    assert names, kind  # every template says something particular
    params = {name: f"<{name}>" for name in names}
    rendered = render(kind, locale, params)
    assert rendered.subject
    assert rendered.body
    text = rendered.subject + "\n" + rendered.body
    for name in names:
        assert f"<{name}>" in text
    assert "{{" not in text
    assert "}}" not in text


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_both_locales_take_the_same_parameters(kind: str) -> None:
    assert parameters_of(kind, "zh-CN") == parameters_of(kind, "en")


@pytest.mark.parametrize(("kind", "locale"), EVERY)
def test_a_missing_parameter_is_an_error(kind: str, locale: str) -> None:
    names = parameters_of(kind, locale)
    for missing in names:
        params = {name: "x" for name in names if name != missing}
        with pytest.raises(TemplateProblem, match=f"'{missing}' is undefined"):
            render(kind, locale, params)


@pytest.mark.parametrize(("kind", "names"), [
    ("claim_approved", ["customer_name", "expires_at"]),
    ("claim_rejected", ["customer_name", "deadline", "reason"]),
    ("request_waiting", ["customer_name", "owner_name", "reason", "request"]),
    ("payment_due", ["contract_number", "customer_name", "due_date", "outstanding"]),
    ("credit_step", ["customer_name", "due_at", "step"]),
    ("credit_hold_decided", ["customer_name", "note", "order", "outcome"]),
    ("birthday_greeting", ["contact_name"]),
    ("holiday_greeting", ["contact_name", "holiday"]),
    ("message", ["body", "subject"]),
])
def test_parameters_of(kind: str, names: list[str]) -> None:
    assert parameters_of(kind) == names


def test_a_rendering_in_each_locale() -> None:
    params = {"customer_name": "华东钢铁", "expires_at": "2026-04-01 00:00"}
    assert render("claim_approved", "zh-CN", params) == Rendered(
        "保护申请已通过", "您对 华东钢铁 的保护已通过，有效期至 2026-04-01 00:00。")
    assert render("claim_approved", "en", params) == Rendered(
        "Claim approved", "Your claim on 华东钢铁 was approved; it runs until 2026-04-01 00:00.")


def test_a_parameter_in_the_subject() -> None:
    params = {"contract_number": "HT-1", "customer_name": "华东钢铁", "due_date": "2026-04-10",
              "outstanding": "1,000.00"}
    assert render("payment_due", "en", params) == Rendered(
        "Payment due: HT-1",
        "Contract HT-1 (华东钢铁) is due on 2026-04-10; 1,000.00 yuan outstanding.")


@pytest.mark.parametrize("locale", ["fr", "", "zh", "EN", "zh-TW"])
def test_an_unknown_locale_is_the_default(locale: str) -> None:
    assert locale_of(locale) == "zh-CN"
    params = {"contact_name": "王总"}
    assert render("birthday_greeting", locale, params) == Rendered(
        "生日快乐", "王总，祝您生日快乐，万事如意！")


def test_known_locales_are_kept() -> None:
    assert locale_of("en") == "en"
    assert locale_of("zh-CN") == "zh-CN"
    assert source("birthday_greeting", "en") == (
        "Happy birthday", "Happy birthday, {{ contact_name }}! Best wishes.")


def test_extra_parameters_are_ignored() -> None:
    assert render("birthday_greeting", "en", {"contact_name": "Wang", "other": "x"}) == Rendered(
        "Happy birthday", "Happy birthday, Wang! Best wishes.")


@pytest.mark.parametrize("call", ["render", "source", "parameters_of"])
def test_an_unknown_kind_is_refused(call: str) -> None:
    with pytest.raises(TemplateProblem, match="unknown message kind 'no_such_kind'"):
        if call == "render":
            render("no_such_kind", "en", {})
        elif call == "source":
            source("no_such_kind", "en")
        else:
            parameters_of("no_such_kind")


def test_parameter_values_are_text_not_templates() -> None:
    assert render_text("Hi {{ name }}", {"name": "{{ 7 * 7 }} <b>&</b>"}) == (
        "Hi {{ 7 * 7 }} <b>&</b>")  # neither evaluated nor HTML-escaped


def test_render_text_strips() -> None:
    assert render_text("  Hi {{ name }}\n\n", {"name": "Li"}) == "Hi Li"


def test_parameters() -> None:
    assert parameters("{{ name }} {{ name }} {% if vip %}{{ title }}{% endif %}") == {
        "name", "vip", "title"}
    assert parameters("{% set x = 1 %}{{ x }}{% for c in items %}{{ c }}{% endfor %}") == {
        "items"}
    assert parameters("plain text") == set()


@pytest.mark.parametrize("text", ["{% for %}", "{{ name", "{% if x %}", "{{ }}"])
def test_a_broken_template_is_a_template_problem(text: str) -> None:
    with pytest.raises(TemplateProblem):
        parameters(text)
    with pytest.raises(TemplateProblem):
        render_text(text, {"name": "Li", "x": "1"})


@pytest.mark.parametrize("text", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ name.__class__ }}",
    "{{ name.__len__() }}",
    "{{ ''|attr('__class__') }}",
    "{{ name['__class__'] }}",
    "{{ '{0.__class__}'.format(name) }}",
    "{{ '{x.__class__}'.format_map({'x': name}) }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ joiner.__init__.__globals__.os }}",
    "{{ self.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
])
def test_the_sandbox_refuses_attribute_tricks(text: str) -> None:
    with pytest.raises(TemplateProblem, match=r"access to attribute '__[a-z]+__' of .* unsafe"):
        render_text(text, {"name": "Li"})


@pytest.mark.parametrize("text", [
    "{{ 1 / 0 }}",
    "{{ name + 1 }}",
    "{{ range(200000) | list | length }}",
])
def test_a_template_failing_at_render_time_is_a_template_problem(text: str) -> None:
    with pytest.raises(TemplateProblem):
        render_text(text, {"name": "Li"})


# ---------------------------------------------------------------- the reminders' params

CLAIM = ClaimFact(event="", claim_id="c-1", customer_id="cu-1", customer_name="华东钢铁",
                  owner_id="alice", owner_name="Alice", department="d1", sales_region="east",
                  version=4, expires_at=NOW, occurred_at=NOW, reason="r", deadline=NOW)
CREDIT = CreditFact(event="", change_id="lc-1", customer_id="cu-1", customer_name="华东钢铁",
                    step="FILE", role="key_account_office", sales_region="shanghai",
                    large_region="east-large", due_at=NOW, occurred_at=NOW)


def planned_by_reminders() -> list[Planned]:
    out: list[Planned] = []
    for event in ("CustomerClaimed", "PromotionRequested", "ClaimExpiring", "ClaimApproved",
                  "ClaimRejected", "ClaimPromoted", "ClaimExtended", "ClaimExpired",
                  "PromotionRefused"):
        out += for_claim(ClaimFact(**{**CLAIM.__dict__, "event": event}))
    for event in ("LevelChangeStepOpened", "LevelChangeStepDueSoon", "LevelChangeStepOverdue",
                  "LevelChangeOverran"):
        out += for_credit_step(CreditFact(**{**CREDIT.__dict__, "event": event}))
    out.append(next_contact(follow_up_id="f-1", customer_id="cu-1", customer_name="华东钢铁",
                            author_id="alice", at=datetime(2026, 3, 3, tzinfo=UTC)))
    out += payment_reminders(contract_id="k-1", contract_number="HT-1", customer_id="cu-1",
                             customer_name="华东钢铁", owner_id="alice", due=date(2026, 4, 10),
                             outstanding_fen=100, days_ahead=3, hour=time(9, 0))
    return out


def test_the_reminders_cover_their_kinds() -> None:
    assert {p.kind for p in planned_by_reminders()} == {
        "review_queue", "request_waiting", "claim_expiring", "claim_approved",
        "claim_rejected", "claim_promoted", "claim_extended", "claim_expired",
        "request_refused", "credit_step", "credit_step_due_soon", "credit_step_overdue",
        "credit_chain_overran", "next_contact", "payment_due", "payment_overdue"}


@pytest.mark.parametrize("locale", LOCALES)
def test_what_the_reminders_plan_renders(locale: str) -> None:
    for p in planned_by_reminders():
        assert set(parameters_of(p.kind, locale)) <= set(p.params), p.kind
        render(p.kind, locale, p.params)
