"""Plex adapter: every plexapi call Harmoniq makes, run in Home Assistant's executor.

plexapi blocks (it uses requests), so each public coroutine here hands its work to the
executor and turns plexapi's and requests' exceptions into the backend-neutral errors of
`music_server`, so that nothing above this module sees a Plex object.

Track selection sends its own filter URLs through plexapi's `query` (the real HTTP
client and XML parser): plexapi's `search()` would re-fetch the section's filter
description and every tag list on each call, and reading an attribute that a listing
leaves out (an unrated track's `userRating`) makes plexapi fetch that track again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
import math
import re
import socket
import threading
import time
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlencode, urlsplit
from xml.etree.ElementTree import Element, ParseError

from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.playlist import Playlist
from plexapi.server import PlexServer
import requests

from homeassistant.core import HomeAssistant

from .const import PLEX_TIMEOUT
from .engine.eligibility import is_eligible, min_user_rating, played_cutoff
from .engine.models import Criteria, Exclusions, Refinements, Track, TrackQuery
from .engine.playlist_edit import plan_edit
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

_STATUS_PATTERN = re.compile(r"^\((\d{3})\)")
_EPOCH = datetime.fromtimestamp(0, UTC)
TRACK_TYPE: Final = 10
# Playlist entries read per request.
PLAYLIST_PAGE: Final = 1000
# Seconds one request to Plex may take in all. plexapi's timeout (PLEX_TIMEOUT) bounds
# each socket read only: a server trickling its reply would otherwise never time out.
REQUEST_DEADLINE = 60.0
# Seconds a section's tag list (name -> id) is reused by selections.
TAG_LIST_TTL: Final = 3600
# Plex type codes of the levels a tag can live on.
_LEVEL_TYPES: Final = {"track": 10, "album": 9, "artist": 8}
# Where each kind of tag lives in Plex (section filter description, plex-api.md §4.4).
_TAG_LEVELS: Final = {
    "mood": ("track", "album", "artist"),
    "genre": ("album", "artist"),
    "style": ("album", "artist"),
}
# Where an excluded tag removes tracks: moods on the track itself (the level mood
# criteria start at, and the only one Jellyfin has), genres and styles on the album
# or the artist (both: the levels a genre or style criterion matches at).
_EXCLUDED_LEVELS: Final = {
    "mood": ("track",),
    "genre": ("album", "artist"),
    "style": ("album", "artist"),
}
# With artists excluded, the sample drawn per track wanted: Plex leaves out excluded
# album artists, tracks credited to one (`originalTitle`) are dropped here.
ARTIST_OVERFETCH: Final = 1.25
# Items whose details one request asks for (their ratingKeys go in the URL).
DETAILS_PER_REQUEST: Final = 100

type TagIds = dict[tuple[str, str], dict[str, str]]
"""(tag kind, level) -> tag name -> tag id, for one section."""


def _run_translated[T](func: Callable[..., T], *args: Any) -> T:
    """Run a blocking plexapi call and translate its failures."""
    try:
        return func(*args)
    except Unauthorized as err:
        raise MusicServerAuthError("Plex rejected the token") from err
    except requests.exceptions.SSLError as err:
        raise MusicServerSSLError(f"TLS error: {err}") from err
    except requests.exceptions.RequestException as err:
        raise MusicServerConnectionError(f"{type(err).__name__}: {err}") from err
    except NotFound as err:
        raise MusicServerError(f"Not found: {_status_line(err)}") from err
    except BadRequest as err:
        if (match := _STATUS_PATTERN.match(str(err))) and int(match[1]) >= 500:
            raise MusicServerConnectionError(_status_line(err)) from err
        raise MusicServerError(_status_line(err)) from err
    except ParseError as err:
        raise MusicServerError(f"Malformed reply from Plex: {err}") from err
    except _EmptyReplyError as err:
        raise MusicServerError(str(err)) from err


def _status_line(err: Exception) -> str:
    """Return plexapi's error message without the HTML body it appends."""
    return str(err).split(" <", 1)[0]


class _EmptyReplyError(Exception):
    """Plex answered a GET with 200 and no body, where PMS always sends XML."""


class _Deadline:
    """Ends the body of a reply still arriving `seconds` after the request started.

    A timer thread shuts the reply's socket down at the deadline, which ends the
    read blocked in the worker thread; `expired` then tells that failure apart.
    Headers that come after the deadline fail the request when they come: the
    wait for them (and for the connection) is bounded by the per-read timeout only,
    as the socket is out of reach until then.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._done = False
        self._response: requests.Response | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Self:
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()
        self._timer.join()

    def watch(self, response: requests.Response) -> None:
        """Let the deadline end this reply (at once if it has passed already)."""
        with self._lock:
            self._response = response
            if self.expired:
                self._shut_down()

    def error(self) -> requests.exceptions.Timeout:
        """Return the error for a request the deadline ended."""
        return requests.exceptions.Timeout(
            f"Plex sent no complete reply within {self.seconds:g} s"
        )

    def _expire(self) -> None:
        with self._lock:
            if not self._done:
                self.expired = True
                self._shut_down()

    def _shut_down(self) -> None:
        raw = getattr(self._response, "raw", None)  # urllib3's response
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        if isinstance(sock, socket.socket):
            with suppress(OSError):  # the base class's: an SSL socket stays wrapped
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _CountingSession(requests.Session):
    """A requests session that counts requests and bytes received.

    Each request gets `REQUEST_DEADLINE` seconds in all: its body is streamed and
    read under a `_Deadline`, whose expiry raises `requests.exceptions.Timeout`.
    A GET answered 200 with an empty body raises `_EmptyReplyError`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.requests_made = 0
        self.bytes_received = 0

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs["stream"] = True  # the body is read below, against the deadline
        with _Deadline(REQUEST_DEADLINE) as deadline:
            response = super().request(method, url, *args, **kwargs)
            self.requests_made += 1
            try:
                deadline.watch(response)
                content = response.content  # the whole body, or an error
            except Exception as err:
                response.close()
                if deadline.expired:
                    raise deadline.error() from err
                raise
            if deadline.expired:  # urllib3 1.x returns a cut-off body without error
                response.close()
                raise deadline.error()
        self.bytes_received += len(content)
        if (
            method in ("GET", b"GET")
            and response.status_code == 200
            and not content.strip()
        ):
            raise _EmptyReplyError(
                f"Plex sent an empty reply to {urlsplit(response.url).path}"
            )
        return response


class PlexMusicServer:
    """A connected Plex Media Server, seen through the `music_server` interface."""

    capabilities = ServerCapabilities(
        moods=True,
        styles=True,
        star_ratings=True,
        skip_counts=True,
        sonic_analysis=True,
        bulk_playlist_replace=False,
    )

    def __init__(
        self, hass: HomeAssistant, plex: PlexServer, session: _CountingSession
    ) -> None:
        """Wrap a connected plexapi server and the HTTP session it uses."""
        self._hass = hass
        self._plex = plex
        self._session = session
        self._tag_lists: dict[tuple[str, str, str], tuple[float, dict[str, str]]] = {}
        """(library, tag kind, level) -> (expiry on the monotonic clock, name -> id)."""
        self.artwork_allowed = True
        self._items_tell_artwork = False
        """A playlist's items reply was seen with a poster's `thumb`: this server
        puts it there (UNCONFIRMED for PMS), so its absence means no poster."""
        self.info = ServerInfo(
            unique_id=plex.machineIdentifier,
            name=plex.friendlyName,
            version=plex.version,
        )

    @classmethod
    async def async_connect(
        cls, hass: HomeAssistant, url: str, token: str, verify_ssl: bool
    ) -> PlexMusicServer:
        """Connect to a Plex server; raise a `MusicServerError` when that fails."""
        session = _CountingSession()
        session.verify = verify_ssl
        try:
            plex = await hass.async_add_executor_job(
                _run_translated, PlexServer, url, token, session, PLEX_TIMEOUT
            )
        except MusicServerError:
            session.close()
            raise
        return cls(hass, plex, session)

    @property
    def stats(self) -> RequestStats:
        """Return the requests made and bytes received since connecting."""
        return RequestStats(self._session.requests_made, self._session.bytes_received)

    async def _async_run[T](self, func: Callable[..., T], *args: Any) -> T:
        return await self._hass.async_add_executor_job(_run_translated, func, *args)

    async def async_close(self) -> None:
        """Release the HTTP connections."""
        await self._hass.async_add_executor_job(self._session.close)

    async def async_get_music_libraries(self) -> list[MusicLibrary]:
        """Return the server's music sections."""

        def music_sections() -> list[MusicLibrary]:
            return [
                MusicLibrary(key=str(section.key), title=section.title)
                for section in self._plex.library.sections()
                if section.type == "artist"
            ]

        return await self._async_run(music_sections)

    async def async_get_tag_choices(self, library_keys: Sequence[str]) -> TagChoices:
        """Return the moods, genres and styles the libraries use, at any level."""

        def choices() -> TagChoices:
            names: dict[str, dict[str, str]] = {kind: {} for kind in _TAG_LEVELS}
            for library_key in library_keys:
                for (kind, _level), ids in self._tag_ids(
                    library_key, _TAG_LEVELS, fresh=True
                ).items():
                    for name in ids:
                        names[kind].setdefault(name.casefold(), name)
            return TagChoices(
                **{
                    f"{kind}s": tuple(sorted(found.values(), key=str.casefold))
                    for kind, found in names.items()
                }
            )

        return await self._async_run(choices)

    async def async_search_tracks(
        self, library_keys: Sequence[str], query: TrackQuery, now: datetime
    ) -> list[TrackBranch]:
        """Return uniform samples of the tracks matching the query, by branch.

        Plex's `>>`/`<<` comparisons skip tracks that lack the attribute, and no
        filter selects "unrated" or "never played", so with a rating or
        recently-played refinement the eligible pool is asked for in two parts:
        the tracks whose known rating and last play pass (filtered by Plex), and
        the unrated or never-played ones, taken from a random sample of all the
        tracks matching the criteria, checked here. Plex's `totalSize` gives the
        sizes that `fair_sample` mixes them by. Skip counts are always checked
        here, since Plex leaves `skipCount` out when it is zero.

        Exclusions are filters too (`!=` on tag ids, see `_exclusion_params`):
        excluded moods on the track, genres and styles on its album or artist
        (`_EXCLUDED_LEVELS`), and excluded album artists (`artist.title!==`).
        Plex cannot filter the track artist (`originalTitle`), so with artists
        excluded the samples are `ARTIST_OVERFETCH` times as large and tracks
        whose artist or album artist is excluded (any case) are dropped here,
        the pools scaled by the share kept. Tag ids come from the cached tag
        lists; names the library does not have exclude nothing. Tags are
        ignored: Plex has none.
        """
        exclusions = query.exclusions
        excluded_artists = _folded(exclusions.artists)
        sample_size = (
            math.ceil(query.limit * ARTIST_OVERFETCH)
            if excluded_artists
            else query.limit
        )
        levels = _tag_levels(query)

        def passes(track: Track) -> bool:
            return is_eligible(track, query.refinements, now) and not _by_artist(
                track, excluded_artists
            )

        def search() -> list[TrackBranch]:
            branches: list[TrackBranch] = []
            for library_key in library_keys:
                tag_ids = self._tag_ids(library_key, levels)
                criteria_params = _criteria_params(query, tag_ids)
                if criteria_params is None:
                    continue  # a tag the library does not have: nothing can match
                params = criteria_params + _exclusion_params(exclusions, tag_ids)
                total, sample = self._sample_tracks(library_key, params, sample_size)
                eligible = [track for track in sample if passes(track)]
                refined = _refinement_params(query, now)
                if refined:
                    known_total, known = self._sample_tracks(
                        library_key, params + refined, sample_size
                    )
                    passing = [track for track in known if passes(track)]
                    branches.append(
                        TrackBranch(
                            tuple(passing[: query.limit]),
                            scaled_pool(known_total, len(passing), len(known)),
                        )
                    )
                    eligible = [
                        track
                        for track in eligible
                        if not _has_known_values(track, query.refinements)
                    ]
                branches.append(
                    TrackBranch(
                        tuple(eligible[: query.limit]),
                        scaled_pool(total, len(eligible), len(sample)),
                    )
                )
            return branches

        return await self._async_run(search)

    def _sample_tracks(
        self, library_key: str, params: list[tuple[str, str]], limit: int
    ) -> tuple[int, list[Track]]:
        """Return how many tracks match `params` and a random sample of `limit`."""
        container = self._query_container(library_key, params, limit)
        tracks = [
            _track_from_element(element) for element in _track_elements(container)
        ]
        total = container.attrib.get("totalSize", "") if container is not None else ""
        return (int(total) if total.isdigit() else len(tracks)), tracks

    def _tag_ids(
        self,
        library_key: str,
        levels_by_kind: dict[str, tuple[str, ...]],
        *,
        fresh: bool = False,
    ) -> TagIds:
        """Return tag lists (name -> id) of one section: one request per list.

        Selections reuse lists read in the last `TAG_LIST_TTL` seconds; `fresh`
        reads them again (the playlist form, which shows them to the user).
        """
        tag_ids: TagIds = {}
        now = time.monotonic()
        for kind, levels in levels_by_kind.items():
            for level in levels:
                cache_key = (library_key, kind, level)
                cached = self._tag_lists.get(cache_key)
                if fresh or cached is None or cached[0] <= now:
                    container = self._plex.query(
                        f"/library/sections/{library_key}/{kind}"
                        f"?type={_LEVEL_TYPES[level]}"
                    )
                    cached = (
                        now + TAG_LIST_TTL,
                        {
                            element.attrib["title"]: element.attrib["key"]
                            for element in container
                            if element.attrib.get("title") and element.attrib.get("key")
                        },
                    )
                    self._tag_lists[cache_key] = cached
                tag_ids[kind, level] = cached[1]
        return tag_ids

    def _query_tracks(
        self,
        library_key: str,
        params: list[tuple[str, str]],
        limit: int,
        sort: str = "random",
    ) -> list[Element]:
        """Ask one section for `limit` tracks matching `params`: one request."""
        return _track_elements(self._query_container(library_key, params, limit, sort))

    def _query_container(
        self,
        library_key: str,
        params: list[tuple[str, str]],
        limit: int,
        sort: str = "random",
    ) -> Element | None:
        """Return the reply to a track search of one section: one request.

        The page size goes in the container headers only: a `limit` parameter
        may cap the `totalSize` Plex reports, which the fair sample relies on.
        """
        query = urlencode([("type", str(TRACK_TYPE)), ("sort", sort), *params])
        container: Element | None = self._plex.query(
            f"/library/sections/{library_key}/all?{query}",
            headers={
                "X-Plex-Container-Start": "0",
                "X-Plex-Container-Size": str(limit),
            },
        )
        return container

    async def async_get_tracks(self, track_ids: Sequence[str]) -> list[Track]:
        """Return tracks by id, in the given order; unknown ids are left out."""
        ids = [track_id for track_id in track_ids if track_id.isdigit()]
        if not ids:
            return []

        def get() -> list[Track]:
            try:
                container = self._plex.query(f"/library/metadata/{','.join(ids)}")
            except NotFound:
                return []
            by_id = {
                track.id: track
                for track in map(_track_from_element, _track_elements(container))
            }
            return [by_id[track_id] for track_id in ids if track_id in by_id]

        return await self._async_run(get)

    async def async_drop_excluded(
        self, tracks: Sequence[Track], exclusions: Exclusions
    ) -> list[Track]:
        """Return the tracks (in order) that match none of the exclusions.

        The levels are a search's (`_EXCLUDED_LEVELS`); names compare in any
        case. Artists are compared here with the track and album artist, at no
        cost. Moods need the tracks' details: one request per
        `DETAILS_PER_REQUEST` tracks. Genres and styles need those details (for
        the album and artist keys) and the albums' and artists' details: one
        more request per `DETAILS_PER_REQUEST` of them. So up to 50 tracks cost
        one request with excluded moods, two with excluded genres or styles,
        and none when only artists (or tags, which Plex has not) are excluded.
        A track Plex no longer has is kept: nothing says it is excluded.
        """
        kept = [t for t in tracks if not _by_artist(t, _folded(exclusions.artists))]
        moods = _folded(exclusions.moods)
        parent_tags = {
            "Genre": _folded(exclusions.genres),
            "Style": _folded(exclusions.styles),
        }
        with_parents = any(parent_tags.values())
        if not kept or not (moods or with_parents):
            return kept

        def drop() -> list[Track]:
            excluded: set[str] = set()
            holders: dict[str, set[str]] = {}  # album or artist key -> its tracks
            for element in self._details([track.id for track in kept]):
                track_id = element.attrib.get("ratingKey", "")
                if _tagged(element, {"Mood": moods}):
                    excluded.add(track_id)
                for key in ("parentRatingKey", "grandparentRatingKey"):
                    if with_parents and (parent := element.attrib.get(key)):
                        holders.setdefault(parent, set()).add(track_id)
            for element in self._details(list(holders)):
                if _tagged(element, parent_tags):
                    excluded |= holders.get(element.attrib.get("ratingKey", ""), set())
            return [track for track in kept if track.id not in excluded]

        return await self._async_run(drop)

    def _details(self, keys: Sequence[str]) -> list[Element]:
        """Return the detail elements of library items (tags included).

        One request per `DETAILS_PER_REQUEST` keys; unknown keys are left out.
        """
        unique = list(dict.fromkeys(key for key in keys if key.isdigit()))
        elements: list[Element] = []
        for start in range(0, len(unique), DETAILS_PER_REQUEST):
            chunk = unique[start : start + DETAILS_PER_REQUEST]
            try:
                container = self._plex.query(f"/library/metadata/{','.join(chunk)}")
            except NotFound:  # none of them exists
                continue
            elements += _children(container)
        return elements

    async def _async_tracks(
        self,
        library_keys: Sequence[str],
        params: list[tuple[str, str]],
        limit: int,
        sort: str = "random",
    ) -> list[Track]:
        """Return up to `limit` tracks per library matching `params`."""

        def tracks() -> list[Track]:
            return [
                _track_from_element(element)
                for library_key in library_keys
                for element in self._query_tracks(library_key, params, limit, sort)
            ]

        return await self._async_run(tracks)

    async def async_recent_tracks(
        self, library_keys: Sequence[str], limit: int
    ) -> list[Track]:
        """Return the most recently played tracks of the libraries, latest first."""
        tracks = await self._async_tracks(
            library_keys, [("track.viewCount>>", "0")], limit, "lastViewedAt:desc"
        )
        tracks.sort(key=lambda track: track.last_viewed_at or _EPOCH, reverse=True)
        return tracks[:limit]

    async def async_artist_tracks(
        self, library_keys: Sequence[str], artist: str, limit: int
    ) -> list[Track]:
        """Return random tracks whose album artist is `artist` (exact, any case)."""
        tracks = await self._async_tracks(
            library_keys, [("artist.title=", artist)], limit
        )
        return tracks[:limit]

    async def async_tracks_by_artist(
        self, library_keys: Sequence[str], artist_term: str, limit: int
    ) -> list[Track]:
        """Return tracks whose album artist contains `artist_term` (any case)."""
        return await self._async_tracks(
            library_keys, [("artist.title", artist_term)], limit, "titleSort"
        )

    async def async_tracks_titled(
        self, library_keys: Sequence[str], title_term: str, limit: int
    ) -> list[Track]:
        """Return tracks whose title contains `title_term` (any case)."""
        return await self._async_tracks(
            library_keys, [("track.title", title_term)], limit, "titleSort"
        )

    async def async_nearest(
        self, track_id: str, limit: int, max_distance: float
    ) -> list[tuple[Track, float]]:
        """Return the tracks that sound most like one track, closest first."""

        def nearest() -> list[tuple[Track, float]]:
            query = urlencode({"limit": limit, "maxDistance": max_distance})
            with self._sonic_errors(track_id):
                container = self._plex.query(
                    f"/library/metadata/{track_id}/nearest?{query}"
                )
            return [
                (_track_from_element(element), float(element.attrib.get("distance", 1)))
                for element in _track_elements(container)
            ]

        return await self._async_run(nearest)

    async def async_sonic_path(self, start: Track, end: Track) -> list[Track]:
        """Return the path Plex computes from one track to another (both included).

        Raises `SonicAnalysisUnavailableError` when either track is not analysed or
        Plex answers with an error or no path.
        """
        if not (start.sonically_analyzed and end.sonically_analyzed):
            raise SonicAnalysisUnavailableError("the tracks are not sonically analysed")

        def path() -> list[Track]:
            section = start.library_key
            query = urlencode({"startID": start.id, "endID": end.id})
            with self._sonic_errors(start.id, end.id):
                container = self._plex.query(
                    f"/library/sections/{section}/computePath?{query}"
                )
            if not (
                tracks := [_track_from_element(e) for e in _track_elements(container)]
            ):
                raise SonicAnalysisUnavailableError("Plex computed no path")
            return tracks

        return await self._async_run(path)

    @contextmanager
    def _sonic_errors(self, *track_ids: str) -> Iterator[None]:
        """Tell a server without sonic analysis from tracks that are gone.

        A server without sonic analysis answers the sonic endpoints with an error
        status (which one is unconfirmed), and so does it for a deleted track. Only
        when the tracks still exist is the answer `SonicAnalysisUnavailableError`;
        401 and 5xx keep their usual meaning.
        """
        try:
            yield
        except Unauthorized:
            raise
        except (BadRequest, NotFound) as err:
            match = _STATUS_PATTERN.match(str(err))
            if match is not None and int(match[1]) >= 500:
                raise
            try:
                found = _track_elements(
                    self._plex.query(f"/library/metadata/{','.join(track_ids)}")
                )
            except NotFound:
                found = []
            present = {element.attrib.get("ratingKey") for element in found}
            if missing := [
                track_id for track_id in track_ids if track_id not in present
            ]:
                raise MusicServerError(
                    f"track {', '.join(missing)} is no longer in the library"
                ) from err
            raise SonicAnalysisUnavailableError(_status_line(err)) from err

    async def async_get_playlist(self, playlist_id: str) -> PlaylistInfo | None:
        """Return a playlist with its entries (one request), None if it is gone."""

        def get() -> PlaylistInfo | None:
            try:
                return self._read_playlist(playlist_id)
            except NotFound:
                return None

        return await self._async_run(get)

    def _read_playlist(self, playlist_id: str) -> PlaylistInfo:
        """Read a playlist's title and entries from its items, a page at a time."""
        entries: list[PlaylistEntry] = []
        title = ""
        artwork: str | None = None
        while True:
            container = self._plex.query(
                f"/playlists/{playlist_id}/items",
                headers={
                    "X-Plex-Container-Start": str(len(entries)),
                    "X-Plex-Container-Size": str(PLAYLIST_PAGE),
                },
            )
            if container is None:
                raise MusicServerError(
                    f"Plex sent an empty reply for playlist {playlist_id}"
                )
            title = container.attrib.get("title", title)
            artwork = container.attrib.get("thumb")
            if artwork:
                self._items_tell_artwork = True
            page = [
                PlaylistEntry(
                    track_id=element.attrib["ratingKey"],
                    entry_id=element.attrib.get("playlistItemID", ""),
                )
                for element in _track_elements(container)
            ]
            entries += page
            total = container.attrib.get("totalSize", "")
            if not page or not total.isdigit() or len(entries) >= int(total):
                break
        return PlaylistInfo(
            id=playlist_id,
            title=title,
            summary=None,
            track_count=len(entries),
            entries=tuple(entries),
            # Until this reply has shown a poster, Harmoniq asks
            # `async_get_playlist_artwork` when it needs to know.
            artwork=artwork or None,
            artwork_known=self._items_tell_artwork,
        )

    async def async_find_playlists(self, title: str) -> list[PlaylistInfo]:
        """Return the audio playlists whose title is `title` (case-insensitive)."""

        def find() -> list[PlaylistInfo]:
            return [
                _playlist_info(playlist)
                for playlist in self._plex.playlists(playlistType="audio", title=title)
                if playlist.title.casefold() == title.casefold()
            ]

        return await self._async_run(find)

    async def async_create_playlist(
        self, title: str, track_ids: Sequence[str], summary: str
    ) -> PlaylistInfo:
        """Create a playlist holding `track_ids`, then set its summary: two requests."""

        def create() -> PlaylistInfo:
            query = urlencode(
                {
                    "smart": "0",
                    "title": title,
                    "type": "audio",
                    "uri": self._items_uri(track_ids),
                }
            )
            container = self._plex.query(
                f"/playlists?{query}", method=self._session.post
            )
            created = next(
                (e for e in _children(container) if e.tag == "Playlist"), None
            )
            if created is None:
                raise MusicServerError("Plex did not return the created playlist")
            playlist_id = created.attrib["ratingKey"]
            self._edit_playlist(playlist_id, summary=summary)
            return PlaylistInfo(
                id=playlist_id, title=title, summary=summary, track_count=len(track_ids)
            )

        return await self._async_run(create)

    async def async_replace_playlist_tracks(
        self,
        current: PlaylistInfo,
        title: str,
        track_ids: Sequence[str],
        summary: str,
    ) -> PlaylistInfo:
        """Make a playlist (read with its entries) hold `track_ids`, in place.

        Only what changed is sent (see `engine.playlist_edit`): nothing for the
        same tracks, else the arriving tracks in one request, one request per
        leaving entry and per move, or, when cheaper, every track appended and
        every old entry removed. The playlist is never empty and keeps its
        ratingKey, so pins and links to it survive. Title and summary are set in
        one edit.
        """

        def replace() -> PlaylistInfo:
            playlist_id = current.id
            entries = current.entries
            plan = plan_edit([entry.track_id for entry in entries], track_ids)
            if plan.replace_all:
                self._add_items(playlist_id, track_ids)
                for entry in entries:
                    self._remove_entry(playlist_id, entry.entry_id)
            else:
                if plan.add:
                    self._add_items(playlist_id, plan.add)
                for position in plan.remove:
                    self._remove_entry(playlist_id, entries[position].entry_id)
                if plan.moves:
                    if plan.reread:
                        entries = self._read_playlist(playlist_id).entries
                    entry_of = {entry.track_id: entry.entry_id for entry in entries}
                    for track_id, after in plan.moves:
                        query = f"?after={entry_of[after]}" if after else ""
                        self._plex.query(
                            f"/playlists/{playlist_id}/items/{entry_of[track_id]}/move{query}",
                            method=self._session.put,
                        )
            self._edit_playlist(
                playlist_id,
                title=title if title != current.title else None,
                summary=summary,
            )
            return PlaylistInfo(
                id=playlist_id, title=title, summary=summary, track_count=len(track_ids)
            )

        return await self._async_run(replace)

    async def async_get_playlist_artwork(self, playlist_id: str) -> str | None:
        """Return the playlist's own poster (its `thumb`): one request.

        None when it has only the composite Plex draws from its items.
        """

        def get() -> str | None:
            container = self._plex.query(f"/playlists/{playlist_id}")
            playlist = next(
                (e for e in _children(container) if e.tag == "Playlist"), None
            )
            if playlist is None:
                raise MusicServerError(f"Plex did not return playlist {playlist_id}")
            return playlist.attrib.get("thumb") or None

        return await self._async_run(get)

    async def async_set_playlist_artwork(
        self, playlist_id: str, image: bytes
    ) -> str | None:
        """Upload the playlist's poster (the raw image as the body): one request.

        Plex's reply does not name the new poster: None.
        """

        def upload() -> None:
            try:
                self._plex.query(
                    f"/library/metadata/{playlist_id}/posters",
                    method=self._session.post,
                    data=image,
                )
            except BadRequest as err:
                if str(err).startswith("(403)"):
                    self.artwork_allowed = False
                    raise ArtworkNotAllowedError(_status_line(err)) from err
                raise

        await self._async_run(upload)
        return None

    def _items_uri(self, track_ids: Sequence[str]) -> str:
        """Return the `uri` that names library items for playlist requests."""
        return (
            f"server://{self.info.unique_id}/com.plexapp.plugins.library"
            f"/library/metadata/{','.join(track_ids)}"
        )

    def _add_items(self, playlist_id: str, track_ids: Sequence[str]) -> None:
        query = urlencode({"uri": self._items_uri(track_ids)})
        self._plex.query(
            f"/playlists/{playlist_id}/items?{query}", method=self._session.put
        )

    def _remove_entry(self, playlist_id: str, entry_id: str) -> None:
        self._plex.query(
            f"/playlists/{playlist_id}/items/{entry_id}", method=self._session.delete
        )

    def _edit_playlist(
        self, playlist_id: str, *, title: str | None = None, summary: str
    ) -> None:
        """Set the summary (and the title, if given) in one request."""
        fields = {"summary.locked": "1", "summary.value": summary}
        if title is not None:
            fields |= {"title.locked": "1", "title.value": title}
        self._plex.query(
            f"/playlists/{playlist_id}?{urlencode(fields)}", method=self._session.put
        )


def _playlist_info(playlist: Playlist) -> PlaylistInfo:
    return PlaylistInfo(
        id=str(playlist.ratingKey),
        title=playlist.title,
        summary=playlist.summary or "",
        track_count=int(playlist.leafCount or 0),
    )


def _criteria_params(
    query: TrackQuery, tag_ids: TagIds
) -> list[tuple[str, str]] | None:
    """Return the filter parameters of the criteria, or None if a tag is unknown.

    Tags of one kind are ORed (comma list); genres and styles match at album or
    artist level (a push/or/pop group); different kinds are ANDed.
    """
    params: list[tuple[str, str]] = []
    criteria: Criteria = query.criteria
    for kind, names in (
        ("mood", criteria.moods),
        ("genre", criteria.genres),
        ("style", criteria.styles),
    ):
        if not names:
            continue
        levels = (query.mood_level,) if kind == "mood" else _TAG_LEVELS[kind]
        clauses = [
            (f"{level}.{kind}", ",".join(ids))
            for level in levels
            if (ids := _ids_of(names, tag_ids.get((kind, level), {})))
        ]
        if not clauses:
            return None
        if len(clauses) == 1:
            params.extend(clauses)
            continue
        params.append(("push", "1"))
        for position, clause in enumerate(clauses):
            if position:
                params.append(("or", "1"))
            params.append(clause)
        params.append(("pop", "1"))
    return params


def _ids_of(names: Iterable[str], ids: dict[str, str]) -> list[str]:
    """Return the ids of the names a tag list has (case-insensitive)."""
    by_name = {name.casefold(): tag_id for name, tag_id in ids.items()}
    return [by_name[name.casefold()] for name in names if name.casefold() in by_name]


def _tag_levels(query: TrackQuery) -> dict[str, tuple[str, ...]]:
    """Return the tag lists (kind -> levels) the criteria and exclusions need."""
    criteria, exclusions = query.criteria, query.exclusions
    needed: dict[str, tuple[str, ...]] = {}
    for kind, wanted, excluded in (
        ("mood", criteria.moods, exclusions.moods),
        ("genre", criteria.genres, exclusions.genres),
        ("style", criteria.styles, exclusions.styles),
    ):
        levels: list[str] = []
        if wanted:
            levels += (query.mood_level,) if kind == "mood" else _TAG_LEVELS[kind]
        if excluded:
            levels += _EXCLUDED_LEVELS[kind]
        if levels:
            needed[kind] = tuple(dict.fromkeys(levels))
    return needed


def _exclusion_params(exclusions: Exclusions, tag_ids: TagIds) -> list[tuple[str, str]]:
    """Return the filters that leave out excluded tags and album artists.

    One `<level>.<kind>!=<id>` per excluded tag and level of `_EXCLUDED_LEVELS`
    and one `artist.title!==<name>` per album artist; repeated keys are ANDed,
    so a track passes when it matches none. Names the library's tag lists lack
    exclude nothing. Artist names with a comma are left to the check after the
    search, since PMS may read a comma as a list of values.
    """
    params: list[tuple[str, str]] = []
    for kind, names in (
        ("mood", exclusions.moods),
        ("genre", exclusions.genres),
        ("style", exclusions.styles),
    ):
        for level in _EXCLUDED_LEVELS[kind] if names else ():
            ids = _ids_of(names, tag_ids.get((kind, level), {}))
            params += [(f"{level}.{kind}!", tag_id) for tag_id in dict.fromkeys(ids)]
    params += [
        ("artist.title!=", name)
        for name in dict.fromkeys(exclusions.artists)
        if name.strip() and "," not in name
    ]
    return params


def _folded(names: Iterable[str]) -> frozenset[str]:
    """Return the names case-folded, for comparisons in any case."""
    return frozenset(name.casefold() for name in names if name.strip())


def _by_artist(track: Track, artists: frozenset[str]) -> bool:
    """Return whether the track's artist or album artist is one of `artists`."""
    return bool(artists) and (
        track.artist.casefold() in artists or track.album_artist.casefold() in artists
    )


def _tagged(element: Element, tags: dict[str, frozenset[str]]) -> bool:
    """Return whether an item's details carry one of the tags (element -> names)."""
    return any(
        child.attrib.get("tag", "").casefold() in tags.get(child.tag, frozenset())
        for child in element
    )


def _refinement_params(query: TrackQuery, now: datetime) -> list[tuple[str, str]]:
    """Return the server-side filters for rated, not recently played tracks."""
    params: list[tuple[str, str]] = []
    if (lowest := min_user_rating(query.refinements)) is not None:
        # Ratings are whole numbers 0-10: "at least 7" is "greater than 6".
        params.append(("track.userRating>>", str(math.ceil(lowest) - 1)))
    if (cutoff := played_cutoff(query.refinements, now)) is not None:
        params.append(("track.lastViewedAt<<", str(int(cutoff.timestamp()))))
    return params


def _track_elements(container: Element | None) -> list[Element]:
    """Return a reply's tracks (an empty reply parses as None)."""
    return [
        element
        for element in _children(container)
        if element.tag == "Track" and element.attrib.get("type") == "track"
    ]


def _track_from_element(element: Element) -> Track:
    """Read a Track from a listing's XML element, absent attributes included."""
    attrib = element.attrib
    album_artist = attrib.get("grandparentTitle", "")
    last_viewed = attrib.get("lastViewedAt")
    rating = attrib.get("userRating")
    return Track(
        id=attrib["ratingKey"],
        title=attrib.get("title", ""),
        artist=attrib.get("originalTitle") or album_artist,
        album=attrib.get("parentTitle", ""),
        album_artist=album_artist,
        user_rating=float(rating) if rating else None,
        view_count=int(attrib.get("viewCount", 0)),
        skip_count=int(attrib.get("skipCount", 0)),
        last_viewed_at=(
            datetime.fromtimestamp(int(last_viewed), UTC) if last_viewed else None
        ),
        sonically_analyzed=bool(attrib.get("musicAnalysisVersion")),
        library_key=attrib.get("librarySectionID", ""),
        duration=int(attrib.get("duration", 0) or 0) / 1000,
    )


def _has_known_values(track: Track, refinements: Refinements) -> bool:
    """Return whether Plex's refinement filters could have selected the track.

    They compare only tracks that have a rating (for a minimum rating) and a last
    play (for the recently-played exclusion).
    """
    return (min_user_rating(refinements) is None or track.user_rating is not None) and (
        refinements.exclude_played_days <= 0 or track.last_viewed_at is not None
    )


def _children(container: Element | None) -> list[Element]:
    """Return a reply's elements (an empty reply parses as None)."""
    return [] if container is None else list(container)
