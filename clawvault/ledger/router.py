from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from clawvault.core.http import JsonResponse
from clawvault.core.runtime import Runtime, get_runtime, get_unit
from clawvault.db.unit import Unit
from clawvault.ledger import docs, service
from clawvault.partners.auth import Caller, get_caller

# The ledger has no sandbox variant: under either prefix it is read from the platform's
# database (`get_unit`, not the caller's store).
router = APIRouter(tags=["ledger"])


@router.get("/ledger", responses=docs.STATEMENT)
async def ledger(
    request: Request,
    start: str | None = Query(default=None, alias="from"),
    end: str | None = Query(default=None, alias="to"),
    limit: str | None = None,
    cursor: str | None = None,
    caller: Caller = Depends(get_caller),
    runtime: Runtime = Depends(get_runtime),
    unit: Unit = Depends(get_unit),
) -> Response:
    if "text/csv" in request.headers.get("accept", ""):
        rows = await service.statement_csv(runtime, unit, caller, start, end)
        return StreamingResponse(
            rows,
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="statement.csv"'},
        )
    return JsonResponse(await service.statement(runtime, unit, caller, start, end, limit, cursor))
