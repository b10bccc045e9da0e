"""Jellyfin adapter: the `music_server` interface over Jellyfin's HTTP API (aiohttp).

Every request carries the `Authorization: MediaBrowser ...` header with the entry's
device id (and the user's token once logged in), the only form Jellyfin 12 accepts.
Failures become the backend-neutral errors of `music_server`. All calls act as one
user (`userId`), whose likes, favourites and plays are the listening data.

Jellyfin has no star ratings, skip counts, styles or sonic analysis: moods are tags
with a prefix (`MOOD:Chill`), liked and favourite tracks count as top-rated, and the
refinements are applied here to a random sample, as Jellyfin cannot select "rated
at least N or unrated" or "not played since, or never".
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
import re
import time
from typing import Any, Final, NamedTuple
import unicodedata
from urllib.parse import quote

import aiohttp

from homeassistant.util.json import json_loads

from .const import DEFAULT_MOOD_PREFIX
from .engine.eligibility import is_eligible, min_user_rating, played_cutoff
from .engine.models import Exclusions, Track, TrackQuery
from .engine.sampling import TrackBranch, scaled_pool
from .music_server import (
    ArtworkNotAllowedError,
    MusicLibrary,
    MusicServerAuthError,
    MusicServerConnectionError,
    MusicServerError,
    MusicServerSSLError,
    PlaylistEntry,
    PlaylistInfo,
    RequestStats,
    ServerCapabilities,
    ServerInfo,
    SonicAnalysisUnavailableError,
    TagChoices,
)

CLIENT_NAME: Final = "Harmoniq"
CLIENT_VERSION: Final = "0.2.0"  # the integration's version (manifest.json)
DEVICE_NAME: Final = "Home Assistant"
# One request may take this long in all, body included.
REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=60)
# Playlist entries read per request.
PLAYLIST_PAGE: Final = 1000
# Track ids asked for per request (they go in the URL).
IDS_PER_REQUEST: Final = 100
# Artists whose tracks one artist search reads (exact names first).
MAX_ARTIST_IDS: Final = 100
# With refinements or excluded tags checked here, the sample drawn per track wanted.
REFINED_OVERFETCH: Final = 3
# Seconds the ids an excluded artist's name resolves to are reused by searches.
ARTIST_IDS_TTL: Final = 3600
# Seconds the genres and tags a library has are reused for, to skip excluded
# names the library does not have (a season's tag, typically).
TAG_NAMES_TTL: Final = 6 * 3600
# The rating a liked or favourite track counts as (0-10 scale).
LIKED_RATING: Final = 10.0
# First version with `POST /Playlists/{id}` (replace all entries in one request).
BULK_REPLACE_SINCE: Final = (10, 9)
TICKS_PER_SECOND: Final = 10_000_000
_EPOCH = datetime.fromtimestamp(0, UTC)
_GUID = re.compile(
    r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I
)
_VERSION = re.compile(r"^(\d+)\.(\d+)")

type Params = Sequence[tuple[str, str]]


class JellyfinLogin(NamedTuple):
    """What a login gives the config flow."""

    token: str
    user_id: str
    server_id: str
    server_name: str


class QuickConnectCode(NamedTuple):
    """A Quick Connect request: the code the user enters, the secret to poll with."""

    code: str
    secret: str


class _StatusError(MusicServerError):
    """Jellyfin answered a client error other than 401."""

    def __init__(self, status: int, path: str) -> None:
        super().__init__(f"Jellyfin answered {status} to {path}")
        self.status = status


def _authorization(device_id: str, token: str | None) -> str:
    """Return the `MediaBrowser` header value (values percent-encoded)."""
    parts = {
        "Client": CLIENT_NAME,
        "Device": DEVICE_NAME,
        "DeviceId": device_id,
        "Version": CLIENT_VERSION,
    }
    if token:
        parts["Token"] = token
    return "MediaBrowser " + ", ".join(
        f'{key}="{quote(value, safe=" ")}"' for key, value in parts.items()
    )


class _Api:
    """Requests to one Jellyfin server, counted, with errors translated."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        device_id: str,
        token: str | None = None,
        verify_ssl: bool = True,
    ) -> None:
        self._session = session
        self._url = url.rstrip("/")
        self._ssl = verify_ssl
        self._headers = {
            "Authorization": _authorization(device_id, token),
            "Accept": "application/json",
        }
        self.requests = 0
        self.bytes_received = 0

    async def request(
        self,
        method: str,
        path: str,
        params: Params = (),
        body: dict[str, Any] | None = None,
        *,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> Any:
        """Return the parsed JSON reply, None for a reply without body.

        `body` is sent as JSON; `data` as it is, with `content_type`.
        """
        self.requests += 1
        headers = self._headers
        if content_type is not None:
            headers = headers | {"Content-Type": content_type}
        try:
            async with self._session.request(
                method,
                self._url + path,
                params=list(params),
                json=body,
                data=data,
                headers=headers,
                ssl=self._ssl,
                timeout=REQUEST_TIMEOUT,
            ) as response:
                status = response.status
                content = await response.read()
        except aiohttp.ClientSSLError as err:
            raise MusicServerSSLError(f"TLS error: {err}") from err
        except TimeoutError as err:
            raise MusicServerConnectionError(
                f"Jellyfin sent no complete reply to {path} within "
                f"{REQUEST_TIMEOUT.total:g} s"
            ) from err
        except aiohttp.ClientError as err:
            raise MusicServerConnectionError(f"{type(err).__name__}: {err}") from err
        self.bytes_received += len(content)
        if status == 401:
            raise MusicServerAuthError(f"Jellyfin rejected the request to {path}")
        if status >= 500:
            raise MusicServerConnectionError(f"Jellyfin answered {status} to {path}")
        if not 200 <= status < 300:
            raise _StatusError(status, path)
        if not content.strip():
            return None
        try:
            return json_loads(content)
        except ValueError as err:
            raise MusicServerError(f"Malformed reply from Jellyfin to {path}") from err


def _object(reply: object, what: str) -> dict[str, Any]:
    """Return a JSON object, or raise for any other reply."""
    if not isinstance(reply, dict):
        raise MusicServerError(f"Unexpected reply from Jellyfin for {what}")
    return reply


def _items(reply: object, what: str) -> list[dict[str, Any]]:
    """Return the objects of a `{"Items": [...]}` reply."""
    items = _object(reply, what).get("Items")
    if not isinstance(items, list):
        raise MusicServerError(f"Unexpected reply from Jellyfin for {what}")
    return [item for item in items if isinstance(item, dict)]


def _primary_image(item: dict[str, Any]) -> str | None:
    """Return the tag of an item's primary image, None without one."""
    tags = item.get("ImageTags")
    return _text(tags.get("Primary")) or None if isinstance(tags, dict) else None


def _image_type(image: bytes) -> str:
    """Return the Content-Type of a JPEG or PNG image."""
    return "image/png" if image.startswith(b"\x89PNG") else "image/jpeg"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _guid(value: str) -> str | None:
    """Return an id in Jellyfin's form (32 lower-case hex), None if it is not one."""
    return value.replace("-", "").lower() if _GUID.match(value) else None


def _parse_date(value: object) -> datetime | None:
    """Parse a Jellyfin date (1-7 fraction digits, `Z` or not: UTC)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (
        moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    )


def _user_rating(user_data: dict[str, Any]) -> float | None:
    """Return the 0-10 rating; liked and favourite tracks count as top-rated."""
    if user_data.get("IsFavorite") is True or user_data.get("Likes") is True:
        return LIKED_RATING
    rating = user_data.get("Rating")
    if isinstance(rating, int | float) and not isinstance(rating, bool):
        return float(rating)
    return None


def _strings(item: dict[str, Any], key: str) -> list[str]:
    """Return the strings of an item's list (`Genres`, `Tags`, `Artists`)."""
    values = item.get(key)
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _artist_names(item: dict[str, Any]) -> list[str]:
    """Return the names of all of an item's artists and album artists."""
    names = [*_strings(item, "Artists"), _text(item.get("AlbumArtist"))]
    for key in ("ArtistItems", "AlbumArtists"):
        linked = item.get(key)
        names.extend(
            _text(artist.get("Name"))
            for artist in (linked if isinstance(linked, list) else [])
            if isinstance(artist, dict)
        )
    return [name for name in names if name]


def _track(item: dict[str, Any], library_key: str) -> Track:
    """Read a Track from an `Audio` item."""
    user_data = item.get("UserData")
    if not isinstance(user_data, dict):
        user_data = {}
    album_artist = _text(item.get("AlbumArtist"))
    artists = item.get("Artists")
    first_artist = (
        next((a for a in artists if isinstance(a, str) and a), "")
        if isinstance(artists, list)
        else ""
    )
    return Track(
        id=_text(item.get("Id")),
        title=_text(item.get("Name")),
        artist=first_artist or album_artist,
        album=_text(item.get("Album")),
        album_artist=album_artist,
        user_rating=_user_rating(user_data),
        view_count=_count(user_data.get("PlayCount")) or 0,
        last_viewed_at=_parse_date(user_data.get("LastPlayedDate")),
        library_key=library_key,
        duration=(_count(item.get("RunTimeTicks")) or 0) / TICKS_PER_SECOND,
    )


def _login(reply: object) -> tuple[str, str, str]:
    """Return the token, user id and server id of an `AuthenticationResult`."""
    result = _object(reply, "login")
    user = result.get("User")
    token = _text(result.get("AccessToken"))
    user_id = _text(user.get("Id")) if isinstance(user, dict) else ""
    if not (token and user_id):
        raise MusicServerError("Unexpected reply from Jellyfin for login")
    return token, user_id, _text(result.get("ServerId"))


async def _async_login_result(api: _Api, reply: object) -> JellyfinLogin:
    """Complete a login with the server's name (one more request)."""
    token, user_id, server_id = _login(reply)
    public = _object(await api.request("GET", "/System/Info/Public"), "server info")
    return JellyfinLogin(
        token=token,
        user_id=user_id,
        server_id=server_id or _text(public.get("Id")),
        server_name=_text(public.get("ServerName")),
    )


async def async_login_password(
    session: aiohttp.ClientSession,
    url: str,
    username: str,
    password: str,
    device_id: str,
    *,
    verify_ssl: bool = True,
) -> JellyfinLogin:
    """Log a user in with name and password: two requests.

    Raises `MusicServerAuthError` for a wrong name or password, or a user who may
    not sign in (disabled, remote access denied).
    """
    api = _Api(session, url, device_id, verify_ssl=verify_ssl)
    try:
        reply = await api.request(
            "POST",
            "/Users/AuthenticateByName",
            body={"Username": username, "Pw": password},
        )
    except _StatusError as err:
        if err.status == 403:
            raise MusicServerAuthError("Jellyfin does not let this user in") from err
        raise
    return await _async_login_result(api, reply)


async def async_quick_connect_enabled(
    session: aiohttp.ClientSession,
    url: str,
    device_id: str,
    *,
    verify_ssl: bool = True,
) -> bool:
    """Return whether the server offers Quick Connect."""
    api = _Api(session, url, device_id, verify_ssl=verify_ssl)
    return await api.request("GET", "/QuickConnect/Enabled") is True


async def async_quick_connect_initiate(
    session: aiohttp.ClientSession,
    url: str,
    device_id: str,
    *,
    verify_ssl: bool = True,
) -> QuickConnectCode:
    """Start a Quick Connect request (valid 10 minutes).

    Raises `MusicServerAuthError` when Quick Connect is disabled.
    """
    api = _Api(session, url, device_id, verify_ssl=verify_ssl)
    reply = _object(
        await api.request("POST", "/QuickConnect/Initiate"), "Quick Connect"
    )
    code, secret = _text(reply.get("Code")), _text(reply.get("Secret"))
    if not (code and secret):
        raise MusicServerError("Unexpected reply from Jellyfin for Quick Connect")
    return QuickConnectCode(code, secret)


async def async_quick_connect_poll(
    session: aiohttp.ClientSession,
    url: str,
    device_id: str,
    secret: str,
    *,
    verify_ssl: bool = True,
) -> bool:
    """Return whether a user approved the Quick Connect request.

    Raises `MusicServerAuthError` when the request expired (or Quick Connect was
    disabled meanwhile).
    """
    api = _Api(session, url, device_id, verify_ssl=verify_ssl)
    try:
        reply = await api.request("GET", "/QuickConnect/Connect", [("secret", secret)])
    except _StatusError as err:
        if err.status == 404:
            raise MusicServerAuthError("The Quick Connect request expired") from err
        raise
    return _object(reply, "Quick Connect").get("Authenticated") is True


async def async_logout(
    session: aiohttp.ClientSession,
    url: str,
    device_id: str,
    token: str,
    *,
    verify_ssl: bool = True,
) -> None:
    """End a session Harmoniq will not use (a sign-in the config flow refused)."""
    api = _Api(session, url, device_id, token, verify_ssl)
    await api.request("POST", "/Sessions/Logout")


async def async_quick_connect_login(
    session: aiohttp.ClientSession,
    url: str,
    device_id: str,
    secret: str,
    *,
    verify_ssl: bool = True,
) -> JellyfinLogin:
    """Log in with an approved Quick Connect request: two requests.

    Raises `MusicServerAuthError` when it is not approved or expired.
    """
    api = _Api(session, url, device_id, verify_ssl=verify_ssl)
    try:
        reply = await api.request(
            "POST", "/Users/AuthenticateWithQuickConnect", body={"Secret": secret}
        )
    except _StatusError as err:
        if err.status == 404:
            raise MusicServerAuthError(
                "The Quick Connect request is not approved or expired"
            ) from err
        raise
    return await _async_login_result(api, reply)


class JellyfinMusicServer:
    """A Jellyfin server as one user sees it, through the `music_server` interface."""

    def __init__(
        self,
        api: _Api,
        user_id: str,
        info: ServerInfo,
        capabilities: ServerCapabilities,
        mood_prefix: str,
    ) -> None:
        """Wrap a connection checked by `async_connect`."""
        self._api = api
        self._user_id = user_id
        self._mood_prefix = mood_prefix
        self.info = info
        self.capabilities = capabilities
        self.artwork_allowed = True
        release = _VERSION.match(info.version)
        # Jellyfin 12 also ignores punctuation when it compares genres and tags.
        self._fold_punctuation = release is None or int(release[1]) >= 12
        self._artist_ids: dict[str, tuple[float, tuple[str, ...]]] = {}
        """Clean artist name -> (expiry on the monotonic clock, artist ids)."""
        self._tag_names: dict[str, tuple[float, frozenset[str], frozenset[str]]] = {}
        """Library -> (expiry on the monotonic clock, clean genres, clean tags)."""

    @classmethod
    async def async_connect(
        cls,
        session: aiohttp.ClientSession,
        url: str,
        token: str,
        user_id: str,
        device_id: str,
        *,
        verify_ssl: bool,
        mood_prefix: str = DEFAULT_MOOD_PREFIX,
    ) -> JellyfinMusicServer:
        """Connect as the token's user (two requests).

        Raises `MusicServerAuthError` when the token is rejected or is not
        `user_id`'s, and the other `MusicServerError`s when the server fails.
        """
        api = _Api(session, url, device_id, token, verify_ssl)
        system = _object(await api.request("GET", "/System/Info"), "server info")
        try:
            me = _object(await api.request("GET", "/Users/Me"), "user")
        except _StatusError as err:
            if err.status == 400:  # an API key: a token without a user
                raise MusicServerAuthError("The token is not a user's") from err
            raise
        if _guid(_text(me.get("Id"))) != _guid(user_id):
            raise MusicServerAuthError("The token belongs to another user")
        server_id = _text(system.get("Id"))
        if not server_id:
            raise MusicServerError("Unexpected reply from Jellyfin for server info")
        version = _text(system.get("Version"))
        release = _VERSION.match(version)
        info = ServerInfo(
            unique_id=f"{server_id}_{user_id}",
            name=_text(system.get("ServerName")) or "Jellyfin",
            version=version,
        )
        capabilities = ServerCapabilities(
            moods=True,
            styles=False,
            star_ratings=False,
            skip_counts=False,
            sonic_analysis=False,
            bulk_playlist_replace=release is None
            or (int(release[1]), int(release[2])) >= BULK_REPLACE_SINCE,
            tags=True,
            mood_levels=("track",),
        )
        server = cls(api, user_id, info, capabilities, mood_prefix)
        # Only administrators may set images (`RequiresElevation`).
        policy = me.get("Policy")
        if isinstance(policy, dict) and policy.get("IsAdministrator") is False:
            server.artwork_allowed = False
        return server

    @property
    def stats(self) -> RequestStats:
        """Return the requests made and bytes received since connecting."""
        return RequestStats(self._api.requests, self._api.bytes_received)

    async def async_close(self) -> None:
        """Nothing to release: the session is Home Assistant's."""

    async def async_get_music_libraries(self) -> list[MusicLibrary]:
        """Return the user's music libraries."""
        reply = await self._api.request(
            "GET", "/UserViews", [("userId", self._user_id)]
        )
        return [
            MusicLibrary(key=_text(view.get("Id")), title=_text(view.get("Name")))
            for view in _items(reply, "libraries")
            if _text(view.get("CollectionType")).lower() == "music" and view.get("Id")
        ]

    async def async_get_tag_choices(self, library_keys: Sequence[str]) -> TagChoices:
        """Return the libraries' genres and moods (two requests per library)."""
        genres: dict[str, str] = {}
        moods: dict[str, str] = {}
        prefix = self._mood_prefix
        for library_key in library_keys:
            scope = [("parentId", library_key), ("userId", self._user_id)]
            for genre in _items(
                await self._api.request("GET", "/Genres", scope), "genres"
            ):
                if name := _text(genre.get("Name")):
                    genres.setdefault(name.casefold(), name)
            filters = _object(
                await self._api.request(
                    "GET", "/Items/Filters", [*scope, ("includeItemTypes", "Audio")]
                ),
                "tags",
            )
            tags = filters.get("Tags")
            for tag in tags if isinstance(tags, list) else []:
                if (
                    isinstance(tag, str)
                    and tag[: len(prefix)].casefold() == prefix.casefold()
                    and (mood := tag[len(prefix) :])
                ):
                    moods.setdefault(mood.casefold(), mood)
        return TagChoices(
            moods=tuple(sorted(moods.values(), key=str.casefold)),
            genres=tuple(sorted(genres.values(), key=str.casefold)),
        )

    async def _async_items(
        self, library_key: str, params: Params
    ) -> tuple[int, list[dict[str, Any]]]:
        """Return how many tracks of a library match `params`, and the items read."""
        reply = _object(
            await self._api.request(
                "GET",
                "/Items",
                [
                    ("userId", self._user_id),
                    ("parentId", library_key),
                    ("includeItemTypes", "Audio"),
                    ("recursive", "true"),
                    ("enableImages", "false"),
                    *params,
                ],
            ),
            "tracks",
        )
        items = [item for item in _items(reply, "tracks") if item.get("Id")]
        total = _count(reply.get("TotalRecordCount"))
        return (len(items) if total is None else total), items

    async def _async_tracks(
        self, library_key: str, params: Params
    ) -> tuple[int, list[Track]]:
        """Return how many tracks of a library match `params`, and the page read."""
        total, items = await self._async_items(library_key, params)
        return total, [_track(item, library_key) for item in items]

    async def async_search_tracks(
        self, library_keys: Sequence[str], query: TrackQuery, now: datetime
    ) -> list[TrackBranch]:
        """Return a uniform sample of the matching tracks per library: one request each.

        Genres and moods (tags `<prefix><mood>`) are filtered by Jellyfin, each
        list ORed. Tags live on tracks only, so every mood level means the track.
        Jellyfin has no styles: criteria with styles match nothing. The
        refinements are checked here on a sample `REFINED_OVERFETCH` times as
        large, the pool estimated from the share that passes.

        Excluded artists (track or album artists) are left out by Jellyfin
        (`excludeArtistIds`; names resolve to ids with one `/Artists` request
        per name, reused for `ARTIST_IDS_TTL` seconds). Jellyfin cannot leave
        out genres or tags, so excluded genres, moods and tags are checked here
        (`_excluded`) on the `fields=Genres,Tags` of a sample `REFINED_OVERFETCH`
        times as large, like the refinements. Excluded styles are ignored.
        """
        criteria = query.criteria
        if criteria.styles:
            return []
        exclusions = await self._async_in_library(library_keys, query.exclusions)
        params: list[tuple[str, str]] = [("sortBy", "Random")]
        if criteria.genres:
            params.append(("genres", "|".join(criteria.genres)))
        if criteria.moods:
            params.append(
                ("tags", "|".join(f"{self._mood_prefix}{m}" for m in criteria.moods))
            )
        if artist_ids := await self._async_artist_ids_named(exclusions.artists):
            params.append(("excludeArtistIds", ",".join(artist_ids)))
        tags_here = bool(exclusions.genres or exclusions.moods or exclusions.tags)
        if tags_here:
            params.append(("fields", "Genres,Tags"))
        excluded = self._excluded(exclusions)
        refinements = query.refinements
        checked_here = (
            tags_here
            or min_user_rating(refinements) is not None
            or played_cutoff(refinements, now) is not None
        )
        sample_size = query.limit * (REFINED_OVERFETCH if checked_here else 1)
        params.append(("limit", str(sample_size)))
        branches: list[TrackBranch] = []
        for library_key in library_keys:
            total, items = await self._async_items(library_key, params)
            eligible = [
                track
                for item in items
                if not excluded(item)
                and is_eligible(track := _track(item, library_key), refinements, now)
            ]
            branches.append(
                TrackBranch(
                    tuple(eligible[: query.limit]),
                    scaled_pool(total, len(eligible), len(items)),
                )
            )
        return branches

    async def _async_in_library(
        self, library_keys: Sequence[str], exclusions: Exclusions
    ) -> Exclusions:
        """Return the exclusions less the genres, moods and tags no library has.

        One `/Items/Filters` request per library every `TAG_NAMES_TTL` seconds,
        so that a name the libraries lack (a season's tag) costs neither a
        larger sample nor a check.
        """
        if not (exclusions.genres or exclusions.moods or exclusions.tags):
            return exclusions
        genres: set[str] = set()
        tags: set[str] = set()
        now = time.monotonic()
        for library_key in library_keys:
            cached = self._tag_names.get(library_key)
            if cached is None or cached[0] <= now:
                filters = _object(
                    await self._api.request(
                        "GET",
                        "/Items/Filters",
                        [
                            ("parentId", library_key),
                            ("userId", self._user_id),
                            ("includeItemTypes", "Audio"),
                        ],
                    ),
                    "filters",
                )
                cached = (
                    now + TAG_NAMES_TTL,
                    frozenset(self._clean(g) for g in _strings(filters, "Genres")),
                    frozenset(self._clean(t) for t in _strings(filters, "Tags")),
                )
                self._tag_names[library_key] = cached
            genres |= cached[1]
            tags |= cached[2]
        clean, prefix = self._clean, self._mood_prefix
        return replace(
            exclusions,
            genres=tuple(g for g in exclusions.genres if clean(g) in genres),
            moods=tuple(m for m in exclusions.moods if clean(prefix + m) in tags),
            tags=tuple(t for t in exclusions.tags if clean(t) in tags),
        )

    async def async_drop_excluded(
        self, tracks: Sequence[Track], exclusions: Exclusions
    ) -> list[Track]:
        """Return the tracks (in order) that match none of the exclusions.

        One `/Items?ids=...&fields=Genres,Tags` request per `IDS_PER_REQUEST`
        tracks, checked as a search checks its sample (`_excluded`: all the
        track's artists and album artists, its genres, mood tags and tags); no
        request when nothing (or only styles, which Jellyfin has not) is
        excluded. A track Jellyfin no longer has is kept: nothing says it is
        excluded.
        """
        if all(track.library_key for track in tracks):
            libraries = list(dict.fromkeys(track.library_key for track in tracks))
            exclusions = await self._async_in_library(libraries, exclusions)
        if not replace(exclusions, styles=()):
            return list(tracks)
        excluded = self._excluded(exclusions)
        unique = list(
            dict.fromkeys(guid for track in tracks if (guid := _guid(track.id)))
        )
        items = await self._async_items_by_id(
            unique, ("fields", "Genres,Tags"), ("enableUserData", "false")
        )
        dropped = {
            guid
            for item in items
            if excluded(item) and (guid := _guid(_text(item.get("Id"))))
        }
        return [track for track in tracks if _guid(track.id) not in dropped]

    def _clean(self, text: str) -> str:
        """Return a value as Jellyfin compares genres, tags and artist names.

        Diacritics removed and lower-cased (10.10, 10.11); from 12.0 also every
        character but letters and digits turned into a space, spaces collapsed.
        """
        value = unicodedata.normalize(
            "NFC",
            "".join(
                char
                for char in unicodedata.normalize("NFD", text)
                if unicodedata.category(char) != "Mn"
            ),
        ).lower()
        if self._fold_punctuation:
            value = " ".join(
                "".join(char if char.isalnum() else " " for char in value).split()
            )
        return value

    def _excluded(self, exclusions: Exclusions) -> Callable[[dict[str, Any]], bool]:
        """Return whether an `Audio` item matches one of the exclusions.

        Names compare as Jellyfin compares them (`_clean`), so an excluded genre
        also excludes the spellings Jellyfin treats as the same genre. Artists
        are all the track's artists and album artists; moods are the tags
        `<prefix><mood>`. Genres and tags need `fields=Genres,Tags`.
        """
        clean = self._clean

        def cleaned(names: Sequence[str], prefix: str = "") -> frozenset[str]:
            return frozenset(clean(prefix + name) for name in names if name.strip())

        artists = cleaned(exclusions.artists)
        genres = cleaned(exclusions.genres)
        tags = cleaned(exclusions.tags) | cleaned(exclusions.moods, self._mood_prefix)

        def excluded(item: dict[str, Any]) -> bool:
            return bool(
                (artists and artists & {clean(n) for n in _artist_names(item)})
                or (genres and genres & {clean(g) for g in _strings(item, "Genres")})
                or (tags and tags & {clean(t) for t in _strings(item, "Tags")})
            )

        return excluded

    async def _async_artist_ids_named(self, names: Sequence[str]) -> list[str]:
        """Return the ids of the artists with these names (as Jellyfin compares).

        One `/Artists?searchTerm=` request per name not looked up in the last
        `ARTIST_IDS_TTL` seconds; a name no artist has resolves to nothing.
        Never through `artists=`, which creates an artist for an unknown name.
        """
        now = time.monotonic()
        ids: list[str] = []
        for name in dict.fromkeys(name for name in names if name.strip()):
            key = self._clean(name)
            cached = self._artist_ids.get(key)
            if cached is None or cached[0] <= now:
                reply = await self._api.request(
                    "GET", "/Artists", [("searchTerm", name), ("userId", self._user_id)]
                )
                cached = (
                    now + ARTIST_IDS_TTL,
                    tuple(
                        artist_id
                        for artist in _items(reply, "artists")
                        if (artist_id := _text(artist.get("Id")))
                        and self._clean(_text(artist.get("Name"))) == key
                    ),
                )
                self._artist_ids[key] = cached
            ids += cached[1]
        return list(dict.fromkeys(ids))

    async def _async_items_by_id(
        self, guids: Sequence[str], *extra: tuple[str, str]
    ) -> list[dict[str, Any]]:
        """Return the items of these ids: one request per `IDS_PER_REQUEST`."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(guids), IDS_PER_REQUEST):
            reply = await self._api.request(
                "GET",
                "/Items",
                [
                    ("userId", self._user_id),
                    ("ids", ",".join(guids[start : start + IDS_PER_REQUEST])),
                    ("recursive", "true"),
                    ("enableImages", "false"),
                    *extra,
                ],
            )
            items += _items(reply, "tracks")
        return items

    async def async_get_tracks(self, track_ids: Sequence[str]) -> list[Track]:
        """Return tracks by id, in the given order; unknown ids are left out."""
        wanted = [guid for track_id in track_ids if (guid := _guid(track_id))]
        found = {
            guid: _track(item, "")
            for item in await self._async_items_by_id(list(dict.fromkeys(wanted)))
            if item.get("Type") == "Audio" and (guid := _guid(_text(item.get("Id"))))
        }
        return [found[guid] for guid in wanted if guid in found]

    async def _async_library_tracks(
        self, library_keys: Sequence[str], params: Params
    ) -> list[Track]:
        """Return the tracks matching `params` in each library, one request each."""
        tracks: list[Track] = []
        for library_key in library_keys:
            tracks += (await self._async_tracks(library_key, params))[1]
        return tracks

    async def async_recent_tracks(
        self, library_keys: Sequence[str], limit: int
    ) -> list[Track]:
        """Return the most recently played tracks of the libraries, latest first."""
        tracks = await self._async_library_tracks(
            library_keys,
            [
                ("filters", "IsPlayed"),
                ("sortBy", "DatePlayed"),
                ("sortOrder", "Descending"),
                ("limit", str(limit)),
            ],
        )
        tracks.sort(key=lambda track: track.last_viewed_at or _EPOCH, reverse=True)
        return tracks[:limit]

    async def _async_artist_ids(
        self, path: str, term: str, *, exact: bool
    ) -> list[str]:
        """Return the ids of artists whose name contains (or is) `term`, any case.

        Looked up by name, never through `artists=`, which creates an artist
        item for a name the server does not know.
        """
        if not term.strip():
            return []
        reply = await self._api.request(
            "GET", path, [("searchTerm", term), ("userId", self._user_id)]
        )
        found = [
            (_text(artist.get("Name")).casefold() != term.casefold(), artist_id)
            for artist in _items(reply, "artists")
            if (artist_id := _text(artist.get("Id")))
        ]
        found.sort(key=lambda pair: pair[0])  # exact names first
        return [artist_id for inexact, artist_id in found if not (exact and inexact)][
            :MAX_ARTIST_IDS
        ]

    async def async_artist_tracks(
        self, library_keys: Sequence[str], artist: str, limit: int
    ) -> list[Track]:
        """Return random tracks whose album artist is `artist` (exact, any case)."""
        ids = await self._async_artist_ids("/Artists/AlbumArtists", artist, exact=True)
        if not ids:
            return []
        tracks = await self._async_library_tracks(
            library_keys,
            [
                ("albumArtistIds", ",".join(ids)),
                ("sortBy", "Random"),
                ("limit", str(limit)),
            ],
        )
        return tracks[:limit]

    async def async_tracks_by_artist(
        self, library_keys: Sequence[str], artist_term: str, limit: int
    ) -> list[Track]:
        """Return tracks by artists (track or album) whose name contains the term."""
        ids = await self._async_artist_ids("/Artists", artist_term, exact=False)
        if not ids:
            return []
        return await self._async_library_tracks(
            library_keys,
            [("artistIds", ",".join(ids)), ("sortBy", "Name"), ("limit", str(limit))],
        )

    async def async_tracks_titled(
        self, library_keys: Sequence[str], title_term: str, limit: int
    ) -> list[Track]:
        """Return tracks whose title contains `title_term` (Jellyfin folds case and accents)."""
        if not title_term.strip():
            return []
        return await self._async_library_tracks(
            library_keys, [("searchTerm", title_term), ("limit", str(limit))]
        )

    async def async_nearest(
        self, track_id: str, limit: int, max_distance: float
    ) -> list[tuple[Track, float]]:
        """Jellyfin has no sonic analysis (Instant Mix is genre and chance)."""
        raise SonicAnalysisUnavailableError("Jellyfin has no sonic analysis")

    async def async_sonic_path(self, start: Track, end: Track) -> list[Track]:
        """Jellyfin has no sonic analysis."""
        raise SonicAnalysisUnavailableError("Jellyfin has no sonic analysis")

    async def async_get_playlist(self, playlist_id: str) -> PlaylistInfo | None:
        """Return a playlist with its entries, None if the user cannot see it.

        Two requests (the playlist's name, then its entries, a page at a time).
        """
        if (guid := _guid(playlist_id)) is None:
            return None
        try:
            item = _object(
                await self._api.request(
                    "GET", f"/Items/{guid}", [("userId", self._user_id)]
                ),
                "playlist",
            )
            if item.get("Type") != "Playlist":
                return None
            entries = await self._async_entries(guid)
        except _StatusError as err:
            if err.status == 404:
                return None
            raise
        return PlaylistInfo(
            id=_text(item.get("Id")) or guid,
            title=_text(item.get("Name")),
            summary=_text(item.get("Overview")) or None,
            track_count=len(entries),
            entries=tuple(entries),
            artwork=_primary_image(item),
            artwork_known=isinstance(item.get("ImageTags"), dict),
        )

    async def _async_entries(self, playlist_id: str) -> list[PlaylistEntry]:
        """Read a playlist's entries, `PLAYLIST_PAGE` per request."""
        entries: list[PlaylistEntry] = []
        start = 0
        while True:
            reply = _object(
                await self._api.request(
                    "GET",
                    f"/Playlists/{playlist_id}/Items",
                    [
                        ("userId", self._user_id),
                        ("startIndex", str(start)),
                        ("limit", str(PLAYLIST_PAGE)),
                        ("enableImages", "false"),
                        ("enableUserData", "false"),
                    ],
                ),
                "playlist entries",
            )
            page = _items(reply, "playlist entries")
            entries += [
                PlaylistEntry(
                    track_id=_text(item.get("Id")),
                    entry_id=_text(item.get("PlaylistItemId")),
                )
                for item in page
                if item.get("Id")
            ]
            start += len(page)
            total = _count(reply.get("TotalRecordCount"))
            if not page or total is None or start >= total:
                return entries

    async def async_find_playlists(self, title: str) -> list[PlaylistInfo]:
        """Return the user's playlists named `title` (any case), with summaries.

        One search, and one check per playlist of that name that the user may
        really see (some versions list other users' private playlists).
        """
        reply = await self._api.request(
            "GET",
            "/Items",
            [
                ("userId", self._user_id),
                ("includeItemTypes", "Playlist"),
                ("recursive", "true"),
                ("searchTerm", title),
                ("fields", "Overview"),
                ("enableImages", "false"),
            ],
        )
        found: list[PlaylistInfo] = []
        for item in _items(reply, "playlists"):
            playlist_id = _text(item.get("Id"))
            if (
                item.get("Type") != "Playlist"
                or not playlist_id
                or _text(item.get("Name")).casefold() != title.casefold()
            ):
                continue
            try:
                await self._api.request("GET", f"/Playlists/{playlist_id}")
            except _StatusError as err:
                if err.status == 404:
                    continue
                raise
            found.append(
                PlaylistInfo(
                    id=playlist_id,
                    title=_text(item.get("Name")),
                    summary=_text(item.get("Overview")) or None,
                    track_count=_count(item.get("ChildCount")) or 0,
                )
            )
        return found

    async def async_create_playlist(
        self, title: str, track_ids: Sequence[str], summary: str
    ) -> PlaylistInfo:
        """Create a private playlist of the user holding `track_ids`: one request.

        The summary is not written: only administrators may edit an item's
        overview in Jellyfin, so the playlist's summary stays None.
        """
        if not track_ids:
            raise MusicServerError("A playlist needs at least one track")
        reply = _object(
            await self._api.request(
                "POST",
                "/Playlists",
                body={
                    "Name": title,
                    "Ids": list(track_ids),
                    "UserId": self._user_id,
                    "MediaType": "Audio",
                    "IsPublic": False,
                },
            ),
            "new playlist",
        )
        if not (playlist_id := _text(reply.get("Id"))):
            raise MusicServerError("Jellyfin did not return the new playlist's id")
        return PlaylistInfo(
            id=playlist_id, title=title, summary=None, track_count=len(track_ids)
        )

    async def async_replace_playlist_tracks(
        self,
        current: PlaylistInfo,
        title: str,
        track_ids: Sequence[str],
        summary: str,
    ) -> PlaylistInfo:
        """Make a playlist (read with its entries) hold `track_ids`, in place.

        Nothing is sent when tracks and title are unchanged (the summary is not
        written, see `async_create_playlist`). Otherwise one request replaces the
        entries and sets the title; servers before 10.9 get the arriving tracks
        appended and the leaving entries removed (never empty), then moves.
        """
        if not track_ids:
            raise MusicServerError("A playlist needs at least one track")
        wanted = list(track_ids)
        same_tracks = [entry.track_id for entry in current.entries] == wanted
        if self.capabilities.bulk_playlist_replace:
            if not same_tracks or title != current.title:
                body: dict[str, Any] = {"Name": title}
                if not same_tracks:
                    body["Ids"] = wanted
                await self._api.request("POST", f"/Playlists/{current.id}", body=body)
        else:
            if not same_tracks:
                await self._async_edit_in_place(current, wanted)
            title = current.title  # no rename before 10.9
        return PlaylistInfo(
            id=current.id, title=title, summary=None, track_count=len(wanted)
        )

    async def async_get_playlist_artwork(self, playlist_id: str) -> str | None:
        """Return the tag of the playlist's primary image: one request."""
        item = _object(
            await self._api.request(
                "GET", f"/Items/{playlist_id}", [("userId", self._user_id)]
            ),
            "playlist",
        )
        return _primary_image(item)

    async def async_set_playlist_artwork(
        self, playlist_id: str, image: bytes
    ) -> str | None:
        """Upload the playlist's primary image (base64 text): one request.

        Only administrators may (403 for others). The reply (204) does not name
        the new image: None.
        """
        if not self.artwork_allowed:
            raise ArtworkNotAllowedError("Only Jellyfin administrators may set images")
        try:
            await self._api.request(
                "POST",
                f"/Items/{playlist_id}/Images/Primary",
                data=base64.b64encode(image),
                content_type=_image_type(image),
            )
        except _StatusError as err:
            if err.status == 403:
                self.artwork_allowed = False
                raise ArtworkNotAllowedError(str(err)) from err
            raise
        return None

    async def _async_edit_in_place(
        self, current: PlaylistInfo, wanted: list[str]
    ) -> None:
        """Append arriving tracks, remove leaving entries, then move into order."""
        kept: dict[str, str] = {}  # track id -> entry id, in playlist order
        leaving: list[str] = []
        wanted_set = set(wanted)
        for entry in current.entries:
            if entry.track_id in wanted_set and entry.track_id not in kept:
                kept[entry.track_id] = entry.entry_id
            else:
                leaving.append(entry.entry_id)
        path = f"/Playlists/{current.id}/Items"
        arriving = [track_id for track_id in wanted if track_id not in kept]
        if arriving:
            await self._api.request(
                "POST", path, [("ids", ",".join(arriving)), ("userId", self._user_id)]
            )
        # An entry id equal to a kept entry's (ids are track ids since 10.10.2)
        # would remove the kept entry too.
        if removable := [e for e in leaving if e and e not in kept.values()]:
            await self._api.request("DELETE", path, [("entryIds", ",".join(removable))])
        if [*kept, *arriving] == wanted:
            return
        entries = await self._async_entries(current.id)  # the new entries' ids
        entry_of = {entry.track_id: entry.entry_id for entry in entries}
        order = [entry.track_id for entry in entries]
        for index, track_id in enumerate(t for t in wanted if t in entry_of):
            if order.index(track_id) != index:
                await self._api.request(
                    "POST", f"{path}/{entry_of[track_id]}/Move/{index}"
                )
                order.remove(track_id)
                order.insert(index, track_id)
