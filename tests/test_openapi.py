"""/openapi.json describes every route; schemathesis finds no 5xx and no answer off-schema."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from clawvault.app import create_app
from clawvault.core.timeutil import utcnow
from clawvault.settings import Settings
from tests.factories import make_pack, make_partner
from tests.live import serving
from tests.operator import ADMIN_TOKEN

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@contextmanager
def server_thread(settings: Settings) -> Iterator[str]:
    """The app under a real uvicorn, in a thread with its own event loop."""
    app = create_app(settings)
    ready: list[str] = []
    stop: asyncio.Event | None = None
    loop = asyncio.new_event_loop()

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        async with serving(app) as url:
            ready.append(url)
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    while not ready:
        if not thread.is_alive():
            raise RuntimeError("server did not start")
        threading.Event().wait(0.02)
    try:
        yield ready[0]
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)


def test_openapi_lists_every_route(settings: Settings) -> None:
    app = create_app(settings)
    paths = app.openapi()["paths"]
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith("/api/v1") or path.startswith("/_/api/v1"):
            assert path in paths, path
    buy = paths["/api/v1/vm/buy/init"]["post"]
    assert "requestBody" in buy
    examples = buy["responses"]["400"]["content"]["application/json"]["examples"]
    assert {"error": "user_id is required"} in [e["value"] for e in examples.values()]
    assert buy["responses"]["401"]["content"]["application/json"]["examples"]


def fuzz(operation: schemathesis.APIOperation, url: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    @hypothesis.settings(
        max_examples=15,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @hypothesis.given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

    return check


Check = Callable[[schemathesis.APIOperation, str, dict[str, str]], Callable[[], None]]


def fuzz_every_operation(settings: Settings, make_check: Check, *, key_only: bool = True) -> None:
    """`make_check`'s test of each operation of the app's OpenAPI against a live server, with
    the key its path wants; every operation's failure collected, then reported. Without
    `key_only`, operations with nothing to send but the key are left out."""
    partner = make_partner(settings)
    make_pack(settings, slug="fuzz-pack", clock=utcnow)
    quiet = settings.model_copy(update={"webhook_poll_seconds": 0, "admin_token": ADMIN_TOKEN})
    schema = schemathesis.openapi.from_dict(create_app(quiet).openapi())
    failures: list[str] = []
    with server_thread(quiet) as url:
        for result in schema.get_all_operations():
            operation = result.ok()
            headers = {"X-API-Key": partner.key}
            if operation.path.startswith("/_/"):
                headers = {"X-API-Key": partner.sandbox_key}
            if operation.path.startswith("/admin/"):
                headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            if not key_only and not (
                operation.path_parameters or operation.query or operation.body
            ):
                continue
            try:
                make_check(operation, url, headers)()
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    if failures:
        pytest.fail("\n\n".join(failures))


def test_schemathesis_finds_no_server_error_and_no_schema_violation(settings: Settings) -> None:
    fuzz_every_operation(settings, fuzz)


# Issue 22: strings built to hurt, where the schema wants a string, and schemathesis's own
# negative cases (wrong types, missing members, values out of range), on both databases.
HOSTILE_STRINGS = [
    "\u0000nul",
    "\ud800x",
    "x" * 100_000,
    "\u202eevil\u0301\u0301",
    "a/b",
    "a%2Fb",
    "..",
    "' OR 1=1 --",
    '"}]{[\\',
    "\u0007\u001b[31m",
    "12345",
]


def hostile_body(operation: schemathesis.APIOperation) -> Any:
    """A strategy of bodies with one hostile string or value in each member of the schema."""
    body = operation.definition.raw.get("requestBody", {})
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    members = list(schema.get("properties", {})) or ["name"]
    values = st.sampled_from([*HOSTILE_STRINGS, 10**30, -1, 1.5, {"a": {"b": ["\u0000"]}}])
    return st.fixed_dictionaries({name: values for name in members})


def fuzz_hostile(operation: schemathesis.APIOperation, url: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    strategies = [operation.as_strategy(GenerationMode.NEGATIVE)]
    path_names = [p.name for p in operation.path_parameters]
    if path_names:
        strategies.append(
            st.sampled_from(HOSTILE_STRINGS[3:]).flatmap(
                lambda value: operation.as_strategy(
                    path_parameters={name: value for name in path_names}
                )
            )
        )
    if operation.body:
        strategies.append(
            hostile_body(operation).flatmap(lambda body: operation.as_strategy(body=body))
        )

    @hypothesis.settings(
        max_examples=15,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @hypothesis.given(case=st.one_of(strategies))
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=url, headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            body = response.json()
            assert isinstance(body, dict) and isinstance(body.get("error"), str), response.text

    return check


def test_schemathesis_hostile_and_negative_cases_find_no_server_error(settings: Settings) -> None:
    # an operation with nothing to send but the key: the run above covers it
    fuzz_every_operation(settings, fuzz_hostile, key_only=False)
