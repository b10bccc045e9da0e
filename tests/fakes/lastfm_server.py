"""A fake Last.fm API 2.0 (JSON) served over real HTTP on 127.0.0.1.

It answers like ws.audioscrobbler.com: one path, routed on `method`; errors as
`{"error": code, "message": ...}` with the HTTP status Last.fm uses for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ERROR_MESSAGES = {
    3: "Invalid Method - No method with that name in this package",
    6: "Invalid parameters - Your request is missing a required parameter",
    8: "Operation failed - Most likely the backend service failed. Please try again.",
    10: "Invalid API key - You must be granted a valid key by last.fm",
    11: "Service Offline - This service is temporarily offline. Try again later.",
    16: "There was a temporary error processing your request. Please try again",
    26: "Suspended API key - Access for your account has been suspended, please contact Last.fm",
    29: "Rate limit exceeded - Your IP has made too many requests in a short period",
}


@dataclass
class FakeLastFmUser:
    """A Last.fm account the fake knows."""

    name: str
    play_count: int = 12345
    country: str = "None"


@dataclass
class LastFmFault:
    """An error the fake answers with instead of the real reply."""

    code: int
    status: int
    method: str | None
    remaining: int | None


@dataclass
class FakeLastFmServer:
    """The fake Last.fm server; start it with `start()`, stop with `stop()`."""

    api_keys: set[str] = field(default_factory=lambda: {"a" * 32})
    users: dict[str, FakeLastFmUser] = field(
        default_factory=lambda: {"rj": FakeLastFmUser("RJ")}
    )
    requests: list[dict[str, str]] = field(default_factory=list)
    _faults: list[LastFmFault] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> None:
        """Listen on a random port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/2.0/", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/2.0/"

    async def stop(self) -> None:
        """Stop listening and release everything."""
        if self._runner is not None:
            await self._runner.cleanup()

    def inject_error(
        self,
        code: int,
        *,
        status: int = 200,
        method: str | None = None,
        times: int | None = None,
    ) -> None:
        """Answer error `code` with HTTP `status` (to `method`, or all) `times` times."""
        self._faults.append(LastFmFault(code, status, method, times))

    def clear_faults(self) -> None:
        """Answer normally again."""
        self._faults.clear()

    def calls(self, method: str | None = None) -> list[dict[str, str]]:
        """Return the logged requests, optionally only those to `method`."""
        return [
            request
            for request in self.requests
            if method is None or request.get("method", "").lower() == method.lower()
        ]

    async def _handle(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        if request.method == "POST":
            params.update(
                {key: str(value) for key, value in (await request.post()).items()}
            )
        self.requests.append(params)
        method = params.get("method", "").lower()
        if not params.get("api_key"):
            return _error(6, 400)
        if params["api_key"] not in self.api_keys:
            return _error(10, 403)
        if fault := self._take_fault(method):
            return _error(fault.code, fault.status)
        handler = {
            "user.getinfo": self._user_get_info,
            "chart.gettoptracks": self._chart_get_top_tracks,
        }.get(method)
        if handler is None:
            return _error(3, 400)
        return handler(params)

    def _take_fault(self, method: str) -> LastFmFault | None:
        for fault in self._faults:
            if fault.method is None or fault.method.lower() == method:
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _user_get_info(self, params: dict[str, str]) -> web.Response:
        if not params.get("user"):
            return _error(6, 400)
        user = self.users.get(params["user"].lower())
        if user is None:
            return web.json_response(
                {"error": 6, "message": "User not found"}, status=404
            )
        return web.json_response(
            {
                "user": {
                    "name": user.name,
                    "realname": "",
                    "playcount": str(user.play_count),
                    "playlists": "0",
                    "country": user.country,
                    "subscriber": "0",
                    "url": f"https://www.last.fm/user/{user.name}",
                    "image": [{"size": "small", "#text": ""}],
                    "registered": {"unixtime": "1561177193", "#text": 1561177193},
                    "type": "user",
                    "age": "0",
                    "bootstrap": "0",
                    "gender": "n",
                }
            }
        )

    def _chart_get_top_tracks(self, params: dict[str, str]) -> web.Response:
        limit = int(params.get("limit", "50"))
        page = int(params.get("page", "1"))
        tracks: list[dict[str, Any]] = [
            {
                "name": f"Chart Song {rank}",
                "duration": "0",
                "playcount": str(1_000_000 - rank),
                "listeners": str(100_000 - rank),
                "mbid": "",
                "url": f"https://www.last.fm/music/Chart+Artist/_/Chart+Song+{rank}",
                "streamable": {"#text": "0", "fulltrack": "0"},
                "artist": {"name": "Chart Artist", "mbid": "", "url": ""},
                "image": [{"#text": "", "size": "small"}],
            }
            for rank in range((page - 1) * limit + 1, page * limit + 1)
        ]
        return web.json_response(
            {
                "tracks": {
                    "track": tracks,
                    "@attr": {
                        "page": str(page),
                        "perPage": str(limit),
                        "totalPages": "1000",
                        "total": str(1000 * limit),
                    },
                }
            }
        )


def _error(code: int, status: int) -> web.Response:
    return web.json_response(
        {"error": code, "message": ERROR_MESSAGES.get(code, "Error")}, status=status
    )
