"""One view of the fake servers for tests that run on every server (Plex, Jellyfin)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from tests.fakes.jellyfin_server import FakeJellyfinServer
from tests.fakes.plex_library import FakeTrack
from tests.fakes.plex_server import FakePlexServer


@dataclass(frozen=True)
class LibraryTrack:
    """A library track as Harmoniq reports it, whichever server holds it."""

    id: str
    artist: str
    """The track artist Harmoniq reports (Jellyfin: the first of the track's artists)."""
    credit: str
    """The whole track credit, as Last.fm or an AI would name it ("A feat. B")."""
    title: str
    album: str
    duration: float
    moods: tuple[str, ...]


@dataclass(frozen=True)
class _LastFmTrack:
    """What `FakeLastFmServer.populate_from_library` reads of a library track."""

    track_artist: str
    title: str


@dataclass(frozen=True)
class _LastFmCatalogue:
    """A library as `FakeLastFmServer.populate_from_library` reads it."""

    tracks: list[_LastFmTrack]


class Server:
    """One fake server as the tests see it: its playlists' contents and faults."""

    def __init__(self, kind: str, fake: FakePlexServer | FakeJellyfinServer) -> None:
        """Wrap the fake."""
        self.kind = kind
        self.fake = fake

    @cached_property
    def tracks(self) -> dict[str, LibraryTrack]:
        """Every track of the (one) music library, by id, in library order."""
        if isinstance(self.fake, FakePlexServer):
            [plex] = [s.library for s in self.fake.sections.values()]
            return {
                str(t.rating_key): LibraryTrack(
                    id=str(t.rating_key),
                    artist=t.track_artist,
                    credit=t.track_artist,
                    title=t.title,
                    album=t.album.title,
                    duration=t.duration_ms / 1000,
                    moods=t.moods,
                )
                for t in plex.tracks
            }
        [library] = self.fake.libraries
        return {
            t.id: LibraryTrack(
                id=t.id,
                artist=t.artists[0].name,
                credit=" feat. ".join(a.name for a in t.artists),
                title=t.name,
                album=t.album.name if t.album else "",
                duration=t.run_time_ticks / 10_000_000,
                moods=tuple(
                    tag.removeprefix("MOOD:")
                    for tag in t.tags
                    if tag.startswith("MOOD:")
                ),
            )
            for t in library.tracks
        }

    def lastfm_catalogue(self) -> Any:
        """The library's (credit, title) pairs, for the fake Last.fm to chart."""
        return _LastFmCatalogue(
            [_LastFmTrack(t.credit, t.title) for t in self.tracks.values()]
        )

    def playlist_id(self, title: str) -> str:
        """Return the id of the one playlist of that title."""
        if isinstance(self.fake, FakePlexServer):
            [key] = [k for k, p in self.fake.playlists.items() if p.title == title]
            return str(key)
        return self.fake.playlist_by_name(title).id

    def written(self, title: str) -> list[LibraryTrack]:
        """Return the tracks of the one playlist of that title."""
        return [self.tracks[track_id] for track_id in self.playlists()[title]]

    def writes(self) -> list[str]:
        """Return the requests recorded that were not GETs, as "METHOD path"."""
        return [f"{r.method} {r.path}" for r in self.fake.requests if r.method != "GET"]

    def playlists(self) -> dict[str, list[str]]:
        """Return every playlist's track ids by title."""
        if isinstance(self.fake, FakePlexServer):
            return {
                p.title: [str(key) for key in p.items]
                for p in self.fake.playlists.values()
            }
        return {p.name: list(p.item_ids) for p in self.fake.playlists.values()}

    def track_moods(self, track_id: str) -> tuple[str, ...]:
        """Return a track's moods."""
        if isinstance(self.fake, FakePlexServer):
            [library] = [s.library for s in self.fake.sections.values()]
            return library.track_by_key[int(track_id)].moods
        [library] = self.fake.libraries
        [track] = [t for t in library.tracks if t.id == track_id]
        return tuple(
            t.removeprefix("MOOD:") for t in track.tags if t.startswith("MOOD:")
        )

    def track_artist(self, track_id: str) -> str:
        """Return a track's artist."""
        if isinstance(self.fake, FakePlexServer):
            [library] = [s.library for s in self.fake.sections.values()]
            return library.track_by_key[int(track_id)].track_artist
        [library] = self.fake.libraries
        [track] = [t for t in library.tracks if t.id == track_id]
        return track.artists[0]

    def add_foreign_playlist(self, title: str) -> None:
        """Create a playlist of that title that Harmoniq did not write."""
        if isinstance(self.fake, FakePlexServer):
            self.fake.create_playlist(title, [], summary="mine")
        else:
            self.fake.create_playlist(title, self.fake.user("alice"))


def plex_track_item(track: FakeTrack) -> dict[str, Any]:
    """Return a fake Plex track as Harmoniq's actions report a track."""
    return {
        "id": str(track.rating_key),
        "artist": track.track_artist,
        "title": track.title,
        "album": track.album.title,
        "duration": round(track.duration_ms / 1000),
        "rating": None if track.user_rating is None else track.user_rating / 2,
        "last_played": None
        if track.last_viewed_at is None
        else datetime.fromtimestamp(track.last_viewed_at, UTC).isoformat(),
    }
