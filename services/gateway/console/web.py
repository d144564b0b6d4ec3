"""The console's pages: each is a server-rendered shell in the reader's language
(zh-CN by default, English by the ``crm_lang`` cookie the language switch sets)
whose script loads the data from the gateway's /api routes as the signed-in person.
Which pages and panels a person sees follows their roles (``GET /api/me``); the
services still decide what each person may do."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from services.gateway.domain import people as r
from services.gateway.entrypoints import console_api
from services.gateway.entrypoints.security import SignedInDep
from services.gateway.service_layer.deps import GatewayDeps

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
I18N = HERE / "i18n"
LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
LANG_COOKIE = "crm_lang"
# Scripts, styles and pictures from this origin only; no inline script anywhere.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")

# The roles that may read the public pool (every office role but dealers and auditors).
POOL_READERS = (r.PRE_SALES, r.AFTER_SALES, r.CALL_CENTER_AGENT, r.REVIEWER, r.MANAGER,
                r.KEY_ACCOUNT_OFFICE, r.KEY_ACCOUNT_DEPT, r.KEY_ACCOUNT_CENTER,
                r.MARKETING_DIRECTOR, r.ADMIN)
# Charts: everyone but dealers (the chart routes' own rule).
CHART_READERS = tuple(role for role in r.ROLES if role != r.DEALER)
CREDIT_SUPERVISORS = (r.MANAGER, r.KEY_ACCOUNT_OFFICE, r.KEY_ACCOUNT_DEPT,
                      r.KEY_ACCOUNT_CENTER, r.MARKETING_DIRECTOR)
# The customer service's access table for contracts (GetContract, ListContracts...):
# every office role but call-center agents, dealers, reviewers and auditors.
CONTRACT_READERS = (r.PRE_SALES, r.AFTER_SALES, r.MANAGER, r.KEY_ACCOUNT_OFFICE,
                    r.KEY_ACCOUNT_DEPT, r.KEY_ACCOUNT_CENTER, r.MARKETING_DIRECTOR, r.ADMIN)
# Notify's access table for campaigns (CreateCampaign, GetCampaign, pause...).
CAMPAIGNERS = (r.MANAGER, r.MARKETING_DIRECTOR, r.ADMIN)


@dataclass(frozen=True)
class Page:
    name: str
    roles: tuple[str, ...] = ()  # empty: everyone signed in

    @property
    def path(self) -> str:
        return "/console/" if self.name == "home" else f"/console/{self.name}"


PAGES: tuple[Page, ...] = (
    Page("home"),
    Page("leads", (r.CALL_CENTER_AGENT, r.MANAGER, r.ADMIN)),
    Page("customers", (r.PRE_SALES, r.AFTER_SALES)),
    Page("contracts", CONTRACT_READERS),
    Page("pool", POOL_READERS),
    Page("review", (r.REVIEWER, r.ADMIN)),
    Page("team", (r.MANAGER, r.ADMIN)),
    Page("credit", CREDIT_SUPERVISORS),
    Page("campaigns", CAMPAIGNERS),
    Page("charts", CHART_READERS),
    Page("inbox"),
)
BY_NAME = {page.name: page for page in PAGES}


def load_strings() -> dict[str, dict[str, str]]:
    """Every UI string per locale (i18n/<locale>.json), both with the same keys."""
    strings: dict[str, dict[str, str]] = {}
    for locale in LOCALES:
        loaded = json.loads((I18N / f"{locale}.json").read_text(encoding="utf-8"))
        strings[locale] = {str(k): str(v) for k, v in loaded.items()}
    return strings


def asset_version() -> str:
    """Changes whenever a static file does (browsers then fetch the new one)."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def locale_of(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


class Renderer:
    def __init__(self, deps: GatewayDeps) -> None:
        self.settings = deps.settings
        self.strings = load_strings()
        self.version = asset_version()
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                                      autoescape=True, undefined=jinja2.StrictUndefined)
        # A page's HTML depends on the page and the language only (the data comes from
        # the API): rendered once per process (about 1 ms each time otherwise).
        self._rendered: dict[tuple[str, str, str], bytes] = {}

    def translate(self, locale: str, key: str, **values: Any) -> str:
        text = self.strings[locale].get(key) or self.strings[DEFAULT_LOCALE].get(key) or key
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    def page(self, request: Request, page: Page, template: str, status: int = 200) -> Response:
        locale = locale_of(request)
        key = (page.name, template, locale)
        html = self._rendered.get(key)
        if html is None:
            html = self._rendered[key] = self.render(page, template, locale).encode()
        return HTMLResponse(html, status_code=status, headers={
            "Content-Security-Policy": CSP, "Cache-Control": "no-cache",
            "Content-Language": locale})

    def render(self, page: Page, template: str, locale: str) -> str:
        def t(key: str, **values: Any) -> str:
            return self.translate(locale, key, **values)

        config = {
            "page": page.name, "locale": locale, "locales": list(LOCALES),
            "langCookie": LANG_COOKIE, "csrfCookie": self.settings.csrf_cookie,
            "csrfHeader": self.settings.csrf_header,
            "pages": [{"name": p.name, "path": p.path, "roles": list(p.roles)} for p in PAGES],
            "strings": self.strings[locale],
        }
        return self.env.get_template(template).render(
            t=t, locale=locale, page=page, pages=PAGES, config=config, v=self.version,
            other_locale="en" if locale == "zh-CN" else "zh-CN")


def install(app: FastAPI, deps: GatewayDeps, signed_in: SignedInDep) -> None:
    """Mount the console's pages at /console/ (and / redirecting there), its files at
    /console/static/, and the console's own API routes (console_api)."""
    renderer = Renderer(deps)
    app.include_router(console_api.router(deps, signed_in))
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    @app.get("/console", include_in_schema=False)
    async def console_root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    @app.get("/console/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        return renderer.page(request, Page("login"), "login.html")

    @app.get("/console/", include_in_schema=False)
    async def home(request: Request) -> Response:
        return renderer.page(request, BY_NAME["home"], "home.html")

    @app.get("/console/{name}", include_in_schema=False)
    async def page(name: str, request: Request) -> Response:
        found = BY_NAME.get(name)
        if found is None or found.name == "home":
            return renderer.page(request, Page("missing"), "missing.html", status=404)
        return renderer.page(request, found, f"{found.name}.html")
