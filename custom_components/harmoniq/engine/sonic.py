"""Sonic flows: playlists whose neighbouring tracks sound alike (Plex sonic analysis)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from .eligibility import is_eligible
from .generation import Generation
from .models import Refinements, Track
from .selection import status_for

type SeedMode = Literal["recent", "track", "artist"]

# Neighbours asked for per step (doubled at a dead end, up to the maximum), and how
# far they may be (0-1, Plex's scale).
NEAREST_LIMIT = 30
NEAREST_LIMIT_MAX = 240
NEAREST_MAX_DISTANCE = 0.6
MAX_TRACKS_PER_ARTIST = 3


class SonicSource(Protocol):
    """A music server with sonic analysis."""

    async def async_nearest(
        self, track_id: str, limit: int, max_distance: float
    ) -> list[tuple[Track, float]]:
        """Return the sonically nearest tracks with their distances, closest first."""

    async def async_recent_tracks(
        self, library_keys: Sequence[str], limit: int
    ) -> list[Track]:
        """Return the most recently played tracks, latest first."""

    async def async_artist_tracks(
        self, library_keys: Sequence[str], artist: str, limit: int
    ) -> list[Track]:
        """Return random tracks by an artist."""

    async def async_get_tracks(self, track_ids: Sequence[str]) -> list[Track]:
        """Return tracks by id (unknown ids are left out)."""


@dataclass(frozen=True, slots=True)
class SonicFlowSettings:
    """What a Sonic Flow playlist is configured with."""

    seed_mode: SeedMode
    seed: str
    """A track id (seed_mode "track") or an artist name ("artist"); unused for "recent"."""
    refinements: Refinements
    size: int
    library_keys: tuple[str, ...]


class NoSeedError(LookupError):
    """The seed track or artist is not in the libraries, or nothing was played yet."""


async def async_seed_track(source: SonicSource, settings: SonicFlowSettings) -> Track:
    """Return the track the flow starts from (fresh every run for "recent")."""
    if settings.seed_mode == "recent":
        tracks = await source.async_recent_tracks(settings.library_keys, 1)
    elif settings.seed_mode == "track":
        tracks = await source.async_get_tracks([settings.seed])
    else:
        tracks = await source.async_artist_tracks(
            settings.library_keys, settings.seed, 1
        )
    if not tracks:
        raise NoSeedError(settings.seed or settings.seed_mode)
    return tracks[0]


async def async_select_sonic_flow(
    source: SonicSource, settings: SonicFlowSettings, now: datetime
) -> Generation:
    """Chain sonically similar tracks from the seed, each close to the one before.

    Each step asks Plex for the current track's nearest neighbours and takes the
    closest one that passes the refinements, is new, is not by the previous track's
    artist and keeps every artist under the cap. At a dead end it asks for more
    neighbours, then walks back to earlier tracks and continues from theirs.
    """
    seed = await async_seed_track(source, settings)
    chosen: list[Track] = []
    if is_eligible(seed, settings.refinements, now):
        chosen.append(seed)
    used = {seed.id}
    per_artist = Counter(track.artist.casefold() for track in chosen)
    trail = [seed]
    limits: dict[str, int] = {}
    while len(chosen) < settings.size and trail:
        current = trail[-1]
        previous_artist = chosen[-1].artist.casefold() if chosen else None
        limit = limits.setdefault(current.id, NEAREST_LIMIT)
        neighbours = await source.async_nearest(current.id, limit, NEAREST_MAX_DISTANCE)
        pick = next(
            (
                track
                for track, _distance in neighbours
                if track.id not in used
                and track.artist.casefold() != previous_artist
                and per_artist[track.artist.casefold()] < MAX_TRACKS_PER_ARTIST
                and is_eligible(track, settings.refinements, now)
            ),
            None,
        )
        if pick is None:
            if limit < NEAREST_LIMIT_MAX and len(neighbours) >= limit:
                limits[current.id] = limit * 2  # look further around this track
            else:
                trail.pop()  # dead end: continue from the track before
            continue
        used.add(pick.id)
        per_artist[pick.artist.casefold()] += 1
        chosen.append(pick)
        trail.append(pick)
    return Generation(
        tracks=tuple(chosen),
        status=status_for(len(chosen), settings.size, relaxed=False),
        description=f"sonic flow from “{seed.artist} - {seed.title}”",
        failure=None if chosen else "no_tracks",
    )


def order_by_flow(
    tracks: Sequence[Track], distances: dict[tuple[str, str], float]
) -> list[Track]:
    """Order tracks so that neighbours are close: greedy nearest neighbour.

    `distances` holds what the server reported, in either direction; pairs it did
    not report count as the farthest (1.0). Starts from the first track.
    """
    if not tracks:
        return []

    def distance(first: Track, second: Track) -> float:
        return min(
            distances.get((first.id, second.id), 1.0),
            distances.get((second.id, first.id), 1.0),
        )

    remaining = list(tracks[1:])
    ordered = [tracks[0]]
    while remaining:
        closest = min(remaining, key=lambda track: distance(ordered[-1], track))
        remaining.remove(closest)
        ordered.append(closest)
    return ordered


# Neighbours asked for per track when ordering a given set as a flow.
FLOW_ORDER_LIMIT = 100


async def async_flow_order(source: SonicSource, tracks: Sequence[Track]) -> list[Track]:
    """Order tracks as a flow, from the distances the server reports between them."""
    wanted = {track.id for track in tracks}
    distances: dict[tuple[str, str], float] = {}
    for track in tracks:
        for neighbour, distance in await source.async_nearest(
            track.id, FLOW_ORDER_LIMIT, 1.0
        ):
            if neighbour.id in wanted:
                distances[track.id, neighbour.id] = distance
    return order_by_flow(tracks, distances)
