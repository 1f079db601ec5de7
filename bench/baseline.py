"""The baseline: a bare FastAPI app answering a constant small JSON object, served by the same
uvicorn and settings as `clawvault serve` (what clawvault is measured against)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

BODY = {"status": "ok", "service": "baseline", "version": 1}


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/baseline")
    async def baseline() -> dict[str, Any]:
        return BODY

    return app
