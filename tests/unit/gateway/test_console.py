"""The web console's pages and strings, without servers: every page renders in both
languages with its security headers; both dictionaries hold the same keys, and every
key the templates and scripts name is in them; nothing is loaded from elsewhere."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from services.chassis.clock import SystemClock
from services.chassis.settings import InfraSettings
from services.gateway.config import GatewaySettings
from services.gateway.console import web
from services.gateway.entrypoints.security import SignedIn
from services.gateway.service_layer.deps import GatewayDeps

CONSOLE = Path(web.__file__).resolve().parent
SCRIPTS = sorted((CONSOLE / "static").rglob("*.js"))
TEMPLATES = sorted((CONSOLE / "templates").glob("*.html"))
KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.]+)["']""")
# Keys handed to the field macro and option lists in templates.
TEMPLATE_KEY = re.compile(r"""["']((?:lead|followup|common|enum|credit|pool)\.[A-Za-z0-9_]+)["']""")


async def _nobody() -> SignedIn:
    raise AssertionError("no API call in these tests")


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    deps = GatewayDeps(GatewaySettings(), InfraSettings(), SystemClock())
    web.install(app, deps, _nobody)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://console.test") as made:
        yield made


def test_both_languages_have_the_same_keys() -> None:
    strings = web.load_strings()
    assert strings["zh-CN"].keys() == strings["en"].keys()
    assert all(strings["zh-CN"].values()) and all(strings["en"].values())


def test_every_key_named_in_templates_and_scripts_exists() -> None:
    keys = web.load_strings()["zh-CN"].keys()
    named: set[str] = set()
    for path in (*SCRIPTS, *TEMPLATES):
        text = path.read_text(encoding="utf-8")
        named |= {k for k in KEY.findall(text) if not k.endswith((".", "_"))}  # not "a." ~ b
        if path.suffix == ".html":
            named |= {k for k in TEMPLATE_KEY.findall(text) if not k.endswith((".", "_"))}
    for chart in ("pool_size", "expiring", "funnel", "activity"):
        named |= {f"charts.{chart}", f"charts.{chart}_about"}
    named |= {f"enum.CREDIT_LEVEL_{level}" for level in ("GREEN", "YELLOW", "RED", "BLACK")}
    for page in (*web.PAGES, web.Page("login"), web.Page("missing")):
        named |= {f"page.{page.name}.title"}
    for page in web.PAGES:
        named |= {f"page.{page.name}.nav", f"page.{page.name}.about"}
    assert sorted(named - keys) == []


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("path", ["/console/login", "/console/nowhere",
                                  *(p.path for p in web.PAGES)])
async def test_every_page_renders_in_both_languages(client: httpx.AsyncClient, path: str,
                                                    locale: str) -> None:
    client.cookies.set(web.LANG_COOKIE, locale)
    answer = await client.get(path)
    assert answer.status_code == (404 if path == "/console/nowhere" else 200), answer.text
    assert answer.headers["content-language"] == locale
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert f'<html lang="{locale}">' in answer.text
    # Only this origin's files; no inline script but the JSON configuration.
    assert not re.search(r"""(src|href)=["']https?://""", answer.text)
    scripts = re.findall(r"<script([^>]*)>", answer.text)
    assert all('type="module" src="/console/static/' in s or 'type="application/json"' in s
               for s in scripts), scripts
    for src in re.findall(r'src="(/console/static/[^"]+)"', answer.text):
        assert (await client.get(src)).status_code == 200, src


async def test_the_default_language_is_chinese_and_unknown_pages_are_404(
        client: httpx.AsyncClient) -> None:
    assert '<html lang="zh-CN">' in (await client.get("/console/")).text
    client.cookies.set(web.LANG_COOKIE, "fr")
    assert '<html lang="zh-CN">' in (await client.get("/console/pool")).text
    missing = await client.get("/console/nowhere")
    assert missing.status_code == 404 and "页面不存在" in missing.text


async def test_the_root_leads_to_the_console_and_the_files_are_served(
        client: httpx.AsyncClient) -> None:
    answer = await client.get("/", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (307, "/console/")
    for path in SCRIPTS:
        served = await client.get(
            f"/console/static/{path.relative_to(CONSOLE / 'static').as_posix()}")
        assert served.status_code == 200
        assert "javascript" in served.headers["content-type"]


def test_no_script_or_style_comes_from_elsewhere() -> None:
    for path in (CONSOLE / "static").rglob("*"):
        if path.suffix in {".js", ".css", ".svg"}:
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(?<![\w/])https?://(?!www\.w3\.org/2000/svg)", text), path
