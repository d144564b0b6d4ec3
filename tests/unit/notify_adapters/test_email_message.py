"""The e-mail as built before it goes on the wire, and how SMTP failures are sorted."""

from __future__ import annotations

import aiosmtplib
import pytest

from services.notify.adapters.email_sender import (
    SmtpSender,
    SmtpSettings,
    build_message,
    classify,
    message_id_header,
    parse_address,
)
from services.notify.domain.outbound import Outbound

SETTINGS = SmtpSettings(from_address="crm@example.com", from_name="客户管理系统")


def test_message_id_is_derived_from_ours() -> None:
    assert message_id_header("0190f3a2-7c1e.7b3d_9f") == "<0190f3a2-7c1e.7b3d_9f@crm.notify>"
    assert message_id_header("m-1", "mail.example.cn") == "<m-1@mail.example.cn>"


@pytest.mark.parametrize("odd", ["has space", "a@b", "<x>", "x..y", ".x", "订单-1", ""])
def test_an_id_that_cannot_be_a_message_id_is_hashed_stably(odd: str) -> None:
    header = message_id_header(odd)
    assert header == message_id_header(odd)
    assert header.startswith("<h") and header.endswith("@crm.notify>")
    assert " " not in header and header.count("@") == 1


def test_the_message_has_utf8_subject_body_and_headers() -> None:
    item = Outbound("m-1", "EMAIL", " wang@example.com ", "保护期提醒", "正文\n")
    message = build_message(item, SETTINGS)
    assert message["Subject"] == "保护期提醒"
    assert message["To"] == "wang@example.com"
    assert message["From"] == "客户管理系统 <crm@example.com>"
    assert message["Message-ID"] == "<m-1@crm.notify>"
    assert message["Date"]
    assert message.get_content() == "正文\n"
    assert message.get_content_charset() == "utf-8"


def test_an_internationalised_domain_goes_out_in_idna() -> None:
    assert parse_address("sales@例子.中国").domain == "xn--fsqu00a.xn--fiqs8s"


@pytest.mark.parametrize("address", [
    "", "plain", "a@", "@b.c", "a b@c.d", "a@b.c\nBcc: x@y.z", "a@b.c, d@e.f",
    "王 <wang@example.com>", "张三@example.com",
])
def test_malformed_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValueError, match="address"):
        parse_address(address)


def test_a_bad_from_address_fails_at_start_up() -> None:
    with pytest.raises(ValueError):
        SmtpSender(SmtpSettings(from_address="not an address"))


def refused(*codes: int) -> aiosmtplib.SMTPRecipientsRefused:
    return aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(code, "no", "a@b.c") for code in codes])


@pytest.mark.parametrize(("exc", "permanent"), [
    (refused(550), True),
    (refused(553), True),
    (refused(450), False),
    (refused(550, 451), False),
    (aiosmtplib.SMTPDataError(554, "rejected as spam"), True),
    (aiosmtplib.SMTPDataError(451, "try later"), False),
    (aiosmtplib.SMTPSenderRefused(421, "closing", "crm@example.com"), False),
    (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), False),
    (aiosmtplib.SMTPConnectResponseError(554, "no service"), False),
    (aiosmtplib.SMTPConnectError("refused"), False),
    (aiosmtplib.SMTPServerDisconnected("gone"), False),
    (aiosmtplib.SMTPReadTimeoutError("slow"), False),
    (TimeoutError(), False),
    (ConnectionResetError(), False),
    (aiosmtplib.SMTPNotSupported("STARTTLS extension not supported by server"), False),
])
def test_failures_are_sorted(exc: BaseException, permanent: bool) -> None:
    result = classify(exc)
    assert not result.ok
    assert result.permanent is permanent
    assert result.error
