"""SQL checks of the platform invariants (platform.md, 1-5), for any database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from clawvault.core.runtime import Runtime
from clawvault.settings import Settings
from tests.factories import run

CHECKS = {
    "card state matches its place": """
        SELECT id FROM cards WHERE
          (status = 'available' AND (owner_partner_id IS NOT NULL OR order_id IS NOT NULL))
          OR (status = 'held' AND (owner_partner_id IS NULL OR owner_user_id IS NULL
                                   OR order_id IS NOT NULL OR session_id IS NULL))
          OR (status IN ('shipping', 'shipped') AND (order_id IS NULL OR owner_partner_id IS NULL))
    """,
    "a card in an order is held by exactly that order": """
        SELECT c.id FROM cards c
        WHERE c.status IN ('shipping', 'shipped') AND 1 != (
          SELECT count(*) FROM order_items oi
          WHERE oi.card_id = c.id AND oi.released = false AND oi.order_id = c.order_id)
    """,
    "no card in two open order lines": """
        SELECT card_id FROM order_items WHERE released = false
        GROUP BY card_id HAVING count(*) > 1
    """,
    "a released order line's card is not still in that order": """
        SELECT oi.card_id FROM order_items oi JOIN cards c ON c.id = oi.card_id
        WHERE oi.released = true AND c.order_id = oi.order_id
    """,
    "pulls and sellbacks alternate (no double allocation)": """
        SELECT c.id FROM cards c WHERE
          (SELECT count(*) FROM pulls p WHERE p.card_id = c.id)
          - (SELECT count(*) FROM buybacks b WHERE b.card_id = c.id)
          != CASE WHEN c.status IN ('held', 'shipping', 'shipped') THEN 1 ELSE 0 END
    """,
    "the holder of a card is the one who last pulled it": """
        SELECT c.id FROM cards c JOIN purchase_sessions s ON s.id = c.session_id
        WHERE c.status IN ('held', 'shipping', 'shipped')
          AND (s.partner_id != c.owner_partner_id OR s.user_id != c.owner_user_id)
    """,
    "every session has all its pulls": """
        SELECT s.id FROM purchase_sessions s
        WHERE s.amount != (SELECT count(*) FROM pulls p WHERE p.session_id = s.id)
    """,
    "every pull session has exactly one ledger entry of its price": """
        SELECT s.id FROM purchase_sessions s WHERE 1 != (
          SELECT count(*) FROM ledger_entries l
          WHERE l.kind = 'pull' AND l.reference = s.id AND l.amount_cents = -s.price_cents
            AND l.partner_id = s.partner_id)
    """,
    "every sellback has exactly one ledger entry of its amount": """
        SELECT b.id FROM buybacks b WHERE 1 != (
          SELECT count(*) FROM ledger_entries l
          WHERE l.kind = 'buyback' AND l.reference = 'buyback_' || CAST(b.id AS VARCHAR(20))
            AND l.amount_cents = b.amount_cents AND l.partner_id = b.partner_id)
    """,
    "every order has exactly one shipping entry": """
        SELECT o.id FROM orders o WHERE 1 != (
          SELECT count(*) FROM ledger_entries l
          WHERE l.kind = 'shipping' AND l.reference = o.id AND l.amount_cents = -o.amount_cents
            AND l.partner_id = o.partner_id)
    """,
    "only stopped orders are refunded, once": """
        SELECT o.id FROM orders o WHERE
          (SELECT count(*) FROM ledger_entries l
           WHERE l.kind = 'shipping_refund' AND l.reference = o.id)
          != CASE WHEN o.status IN ('cancelled', 'failed') THEN 1 ELSE 0 END
    """,
    "no ledger entry without its cause": """
        SELECT l.id FROM ledger_entries l WHERE
          (l.kind = 'pull' AND NOT EXISTS (SELECT 1 FROM purchase_sessions s
                                           WHERE s.id = l.reference))
          OR (l.kind IN ('shipping', 'shipping_refund')
              AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = l.reference))
    """,
    "order lines belong to the order's partner and user": """
        SELECT oi.card_id FROM order_items oi JOIN orders o ON o.id = oi.order_id
        JOIN cards c ON c.id = oi.card_id
        WHERE oi.released = false AND (c.owner_partner_id != o.partner_id
                                       OR c.owner_user_id != o.user_id)
    """,
    "a sellback is credited to the partner that held the card": """
        SELECT b.id FROM buybacks b JOIN purchase_sessions s ON s.id = b.session_id
        WHERE s.partner_id != b.partner_id OR s.user_id != b.user_id
    """,
    # Added for the multi-process race and crash tests (issue 4).
    "a card has a known status": """
        SELECT id FROM cards
        WHERE status NOT IN ('available', 'held', 'shipping', 'shipped', 'retired')
    """,
    "a pooled card has no session": """
        SELECT id FROM cards WHERE status = 'available' AND (owner_user_id IS NOT NULL
                                                             OR session_id IS NOT NULL)
    """,
    "an owned card is held through its latest pull": """
        SELECT c.id FROM cards c WHERE c.status IN ('held', 'shipping', 'shipped')
          AND (c.session_id IS NULL OR c.session_id != (
            SELECT p.session_id FROM pulls p WHERE p.card_id = c.id ORDER BY p.id DESC LIMIT 1))
    """,
    "every sellback ends a holding that a pull made": """
        SELECT b.id FROM buybacks b WHERE NOT EXISTS (
          SELECT 1 FROM pulls p WHERE p.card_id = b.card_id AND p.session_id = b.session_id)
    """,
    "no card twice in one session": """
        SELECT session_id FROM pulls GROUP BY session_id, card_id HAVING count(*) > 1
    """,
    "every order has its lines and its first event": """
        SELECT o.id FROM orders o
        WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)
           OR NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id)
    """,
    "every puller is a registered user of its partner": """
        SELECT p.id FROM pulls p WHERE NOT EXISTS (
          SELECT 1 FROM users u WHERE u.partner_id = p.partner_id AND u.user_id = p.user_id)
    """,
    "a pull belongs to its session's partner and user": """
        SELECT p.id FROM pulls p JOIN purchase_sessions s ON s.id = p.session_id
        WHERE p.partner_id != s.partner_id OR p.user_id != s.user_id
    """,
    "an order is made from its own partner's quote": """
        SELECT o.id FROM orders o JOIN quotes q ON q.id = o.quote_id
        WHERE q.partner_id != o.partner_id OR q.user_id != o.user_id
    """,
    "no sellback ledger entry without its sellback": """
        SELECT l.id FROM ledger_entries l WHERE l.kind = 'buyback' AND NOT EXISTS (
          SELECT 1 FROM buybacks b WHERE 'buyback_' || CAST(b.id AS VARCHAR(20)) = l.reference)
    """,
}


def violations(settings: Settings) -> dict[str, list[object]]:
    async def work(runtime: Runtime) -> dict[str, list[object]]:
        found: dict[str, list[object]] = {}
        async with runtime.db.read() as conn:
            for name, sql in CHECKS.items():
                rows = (await conn.execute(text(sql))).scalars().all()
                if rows:
                    found[name] = list(rows)[:5]
        return found

    return run(settings, work)


def balances(settings: Settings) -> dict[int, int]:
    async def work(runtime: Runtime) -> dict[int, int]:
        async with runtime.db.read() as conn:
            rows = await conn.execute(
                text("SELECT partner_id, sum(amount_cents) FROM ledger_entries GROUP BY partner_id")
            )
            return {int(p): int(total) for p, total in rows.all()}

    return run(settings, work)


def query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one read-only query, for a test's own checks."""

    async def work(runtime: Runtime) -> list[tuple[Any, ...]]:
        async with runtime.db.read() as conn:
            return [tuple(row) for row in (await conn.execute(text(sql))).all()]

    return run(settings, work)
