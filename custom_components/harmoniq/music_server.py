"""The narrow interface Harmoniq needs from a music server (Plex now, Jellyfin later).

Nothing here knows about Home Assistant or about a particular server's client library.
"""

from __future__ import annotations

from dataclasses import dataclass


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
