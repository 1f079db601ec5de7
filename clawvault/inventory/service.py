from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from clawvault.core.pagination import InvalidCursor, decode_cursor, encode_cursor, parse_limit
from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import as_utc
from clawvault.inventory.cache import cache_for
from clawvault.inventory.errors import CardNotFound, UserNotFound
from clawvault.inventory.presenters import card_json, item_json
from clawvault.inventory.repository import InventoryRepository
from clawvault.partners.auth import Caller
from clawvault.sandbox import holdings as sandbox

# With the inventory cache on (clawvault.inventory.cache), an answer's "items" is its JSON array
# already rendered, an orjson.Fragment: serialize answers with orjson.dumps, never change them
# (one answer may be handed to several requests).
ENTRY_BYTES = 200  # what an answer costs the cache besides its rendered items


def _rendered(items: list[dict[str, Any]]) -> tuple[orjson.Fragment, int]:
    text = orjson.dumps(items)
    return orjson.Fragment(text), len(text) + ENTRY_BYTES


async def inventory(runtime: Runtime, caller: Caller, user_id: str) -> dict[str, Any]:
    if caller.is_sandbox:
        return await sandbox.inventory(runtime, caller, user_id)
    db = runtime.db
    cache = cache_for(db, runtime.settings.inventory_cache_bytes)
    key = (caller.partner_id, user_id)
    if cache is not None:
        answer = cache.get(key, await db.data_version())
        if answer is not None:
            return answer
    async with db.versioned_read() as (conn, token):
        repo = InventoryRepository(conn)
        items = await repo.held_items(caller.partner_id, user_id)
        # Someone holding items is known: only an empty inventory needs the second question.
        if not items and not await repo.user_exists(caller.partner_id, user_id):
            raise UserNotFound()
    rendered = [item_json(i) for i in items]
    if cache is None:
        return {"user_id": user_id, "items": rendered}
    fragment, size = _rendered(rendered)
    answer = {"user_id": user_id, "items": fragment}
    cache.put(key, token, answer, size)
    return answer


async def inventory_page(
    runtime: Runtime, caller: Caller, user_id: str, limit_raw: str | None, cursor: str | None
) -> dict[str, Any]:
    """Our addition: a page of the inventory and the cursor of the next one (null at the end)."""
    if caller.is_sandbox:  # sandbox inventories are small: one page holds them all
        return {**await inventory(runtime, caller, user_id), "next_cursor": None}
    limit = parse_limit(limit_raw, 100)
    after = None
    if cursor:
        purchased_at, card_id = decode_cursor(cursor, 2)
        try:
            after = (as_utc(datetime.fromisoformat(str(purchased_at))), str(card_id))
        except ValueError as exc:
            raise InvalidCursor() from exc
    db = runtime.db
    cache = cache_for(db, runtime.settings.inventory_cache_bytes)
    key = (caller.partner_id, user_id, limit, after)
    if cache is not None:
        answer = cache.get(key, await db.data_version())
        if answer is not None:
            return answer
    async with db.versioned_read() as (conn, token):
        repo = InventoryRepository(conn)
        if not await repo.user_exists(caller.partner_id, user_id):
            raise UserNotFound()
        rows = await repo.held_items_page(caller.partner_id, user_id, after, limit + 1)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor([as_utc(last["purchased_at"]).isoformat(), last["id"]])
    rendered = [item_json(i) for i in page]
    if cache is None:
        return {"user_id": user_id, "items": rendered, "next_cursor": next_cursor}
    fragment, size = _rendered(rendered)
    answer = {"user_id": user_id, "items": fragment, "next_cursor": next_cursor}
    cache.put(key, token, answer, size)
    return answer


async def card(runtime: Runtime, card_id: str, caller: Caller | None = None) -> dict[str, Any]:
    if caller is not None and caller.is_sandbox:
        return await sandbox.card(runtime, caller, card_id)
    async with runtime.db.read() as conn:
        row = await InventoryRepository(conn).card(card_id)
    if row is None:
        raise CardNotFound()
    return card_json(row)
