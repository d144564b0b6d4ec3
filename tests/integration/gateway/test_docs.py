"""The API documents are served by the gateway itself: nothing from the internet."""

from __future__ import annotations

import re

from tests.integration.gateway.conftest import Http


async def test_the_docs_page_and_its_assets_are_local(http: Http) -> None:
    client = http()
    page = await client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?://", page.text), "the page loads something from elsewhere"
    for asset in re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', page.text):
        loaded = await client.get(asset)
        assert loaded.status_code == 200, asset
    assert "validatorUrl: null" in page.text  # no badge from validator.swagger.io
    document = (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    assert "/api/customers/collisions" in document["paths"]
    for path in document["paths"].values():
        for operation in path.values():
            assert "422" not in operation["responses"]
    older = (await client.get("/docs/openapi-3.0.json")).json()
    assert older["openapi"] == "3.0.3" and older["paths"].keys() == document["paths"].keys()
    assert '"type": "null"' not in str(older).replace("'", '"')
