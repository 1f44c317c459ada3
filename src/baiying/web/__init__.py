"""The web UI: server-rendered pages (Jinja2) with a small build-free script layer, served by the API's
own app. `install(app)` adds the pages and their static files; see `baiying.web.pages`."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from baiying.web.pages import STATIC_DIR, STATIC_PATH, router


def install(app: FastAPI) -> None:
    """Serve the pages and their static files from `app`."""
    app.include_router(router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="web-static")


__all__ = ["install", "router"]
