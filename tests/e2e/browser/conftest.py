"""Browser tests of the web console: headless Chromium from Debian's ``chromium``
package, driven by Playwright (``executable_path``; Playwright's own browser download is
never used), against the four services and the gateway, each its own process, started
once for the whole browser suite (package-scoped: stopped when its last test is done).

Every test gets a fresh browser context (zh-CN, China time) and a ``console`` helper
that signs in, opens pages and saves screenshots under
``.artifacts/screenshots/<test>/`` (a last one when the test fails, with the page's
console output beside it). An uncaught error in the page's JavaScript fails the test.

No Chromium found is a failure that says how to install it, never a skip:
``make install`` (deploy/local/install.sh) installs it on Debian/Ubuntu as root;
``CRM_CHROMIUM=/path/to/chromium`` names another one.

Notify sends SMS to the fake SMS platform of deploy/local (``stack.sms``), whose
delivery receipts come back to it, with its quiet hours moved out of the way.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Generator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import pytest_asyncio

from services.chassis.settings import InfraSettings
from services.gateway.bootstrap import seed_demo_users
from services.gateway.config import GatewaySettings
from services.gateway.service_layer.demo import DEMO_PASSWORD
from services.kit.working_days import CHINA_TZ
from tests.e2e.browser.support import Api, Stack
from tests.integration.gateway.support import GatewayProcess
from tests.support.local_fakes import SMS_API_KEY, fakes
from tests.support.processes import ROOT, ServiceProcess, free_port
from tests.support.rabbit import RabbitNames

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright

SERVICES = ("customer", "protection", "credit", "notify")
ARTIFACTS = ROOT / ".artifacts" / "screenshots"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Headless as root in a container: no sandbox, and nothing that phones home (the
# machine's network is closed; such connections only slow the start).
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-default-apps", "--mute-audio"]
# A region whose potential stage lasts hours, so "claims expiring this week" has some.
SHORT_REGION = "cn-south"
SMS_CALLBACK_TOKEN = "browser-callback-token"


def quiet_hours_away() -> dict[str, Any]:
    """Notify's quiet hours as one minute twelve hours from now (China time), so campaign
    SMS go out at once whenever the suite runs (the default 22:00-08:00 would hold them
    until morning)."""
    start = (datetime.now(CHINA_TZ) + timedelta(hours=12)).replace(second=0, microsecond=0)
    return {"quiet_start": start.time(), "quiet_end": (start + timedelta(minutes=1)).time()}


def chromium_executable() -> str:
    named = os.environ.get("CRM_CHROMIUM", "")
    for candidate in (named, *CHROMIUM_CANDIDATES, shutil.which("chromium") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "the browser tests need Chromium and none was found "
        f"({named or 'CRM_CHROMIUM unset'}, {', '.join(CHROMIUM_CANDIDATES)}). "
        "`make install` installs Debian's chromium on Debian/Ubuntu as root "
        "(deploy/local/install.sh); elsewhere install Chromium and set "
        "CRM_CHROMIUM=/path/to/chromium.", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[
        None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def sms_platform() -> AsyncIterator[Any]:
    """The fake SMS platform (deploy/local) notify sends campaign SMS to; its delivery
    receipts go back to notify's callback server."""
    provider = fakes("fake_sms_provider").FakeSmsProvider(
        api_key=SMS_API_KEY, receipt_delay=0.05, callback_token=SMS_CALLBACK_TOKEN)
    await provider.start(0)
    try:
        yield provider
    finally:
        await provider.stop()


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def stack(infra_settings: InfraSettings, rabbit_names: RabbitNames,
                new_schema: Callable[[str], str], sms_platform: Any) -> AsyncIterator[Stack]:
    ports = {service: free_port() for service in SERVICES}
    callback_port = free_port()
    sms_platform.callback_url = f"http://127.0.0.1:{callback_port}"
    suffix = uuid.uuid4().hex[:8]
    own: dict[str, dict[str, Any]] = {
        "customer": {"protection_address": f"127.0.0.1:{ports['protection']}"},
        "protection": {"customer_address": f"127.0.0.1:{ports['customer']}",
                       "policy_overrides": json.dumps(
                           {SHORT_REGION: {"potential_duration": "PT6H"}})},
        "notify": {"sms_base_url": sms_platform.url, "sms_api_key": SMS_API_KEY,
                   "callback_port": callback_port, "callback_token": SMS_CALLBACK_TOKEN,
                   **quiet_hours_away()},
    }

    async def start(service: str) -> ServiceProcess:
        name = f"{service}-browser-{suffix}"
        rabbit_names.track_consumer_queue(infra_settings.queue_name(name))
        return await ServiceProcess.start(service, infra_settings, {
            "schema_name": new_schema(f"br_{service[:4]}"), "service_name": name,
            **own.get(service, {})}, port=ports[service])

    results = await asyncio.gather(*(start(s) for s in SERVICES), return_exceptions=True)
    started = {s: r for s, r in zip(SERVICES, results, strict=True)
               if isinstance(r, ServiceProcess)}
    gateway: GatewayProcess | None = None
    try:
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise failed[0]
        settings = GatewaySettings(
            schema_name=new_schema("br_gw"), service_name=f"gateway-browser-{suffix}",
            secure_cookies=False,
            customer_address=started["customer"].address,
            protection_address=started["protection"].address,
            credit_address=started["credit"].address,
            notify_address=started["notify"].address,
            argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)
        rabbit_names.track_consumer_queue(infra_settings.queue_name(settings.service_name))
        await seed_demo_users(infra_settings, settings)
        gateway = await GatewayProcess.start(infra_settings, settings)
        yield Stack(infra_settings, settings, started, gateway, sms_platform)
    finally:
        if gateway is not None:
            await gateway.stop()
        await asyncio.gather(*(p.stop() for p in started.values()))


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def api(stack: Stack) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as client:
        yield Api(client)


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def playwright_driver() -> AsyncIterator[Playwright]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.fail("the browser tests need the playwright package: `make install`",
                    pytrace=False)
    async with async_playwright() as driver:
        yield driver


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def browser(playwright_driver: Playwright) -> AsyncIterator[Browser]:
    executable = chromium_executable()
    launched = await playwright_driver.chromium.launch(executable_path=executable,
                                                       args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        await launched.close()


class Console:
    """One person's browser tab on the console, with screenshots as test artefacts."""

    def __init__(self, page: Page, context: BrowserContext, base_url: str,
                 shots: Path) -> None:
        self.page = page
        self.context = context
        self.base_url = base_url
        self.shots = shots
        self.count = 0
        self.page_errors: list[str] = []
        self.console_lines: list[str] = []
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", lambda message: self.console_lines.append(
            f"{message.type}: {message.text}"))

    async def shot(self, label: str) -> Path:
        self.count += 1
        path = self.shots / f"{self.count:02d}-{re.sub(r'[^a-z0-9-]+', '-', label.lower())}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path

    async def sign_in(self, username: str, password: str = DEMO_PASSWORD,
                      page: str = "") -> None:
        """Sign in on the sign-in page (via ``page`` when given) and wait for the page."""
        target = f"{self.base_url}/console/{page}"
        await self.page.goto(target)
        await self.page.wait_for_url("**/console/login**")
        await self.page.fill("#login-username", username)
        await self.page.fill("#login-password", password)
        await self.page.click("#login-submit")
        await self.page.wait_for_url(f"**/console/{page}")
        await self.loaded()

    async def sign_out(self) -> None:
        await self.page.click("#sign-out")
        await self.page.wait_for_url("**/console/login")

    async def open(self, name: str) -> None:
        await self.page.goto(f"{self.base_url}/console/{name}")
        await self.loaded()

    async def loaded(self) -> None:
        await self.page.wait_for_selector("body[data-loaded='true']", state="attached")

    async def said(self, text: str) -> None:
        """Wait until the status line (role=status) says ``text``."""
        from playwright.async_api import expect

        await expect(self.page.locator("#status")).to_contain_text(text)

    async def refused(self, username: str, page: str, hidden: str, allowed: str) -> None:
        """``username`` has no link to ``page``; opened anyway, the page says it is not
        for them, keeps ``hidden`` hidden and shows the service's refusal naming a role
        allowed (``allowed``, as the console spells it)."""
        from playwright.async_api import expect

        await self.sign_in(username)
        link = self.page.locator(f"#nav li:not([hidden]) a[href='/console/{page}']")
        await expect(link).to_have_count(0)
        await self.open(page)
        await expect(self.page.locator("#not-for-you")).to_be_visible()
        await expect(self.page.locator(hidden)).to_be_hidden()
        banner = self.page.locator("#banner")
        await expect(banner).to_contain_text("ROLE_REQUIRED")
        await expect(banner).to_contain_text(allowed)
        await self.shot("refused")

    async def answer(self, **values: str) -> None:
        """Fill the open dialog's fields and press its OK button."""
        dialog = self.page.locator("#ask-dialog")
        await dialog.wait_for(state="visible")
        for name, value in values.items():
            await dialog.locator(f"[name='{name}']").fill(value)
        await dialog.locator("#ask-ok").click()
        await dialog.wait_for(state="hidden")


@pytest_asyncio.fixture(loop_scope="session")
async def console(browser: Browser, stack: Stack,
                  request: pytest.FixtureRequest) -> AsyncIterator[Console]:
    shots = ARTIFACTS / re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name)
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    context = await browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                        viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    from playwright.async_api import expect

    expect.set_options(timeout=15_000)
    page = await context.new_page()
    helper = Console(page, context, stack.url, shots)
    try:
        yield helper
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            try:
                await helper.shot("failure")
            except Exception as error:  # the page may be gone with the failure
                helper.console_lines.append(f"no failure screenshot: {error}")
            (shots / "console.log").write_text("\n".join(
                helper.console_lines + [f"pageerror: {e}" for e in helper.page_errors]),
                encoding="utf-8")
        await context.close()
    assert not helper.page_errors, f"uncaught errors in the page: {helper.page_errors}"
