"""Every code block of the README and the docs marked `<!-- runnable: NAME -->` runs, as
written, against a live `clawvault serve` on the demo catalog: the curl tours and examples as
bash scripts, the webhook signature checks (Python and TypeScript) on a real delivery."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.live import LiveServer
from tests.receiver import Receiver, receiver

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
TS_TOOLS = ROOT / "tests" / "docs" / "ts" / "node_modules"
BLOCK = re.compile(r"<!-- runnable: ([a-z0-9-]+) -->\n```(\w+)\n(.*?)\n```\n", re.S)
MARKER = re.compile(r"^<!-- runnable: ", re.M)
WEBHOOK_CHECKS = {"verify-webhook-python": "python", "verify-webhook-typescript": "typescript"}


@dataclass(frozen=True)
class Block:
    name: str
    language: str
    code: str
    source: str


def runnable_blocks() -> list[Block]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    blocks = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            name, language, code = match.groups()
            blocks.append(Block(name, language, code, str(page.relative_to(ROOT))))
    return blocks


BLOCKS = runnable_blocks()
SHELL_BLOCKS = [b for b in BLOCKS if b.language == "sh"]


def test_runnable_blocks_are_found_and_each_has_a_runner() -> None:
    names = [b.name for b in BLOCKS]
    assert len(names) == len(set(names)), f"two runnable blocks share a name: {names}"
    assert {"readme-tour", "quickstart-tour", *WEBHOOK_CHECKS} <= set(names)
    for block in BLOCKS:
        known = block.language == "sh" or WEBHOOK_CHECKS.get(block.name) == block.language
        assert known, (
            f"{block.source}: no runner for runnable block {block.name} ({block.language})"
        )
    marked = sum(len(MARKER.findall(text)) for text in _pages_text())
    assert marked == len(BLOCKS), "a runnable marker is not right before a fenced block"


def _pages_text() -> Iterator[str]:
    yield (ROOT / "README.md").read_text(encoding="utf-8")
    for page in sorted((ROOT / "docs").rglob("*.md")):
        yield page.read_text(encoding="utf-8")


@dataclass
class Demo:
    url: str
    key: str
    sandbox_key: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`clawvault serve` on a fresh SQLite file with the demo catalog and printed keys."""
    where = tmp_path_factory.mktemp("docs-demo")
    server = LiveServer(
        f"sqlite:///{where / 'demo.db'}",
        seed=True,
        print_demo_keys=True,
        log_path=where / "serve.log",
        env={
            "CLAWVAULT_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "CLAWVAULT_WEBHOOK_POLL_SECONDS": "0.2",
        },
    )
    try:
        server.start().wait_ready()
        log = (where / "serve.log").read_text()
        key = re.search(r"demo key:\s+(cv_live_\S+)", log)
        sandbox_key = re.search(r"demo key:\s+(sandbox-\S+)", log)
        assert key and sandbox_key, log
        yield Demo(server.url, key.group(1), sandbox_key.group(1))
    finally:
        server.stop()


@pytest.mark.skipif(shutil.which("curl") is None, reason="the shell examples need curl")
@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=[b.name for b in SHELL_BLOCKS])
def test_shell_block_runs_against_a_live_server(block: Block, demo: Demo, tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "B": demo.url,
        "K": demo.key,
        "SK": demo.sandbox_key,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.code],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"{block.source}: block {block.name} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


@dataclass
class Delivery:
    body: bytes
    signature: str
    secret: str


@pytest.fixture(scope="module")
def delivery(demo: Demo) -> Iterator[Delivery]:
    """A real signed webhook delivery: an endpoint registered, a pull made, the POST received."""
    headers = {"X-API-Key": demo.key}
    with receiver() as hooks, httpx.Client(base_url=demo.url, headers=headers) as api:
        created = api.post("/api/v1/webhooks/endpoints", json={"url": hooks.url})
        assert created.status_code == 201, created.text
        pack = api.get("/api/v1/vm/available").json()[0]["id"]
        pulled = api.post("/api/v1/vm/buy/init", json={"id": pack, "amount": 1, "user_id": "hook"})
        assert pulled.status_code == 200, pulled.text
        yield Delivery(*_first_delivery(hooks), created.json()["secret"])


def _first_delivery(hooks: Receiver) -> tuple[bytes, str]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if hooks.received:
            headers, body = hooks.received[0]
            return body, headers["clawvault-signature"]
        time.sleep(0.1)
    raise AssertionError("no webhook delivery within 30 s")


def block_named(name: str) -> Block:
    return next(b for b in BLOCKS if b.name == name)


def test_python_signature_check_accepts_a_real_delivery_and_nothing_else(
    delivery: Delivery,
) -> None:
    scope: dict[str, object] = {}
    exec(block_named("verify-webhook-python").code, scope)
    verify = scope["verify"]
    assert callable(verify)
    assert verify(delivery.body, delivery.signature, delivery.secret) is True
    assert verify(delivery.body + b" ", delivery.signature, delivery.secret) is False
    assert verify(delivery.body, delivery.signature, "whsec_wrong") is False
    old = re.sub(r"t=\d+", f"t={int(time.time()) - 301}", delivery.signature)
    assert verify(delivery.body, old, delivery.secret) is False


TS_MAIN = """
import { readFileSync } from "node:fs";
import { verify } from "./verify";

const [bodyFile, header, secret] = process.argv.slice(2);
const body = readFileSync(bodyFile);
const results = [
  verify(body, header, secret),
  verify(Buffer.concat([body, Buffer.from(" ")]), header, secret),
  verify(body, header, "whsec_wrong"),
  verify(body, header.replace(/t=\\d+/, `t=${Math.floor(Date.now() / 1000) - 301}`), secret),
];
console.log(JSON.stringify(results));
"""


def test_typescript_signature_check_accepts_a_real_delivery_and_nothing_else(
    delivery: Delivery, tmp_path: Path
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the TypeScript snippet was not run")
    tsc = TS_TOOLS / ".bin" / "tsc"
    if not tsc.exists():
        pytest.skip("no TypeScript in tests/docs/ts/node_modules (run `make node-deps`)")
    (tmp_path / "verify.ts").write_text(block_named("verify-webhook-typescript").code)
    (tmp_path / "main.ts").write_text(TS_MAIN)
    (tmp_path / "body.json").write_bytes(delivery.body)
    compiled = subprocess.run(
        [str(tsc), "--strict", "--target", "es2022", "--module", "commonjs", "--types", "node",
         "--typeRoots", str(TS_TOOLS / "@types"), "--outDir", str(tmp_path / "out"),
         str(tmp_path / "main.ts"), str(tmp_path / "verify.ts")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    ran = subprocess.run(
        [node, str(tmp_path / "out" / "main.js"), str(tmp_path / "body.json"),
         delivery.signature, delivery.secret],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[true,false,false,false]"
