"""A unit of work per request: only `db/` begins, commits or rolls back. Services and
repositories hand their work to the request's (or the job's) `db.unit.Unit`."""

from __future__ import annotations

import ast

from tests.architecture.test_layers import modules

# What only a unit of work (db/unit.py) or the database layer may call.
TRANSACTION_CALLS = {
    "begin",
    "begin_nested",
    "commit",
    "rollback",
    "transaction",
    "write",
    "read",
    "autocommit_engine",
}


def opens_transactions(tree: ast.Module) -> list[int]:
    """Lines where a transaction is begun or ended on a database or connection (`x.db.write()`,
    `conn.begin()`, `engine.autocommit_engine`, ...)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in TRANSACTION_CALLS:
            target = ast.unparse(node.value)
            if node.attr in {"write", "read", "transaction"} and not target.endswith("db"):
                continue  # a unit's write/read, a file's read, ...
            lines.append(node.lineno)
    return lines


def test_only_units_begin_and_commit() -> None:
    offenders = {
        name: lines
        for name, tree in modules()
        if not name.startswith("db/")
        and name not in {"db/migrations/env.py"}
        and (lines := opens_transactions(tree))
    }
    assert offenders == {}


def test_the_check_sees_each_way_of_opening_one() -> None:
    for source in (
        "async with runtime.db.write() as conn: pass",
        "async with runtime.db.read() as conn: pass",
        "await runtime.db.transaction(work)",
        "async with self._db.autocommit_engine.connect() as conn: pass",
        "async with engine.begin() as conn: pass",
        "await conn.commit()",
    ):
        assert opens_transactions(ast.parse(f"async def f():\n    {source}\n")), source
    for source in ("await unit.write(work)", "await unit.read(work)", "path.read_text()"):
        assert not opens_transactions(ast.parse(f"async def f():\n    {source}\n")), source
