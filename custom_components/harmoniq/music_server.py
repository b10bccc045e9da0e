"""The one interface Harmoniq needs from a music server, whichever server it is.

Each server has an adapter module that implements `MusicServer`; nothing above the
adapters (and `servers.py`, which picks one) knows which server it talks to. Nothing
here knows about Home Assistant or about a server's client library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .engine.daily_flow import TrackSource
from .engine.lastfm_playlists import TrackFinder
from .engine.models import Exclusions, MoodLevel, Track
from .engine.sonic import SonicSource


@dataclass(frozen=True, slots=True)
class ServerCapabilities:
    """What a server can do, for the forms, the generators and the docs."""

    moods: bool
    """Tracks carry moods (Plex: mood tags; Jellyfin: tags with a prefix)."""
    styles: bool
    star_ratings: bool
    """The user rates tracks in stars (else likes/favourites stand in)."""
    skip_counts: bool
    sonic_analysis: bool
    """Sonic similarity: Sonic Flow, Sonic Adventure and the Flow order."""
    bulk_playlist_replace: bool
    """A playlist's tracks can be replaced in one request."""
    tags: bool = False
    """Tracks carry free-form tags (Jellyfin) that exclusions may name."""
    mood_levels: tuple[MoodLevel, ...] = ("track", "album", "artist")
    """Where moods are matched (Jellyfin's mood tags live on tracks alone)."""


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """Identity of a music server."""

    unique_id: str
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class MusicLibrary:
    """A music library (Plex: a section of type artist)."""

    key: str
    title: str


@dataclass(frozen=True, slots=True)
class TagChoices:
    """Tag names a library has, at any level (track, album, artist)."""

    moods: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlaylistEntry:
    """One entry of a playlist: the track, and the entry's own id on the server."""

    track_id: str
    entry_id: str


@dataclass(frozen=True, slots=True)
class PlaylistInfo:
    """A playlist on the music server."""

    id: str
    title: str
    summary: str | None
    """None when the server's reply did not include it."""
    track_count: int
    entries: tuple[PlaylistEntry, ...] = ()
    """The entries, in order, when the playlist was read with them."""
    artwork: str | None = None
    """The playlist's own artwork (an id that changes with the image); None when it
    has none (only the server's automatic composite) or the reply did not tell."""
    artwork_known: bool = False
    """Whether `artwork` was read from the server's reply (else: ask for it)."""


@dataclass(frozen=True, slots=True)
class RequestStats:
    """What talking to the server cost: requests made and bytes received."""

    requests: int = 0
    bytes_received: int = 0


class MusicServerError(Exception):
    """The music server failed or answered something unexpected."""


class MusicServerConnectionError(MusicServerError):
    """The music server could not be reached (refused, timeout, DNS, 5xx, dropped)."""


class MusicServerSSLError(MusicServerConnectionError):
    """The TLS handshake with the music server failed."""


class SonicAnalysisUnavailableError(MusicServerError):
    """The server has no sonic analysis for these tracks (or at all)."""


class MusicServerAuthError(MusicServerError):
    """The music server rejected the credentials."""


class ArtworkNotAllowedError(MusicServerError):
    """The server does not let this user set artwork (Jellyfin: admins only)."""


class MusicServer(TrackSource, SonicSource, TrackFinder, Protocol):
    """A connected music server: libraries, tracks, sonic analysis, playlists."""

    info: ServerInfo
    capabilities: ServerCapabilities
    artwork_allowed: bool
    """False once the user is known not to be allowed to set playlist artwork."""

    @property
    def stats(self) -> RequestStats:
        """Return the requests made and bytes received since connecting."""

    async def async_close(self) -> None:
        """Release the connection."""

    async def async_get_music_libraries(self) -> list[MusicLibrary]:
        """Return the music libraries the credentials can read."""

    async def async_get_tag_choices(self, library_keys: Sequence[str]) -> TagChoices:
        """Return the moods, genres and styles the libraries use."""

    async def async_drop_excluded(
        self, tracks: Sequence[Track], exclusions: Exclusions
    ) -> list[Track]:
        """Return the tracks (in order) that match none of the exclusions.

        For tracks that did not come from a search with these exclusions
        (sonic neighbours, Last.fm matches). Costs a few requests at most.
        """

    async def async_sonic_path(self, start: Track, end: Track) -> list[Track]:
        """Return the sonic path from one track to another (both included)."""

    async def async_get_playlist(self, playlist_id: str) -> PlaylistInfo | None:
        """Return a playlist with its entries, or None when it no longer exists."""

    async def async_find_playlists(self, title: str) -> list[PlaylistInfo]:
        """Return the user's playlists of that title (any case), with summaries."""

    async def async_create_playlist(
        self, title: str, track_ids: Sequence[str], summary: str
    ) -> PlaylistInfo:
        """Create a playlist holding the tracks, with the summary."""

    async def async_replace_playlist_tracks(
        self,
        current: PlaylistInfo,
        title: str,
        track_ids: Sequence[str],
        summary: str,
    ) -> PlaylistInfo:
        """Make a playlist read with its entries hold the tracks, in place."""

    async def async_get_playlist_artwork(self, playlist_id: str) -> str | None:
        """Return the id of a playlist's own artwork, None without any: one request."""

    async def async_set_playlist_artwork(
        self, playlist_id: str, image: bytes
    ) -> str | None:
        """Upload a playlist's artwork (JPEG or PNG) in one request.

        Returns the new artwork's id when the reply tells it, else None. Raises
        `ArtworkNotAllowedError` (and clears `artwork_allowed`) when the user may
        not set artwork.
        """
