"""Sonic flows: playlists whose neighbouring tracks sound alike (Plex sonic analysis)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
import math
from typing import Literal, Protocol

from .eligibility import is_eligible
from .generation import Generation
from .models import Refinements, Track
from .selection import status_for

type SeedMode = Literal["recent", "track", "artist"]

# Sonic Flow: neighbours asked for per anchor (a track whose neighbours are read),
# how far they may be (0-1, Plex's scale), how many of an anchor's neighbours the
# next anchor lies beyond, and how many tracks lead from one anchor to the next.
SONIC_FLOW_NEIGHBOURS = 300
NEAREST_MAX_DISTANCE = 0.6
ANCHOR_RANK = 10
TRACKS_BETWEEN_ANCHORS = 4
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
    source: SonicSource,
    settings: SonicFlowSettings,
    now: datetime,
    accept: Callable[[Track], bool] = lambda _track: True,
) -> Generation:
    """Chain sonically similar tracks from the seed, in about one request per four.

    The flow hops from anchor to anchor: the next anchor is one of the current
    anchor's nearer neighbours (`ANCHOR_RANK` in), and the tracks placed between
    the two are those closest to both, in the order that leads from one to the
    other. Only anchors' neighbours are asked for; at a dead end the flow goes on
    from an earlier anchor. Every track passes the refinements, keeps its artist
    under the cap and differs in artist from the track before.
    """
    seed = await async_seed_track(source, settings)
    chosen: list[Track] = []
    per_artist: Counter[str] = Counter()

    def fits(track: Track) -> bool:
        artist = track.artist.casefold()
        return (
            track.id not in used
            and per_artist[artist] < MAX_TRACKS_PER_ARTIST
            and (not chosen or chosen[-1].artist.casefold() != artist)
            and is_eligible(track, settings.refinements, now)
            and accept(track)
        )

    def take(track: Track) -> None:
        used.add(track.id)
        per_artist[track.artist.casefold()] += 1
        chosen.append(track)

    used: set[str] = set()
    if is_eligible(seed, settings.refinements, now) and accept(seed):
        take(seed)
    used.add(seed.id)
    anchors = [await _async_neighbours(source, seed)]  # neighbour lists
    while len(chosen) < settings.size and anchors:
        neighbours = anchors[-1]
        candidates = [track for track, _distance in neighbours if fits(track)]
        if not candidates:
            anchors.pop()  # dead end: go on from the anchor before
            continue
        if settings.size - len(chosen) <= TRACKS_BETWEEN_ANCHORS:
            for track in candidates:  # the last few: the anchor's closest
                if len(chosen) < settings.size and fits(track):
                    take(track)
            break
        following = candidates[min(ANCHOR_RANK, len(candidates) - 1)]
        following_neighbours = await _async_neighbours(source, following)
        between = _between(candidates, following, neighbours, following_neighbours)
        for track in [*between, following]:
            if len(chosen) < settings.size and fits(track):
                take(track)
        used.add(following.id)
        anchors.append(following_neighbours)
    return Generation(
        tracks=tuple(chosen),
        status=status_for(len(chosen), settings.size, relaxed=False),
        description=f"Sonic Flow from “{seed.artist} - {seed.title}”",
        failure=None if chosen else "no_tracks",
    )


def _between(
    candidates: Sequence[Track],
    following: Track,
    neighbours: Sequence[tuple[Track, float]],
    following_neighbours: Sequence[tuple[Track, float]],
) -> list[Track]:
    """Return the candidates closest to both anchors, from the first to the second."""
    from_anchor = {track.id: distance for track, distance in neighbours}
    to_following = {track.id: distance for track, distance in following_neighbours}
    beyond = max(to_following.values(), default=NEAREST_MAX_DISTANCE)

    def to_next(track: Track) -> float:
        return to_following.get(track.id, beyond)

    between = sorted(
        (track for track in candidates if track.id != following.id),
        key=lambda track: from_anchor[track.id] + to_next(track),
    )[:TRACKS_BETWEEN_ANCHORS]
    return sorted(between, key=lambda track: from_anchor[track.id] - to_next(track))


async def _async_neighbours(
    source: SonicSource, track: Track
) -> list[tuple[Track, float]]:
    return await source.async_nearest(
        track.id, SONIC_FLOW_NEIGHBOURS, NEAREST_MAX_DISTANCE
    )


def order_by_flow(
    tracks: Sequence[Track], distance: Callable[[Track, Track], float]
) -> list[Track]:
    """Order tracks so that neighbours are close: greedy nearest neighbour.

    Starts from the first track; each next track is the closest one left.
    """
    if not tracks:
        return []
    remaining = list(tracks[1:])
    ordered = [tracks[0]]
    while remaining:
        closest = min(remaining, key=lambda track: distance(ordered[-1], track))
        remaining.remove(closest)
        ordered.append(closest)
    return ordered


# Flow order: tracks of the set whose neighbours are read (the anchors), and how
# many neighbours each.
FLOW_ORDER_ANCHORS = 8
FLOW_ORDER_NEIGHBOURS = 1000


async def async_flow_order(source: SonicSource, tracks: Sequence[Track]) -> list[Track]:
    """Order tracks as a flow from the neighbours of a few of them.

    Up to `FLOW_ORDER_ANCHORS` requests: each anchor, chosen farthest from the
    anchors before it, gives its distances to the tracks among its neighbours
    (a track beyond them counts as at its farthest neighbour's distance). Two
    tracks' distance is then known when one is an anchor, and estimated from how
    alike their distances to the anchors are otherwise; the order is a greedy
    path, improved by reversing stretches while that shortens it (2-opt).
    """
    if len(tracks) < 3:
        return list(tracks)
    rows: dict[str, dict[str, float]] = {}
    anchor = tracks[0]
    while True:
        neighbours = await source.async_nearest(anchor.id, FLOW_ORDER_NEIGHBOURS, 1.0)
        known = {track.id: distance for track, distance in neighbours}
        beyond = max(known.values(), default=1.0)
        rows[anchor.id] = {t.id: known.get(t.id, beyond) for t in tracks} | {
            anchor.id: 0.0
        }
        others = [t for t in tracks if t.id not in rows]
        if len(rows) >= FLOW_ORDER_ANCHORS or not others:
            break
        anchor = max(others, key=lambda t: min(row[t.id] for row in rows.values()))

    def distance(first: Track, second: Track) -> float:
        if first.id in rows:
            return rows[first.id][second.id]
        if second.id in rows:
            return rows[second.id][first.id]
        return math.sqrt(
            sum((row[first.id] - row[second.id]) ** 2 for row in rows.values())
            / len(rows)
        )

    return shorten(order_by_flow(tracks, distance), distance)


def shorten(
    order: Sequence[Track], distance: Callable[[Track, Track], float]
) -> list[Track]:
    """Improve a path (first track fixed) by reversing stretches that shorten it."""
    path = list(order)
    improved = True
    while improved:
        improved = False
        for start in range(1, len(path) - 1):
            for end in range(start + 1, len(path)):
                before, first, last = path[start - 1], path[start], path[end]
                after = path[end + 1] if end + 1 < len(path) else None
                old = distance(before, first) + (distance(last, after) if after else 0)
                new = distance(before, last) + (distance(first, after) if after else 0)
                if new < old - 1e-9:
                    path[start : end + 1] = path[start : end + 1][::-1]
                    improved = True
    return path
