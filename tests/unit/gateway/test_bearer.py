"""The gateway reads the bearer token as FastAPI's ``HTTPBearer(auto_error=False)``
does, without building its pydantic model per request."""

from __future__ import annotations

import pytest
from fastapi.security import HTTPBearer
from starlette.requests import Request

from services.gateway.entrypoints.security import bearer_token


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Bearer  ", "Bearer abc", "bearer abc", "BEARER abc",
    "Bearer   abc  ", "Basic abc", "Bearerabc", " Bearer abc", "Bearer a b", "Token abc",
    "Bearer\tabc",
])
async def test_the_token_is_what_http_bearer_reads(header: str | None) -> None:
    headers = [] if header is None else [(b"authorization", header.encode())]
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": headers,
                       "query_string": b""})
    credentials = await HTTPBearer(auto_error=False)(request)
    expected = credentials.credentials if credentials is not None else None
    assert bearer_token(request.headers.get("authorization", "")) == expected
