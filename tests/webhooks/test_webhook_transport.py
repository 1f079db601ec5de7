"""Webhook connections go to the address that was checked, resolved once (no DNS rebinding)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpcore
import httpx
import pytest

from clawvault.webhooks.transport import PublicOnlyBackend, PublicOnlyTransport, webhook_client
from tests.receiver import receiver

PUBLIC, ALSO_PUBLIC, PRIVATE = "93.184.216.34", "1.1.1.1", "127.0.0.1"


class Rebinding:
    """A DNS that answers a public address first and a private one afterwards."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class Recording(httpcore.AsyncNetworkBackend):
    """Stands in for the network: records where a connection was asked to go, refuses it."""

    def __init__(self) -> None:
        self.connected: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append(host)
        raise httpcore.ConnectError(f"{host} unreachable")


def post(backend: httpcore.AsyncNetworkBackend, url: str) -> str:
    async def send() -> str:
        async with httpx.AsyncClient(transport=PublicOnlyTransport(backend)) as http:
            with pytest.raises(httpx.ConnectError) as refused:
                await http.post(url, content=b"{}")
            return str(refused.value)

    return asyncio.run(send())


def test_connects_to_the_checked_address_and_never_resolves_again() -> None:
    dns = Rebinding([PUBLIC], [PRIVATE])
    network = Recording()
    error = post(PublicOnlyBackend(network, dns), "http://hooks.example/h")
    assert dns.asked == ["hooks.example"]
    assert network.connected == [PUBLIC]
    assert "unreachable" in error


def test_every_address_is_tried_in_turn() -> None:
    network = Recording()
    post(PublicOnlyBackend(network, Rebinding([PUBLIC, ALSO_PUBLIC])), "https://hooks.example/h")
    assert network.connected == [PUBLIC, ALSO_PUBLIC]


@pytest.mark.parametrize(
    "answer", [[PRIVATE], [PUBLIC, "10.0.0.7"], ["169.254.169.254"], ["::1"], []]
)
def test_a_host_with_any_non_public_address_is_never_connected_to(answer: list[str]) -> None:
    network = Recording()
    error = post(PublicOnlyBackend(network, Rebinding(answer)), "http://hooks.example/h")
    assert network.connected == []
    assert "non-public address" in error


@pytest.mark.parametrize("allow_private", [True, False])
def test_environment_proxies_are_ignored(
    monkeypatch: pytest.MonkeyPatch, allow_private: bool
) -> None:
    """A proxy would make the connection for us, to an address nobody checked."""

    async def send(url: str) -> int | None:
        async with webhook_client(5, allow_private=allow_private) as http:
            try:
                return (await http.post(url, content=b"{}")).status_code
            except httpx.ConnectError:
                return None

    with receiver() as proxy, receiver() as target:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.removesuffix("/hooks"))
        monkeypatch.setenv("ALL_PROXY", proxy.url.removesuffix("/hooks"))
        status = asyncio.run(send(target.url))
    assert proxy.received == []
    # Loopback is private: sent only when the operator allows private targets.
    assert (status, len(target.received)) == ((200, 1) if allow_private else (None, 0))
