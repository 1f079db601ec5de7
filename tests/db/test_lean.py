"""db.lean: the hot write statements run on SQLite's sqlite3 connection give what SQLAlchemy's
execution of the same statements gives (rows, types, row counts, errors); elsewhere they are
SQLAlchemy's execution."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from clawvault.core.runtime import Runtime
from clawvault.core.timeutil import utcnow
from clawvault.db import lean
from clawvault.db.dialect import _insert_ignoring_conflicts
from clawvault.db.models import FairnessSeed, LedgerEntry, User
from clawvault.db.unit import Unit
from clawvault.fairness.repository import reserve_nonces_statement
from clawvault.ledger.repository import ADD_ENTRY
from clawvault.partners.service import partner_id as find_partner_id
from clawvault.pulls.statements import CLAIM, PACK_FOR_PULL
from clawvault.settings import Settings
from tests.factories import make_pack, make_partner, run

T = TypeVar("T")

NOW = datetime(2026, 11, 27, 12, 30, 15, 123456, tzinfo=UTC)


class Rollback(Exception):
    """Raised to roll a write back after reading what it did."""


def _entry(partner_id: int | None, reference: str) -> dict[str, Any]:
    """A ledger entry of user zed."""
    return {
        "partner_id": partner_id,
        "kind": "pull",
        "amount_cents": -5,
        "reference": reference,
        "user_id": "zed",
        "created_at": NOW,
    }


def _inline(runtime: Runtime, work: Callable[[AsyncConnection], Awaitable[T]]) -> Awaitable[T]:
    """A short write, as the hot requests make them (SQLite: the writer's queue runner)."""
    return runtime.db.transaction(work, attempts=1, inline=True)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every statement that took the lean path."""
    taken: list[str] = []
    original = lean._run

    def counted(raw: Any, compiled: Any, params: Any) -> lean.LeanResult:
        taken.append(compiled.sql)
        return original(raw, compiled, params)

    original_asyncpg = lean._run_asyncpg

    async def counted_asyncpg(conn: Any, compiled: Any, params: Any) -> lean.LeanResult:
        taken.append(compiled.sql)
        return await original_asyncpg(conn, compiled, params)

    monkeypatch.setattr(lean, "_run", counted)
    monkeypatch.setattr(lean, "_run_asyncpg", counted_asyncpg)
    return taken


def _begun(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every lean statement that began its transaction through SQLAlchemy
    (PostgreSQL: the first statement of a transaction)."""
    begun: list[str] = []
    original = lean._begin_through_sqlalchemy

    async def counted(conn: Any, compiled: Any, values: Any) -> lean.LeanResult:
        begun.append(compiled.sql)
        return await original(conn, compiled, values)

    monkeypatch.setattr(lean, "_begin_through_sqlalchemy", counted)
    return begun


async def _both(
    runtime: Runtime, statement: Any, params: Any, first: bool = True
) -> tuple[lean.LeanResult, list[dict[str, Any]], int]:
    """The statement run by lean.execute and by SQLAlchemy, each in a write rolled back;
    `first`: as the write's first statement, else after another one."""
    got: dict[str, Any] = {}

    async def attempt(name: str, run_it: Any) -> None:
        async def then_roll_back(conn: AsyncConnection) -> None:
            if not first:
                await conn.execute(text("SELECT 1"))
            got[name] = await run_it(conn)
            raise Rollback()

        with pytest.raises(Rollback):
            await _inline(runtime, then_roll_back)

    async def by_lean(conn: AsyncConnection) -> lean.LeanResult:
        return await lean.execute(conn, statement, params)

    async def by_sqlalchemy(conn: AsyncConnection) -> tuple[list[dict[str, Any]], int]:
        result = await conn.execute(statement, params)
        rows = [dict(r) for r in result.mappings()] if result.returns_rows else []
        return rows, result.rowcount

    await attempt("lean", by_lean)
    await attempt("sqlalchemy", by_sqlalchemy)
    rows, count = got["sqlalchemy"]
    return got["lean"], rows, count


@pytest.mark.parametrize("first", [True, False], ids=["first", "after_another"])
def test_lean_statements_answer_as_sqlalchemy(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, first: bool
) -> None:
    """Each statement as its write's first (PostgreSQL: through exec_driver_sql, which begins
    the transaction) and after another (PostgreSQL: prepared on the asyncpg connection)."""
    partner = make_partner(settings)
    pack_id = make_pack(settings, clock=utcnow)
    taken = _counting(monkeypatch)
    begun = _begun(monkeypatch)

    async def work(runtime: Runtime) -> None:
        partner_id = await find_partner_id(Unit(runtime.db), partner.name)
        assert partner_id is not None
        pack_params = {
            "pack_id": pack_id,
            "endpoint_partner_id": partner_id,
            "endpoint_environment": "production",
        }
        lean_result, rows, _ = await _both(runtime, PACK_FOR_PULL, pack_params, first)
        assert len(rows) == 3 and lean_result.rows == rows
        types = [type(v) for v in rows[0].values()]
        assert [type(v) for v in lean_result.rows[0].values()] == types
        assert rows[0]["enable"] is True and rows[0]["in_stock"] is True

        claim_params = {
            "in_pack_id": pack_id,
            "in_tier_id": 2,
            "lower_bound": 0,
            "new_partner_id": partner_id,
            "new_user_id": "lena",
            "new_session_id": "sess_1",
            "now": NOW,
            "expires_at": NOW + timedelta(days=7),
        }
        lean_result, rows, count = await _both(runtime, CLAIM, claim_params, first)
        assert len(rows) == 1 and lean_result.rows == rows and lean_result.rowcount == count
        claimed = rows[0]
        assert isinstance(claimed["purchased_at"], datetime)
        assert isinstance(claimed["attributes"], list)  # JSON parsed as SQLAlchemy parses it

        entry = {
            "partner_id": partner_id,
            "kind": "pull",
            "amount_cents": -1_000,
            "reference": "sess_1",
            "user_id": "lena",
            "created_at": NOW,
        }
        lean_result, rows, count = await _both(runtime, ADD_ENTRY, entry, first)
        assert lean_result.rows == rows == [] and lean_result.rowcount == count == 1

        # An UPDATE setting a column to an expression, with RETURNING (a pull's nonces).
        table = FairnessSeed.__table__
        seed = {
            "partner_id": partner_id,
            "user_id": "lena",
            "server_seed": "ab" * 32,
            "server_seed_hash": "cd" * 32,
            "client_seed": "mine",
            "next_nonce": 4,
            "created_at": NOW,
        }
        add_seed = _insert_ignoring_conflicts(table, runtime.db.backend)  # type: ignore[arg-type]
        await _inline(runtime, lambda conn: lean.execute(conn, add_seed, seed))
        reserve = reserve_nonces_statement(table, "partner_id")  # type: ignore[arg-type]
        nonce_params = {"owner_id": partner_id, "seed_user_id": "lena", "count": 3}
        lean_result, rows, _ = await _both(runtime, reserve, nonce_params, first)
        assert lean_result.rows == rows and rows[0]["next_nonce"] == 7

    run(settings, work)
    assert len(taken) == 5  # one per statement: each ran lean
    postgres = settings.database_url.startswith("postgresql")
    # the seed's insert is the first of its write either way
    assert len(begun) == ((5 if first else 1) if postgres else 0)


def test_lean_writes_are_read_back_as_written(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = make_partner(settings)
    taken = _counting(monkeypatch)

    async def work(runtime: Runtime) -> None:
        partner_id = await find_partner_id(Unit(runtime.db), partner.name)
        statement = _insert_ignoring_conflicts(
            User.__table__,  # type: ignore[arg-type]
            runtime.db.backend,
        )
        user = {"partner_id": partner_id, "user_id": "mo", "created_at": NOW}

        async def write(conn: AsyncConnection) -> tuple[lean.LeanResult, ...]:
            first = await lean.execute(conn, statement, user)
            again = await lean.execute(conn, statement, user)  # ignored: already there
            entries = [
                {
                    "partner_id": partner_id,
                    "kind": "pull",
                    "amount_cents": -i,
                    "reference": f"ref-{i}",
                    "user_id": "mo",
                    "created_at": NOW + timedelta(seconds=i),
                }
                for i in range(3)
            ]
            many = await lean.execute(conn, ADD_ENTRY, entries)  # executemany
            return first, again, many

        first, again, many = await _inline(runtime, write)
        assert (first.rowcount, again.rowcount) == (1, 0)
        if runtime.db.backend == "sqlite":  # asyncpg does not count an executemany's rows
            assert many.rowcount == 3
        async with runtime.db.read() as conn:
            stored = (
                await conn.execute(
                    select(LedgerEntry.amount_cents, LedgerEntry.reference, LedgerEntry.created_at)
                    .where(LedgerEntry.user_id == "mo")
                    .order_by(LedgerEntry.amount_cents.desc())
                )
            ).all()
            assert [(a, r) for a, r, _ in stored] == [(0, "ref-0"), (-1, "ref-1"), (-2, "ref-2")]
            assert [c.replace(tzinfo=UTC) for _, _, c in stored] == [
                NOW + timedelta(seconds=i) for i in range(3)
            ]

    run(settings, work)
    # PostgreSQL: the three ledger rows are one multi-row INSERT of SQLAlchemy's.
    assert len(taken) == (3 if settings.database_url.startswith("sqlite") else 2)


def test_a_lean_constraint_failure_is_sqlalchemys_error_and_rolls_back_alone(
    settings: Settings,
) -> None:
    partner = make_partner(settings)
    postgres = settings.database_url.startswith("postgresql")

    async def work(runtime: Runtime) -> None:
        partner_id = await find_partner_id(Unit(runtime.db), partner.name)
        entry = _entry(partner_id, "same")
        await _inline(runtime, lambda conn: lean.execute(conn, ADD_ENTRY, entry))
        with pytest.raises(IntegrityError) as first:
            again = {**entry, "amount_cents": -6}
            await _inline(runtime, lambda conn: lean.execute(conn, ADD_ENTRY, again))

        async def after_another(conn: AsyncConnection) -> None:
            await lean.execute(conn, ADD_ENTRY, _entry(partner_id, "other"))
            await lean.execute(conn, ADD_ENTRY, {**entry, "amount_cents": -7})

        with pytest.raises(IntegrityError) as later:
            await _inline(runtime, after_another)
        if postgres:  # the sqlstate Database.transaction and the callers read
            assert first.value.orig.sqlstate == later.value.orig.sqlstate == "23505"  # type: ignore[union-attr]
        assert type(first.value.orig) is type(later.value.orig)
        async with runtime.db.read() as conn:
            amounts = (
                await conn.execute(
                    select(LedgerEntry.amount_cents).where(LedgerEntry.user_id == "zed")
                )
            ).scalars()
            assert list(amounts) == [-5]

    run(settings, work)


def test_statements_sqlalchemy_must_complete_are_not_run_lean() -> None:
    """A column with a Python-side default left out of the values: SQLAlchemy fills it in."""
    from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite

    dialect = SQLiteDialect_aiosqlite()
    seeds = _insert_ignoring_conflicts(FairnessSeed.__table__, "sqlite")  # type: ignore[arg-type]
    without_nonce = ("partner_id", "user_id", "server_seed", "server_seed_hash", "created_at")
    assert not lean.Compiled(seeds, dialect, without_nonce).lean
    assert lean.Compiled(ADD_ENTRY, dialect, tuple(ADD_ENTRY.table.c.keys())[1:]).lean


def test_a_write_not_asked_inline_runs_through_sqlalchemy(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: long writes (imports, price moves) keep their statements on the driver's
    thread. PostgreSQL has no such thread: both run lean."""
    partner = make_partner(settings)
    taken = _counting(monkeypatch)

    async def work(runtime: Runtime) -> None:
        partner_id = await find_partner_id(Unit(runtime.db), partner.name)
        entry = _entry(partner_id, "plain")
        async with runtime.db.write() as conn:
            await lean.execute(conn, ADD_ENTRY, entry)
        inline = {**entry, "reference": "inline"}
        await _inline(runtime, lambda conn: lean.execute(conn, ADD_ENTRY, inline))

    run(settings, work)
    assert len(taken) == (1 if settings.database_url.startswith("sqlite") else 2)


def test_a_quotes_cards_read_lean_as_by_the_list_statement(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to FEW_CARDS ids: one parameter per id (lean); more: the expanding list."""
    from clawvault.db.models import Card
    from clawvault.shipping.repository import CARDS, FEW_CARDS, ShippingRepository

    pack_id = make_pack(settings, cards_per_tier=10, clock=utcnow)
    taken = _counting(monkeypatch)

    async def work(runtime: Runtime) -> None:
        async with runtime.db.read() as conn:
            query = select(Card.id).where(Card.pack_id == pack_id)
            ids = list((await conn.execute(query)).scalars())
        for count in (1, 3, FEW_CARDS - 1, FEW_CARDS, 29):
            chosen = [*ids[:count][::-1], "no-such-card"]

            async def both(conn: AsyncConnection, chosen: list[str] = chosen) -> tuple[Any, Any]:
                got = await ShippingRepository(conn).cards(chosen)
                expected = await conn.execute(CARDS, {"card_ids": chosen})
                return got, expected.mappings().all()

            got, expected = await _inline(runtime, both)
            assert [dict(r) for r in got] == [dict(r) for r in expected]
            assert len(got) == count

    run(settings, work)
    assert len(taken) == 3  # 2, 4 and FEW_CARDS ids (with the unknown one) ran lean


def test_a_lean_statement_that_begins_a_transaction_is_inside_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first statement of a write may be lean (PostgreSQL: it goes through SQLAlchemy,
    whose asyncpg adapter begins the transaction with it): it rolls back with the rest."""
    partner = make_partner(settings)
    taken = _counting(monkeypatch)

    async def work(runtime: Runtime) -> list[int]:
        partner_id = await find_partner_id(Unit(runtime.db), partner.name)

        async def then_roll_back(conn: AsyncConnection) -> None:
            await lean.execute(conn, ADD_ENTRY, _entry(partner_id, "first"))
            raise Rollback()

        with pytest.raises(Rollback):
            await _inline(runtime, then_roll_back)
        async with runtime.db.read() as conn:
            query = select(LedgerEntry.amount_cents).where(LedgerEntry.user_id == "zed")
            return list((await conn.execute(query)).scalars())

    assert run(settings, work) == []
    assert len(taken) == 1


def test_a_lean_statement_in_autocommit_commits_alone(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's one-statement writes (`Unit.one_statement`): no transaction to begin, so
    each lean statement runs prepared on the asyncpg connection, and stays once run."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("autocommit is PostgreSQL's")
    partner = make_partner(settings)
    taken = _counting(monkeypatch)
    begun = _begun(monkeypatch)

    async def work(runtime: Runtime) -> list[int]:
        partner_id = await find_partner_id(Unit(runtime.db), partner.name)
        async with runtime.db.autocommit_engine.connect() as conn:
            await lean.execute(conn, ADD_ENTRY, _entry(partner_id, "alone"))
            with pytest.raises(IntegrityError):
                await lean.execute(conn, ADD_ENTRY, _entry(partner_id, "alone"))
            await lean.execute(conn, ADD_ENTRY, {**_entry(partner_id, "next"), "amount_cents": -6})
        async with runtime.db.read() as conn:
            query = select(LedgerEntry.amount_cents).where(LedgerEntry.user_id == "zed")
            return sorted((await conn.execute(query)).scalars())

    assert run(settings, work) == [-6, -5]
    assert (len(taken), begun) == (3, [])


def test_a_lean_statement_on_a_connection_not_begun_begins_sqlalchemys_transaction(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: a connection whose transaction SQLAlchemy has not begun yet (no `begin()`,
    no statement): the lean statement begins it as `conn.execute` would, so a commit keeps it
    and a rollback drops it with the statements after it."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite's writes go through its writer")
    partner = make_partner(settings)
    taken = _counting(monkeypatch)
    begun = _begun(monkeypatch)

    async def work(runtime: Runtime) -> list[str]:
        partner_id = await find_partner_id(Unit(runtime.db), partner.name)
        async with runtime.db.engine.connect() as conn:
            await lean.execute(conn, ADD_ENTRY, _entry(partner_id, "kept"))
            assert conn.in_transaction()
            await conn.commit()
        async with runtime.db.engine.connect() as conn:
            await lean.execute(conn, ADD_ENTRY, _entry(partner_id, "dropped"))
            await lean.execute(conn, ADD_ENTRY, _entry(partner_id, "dropped too"))
            await conn.rollback()
        async with runtime.db.read() as conn:
            query = select(LedgerEntry.reference).where(LedgerEntry.user_id == "zed")
            return list((await conn.execute(query)).scalars())

    assert run(settings, work) == ["kept"]
    assert (len(taken), len(begun)) == (3, 2)
