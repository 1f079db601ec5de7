from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import RowMapping

from clawvault.core.pagination import InvalidCursor, decode_cursor, encode_cursor, parse_limit
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc
from clawvault.db.conn import Conn
from clawvault.db.unit import Unit
from clawvault.inventory.cache import AnswerCache, cache_for
from clawvault.inventory.errors import CardNotFound, UserNotFound
from clawvault.inventory.presenters import card_json, item_json_with_times
from clawvault.inventory.repository import (
    HeldItems,
    InventoryRepository,
    held_items_lean,
    sqlite_time_from_text,
)
from clawvault.partners.auth import Caller

# With the inventory cache on (clawvault.inventory.cache), an answer's "items" is its JSON array
# already rendered, an orjson.Fragment: serialize answers with orjson.dumps, never change them
# (one answer may be handed to several requests).
ENTRY_BYTES = 200  # what an answer costs the cache besides its rendered items


async def inventory(runtime: Runtime, unit: Unit, caller: Caller, user_id: str) -> dict[str, Any]:
    db = unit.db
    cache = cache_for(db, runtime.settings.inventory_cache_bytes)
    key = (caller.partner_id, user_id)
    if cache is not None:
        answer = cache.get(key, await db.data_version())
        if answer is not None:
            return answer
    held = await held_items_lean(db, caller.partner_id, user_id)
    if not held.user_known:
        raise UserNotFound()
    return _answer(cache, key, held, {"user_id": user_id}, held.items)


async def inventory_page(
    runtime: Runtime,
    unit: Unit,
    caller: Caller,
    user_id: str,
    limit_raw: str | None,
    cursor: str | None,
) -> dict[str, Any]:
    """Our addition: a page of the inventory and the cursor of the next one (null at the end)."""
    limit = parse_limit(limit_raw, 100)
    after = None
    if cursor:
        purchased_at, card_id = decode_cursor(cursor, 2)
        try:
            after = (as_utc(datetime.fromisoformat(str(purchased_at))), str(card_id))
        except ValueError as exc:
            raise InvalidCursor() from exc
    db = unit.db
    cache = cache_for(db, runtime.settings.inventory_cache_bytes)
    key = (caller.partner_id, user_id, limit, after)
    if cache is not None:
        answer = cache.get(key, await db.data_version())
        if answer is not None:
            return answer
    held = await held_items_lean(db, caller.partner_id, user_id, (limit + 1, after))
    if not held.user_known:
        raise UserNotFound()
    page = held.items[:limit]
    next_cursor = None
    if len(held.items) > limit:
        last = page[-1]["purchased_at"]
        if isinstance(last, str):  # SQLite: as stored
            last = sqlite_time_from_text(last)
        next_cursor = encode_cursor([as_utc(last).isoformat(), page[-1]["id"]])
    return _answer(cache, key, held, {"user_id": user_id, "next_cursor": next_cursor}, page)


def _answer(
    cache: AnswerCache | None,
    key: Hashable,
    held: HeldItems,
    fields: dict[str, Any],
    items: list[dict[str, Any]],
) -> dict[str, Any]:
    """The answer ("user_id", "items", then the other fields); kept when there is a cache."""
    rendered = [
        item_json_with_times(i, i["purchased_at_wire"], i["buyback_expires_at_wire"]) for i in items
    ]
    answer = {"user_id": fields.pop("user_id")}
    if cache is None:
        return {**answer, "items": rendered, **fields}
    text = orjson.dumps(rendered)
    answer = {**answer, "items": orjson.Fragment(text), **fields}
    cache.put(key, held.token, answer, len(text) + ENTRY_BYTES)
    return answer


async def card(runtime: Runtime, unit: Unit, caller: Caller, card_id: str) -> dict[str, Any]:
    """Any card of the catalog, whoever holds it (`caller` is the port's: the sandbox's answer
    is its own key's)."""

    async def find(conn: Conn) -> RowMapping | None:
        return await InventoryRepository(conn).card(card_id)

    row = await unit.read(find)
    if row is None:
        raise CardNotFound()
    return card_json(row)
