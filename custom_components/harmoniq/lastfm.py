"""Async Last.fm API 2.0 client over an injected aiohttp session (no Home Assistant imports).

Politeness is built in: every HTTP request of a client goes through one sliding-window
rate limiter (`max_calls_per_second`, default 5) and one semaphore (`max_concurrent`,
default 2). Transient failures (errors 8, 11, 16, 29, HTTP 5xx, connection errors and
timeouts) are retried after `retry_delays`; errors 10 and 26 never are.

Results of the data methods can be kept in a `LastFmCache` (JSON-serialisable, with a
time-to-live per method) so that repeated questions cost no HTTP request.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
import logging
import time
from typing import Any, Final

import aiohttp

_LOGGER = logging.getLogger(__name__)

API_URL: Final = "https://ws.audioscrobbler.com/2.0/"
# Seconds to wait before each retry of a transient error, and the most calls per
# second (both read at construction).
RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)
MAX_CALLS_PER_SECOND = 5
USER_AGENT: Final = "Harmoniq/0.1 (+https://github.com/harmoniq-dev/harmoniq)"
REQUEST_TIMEOUT: Final = 15.0

ERROR_INVALID_PARAMETERS: Final = 6  # also "not found"
ERROR_OPERATION_FAILED: Final = 8
ERROR_INVALID_API_KEY: Final = 10
ERROR_SERVICE_OFFLINE: Final = 11
ERROR_TEMPORARY: Final = 16
ERROR_SUSPENDED_API_KEY: Final = 26
ERROR_RATE_LIMIT: Final = 29

RETRYABLE_ERRORS: Final = frozenset(
    {ERROR_OPERATION_FAILED, ERROR_SERVICE_OFFLINE, ERROR_TEMPORARY, ERROR_RATE_LIMIT}
)
PERIODS: Final = ("overall", "7day", "1month", "3month", "6month", "12month")

# Items asked for per page by the paging methods. Last.fm's maximum `limit` is not
# documented (UNCONFIRMED); 100 keeps replies small and rarely needs a second page.
PAGE_SIZE: Final = 100
# The rate window is widened a little so that jitter between sending a request and
# Last.fm (or the fake) receiving it cannot put six requests into one second.
_RATE_WINDOW: Final = 1.05

SECONDS_PER_HOUR: Final = 3600
SECONDS_PER_DAY: Final = 24 * SECONDS_PER_HOUR
CACHE_TTL: Final[Mapping[str, float]] = {
    "artist.getsimilar": 7 * SECONDS_PER_DAY,
    "artist.gettoptracks": 7 * SECONDS_PER_DAY,
    "user.gettopartists": SECONDS_PER_DAY,
    "chart.gettoptracks": 3 * SECONDS_PER_HOUR,
    "geo.gettoptracks": 3 * SECONDS_PER_HOUR,
}
DEFAULT_CACHE_TTL: Final = 3 * SECONDS_PER_HOUR
CACHE_MAX_ENTRIES: Final = 5000
CACHE_EXPORT_VERSION: Final = 1


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


class LastFmRateLimitError(LastFmError):
    """Last.fm kept answering error 29 (rate limit exceeded) after the retries."""


@dataclass(frozen=True, slots=True)
class LastFmUser:
    """A Last.fm user profile."""

    name: str
    play_count: int


@dataclass(frozen=True, slots=True)
class LastFmTrack:
    """A track in a Last.fm answer, with the names Last.fm returned.

    `playcount`/`listeners` are 0 when the method does not give them (geo charts have
    no playcount).
    """

    artist: str
    title: str
    playcount: int
    listeners: int
    mbid: str | None


@dataclass(frozen=True, slots=True)
class LastFmArtist:
    """An artist in a Last.fm answer, with the name Last.fm returned.

    `playcount` is the user's scrobbles (user.getTopArtists, else 0); `match` (0-1) is
    the similarity to the seed (artist.getSimilar, else 0.0).
    """

    name: str
    playcount: int
    match: float
    mbid: str | None


# --------------------------------------------------------------------------- cache


def _normalise(value: str) -> str:
    """Lower-case and collapse whitespace, as Last.fm matches names case-insensitively."""
    return " ".join(value.split()).casefold()


def cache_key(method: str, params: Mapping[str, str | int]) -> str:
    """Return the cache key of a call: method plus normalised params, sorted.

    `api_key`, `format` and the like are transport details and not part of the key.
    """
    parts = [
        f"{name}={_normalise(str(value))}"
        for name, value in sorted(params.items())
        if name not in ("api_key", "format", "method", "autocorrect")
    ]
    return "|".join([method.lower(), *parts])


@dataclass(slots=True)
class _CacheEntry:
    stored: float
    expires: float
    value: Any


class LastFmCache:
    """Parsed Last.fm answers by method and params, each with a time to live.

    Values are plain JSON-serialisable data (lists of dicts), so `export()` can be
    saved as-is and read back with `from_export()`. The oldest entries are evicted
    beyond `max_entries`; expired entries are dropped when read and when loaded.
    `on_change` (if set) is called after every change, e.g. to schedule a save.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        max_entries: int = CACHE_MAX_ENTRIES,
        ttl: Mapping[str, float] | None = None,
    ) -> None:
        """Create an empty cache; `clock` gives wall-clock seconds (injectable)."""
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._clock = clock
        self._max_entries = max_entries
        self._ttl = {key.lower(): value for key, value in (ttl or CACHE_TTL).items()}
        self._entries: dict[str, _CacheEntry] = {}  # oldest first
        self.hits = 0
        self.misses = 0
        self.on_change: Callable[[], None] | None = None

    def __len__(self) -> int:
        """Return the number of entries (expired ones not yet dropped included)."""
        return len(self._entries)

    def ttl(self, method: str) -> float:
        """Return how long answers of `method` are kept, in seconds."""
        return self._ttl.get(method.lower(), DEFAULT_CACHE_TTL)

    def get(self, method: str, params: Mapping[str, str | int]) -> Any | None:
        """Return the cached value of a call, or None if absent or expired."""
        key = cache_key(method, params)
        entry = self._entries.get(key)
        if entry is not None and entry.expires <= self._clock():
            del self._entries[key]
            self._changed()
            entry = None
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        return entry.value

    def set(self, method: str, params: Mapping[str, str | int], value: Any) -> None:
        """Store the value of a call (JSON-serialisable data) for the method's TTL."""
        key = cache_key(method, params)
        now = self._clock()
        self._entries.pop(key, None)  # re-insert at the end: newest
        self._entries[key] = _CacheEntry(now, now + self.ttl(method), value)
        self._evict()
        self._changed()

    def prune(self) -> int:
        """Drop expired entries; return how many were dropped."""
        now = self._clock()
        expired = [key for key, entry in self._entries.items() if entry.expires <= now]
        for key in expired:
            del self._entries[key]
        if expired:
            self._changed()
        return len(expired)

    def clear(self) -> None:
        """Drop everything."""
        self._entries.clear()
        self._changed()

    def export(self) -> dict[str, Any]:
        """Return the whole cache as JSON-serialisable data, for `from_export`."""
        return {
            "version": CACHE_EXPORT_VERSION,
            "entries": {
                key: {
                    "stored": entry.stored,
                    "expires": entry.expires,
                    "value": entry.value,
                }
                for key, entry in self._entries.items()
            },
        }

    @classmethod
    def from_export(
        cls,
        data: Mapping[str, Any] | None,
        now: float | None = None,
        *,
        clock: Callable[[], float] = time.time,
        max_entries: int = CACHE_MAX_ENTRIES,
        ttl: Mapping[str, float] | None = None,
    ) -> LastFmCache:
        """Rebuild a cache from `export()` data, dropping entries expired at `now`.

        Data of another version or shape gives an empty cache rather than an error.
        """
        cache = cls(clock=clock, max_entries=max_entries, ttl=ttl)
        if now is None:
            now = clock()
        if not isinstance(data, Mapping) or data.get("version") != CACHE_EXPORT_VERSION:
            return cache
        entries = data.get("entries")
        if not isinstance(entries, Mapping):
            return cache
        loaded: list[tuple[str, _CacheEntry]] = []
        for key, raw in entries.items():
            try:
                entry = _CacheEntry(
                    float(raw["stored"]), float(raw["expires"]), raw["value"]
                )
            except (KeyError, TypeError, ValueError):
                continue
            if entry.expires > now:
                loaded.append((str(key), entry))
        loaded.sort(key=lambda item: item[1].stored)
        cache._entries = dict(loaded)
        cache._evict()
        return cache

    def _evict(self) -> None:
        while len(self._entries) > self._max_entries:
            del self._entries[next(iter(self._entries))]

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


# --------------------------------------------------------------------------- client


type Sleep = Callable[[float], Awaitable[None]]
"""Waits the given seconds (`asyncio.sleep`, or a test's fake clock)."""


class _RateLimiter:
    """At most `max_calls` starts in any `window` seconds (sliding window).

    It reads the time from `monotonic` and waits with `sleep`: a test passes a fake
    pair and checks the waits the limiter computes without spending them.
    """

    def __init__(
        self,
        max_calls: int,
        window: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._max_calls = max_calls
        self._window = window
        self._monotonic = monotonic
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more request may start, and record its start."""
        async with self._lock:
            while True:
                now = self._monotonic()
                while self._starts and now - self._starts[0] >= self._window:
                    self._starts.popleft()
                if len(self._starts) < self._max_calls:
                    self._starts.append(now)
                    return
                await self._sleep(self._window - (now - self._starts[0]))


class _TransientError(Exception):
    """A failure worth retrying; carries the error to raise when retries run out."""

    def __init__(self, error: LastFmError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    body: dict[str, Any]


class LastFmClient:
    """Reads Last.fm's public API with an API key."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        *,
        cache: LastFmCache | None = None,
        retry_delays: Sequence[float] | None = None,
        max_calls_per_second: int | None = None,
        max_concurrent: int = 2,
        request_timeout: float = REQUEST_TIMEOUT,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Use the given (shared) session; the API URL is read from `API_URL` now.

        `monotonic` and `sleep` are the clock and the wait of the rate limiter and
        the retries (tests pass a fake pair).
        """
        if max_calls_per_second is None:
            max_calls_per_second = MAX_CALLS_PER_SECOND
        if max_calls_per_second < 1 or max_concurrent < 1:
            raise ValueError("max_calls_per_second and max_concurrent must be >= 1")
        self._session = session
        self._api_key = api_key
        self._api_url = API_URL
        self.cache = cache
        self._retry_delays = tuple(
            RETRY_DELAYS if retry_delays is None else retry_delays
        )
        self._sleep = sleep
        self._limiter = _RateLimiter(
            max_calls_per_second, _RATE_WINDOW, monotonic=monotonic, sleep=sleep
        )
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self.calls_made = 0
        """HTTP requests actually sent (retries included, cache hits not)."""

    # ---------------------------------------------------------------- transport

    async def _async_call(
        self, method: str, params: Mapping[str, str], *, retry: bool = True
    ) -> _Reply:
        """Call one method; return status and body, or raise.

        An error body is returned (not raised) only for error 6 answered with HTTP
        200, which callers interpret per method ("unknown artist" = empty answer).
        """
        delays = self._retry_delays if retry else ()
        for attempt, delay in enumerate((*delays, None), start=1):
            try:
                return await self._async_request(method, params)
            except _TransientError as transient:
                if delay is None:
                    raise transient.error from transient.error.__cause__
                _LOGGER.debug(
                    "Last.fm %s failed (%s); retry %d in %.2fs",
                    method,
                    transient.error,
                    attempt,
                    delay,
                )
            await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _async_request(self, method: str, params: Mapping[str, str]) -> _Reply:
        """Send one HTTP request (limited); raise `_TransientError` for retryable failures."""
        query = {"method": method, "api_key": self._api_key, "format": "json", **params}
        async with self._semaphore:
            await self._limiter.acquire()
            self.calls_made += 1
            try:
                async with self._session.get(
                    self._api_url,
                    params=query,
                    headers={"User-Agent": USER_AGENT},
                    timeout=self._timeout,
                ) as response:
                    status = response.status
                    try:
                        body = await response.json(content_type=None)
                    except ValueError:
                        body = None
            except (aiohttp.ClientError, TimeoutError) as err:
                unreachable = LastFmConnectionError(f"Cannot reach Last.fm: {err!r}")
                unreachable.__cause__ = err
                raise _TransientError(unreachable) from err
        if isinstance(body, dict) and "error" in body:
            try:
                code = int(body["error"])
            except (TypeError, ValueError):
                code = -1
            error = _error_for(code, str(body.get("message", "")))
            if code in RETRYABLE_ERRORS:
                raise _TransientError(error)
            if code == ERROR_INVALID_PARAMETERS and status == 200:
                return _Reply(status, body)
            raise error
        if status == 429:
            raise _TransientError(
                LastFmRateLimitError("Last.fm answered HTTP 429", ERROR_RATE_LIMIT)
            )
        if status >= 500:
            raise _TransientError(
                LastFmConnectionError(f"Last.fm answered HTTP {status}")
            )
        if status != 200 or not isinstance(body, dict):
            raise LastFmConnectionError(
                f"Last.fm answered HTTP {status} without its API's JSON"
            )
        return _Reply(status, body)

    async def _async_cached(
        self,
        method: str,
        key_params: Mapping[str, str | int],
        fetch: Callable[[], Awaitable[Any]],
    ) -> Any:
        """Return the cached value of a call, or fetch, store and return it."""
        if self.cache is not None:
            value = self.cache.get(method, key_params)
            if value is not None:
                return value
        value = await fetch()
        if self.cache is not None:
            self.cache.set(method, key_params, value)
        return value

    async def _async_pages(
        self, method: str, container: str, item: str, limit: int, **params: str
    ) -> tuple[list[dict[str, Any]], _Reply | None]:
        """Collect up to `limit` items of a paginated method.

        Returns the raw items and, if the first page was an error-6 body, that reply.
        """
        items: list[dict[str, Any]] = []
        page = 1
        page_size = min(limit, PAGE_SIZE)
        max_pages = -(-limit // page_size) + 1  # one spare for short pages
        while len(items) < limit and page <= max_pages:
            reply = await self._async_call(
                method, {**params, "page": str(page), "limit": str(page_size)}
            )
            if "error" in reply.body:
                if page == 1:
                    return [], reply
                break
            root = reply.body.get(container)
            if not isinstance(root, dict):
                break
            got = _as_list(root.get(item))
            items.extend(got)
            attr = root.get("@attr")
            total_pages = _int(attr.get("totalPages")) if isinstance(attr, dict) else 0
            if not got or page >= total_pages:
                break
            page += 1
        return items[:limit], None

    # ---------------------------------------------------------------- account

    async def async_get_user(self, username: str) -> LastFmUser:
        """Return a user's profile (canonical name and play count).

        Not retried and not cached: it validates input while a user waits.
        """
        reply = await self._async_call("user.getInfo", {"user": username}, retry=False)
        if "error" in reply.body:
            raise LastFmNotFoundError(
                str(reply.body.get("message", "User not found")),
                ERROR_INVALID_PARAMETERS,
            )
        user = reply.body.get("user")
        if not isinstance(user, dict) or not _text(user.get("name")):
            raise LastFmConnectionError("Last.fm answered user.getInfo without a user")
        return LastFmUser(
            name=_text(user["name"]), play_count=_int(user.get("playcount"))
        )

    async def async_validate_key(self) -> None:
        """Make the cheapest call that proves the API key works (not retried)."""
        await self._async_call("chart.getTopTracks", {"limit": "1"}, retry=False)

    # ---------------------------------------------------------------- data

    async def async_chart_top_tracks(self, limit: int = 50) -> list[LastFmTrack]:
        """Return the global top tracks (chart.getTopTracks), paging as needed."""
        _check_limit(limit)

        async def fetch() -> list[dict[str, Any]]:
            items, error = await self._async_pages(
                "chart.getTopTracks", "tracks", "track", limit
            )
            if error is not None:
                raise _not_found(error)
            return _tracks(items)

        return _to_tracks(
            await self._async_cached("chart.getTopTracks", {"limit": limit}, fetch)
        )

    async def async_geo_top_tracks(
        self, country: str, limit: int = 50
    ) -> list[LastFmTrack]:
        """Return a country's top tracks (geo.getTopTracks), paging as needed.

        `country` is an ISO 3166-1 country *name* ("Germany"). UNCONFIRMED (not in the
        reference): the reply has the chart's shape (root key `tracks`, items without
        `playcount`, so it is 0), and an unknown country is error 6, raised here as
        `LastFmNotFoundError`.
        """
        _check_limit(limit)
        if not country.strip():
            raise ValueError("country is required")

        async def fetch() -> list[dict[str, Any]]:
            items, error = await self._async_pages(
                "geo.getTopTracks", "tracks", "track", limit, country=country.strip()
            )
            if error is not None:
                raise _not_found(error)
            return _tracks(items)

        return _to_tracks(
            await self._async_cached(
                "geo.getTopTracks", {"country": country, "limit": limit}, fetch
            )
        )

    async def async_user_top_artists(
        self, user: str, period: str = "overall", limit: int = 50
    ) -> list[LastFmArtist]:
        """Return a user's most played artists over `period` (user.getTopArtists).

        Raises `LastFmNotFoundError` for an unknown user.
        """
        _check_limit(limit)
        if period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}")
        if not user.strip():
            raise ValueError("user is required")

        async def fetch() -> list[dict[str, Any]]:
            items, error = await self._async_pages(
                "user.getTopArtists",
                "topartists",
                "artist",
                limit,
                user=user.strip(),
                period=period,
            )
            if error is not None:
                raise _not_found(error)
            return _artists(items)

        return _to_artists(
            await self._async_cached(
                "user.getTopArtists",
                {"user": user, "period": period, "limit": limit},
                fetch,
            )
        )

    async def async_similar_artists(
        self, artist: str, limit: int = 50
    ) -> list[LastFmArtist]:
        """Return artists similar to `artist`, most similar first (artist.getSimilar).

        An artist Last.fm does not know gives an empty list (cached like any answer).
        """
        _check_limit(limit)
        if not artist.strip():
            raise ValueError("artist is required")

        async def fetch() -> list[dict[str, Any]]:
            reply = await self._async_call(
                "artist.getSimilar",
                {"artist": artist.strip(), "autocorrect": "1", "limit": str(limit)},
            )
            root = reply.body.get("similarartists")
            if "error" in reply.body or not isinstance(root, dict):
                return []
            return _artists(_as_list(root.get("artist")))[:limit]

        return _to_artists(
            await self._async_cached(
                "artist.getSimilar", {"artist": artist, "limit": limit}, fetch
            )
        )

    async def async_artist_top_tracks(
        self, artist: str, limit: int = 50
    ) -> list[LastFmTrack]:
        """Return an artist's most played tracks (artist.getTopTracks), paging as needed.

        An artist Last.fm does not know gives an empty list (cached like any answer).
        """
        _check_limit(limit)
        if not artist.strip():
            raise ValueError("artist is required")

        async def fetch() -> list[dict[str, Any]]:
            items, error = await self._async_pages(
                "artist.getTopTracks",
                "toptracks",
                "track",
                limit,
                artist=artist.strip(),
                autocorrect="1",
            )
            if error is not None:
                return []
            return _tracks(items)

        return _to_tracks(
            await self._async_cached(
                "artist.getTopTracks", {"artist": artist, "limit": limit}, fetch
            )
        )


# --------------------------------------------------------------------------- parsing


def _error_for(code: int, message: str) -> LastFmError:
    if code in (ERROR_INVALID_API_KEY, ERROR_SUSPENDED_API_KEY):
        return LastFmAuthError(message, code)
    if code == ERROR_INVALID_PARAMETERS:
        return LastFmNotFoundError(message, code)
    if code == ERROR_RATE_LIMIT:
        return LastFmRateLimitError(message, code)
    return LastFmError(message, code)


def _not_found(reply: _Reply) -> LastFmNotFoundError:
    return LastFmNotFoundError(
        str(reply.body.get("message", "Not found")), ERROR_INVALID_PARAMETERS
    )


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError("limit must be at least 1")


def _as_list(value: Any) -> list[dict[str, Any]]:
    """Normalise a Last.fm list: a lone object becomes a one-item list; None empty."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _text(value: Any) -> str:
    """Return the text of a value that may be a `{"#text": ...}` object."""
    if isinstance(value, dict):
        value = value.get("#text", value.get("name", ""))
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def _int(value: Any) -> int:
    """Coerce a Last.fm number (string or number, maybe missing) to int; else 0."""
    text = _text(value).replace(",", "")
    try:
        return int(float(text)) if text else 0
    except ValueError:
        return 0


def _float(value: Any) -> float:
    """Coerce a Last.fm number (string or number, maybe missing) to float; else 0.0."""
    try:
        return float(_text(value)) if _text(value) else 0.0
    except ValueError:
        return 0.0


def _mbid(value: Any) -> str | None:
    return _text(value) or None


def _tracks(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parse raw track items into plain dicts (the cached form); skip nameless ones."""
    tracks = []
    for item in items:
        title = _text(item.get("name"))
        artist = _text(item.get("artist"))
        if not title or not artist:
            continue
        tracks.append(
            {
                "artist": artist,
                "title": title,
                "playcount": _int(item.get("playcount")),
                "listeners": _int(item.get("listeners")),
                "mbid": _mbid(item.get("mbid")),
            }
        )
    return tracks


def _artists(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parse raw artist items into plain dicts (the cached form); skip nameless ones."""
    artists = []
    for item in items:
        name = _text(item.get("name"))
        if not name:
            continue
        artists.append(
            {
                "name": name,
                "playcount": _int(item.get("playcount")),
                "match": _float(item.get("match")),
                "mbid": _mbid(item.get("mbid")),
            }
        )
    return artists


def _to_tracks(data: list[dict[str, Any]]) -> list[LastFmTrack]:
    return [
        LastFmTrack(
            artist=str(item["artist"]),
            title=str(item["title"]),
            playcount=int(item.get("playcount") or 0),
            listeners=int(item.get("listeners") or 0),
            mbid=item.get("mbid") or None,
        )
        for item in data
    ]


def _to_artists(data: list[dict[str, Any]]) -> list[LastFmArtist]:
    return [
        LastFmArtist(
            name=str(item["name"]),
            playcount=int(item.get("playcount") or 0),
            match=float(item.get("match") or 0.0),
            mbid=item.get("mbid") or None,
        )
        for item in data
    ]
