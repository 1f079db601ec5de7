"""Open-loop load generator: requests leave at a fixed rate whatever the server does, and each
latency is measured from the moment its request was *due*, not from when a connection was free
(so a stalled server is not hidden by the generator waiting for it: no coordinated omission).

Run as its own process (`python -m bench.loadgen ...`); prints one JSON object. Every latency is
kept (a few hundred thousand floats at most), so the percentiles are exact, not bucketed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from array import array
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import uvloop


def load_requests(path: Path, host: str, headers: dict[str, str]) -> list[bytes]:
    """The request file: one `METHOD<TAB>PATH<TAB>BODY` per line (BODY may be empty)."""
    common = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    out = []
    for line in path.read_text().splitlines():
        if not line:
            continue
        method, target, body = [*line.split("\t", 2), "", ""][:3]
        payload = body.encode()
        head = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n{common}"
        if payload:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        out.append(head.encode() + b"\r\n" + payload)
    return out


@dataclass
class Stats:
    latencies: array = field(default_factory=lambda: array("d"))
    status_errors: int = 0
    socket_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


class Connection(asyncio.Protocol):
    def __init__(self, client: Client) -> None:
        self.client = client
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.due = 0.0
        self.busy = False
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass

    def send(self, request: bytes, due: float) -> None:
        assert self.transport is not None
        self.busy = True
        self.due = due
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).split(b"\r\n")
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            del self.buffer[: end + 4 + length]
            status = int(head[0].split(b" ", 2)[1])
            self.busy = False
            self.client.completed(self, status)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.busy:
            self.client.failed(self)
        if not self.lost.done():
            self.lost.set_result(None)


class Client:
    def __init__(
        self, requests: list[bytes], rate: float, duration: float, total: int | None = None
    ) -> None:
        self.requests = requests
        self.rate = rate
        self.duration = duration
        self.total = total
        self.stats = Stats()
        self.idle: deque[Connection] = deque()
        self.backlog: deque[tuple[bytes, float]] = deque()
        self.sent = 0
        self.outstanding = 0
        self.done = asyncio.get_running_loop().create_future()
        self.generating = True

    def completed(self, conn: Connection, status: int) -> None:
        now = time.perf_counter()
        self.stats.latencies.append(now - conn.due)
        self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
        if status >= 400:
            self.stats.status_errors += 1
        self.outstanding -= 1
        self.release(conn)

    def failed(self, conn: Connection) -> None:
        self.stats.socket_errors += 1
        self.outstanding -= 1
        self._maybe_done()

    def release(self, conn: Connection) -> None:
        if self.backlog:
            request, due = self.backlog.popleft()
            conn.send(request, due)
        else:
            self.idle.append(conn)
            self._maybe_done()

    def _maybe_done(self) -> None:
        if not self.generating and self.outstanding == 0 and not self.done.done():
            self.done.set_result(None)

    def dispatch(self, due: float) -> None:
        request = self.requests[self.sent % len(self.requests)]
        self.sent += 1
        self.outstanding += 1
        if self.idle:
            self.idle.popleft().send(request, due)
        else:
            self.backlog.append((request, due))

    async def run(self) -> float:
        start = time.perf_counter()
        if self.total is not None:  # closed loop over a fixed count: all due now, 64 at a time
            for _ in range(self.total):
                self.dispatch(start)
            self.generating = False
            self._maybe_done()
            await self.done
            return time.perf_counter() - start
        interval = 1.0 / self.rate
        total = int(self.rate * self.duration)
        while self.sent < total:
            now = time.perf_counter()
            while self.sent < total and start + self.sent * interval <= now:
                self.dispatch(start + self.sent * interval)
            await asyncio.sleep(min(0.001, max(0.0, start + self.sent * interval - now)))
        self.generating = False
        self._maybe_done()
        try:
            await asyncio.wait_for(self.done, timeout=30)
        except TimeoutError:
            self.stats.socket_errors += self.outstanding
        return time.perf_counter() - start


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    headers = dict(h.split(": ", 1) for h in args.header)
    requests = load_requests(Path(args.requests), f"{args.host}:{args.port}", headers)
    loop = asyncio.get_running_loop()
    client = Client(requests, args.rate, args.duration, args.total)
    for _ in range(args.connections):
        _, conn = await loop.create_connection(lambda: Connection(client), args.host, args.port)
        client.idle.append(conn)
    elapsed = await client.run()
    for conn in client.idle:
        if conn.transport is not None:
            conn.transport.close()
    values = sorted(client.stats.latencies)
    ms = 1000.0
    return {
        "target_rate": args.rate,
        "requests": len(values),
        "achieved_rate": len(values) / elapsed if elapsed else 0.0,
        "duration_s": elapsed,
        "status_errors": client.stats.status_errors,
        "socket_errors": client.stats.socket_errors,
        "statuses": {str(k): v for k, v in sorted(client.stats.statuses.items())},
        "p50_ms": percentile(values, 0.50) * ms,
        "p99_ms": percentile(values, 0.99) * ms,
        "p999_ms": percentile(values, 0.999) * ms,
        "max_ms": (values[-1] if values else float("nan")) * ms,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", required=True, help="request file (see load_requests)")
    parser.add_argument("--rate", type=float, default=1.0, help="requests per second")
    parser.add_argument(
        "--total",
        type=int,
        help="closed loop instead: send this many requests, as fast as answered",
    )
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    args = parser.parse_args(argv)
    result = uvloop.run(main_async(args))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
