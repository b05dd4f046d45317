"""The demo's ASGI app: one page, one static folder, three JSON endpoints.

    GET  /                  the page (Jinja template): paste box, crate file picker
    GET  /api/files         the crate's .rs files (empty without --crate)
    GET  /api/file?path=P   one of them
    POST /api/document      {"code": ..., "includePrivate": bool} -> {"items": [...], "generators": [...]}

Generation runs in a worker thread: a model answer takes seconds, and the event
loop keeps serving the page meanwhile. The generators queue on their own lock.
Requests must name an allowed host: served on localhost, a web page elsewhere
cannot reach the app through a DNS name rebound to 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from demo_page.documenting import CrateFiles, DemoInputError, document_text
from rustdoc_core.generation.generators import DocGenerator

HERE = Path(__file__).resolve().parent


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def create_app(generators: Sequence[DocGenerator], crate: CrateFiles | None = None,
               allowed_hosts: Sequence[str] = LOCAL_HOSTS) -> Starlette:
    """The app for these generators (the template engine first), an optional crate to pick files from,
    answering requests for `allowed_hosts` only (`["*"]`: any)."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    names = [g.name for g in generators]
    crate_context = crate.context() if crate is not None else None

    async def page(request: Request) -> Response:
        return templates.TemplateResponse(request, "index.html", {
            "generators": names,
            "crate": str(crate.root) if crate else None,
            "files": crate.files if crate else (),
        })

    async def files(request: Request) -> Response:  # noqa: ARG001 - starlette's signature
        return JSONResponse({"root": str(crate.root) if crate else None, "files": list(crate.files) if crate else []})

    async def file(request: Request) -> Response:
        if crate is None:
            return _error(404, "no crate: start the demo with --crate DIR to pick files")
        try:
            return JSONResponse({"path": request.query_params.get("path", ""),
                                 "code": crate.read(request.query_params.get("path", ""))})
        except DemoInputError as err:
            return _error(err.status, str(err))

    async def document(request: Request) -> Response:
        try:
            body: Any = await request.json()
        except ValueError:
            return _error(400, "send JSON: {\"code\": \"...\"}")
        if not isinstance(body, dict) or not isinstance(body.get("code"), str):
            return _error(400, "send JSON with a \"code\" string")
        try:
            items = await run_in_threadpool(document_text, body["code"], generators,
                                            include_private=bool(body.get("includePrivate")), crate=crate_context)
        except DemoInputError as err:
            return _error(err.status, str(err))
        return JSONResponse({"generators": names, "items": items})

    return Starlette(middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))], routes=[
        Route("/", page),
        Route("/api/files", files),
        Route("/api/file", file),
        Route("/api/document", document, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ])


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
