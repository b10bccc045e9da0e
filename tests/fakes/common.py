"""What the fake Plex and Jellyfin servers share.

Listening, recorded requests, gates that hold requests, latency and injected faults;
each fake answers in its own `_handle`, with its own replies for a fault.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal, NoReturn

from aiohttp import web

type FaultKind = Literal["status", "drop", "malformed", "empty", "trickle"]


@dataclass
class RecordedRequest:
    """One request a fake received, with what it answered."""

    method: str
    path: str
    query: list[tuple[str, str]]  # decoded, in order, repeated keys kept
    headers: dict[str, str]
    body: bytes
    status: int | None = None  # None: the connection was dropped
    response: bytes = b""

    def param(self, name: str) -> str | None:
        """Return the first value of a query parameter."""
        return next((value for key, value in self.query if key == name), None)


@dataclass
class Fault:
    """A fault to answer matching requests with instead of the real reply."""

    kind: FaultKind
    status: int
    path_prefix: str
    method: str | None
    remaining: int | None  # None: until clear_faults()
    chunk_size: int = 1  # trickle: bytes sent at a time
    interval: float = 0.1  # trickle: seconds between two sends


@dataclass
class Gate:
    """Holds requests of one method under a path until released."""

    method: str
    path: str
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a held request has arrived."""
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        """Let held and later requests through."""
        self.released.set()


class FakeHttpServer[R: RecordedRequest]:
    """A fake on 127.0.0.1 with the test controls; subclasses define `_handle`."""

    fold_path_case = False
    """Whether gates and faults match their path prefix ignoring case."""

    def __init__(self) -> None:
        """Set up the controls; nothing listens until `start()`."""
        self.latency = 0.0
        self.requests: list[R] = []
        self.faults: list[Fault] = []
        self.gates: list[Gate] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (a random free port by default)."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        """Stop listening and release everything."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self.requests.clear()

    def inject_fault(
        self,
        kind: FaultKind,
        *,
        status: int = 500,
        path_prefix: str = "",
        method: str | None = None,
        times: int | None = None,
        chunk_size: int = 1,
        interval: float = 0.1,
    ) -> None:
        """Answer matching requests with a fault instead of the real reply.

        `status`: the server's error reply with that status; `drop`: a dropped
        connection; `malformed`: 200 with a truncated body; `empty`: 200 with an empty
        body; `trickle`: the real reply, with its headers (and Content-Length) at once
        and its body `chunk_size` bytes every `interval` seconds.
        """
        self.faults.append(
            Fault(kind, status, path_prefix, method, times, chunk_size, interval)
        )

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.faults.clear()

    def hold(self, method: str, path_prefix: str) -> Gate:
        """Hold matching requests (already recorded) until the gate is released."""
        gate = Gate(method, path_prefix)
        self.gates.append(gate)
        return gate

    def _under(self, path: str, prefix: str) -> bool:
        if self.fold_path_case:
            return path.lower().startswith(prefix.lower())
        return path.startswith(prefix)

    async def _wait(self, method: str, path: str) -> None:
        """Wait at the matching gates, then for the latency."""
        for gate in list(self.gates):
            if method == gate.method and self._under(path, gate.path):
                gate.arrived.set()
                await gate.released.wait()
        if self.latency:
            await asyncio.sleep(self.latency)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (None, method) and self._under(path, fault.path_prefix):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                return fault
        return None


def drop_connection(request: web.Request) -> NoReturn:
    """Answer a `drop` fault: abort the connection without writing anything."""
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError  # nothing is written on an aborted connection


async def trickle(
    request: web.Request, record: RecordedRequest, fault: Fault, headers: dict[str, str]
) -> web.StreamResponse:
    """Send `record.response` as a slow 200 reply; `record.response` keeps what was sent."""
    body, record.response = record.response, b""
    record.status = 200
    response = web.StreamResponse(status=200, headers=headers)
    response.content_length = len(body)
    await response.prepare(request)
    for start in range(0, len(body), fault.chunk_size):
        await asyncio.sleep(fault.interval)
        chunk = body[start : start + fault.chunk_size]
        try:
            await response.write(chunk)
        except ConnectionError:  # the client gave up
            return response
        record.response += chunk
    await response.write_eof()
    return response
