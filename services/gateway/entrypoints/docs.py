"""The API's documents, served from this process only: /openapi.json (OpenAPI 3.1),
/docs (Swagger UI from the swagger-ui-bundle package's files, never a CDN) reading
/docs/openapi-3.0.json, the same document in OpenAPI 3.0 (the bundled Swagger UI 4
reads no 3.1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import swagger_ui_bundle  # type: ignore[import-untyped]
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles

from services.gateway.entrypoints.http_common import PROTO_COMPONENTS
from services.gateway.entrypoints.problems import ProblemBody
from services.gateway.entrypoints.security import openapi_security

ASSETS = Path(swagger_ui_bundle.swagger_ui_path)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
// Signed in to the console in this browser? Its cookie is sent; echo the CSRF cookie.
function csrf(request) {{
  const found = document.cookie.match(/(?:^|; ){csrf_cookie}=([^;]*)/);
  if (found) {{ request.headers[{csrf_header}] = decodeURIComponent(found[1]); }}
  return request;
}}
window.ui = SwaggerUIBundle({{
  url: "/docs/openapi-3.0.json", dom_id: "#swagger-ui", layout: "BaseLayout",
  deepLinking: true, validatorUrl: null, presets: [SwaggerUIBundle.presets.apis],
  requestInterceptor: csrf,
}});
</script>
</body>
</html>
"""


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the schemas of the answered messages and of problems."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes, tags=app.openapi_tags)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(PROTO_COMPONENTS)
        problem = ProblemBody.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in problem.pop("$defs", {}).items():
            schemas.setdefault(name, sub)
        schemas["ProblemBody"] = problem
        # Invalid requests answer 400 problems (problems.py), never FastAPI's 422.
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        _add_security(app, doc)
        app.openapi_schema = doc
    return app.openapi_schema


def _add_security(app: FastAPI, doc: dict[str, Any]) -> None:
    """The sign-in schemes of the routes that need one (security.openapi_security), as
    FastAPI writes those of security dependencies."""
    schemes = doc["components"].setdefault("securitySchemes", {})
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        needed = openapi_security(route.dependant)
        operations = doc.get("paths", {}).get(route.path_format, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if not needed or operation is None:
                continue
            operation["security"] = [{scheme.scheme_name: []} for scheme in needed]
            for scheme in needed:
                schemes[scheme.scheme_name] = scheme.model.model_dump(
                    mode="json", by_alias=True, exclude_none=True)
    if not schemes:
        del doc["components"]["securitySchemes"]


def as_openapi_30(node: Any) -> Any:
    """The 3.1 document's schemas in 3.0 terms (nullable, example, exclusive bounds)."""
    if isinstance(node, list):
        return [as_openapi_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: as_openapi_30(value) for key, value in node.items()}
    if out.get("openapi", "").startswith("3.1"):
        out["openapi"] = "3.0.3"
    for key in ("anyOf", "oneOf"):
        options = out.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del out[key]
            out["nullable"] = True
            if len(rest) == 1 and "$ref" not in rest[0]:
                out.update(rest[0])
            elif len(rest) == 1:
                out["allOf"] = rest
            else:
                out[key] = rest
    if isinstance(out.get("type"), list):
        types = [t for t in out["type"] if t != "null"]
        out["nullable"] = len(types) < len(out["type"])
        out["type"] = types[0] if types else "string"
    if isinstance(out.get("examples"), list) and "schema" not in out:
        examples = out.pop("examples")
        if examples:
            out["example"] = examples[0]
    if "const" in out:
        out["enum"] = [out.pop("const")]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), int | float) and not isinstance(out[bound], bool):
            out[plain] = out[bound]
            out[bound] = True
    return out


def install(app: FastAPI, *, csrf_cookie: str, csrf_header: str) -> None:
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    page = _PAGE.format(title=f"{app.title} — API", csrf_cookie=csrf_cookie,
                        csrf_header=json.dumps(csrf_header))
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/docs/openapi-3.0.json", include_in_schema=False)
    async def openapi_30() -> JSONResponse:
        return JSONResponse(as_openapi_30(openapi_document(app)))
