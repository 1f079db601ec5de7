"""The house's rules that a reviewer would otherwise have to remember: the sandbox is chosen at
the edge, and production code never asks which environment it serves."""

from __future__ import annotations

import ast
from pathlib import Path

import clawvault

PACKAGE = Path(clawvault.__file__).parent
# The composition root and the tools above it: they wire the sandbox in.
WIRING = {"app.py", "variants.py", "cli.py", "db/migrations/env.py"}


def modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(), str(path)))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_nothing_below_the_sandbox_imports_it() -> None:
    offenders = [
        name
        for name, tree in modules()
        if not name.startswith("sandbox/")
        and name not in WIRING
        and any(
            m == "clawvault.sandbox" or m.startswith("clawvault.sandbox.") for m in imported(tree)
        )
    ]
    assert offenders == []


def test_no_code_asks_whether_it_serves_the_sandbox() -> None:
    """The route prefix picks the implementation (clawvault.variants); a service that asked
    `is_sandbox` would be a second place deciding it."""
    offenders = [
        name
        for name, tree in modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "is_sandbox"
    ]
    assert offenders == []
