"""Request builders shared by the customer service tests."""

from __future__ import annotations

import itertools
from typing import Any

from crm.customer.v1 import customer_service_pb2 as rpc

_seq = itertools.count(1000)


def mobile() -> str:
    return f"139{next(_seq):08d}"


def customer_input(name: str, **overrides: Any) -> rpc.CustomerInput:
    values: dict[str, Any] = {"name": name, "address": "江苏省靖江市人民路1号",
                              "industry": "空调暖通", "mobile": mobile(),
                              "introduction": "空调安装与维修", "province": "江苏"}
    values.update(overrides)
    return rpc.CustomerInput(**values)
