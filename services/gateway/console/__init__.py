"""The web console: server-rendered pages (Jinja2 templates) with a little vanilla
JavaScript and CSS, all served by the gateway from this folder; nothing is loaded
from elsewhere at run time and nothing needs a build. The browser calls the
gateway's own /api routes with the session cookie (docs/gateway.md, "Console")."""

from services.gateway.console.web import install

__all__ = ["install"]
