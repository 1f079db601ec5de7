"""The HTTP client webhooks are sent with: a target's address is checked at connect time, on the
very address the connection goes to. (Checking a name first and letting the client resolve it
again would let a DNS answer that changes in between — rebinding — reach a private address.)"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from clawvault.webhooks.domain import address_allowed

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """Resolves once, refuses the host when any of its addresses is not public, then connects to
    one of exactly those addresses (TLS still verifies the certificate for the host name)."""

    def __init__(
        self, inner: httpcore.AsyncNetworkBackend | None = None, resolver: Resolver = resolve
    ) -> None:
        self.inner = inner or httpcore.AnyIOBackend()
        self.resolver = resolver

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        refused = [address for address in addresses if not address_allowed(address)]
        if refused or not addresses:
            raise httpcore.ConnectError(
                f"{host} resolves to a non-public address {refused[0] if refused else '(none)'}"
            )
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not sent to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PublicOnlyTransport(httpx.AsyncHTTPTransport):
    def __init__(self, backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=backend or PublicOnlyBackend(),
        )


def webhook_client(timeout_seconds: float, allow_private: bool) -> httpx.AsyncClient:
    """No proxies from the environment (they would connect for us, unchecked), no redirects."""
    transport = None if allow_private else PublicOnlyTransport()
    return httpx.AsyncClient(
        timeout=timeout_seconds, trust_env=False, follow_redirects=False, transport=transport
    )
