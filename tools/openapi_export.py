"""Export clawvault's OpenAPI document: `python -m tools.openapi_export [PATH]` (`make openapi`).

The docs site's API reference is rendered from the exported file; tests/docs checks that the
committed file is what the app describes today."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from clawvault.app import create_app
from clawvault.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
OPENAPI_PATH = ROOT / "docs" / "reference" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI, built without opening any database."""
    app = create_app(Settings(database_url="sqlite:///./never-opened.db"))
    return app.openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else OPENAPI_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(openapi_document()), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
