"""Async Last.fm API 2.0 client over an injected aiohttp session (no Home Assistant imports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import aiohttp

API_URL: Final = "https://ws.audioscrobbler.com/2.0/"
USER_AGENT: Final = "Harmoniq/0.1 (+https://github.com/harmoniq-dev/harmoniq)"
REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=15)

ERROR_INVALID_PARAMETERS: Final = 6  # also "not found"
ERROR_INVALID_API_KEY: Final = 10
ERROR_SUSPENDED_API_KEY: Final = 26


class LastFmError(Exception):
    """Last.fm answered with an error code, or not at all."""

    def __init__(self, message: str, code: int | None = None) -> None:
        """Keep Last.fm's error code next to the message."""
        super().__init__(message)
        self.code = code


class LastFmAuthError(LastFmError):
    """The API key is invalid or suspended (errors 10 and 26)."""


class LastFmNotFoundError(LastFmError):
    """The user, artist or track does not exist (error 6 on a well-formed request)."""


class LastFmConnectionError(LastFmError):
    """Last.fm could not be reached or answered something that is not its API."""


@dataclass(frozen=True, slots=True)
class LastFmUser:
    """A Last.fm user profile."""

    name: str
    play_count: int


class LastFmClient:
    """Reads Last.fm's public API with an API key."""

    def __init__(self, session: aiohttp.ClientSession, api_key: str) -> None:
        """Use the given (shared) session; the API URL is read from `API_URL` now."""
        self._session = session
        self._api_key = api_key
        self._api_url = API_URL

    async def _async_call(self, method: str, **params: str) -> dict[str, Any]:
        """Call one API method and return its JSON body, raising on any error."""
        query = {"method": method, "api_key": self._api_key, "format": "json", **params}
        try:
            async with self._session.get(
                self._api_url,
                params=query,
                headers={"User-Agent": USER_AGENT},
                timeout=REQUEST_TIMEOUT,
            ) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError as err:
                    raise LastFmConnectionError(
                        f"Last.fm answered HTTP {response.status} without JSON"
                    ) from err
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as err:
            raise LastFmConnectionError(f"Cannot reach Last.fm: {err!r}") from err
        if isinstance(body, dict) and "error" in body:
            raise _error_for(int(body["error"]), str(body.get("message", "")))
        if status != 200 or not isinstance(body, dict):
            raise LastFmConnectionError(f"Last.fm answered HTTP {status}")
        return body

    async def async_get_user(self, username: str) -> LastFmUser:
        """Return a user's profile (canonical name and play count)."""
        user = (await self._async_call("user.getInfo", user=username))["user"]
        return LastFmUser(name=str(user["name"]), play_count=int(user.get("playcount", 0)))

    async def async_validate_key(self) -> None:
        """Make the cheapest call that proves the API key works."""
        await self._async_call("chart.getTopTracks", limit="1")


def _error_for(code: int, message: str) -> LastFmError:
    if code in (ERROR_INVALID_API_KEY, ERROR_SUSPENDED_API_KEY):
        return LastFmAuthError(message, code)
    if code == ERROR_INVALID_PARAMETERS:
        return LastFmNotFoundError(message, code)
    return LastFmError(message, code)

