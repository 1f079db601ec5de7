"""Only public APIs of our libraries (SQLAlchemy, asyncpg, aiosqlite, Starlette, FastAPI,
pydantic, uvicorn): a minor release of one must not be able to break a pull silently.

No attribute whose name starts with an underscore is read or set on anything but `self`/`cls`,
no underscore name is imported from those libraries, and no class of ours that extends one of
theirs defines or overrides an underscore member. None is left: SQLite's connections are our
own (stdlib sqlite3 on threads of ours, SQLAlchemy's public sync API on them), and db.lean
compiles and runs its statements through public APIs only."""

from __future__ import annotations

import ast
from pathlib import Path

import clawvault

ROOT = Path(clawvault.__file__).parent.parent
LIBRARIES = {"sqlalchemy", "asyncpg", "aiosqlite", "starlette", "fastapi", "pydantic", "uvicorn"}


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


def test_no_private_access_to_a_library() -> None:
    """In the product and in what measures it (tests may read our own private names, which
    this check cannot tell from a library's)."""
    found = {}
    for folder in ("clawvault", "bench", "tools"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            accesses = private_accesses(ast.parse(path.read_text(), str(path)))
            if accesses:
                found[path.relative_to(ROOT).as_posix()] = accesses
    assert found == {}


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
