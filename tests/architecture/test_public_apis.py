"""Only public APIs of our libraries (SQLAlchemy, asyncpg, aiosqlite, Starlette, FastAPI,
pydantic, uvicorn): a minor release of one must not be able to break a pull silently.

No attribute whose name starts with an underscore is read or set on anything but `self`/`cls`,
no underscore name is imported from those libraries, and no class of ours that extends one of
theirs defines or overrides an underscore member. The accesses that remain are listed below by
module: the SQLite write path (and db.lean's inline statements on it) still lean on aiosqlite's
and SQLAlchemy's internals (replacing them with a writer thread of our own on the stdlib
sqlite3 is the open part of the redesign). The list may only shrink: a new access fails, and
so does an entry that is gone but still listed."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import clawvault

PACKAGE = Path(clawvault.__file__).parent
LIBRARIES = {"sqlalchemy", "asyncpg", "aiosqlite", "starlette", "fastapi", "pydantic", "uvicorn"}

# module -> how many private accesses it still makes
REMAINING = {
    "db/engine.py": 3,  # _open_whole's daemon thread; sqlite_read on the driver's own thread
    "db/lean.py": 1,  # _inline_sqlite: the sqlite3 connection inside aiosqlite's
    "db/sqlite_driver.py": 20,  # OneTripCursor, installed into aiosqlite's adapter
    "db/sqlite_writer.py": 3,  # the write lock's statements on the driver's thread
}


def _library_names(tree: ast.Module) -> set[str]:
    """Names this module binds to something imported from one of the libraries."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in LIBRARIES:
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def private_accesses(tree: ast.Module) -> list[str]:
    """Each private access of the module once, as "line N: what"."""
    found: dict[tuple[int, int], str] = {}
    from_libraries = _library_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found[node.lineno, node.col_offset] = ast.unparse(node)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in LIBRARIES:
            module = node.module or ""
            if any(_private(part) for part in module.split(".")) or any(
                _private(alias.name) for alias in node.names
            ):
                found[node.lineno, node.col_offset] = f"from {module} import ..."
        elif isinstance(node, ast.ClassDef) and any(
            isinstance(base, ast.Name) and base.id in from_libraries for base in node.bases
        ):
            # a subclass of a library's class: its underscore members are the library's
            for member in ast.walk(node):
                if isinstance(member, ast.Attribute) and _private(member.attr):
                    found[member.lineno, member.col_offset] = f"{node.name}: {ast.unparse(member)}"
                elif isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(
                    member.name
                ):
                    found[member.lineno, member.col_offset] = f"{node.name}.{member.name}"
                elif isinstance(member, ast.Assign):
                    for target in member.targets:
                        if isinstance(target, ast.Name) and _private(target.id):
                            found[member.lineno, member.col_offset] = f"{node.name}.{target.id}"
    return [f"line {line}: {what}" for (line, _), what in sorted(found.items())]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_new_private_access_to_a_library() -> None:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        accesses = private_accesses(ast.parse(path.read_text(), str(path)))
        if accesses:
            found[path.relative_to(PACKAGE).as_posix()] = accesses
    assert Counter({module: len(a) for module, a in found.items()}) == Counter(REMAINING), found


def test_the_check_sees_each_kind_of_access() -> None:
    source = """
from sqlalchemy.engine import _private_thing
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_cursor
class Mine(AsyncAdapt_aiosqlite_cursor):
    _awaitable_cursor_close = False
    async def _execute_async(self, operation): ...
def f(driver):
    return driver._conn, driver.public, self_like._x
"""
    assert len(private_accesses(ast.parse(source))) == 5
