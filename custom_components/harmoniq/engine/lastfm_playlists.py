"""Last.fm playlists: chart and discovery sources matched to the library.

Source tracks come as (artist, title) pairs; `LibraryMatcher` finds each in the
libraries with targeted server-side queries (an artist's tracks, then a title
search for compilations, then, for an artist neither found, searches a server
that does not fold diacritics may still answer), remembering what one run
learns. A track found by the first query costs that one query.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from .generation import Generation
from .matching import (
    artist_partial_terms,
    artist_search_terms,
    has_artist,
    match_track,
    title_fallback_terms,
    title_search_term,
    track_key,
)
from .models import Track
from .selection import spread_artists, status_for

# Tracks asked of the server per artist, and per title search; a title search that
# fills its page without a match asks once more, for up to `MAX_TITLE_TRACKS`.
ARTIST_TRACK_LIMIT = 300
TITLE_TRACK_LIMIT = 50
MAX_TITLE_TRACKS = 1000


class TrackFinder(Protocol):
    """The server queries the matcher needs."""

    async def async_tracks_by_artist(
        self, library_keys: Sequence[str], artist_term: str, limit: int
    ) -> list[Track]:
        """Return tracks whose album artist contains `artist_term`."""

    async def async_tracks_titled(
        self, library_keys: Sequence[str], title_term: str, limit: int
    ) -> list[Track]:
        """Return tracks whose title contains `title_term`."""

    async def async_get_tracks(self, track_ids: Sequence[str]) -> list[Track]:
        """Return tracks by id."""


@dataclass(frozen=True, slots=True)
class SourceTrack:
    """A track a Last.fm source asks for."""

    artist: str
    title: str

    def __str__(self) -> str:
        """Return "Artist - Title", as reported to the user."""
        return f"{self.artist} - {self.title}"


class LibraryMatcher:
    """Finds source tracks in the libraries, honouring the user's manual matches.

    `overrides` maps `track_key(artist, title)` to a track id to use, or to None
    for a source track to ignore (never reported missing).
    """

    def __init__(
        self,
        finder: TrackFinder,
        library_keys: Sequence[str],
        overrides: Mapping[str, str | None],
    ) -> None:
        """Start with empty caches."""
        self._finder = finder
        self._library_keys = tuple(library_keys)
        self._overrides = overrides
        self._by_artist: dict[str, list[Track]] = {}
        self._by_title: dict[tuple[str, int], list[Track]] = {}
        self.queries = 0
        """Server queries made (cache misses)."""

    def is_ignored(self, source: SourceTrack) -> bool:
        """Whether the user chose to ignore this source track."""
        key = track_key(source.artist, source.title)
        return key in self._overrides and self._overrides[key] is None

    async def async_find(self, source: SourceTrack) -> Track | None:
        """Return the library's track for a source track, or None."""
        if (
            override := self._overrides.get(track_key(source.artist, source.title))
        ) is not None:
            tracks = await self._finder.async_get_tracks([override])
            self.queries += 1
            return tracks[0] if tracks else None
        artist_found = False
        for term in artist_search_terms(source.artist):
            tracks = await self._artist_tracks(term)
            if (match := match_track(source.artist, source.title, tracks)) is not None:
                return match
            artist_found = artist_found or has_artist(source.artist, tracks)
        term = title_search_term(source.title)
        titled = await self._titled(term)
        if (match := match_track(source.artist, source.title, titled)) is not None:
            return match
        if len(titled) >= TITLE_TRACK_LIMIT:  # a common title: more may share it
            titled = await self._titled(term, MAX_TITLE_TRACKS)
            if (match := match_track(source.artist, source.title, titled)) is not None:
                return match
        if artist_found:
            # The artist's own tracks were all compared, folded on both sides:
            # more searches could only find a compilation track whose title the
            # server did not fold, which is not worth their cost on every miss.
            return None
        return await self._find_by_parts(source)

    async def _find_by_parts(self, source: SourceTrack) -> Track | None:
        """Search again for what a server that does not fold diacritics missed.

        Halves of the artist's name (each search cached for the run, so an
        artist costs them once), until one finds the artist; then, if none did,
        the title without diacritics, when it has any.
        """
        for term in artist_partial_terms(source.artist):
            tracks = await self._artist_tracks(term)
            if (match := match_track(source.artist, source.title, tracks)) is not None:
                return match
            if has_artist(source.artist, tracks):
                return None
        for term in title_fallback_terms(source.title):
            if (
                match := match_track(
                    source.artist, source.title, await self._titled(term)
                )
            ) is not None:
                return match
        return None

    async def async_has_artist(self, artist: str) -> bool:
        """Whether the libraries have albums by this artist (one cached query)."""
        for term in artist_search_terms(artist):
            if await self._artist_tracks(term):
                return True
        return False

    async def _artist_tracks(self, term: str) -> list[Track]:
        if term not in self._by_artist:
            self.queries += 1
            self._by_artist[term] = await self._finder.async_tracks_by_artist(
                self._library_keys, term, ARTIST_TRACK_LIMIT
            )
        return self._by_artist[term]

    async def _titled(self, term: str, limit: int = TITLE_TRACK_LIMIT) -> list[Track]:
        if not term:
            return []
        if (term, limit) not in self._by_title:
            self.queries += 1
            self._by_title[term, limit] = await self._finder.async_tracks_titled(
                self._library_keys, term, limit
            )
        return self._by_title[term, limit]


async def async_first_found(
    matcher: LibraryMatcher,
    sources: Sequence[SourceTrack],
    *,
    size: int,
    description: str,
    accept: Callable[[Track], bool] = lambda _track: True,
) -> Generation:
    """Take the first `size` accepted source tracks the libraries have, in order.

    Source tracks looked at but not found are reported missing; those the user
    chose to ignore are not.
    """
    found: list[Track] = []
    seen: set[str] = set()
    missing: list[str] = []
    for source in sources:
        if len(found) >= size:
            break
        if matcher.is_ignored(source):
            continue
        track = await matcher.async_find(source)
        if track is None:
            missing.append(str(source))
        elif track.id not in seen and accept(track):
            seen.add(track.id)
            found.append(track)
    return Generation(
        tracks=tuple(found),
        status=status_for(len(found), size, relaxed=False),
        description=description,
        missing=tuple(missing),
        failure=None if found else "no_tracks",
    )


async def async_discovery(
    matcher: LibraryMatcher,
    artists: Sequence[str],
    top_tracks: Callable[[str], Awaitable[Sequence[SourceTrack]]],
    *,
    size: int,
    tracks_per_artist: int,
    description: str,
    accept: Callable[[Track], bool] = lambda _track: True,
) -> Generation:
    """Take up to `tracks_per_artist` found tracks per discovered artist, spread out.

    Artists are visited in the given order (most similar first); an artist the
    libraries have no album of is skipped before asking Last.fm for its top
    tracks (its tracks on compilations alone are not looked for), and top tracks
    are fetched only until the playlist can be filled, so a run asks Last.fm for
    no more than it needs. The artists are then spread through the playlist.
    """
    found: list[Track] = []
    missing: list[str] = []
    for artist in artists:
        if len(found) >= size:
            break
        if not await matcher.async_has_artist(artist):
            continue
        taken = 0
        for source in await top_tracks(artist):
            if taken >= tracks_per_artist:
                break
            if matcher.is_ignored(source):
                continue
            track = await matcher.async_find(source)
            if track is None:
                missing.append(str(source))
            elif accept(track) and all(track.id != other.id for other in found):
                found.append(track)
                taken += 1
    chosen = spread_artists(found, size, max(tracks_per_artist, 1))
    return Generation(
        tracks=tuple(chosen),
        status=status_for(len(chosen), size, relaxed=False),
        description=description,
        missing=tuple(missing),
        failure=None if chosen else "no_tracks",
    )
