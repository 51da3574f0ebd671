"""/docs (Swagger UI) and /redoc (ReDoc), served with their assets from our own origin.

FastAPI's built-in pages load both from a CDN (blank offline, on a locked-down server, or under
a CSP that allows only 'self') and start Swagger UI with an inline script. The assets come from
the fastapi-offline package (MIT; it vendors swagger-ui-dist 5, Apache-2.0, and ReDoc 2, MIT,
refreshed with each release; pinned in constraints.txt), the start-up script from
docs_static/. The pages reference nothing but this origin; ReDoc's menu shows Redocly's logo
from their CDN (no option turns it off), so the pages allow images from 'self' only: the browser
never asks, and ReDoc hides the image when it fails to load.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"

_SWAGGER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="img-src 'self' data:">
<title>{title} - API docs</title>
<link rel="icon" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{spec}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-init.js"></script>
</body>
</html>
"""

_REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="img-src 'self' data:">
<title>{title} - ReDoc</title>
<link rel="icon" href="{assets}/favicon.png">
</head>
<body>
<redoc spec-url="{spec}"></redoc>
<script src="{assets}/redoc.standalone.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Mount the assets and the two pages (create the app with docs_url=redoc_url=None)."""
    app.mount(
        ASSETS,
        StaticFiles(packages=[("fastapi_offline", "static"), ("relaybird.api", "docs_static")]),
        name="docs-assets",
    )

    def page(template: str, request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return HTMLResponse(
            template.format(
                title=escape(app.title),
                assets=escape(root + ASSETS),
                spec=escape(root + (app.openapi_url or "/openapi.json")),
            )
        )

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        return page(_SWAGGER, request)

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        return page(_REDOC, request)
