"""The quote's second way: PostgreSQL, quotes that need no transaction (no idempotency record
to commit with them) stored in rounds shared by the quotes in flight (`bench/second_ways.py`
measured it at 2.53x a quote in a transaction). Its statements and the rounds, nothing else:
the way every quote can take is `service.quote_in_transaction`, and both give the same rows
and answers (tests/shipping/test_quote_rounds.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clawvault.db.batcher import Batcher, PerDatabase
from clawvault.db.engine import Database, json_text

# PostgreSQL, outside a transaction (QuoteRounds): the cards of every quote of a round, and
# every quote of a round, each one statement.
PG_ROUND_CARDS = """
SELECT id, status, fmv_cents, owner_partner_id, owner_user_id
FROM cards WHERE id = ANY($1::varchar[])
"""
# A quote's columns, each with the type of the array its values of a round are sent in.
QUOTE_COLUMNS = (
    ("id", "varchar"),
    ("partner_id", "bigint"),
    ("user_id", "varchar"),
    ("item_ids", "text"),
    ("destination", "text"),
    ("declared_value_cents", "bigint"),
    ("zone", "varchar"),
    ("rates", "text"),
    ("created_at", "timestamptz"),
    ("expires_at", "timestamptz"),
)
JSON_COLUMNS = frozenset({"item_ids", "destination", "rates"})  # sent as text, cast to json
_NAMES = ", ".join(name for name, _type in QUOTE_COLUMNS)
PG_ADD_QUOTES = f"""
INSERT INTO quotes ({_NAMES})
SELECT {", ".join(f"{n}::json" if n in JSON_COLUMNS else n for n, _type in QUOTE_COLUMNS)}
FROM unnest({", ".join(f"${i}::{t}[]" for i, (_n, t) in enumerate(QUOTE_COLUMNS, 1))})
     AS q({_NAMES})
"""


Built = tuple[dict[str, Any], Any]  # a quote's row, and what its request keeps of it


class QuoteRounds:
    """PostgreSQL, for quotes that need no transaction (no idempotency record to commit with
    them): one round for all the quotes in flight (clawvault.db.batcher), two statements:
    their cards read, then the rows their requests build from them inserted. A quote alone
    was already two statements, each a transaction of its own, so nothing changes for one
    quote; for many, two round trips and one commit serve them all."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.batcher: Batcher[tuple[list[str], Callable[[list[Any]], Built]], Built]
        self.batcher = Batcher(self._round)

    async def quote(self, card_ids: list[str], build: Callable[[list[Any]], Built]) -> Built:
        """`build` given the cards of these ids that exist (each once, as
        `ShippingRepository.cards`); the row it returns stored. What it raises is raised."""
        return await self.batcher.submit((card_ids, build))

    async def _round(
        self, asks: list[tuple[list[str], Callable[[list[Any]], Built]]]
    ) -> list[Built | BaseException]:
        wanted = list({card_id: None for ids, _build in asks for card_id in ids})
        found = {row["id"]: row for row in await self._db.postgres_fetch(PG_ROUND_CARDS, wanted)}
        built: list[Built | BaseException] = []
        for ids, build in asks:
            try:
                built.append(build([found[card_id] for card_id in ids if card_id in found]))
            except Exception as exc:  # this quote's refusal (an unknown item, ...)
                built.append(exc)
        rows = [b[0] for b in built if not isinstance(b, BaseException)]
        failures = iter(await self._insert(rows) if rows else [])
        outcomes: list[Built | BaseException] = []
        for quote in built:
            if not isinstance(quote, BaseException):
                failure = next(failures)  # the insert's outcome of this quote's row
                if failure is not None:
                    quote = failure
            outcomes.append(quote)
        return outcomes

    async def _insert(self, quotes: list[dict[str, Any]]) -> list[BaseException | None]:
        try:
            await self._write(quotes)
            return [None] * len(quotes)
        except Exception as exc:
            if len(quotes) == 1:
                return [exc]
        # One quote failed the statement, and with it all: each alone, so only it fails.
        outcomes: list[BaseException | None] = []
        for quote in quotes:
            try:
                await self._write([quote])
                outcomes.append(None)
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    async def _write(self, quotes: list[dict[str, Any]]) -> None:
        columns = [
            [json_text(q[name]) if name in JSON_COLUMNS else q[name] for q in quotes]
            for name, _type in QUOTE_COLUMNS
        ]
        await self._db.postgres_fetch(PG_ADD_QUOTES, *columns)


quote_rounds = PerDatabase(QuoteRounds)
