"""Reading the SMS platform's pushes: receipts, replies, opt-outs; refusing bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.notify.adapters.sms_callbacks import (
    Receipt,
    Reply,
    is_opt_out,
    parse_receipts,
    parse_replies,
)

RECEIPT: dict[str, Any] = {
    "phone_number": "13800138000", "biz_id": "932702304080415357^0", "out_id": "m-1",
    "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功",
    "send_time": "2026-12-06 09:59:58", "report_time": "2026-12-06 10:00:00", "sms_size": "1",
}
REPLY: dict[str, Any] = {
    "phone_number": "13800138000", "content": "退订", "send_time": "2026-12-06 10:05:00",
    "sign_name": "云销CRM", "dest_code": "1234", "sequence_id": 1212121,
}


def test_a_receipt_reads_with_china_time_as_utc() -> None:
    assert parse_receipts([RECEIPT]) == [Receipt(
        biz_id="932702304080415357^0", out_id="m-1", phone="13800138000", success=True,
        error_code="DELIVERED", reported_at=datetime(2026, 12, 6, 2, 0, tzinfo=UTC))]


def test_receipts_read_from_the_raw_body_too() -> None:
    failed = {**RECEIPT, "success": False, "err_code": "MOBILE_NOT_ON_SERVICE"}
    body = json.dumps([RECEIPT, failed], ensure_ascii=False).encode()
    assert [r.success for r in parse_receipts(body)] == [True, False]
    assert parse_receipts(body.decode())[1].error_code == "MOBILE_NOT_ON_SERVICE"


def test_optional_receipt_fields_may_be_missing() -> None:
    bare = {k: v for k, v in RECEIPT.items() if k not in ("out_id", "err_code")}
    [receipt] = parse_receipts([bare])
    assert (receipt.out_id, receipt.error_code) == ("", "")


def test_success_as_text_is_accepted() -> None:
    assert not parse_receipts([{**RECEIPT, "success": "false"}])[0].success


def test_an_empty_push_is_no_receipts() -> None:
    assert parse_receipts([]) == []
    assert parse_replies(b"[]") == []


@pytest.mark.parametrize(("payload", "message"), [
    ({"phone_number": "1"}, "JSON array"),
    (b"not json", "not JSON"),
    (["x"], "item 0: must be an object"),
    ([RECEIPT, {**RECEIPT, "biz_id": ""}], "item 1: biz_id is empty"),
    ([{**RECEIPT, "phone_number": 13800138000}], "phone_number must be a string"),
    ([{k: v for k, v in RECEIPT.items() if k != "success"}], "success must be true or false"),
    ([{**RECEIPT, "success": 1}], "success must be true or false"),
    ([{**RECEIPT, "report_time": "2026-12-06T10:00:00Z"}], "YYYY-MM-DD HH:MM:SS"),
    ([{**RECEIPT, "report_time": None}], "report_time must be a string"),
    ([{**RECEIPT, "out_id": 5}], "out_id must be a string"),
])
def test_malformed_receipts_are_refused_saying_why(payload: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_receipts(payload)


def test_a_reply_reads() -> None:
    assert parse_replies([REPLY]) == [Reply(
        phone="13800138000", content="退订", sign_name="云销CRM",
        sent_at=datetime(2026, 12, 6, 2, 5, tzinfo=UTC))]


def test_a_reply_keeps_its_content_as_sent_and_may_lack_a_sign_name() -> None:
    [reply] = parse_replies([{**REPLY, "content": "  好的，谢谢\n", "sign_name": None}])
    assert (reply.content, reply.sign_name) == ("  好的，谢谢\n", "")


@pytest.mark.parametrize(("payload", "message"), [
    ([{**REPLY, "content": None}], "item 0: content must be a string"),
    ([{**REPLY, "send_time": "yesterday"}], "send_time 'yesterday' is not"),
    ([{**REPLY, "phone_number": " "}], "phone_number is empty"),
])
def test_malformed_replies_are_refused_saying_why(payload: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_replies(payload)


@pytest.mark.parametrize("content", ["TD", "td", "Td", " TD\n", "ＴＤ", "ｔｄ", "退订", " 退订 ",
                                     "\u3000退订\u3000"])
def test_opt_out_words(content: str) -> None:
    assert is_opt_out(content)


@pytest.mark.parametrize("content", ["T", "N", "n", "", "TD please", "退订了吗", "T D", "退 订",
                                     "不要退订", "STOP"])
def test_not_opt_out(content: str) -> None:
    assert not is_opt_out(content)
