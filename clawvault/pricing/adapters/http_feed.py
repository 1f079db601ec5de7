"""Prices from an HTTP JSON feed, polled on a schedule. Two formats:

- "records": `[{"card_id", "fmv", "as_of"?, "source"?}, ...]`, or that list under "prices" in
  an object that may also give a default "as_of" and "source" for its entries;
- "map": `{"<card_id>": <fmv>, ...}` (as of the moment it is fetched).

Lenient, unlike a file: a bad entry is skipped and reported, the others are applied."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clawvault.catalog.errors import RowError
from clawvault.catalog.prices import parse_price
from clawvault.core.runtime import Runtime
from clawvault.db.unit import Unit
from clawvault.pricing.adapters.base import Fetched
from clawvault.pricing.domain import PriceQuote

if TYPE_CHECKING:
    import httpx

FORMATS = ("records", "map")


class FeedError(Exception):
    pass


class HttpFeedSource:
    def __init__(
        self,
        url: str,
        feed_format: str = "records",
        source: str = "feed",
        timeout_seconds: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if feed_format not in FORMATS:
            raise ValueError(f"price feed format must be one of {', '.join(FORMATS)}")
        self.name = source
        self.url = url
        self.format = feed_format
        self.timeout = timeout_seconds
        self.transport = transport

    async def fetch(self, runtime: Runtime, unit: Unit, turn: int) -> Fetched:
        import httpx  # only where a feed is configured (~10 MiB per worker otherwise)

        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
            response = await client.get(self.url, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise FeedError(f"price feed answered {response.status_code}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise FeedError("price feed did not answer JSON") from exc
        return self.parse(payload, runtime.clock())

    def parse(self, payload: Any, now: Any) -> Fetched:
        entries, defaults = self._entries(payload)
        quotes: list[PriceQuote] = []
        rejected: list[RowError] = []
        for row, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                rejected.append(RowError(row, "must be a JSON object"))
                continue
            quote, reasons = parse_price({**defaults, **entry}, self.name, now)
            if quote is None:
                rejected += [RowError(row, reason) for reason in reasons]
            else:
                quotes.append(quote)
        return Fetched(quotes, rejected)

    def _entries(self, payload: Any) -> tuple[list[Any], dict[str, Any]]:
        if self.format == "map":
            if not isinstance(payload, dict):
                raise FeedError('a "map" price feed is a JSON object of card id to fmv')
            return [{"card_id": k, "fmv": v} for k, v in payload.items()], {}
        if isinstance(payload, list):
            return payload, {}
        if isinstance(payload, dict) and isinstance(payload.get("prices"), list):
            defaults = {k: payload[k] for k in ("as_of", "source") if k in payload}
            return payload["prices"], defaults
        raise FeedError('a "records" price feed is a JSON array, or {"prices": [...]}')
