"""Small files: no module of clawvault/ over 400 lines (the migrations aside, each a record of
one change), so a reader takes in one concern at a time."""

from __future__ import annotations

from pathlib import Path

import clawvault

PACKAGE = Path(clawvault.__file__).parent
MAX_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    over = {
        path.relative_to(PACKAGE).as_posix(): lines
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert over == {}
