"""A real headless Chromium (Debian's `chromium`) driven by Playwright's bundled driver: never a
browser that Playwright downloads. Without one the end-to-end tests skip, under CI=true they
fail."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

CHROMIUM = os.environ.get("CLAWVAULT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_chromium() -> None:
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"no Chromium at {CHROMIUM} (apt-get install chromium, or `make test` as root)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError as exc:
            problem = f"the playwright package is missing ({exc}): make install"
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true but the end-to-end console tests cannot run: {problem}")
    pytest.skip(f"end-to-end console tests skipped: {problem}")


@contextmanager
def chromium(viewport: tuple[int, int] = (1440, 900)) -> Iterator[BrowserContext]:
    """A fresh browser profile; every confirmation dialog is accepted (as an operator would)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="clawvault-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": viewport[0], "height": viewport[1]},
            )
            context.on("page", lambda page: page.on("dialog", lambda dialog: dialog.accept()))
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
