"""The Daily Flow: a playlist whose character follows the time of day."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import random
from typing import Literal, Protocol

from .generation import Generation
from .models import Criteria, Exclusions, MoodLevel, Refinements, Track, TrackQuery
from .sampling import Favour, TrackBranch, fair_sample, favour, pool_size
from .selection import (
    STRICT_STEP,
    merge_candidates,
    relaxation_steps,
    spread_artists,
    status_for,
)
from .windows import TimeWindow, next_boundary, window_at

# Candidates asked of the server per track wanted: room for the artist cap and for
# tracks the refinements turn away; more when the last runs' tracks are left out.
CANDIDATES_PER_TRACK = 3
CANDIDATES_PER_TRACK_AVOIDING_RECENT = 5
MAX_TRACKS_PER_ARTIST = 3
# Recent tracks are left out when the eligible pool holds this many playlists.
FRESH_POOL_FACTOR = 3
# Relaxation steps that only move moods to another level.
MOOD_LEVEL_STEPS = frozenset({"mood_album", "mood_artist"})


class TrackSource(Protocol):
    """Where tracks come from: a music server adapter."""

    async def async_search_tracks(
        self, library_keys: Sequence[str], query: TrackQuery, now: datetime
    ) -> list[TrackBranch]:
        """Return uniform samples of the tracks matching the query, by branch.

        The branches are disjoint parts of the eligible pool, each sampled
        uniformly, with their sizes; together they cover the whole pool.
        """


@dataclass(frozen=True, slots=True)
class DailyFlowSettings:
    """What a Daily Flow playlist is configured with."""

    windows: tuple[TimeWindow, ...]
    refinements: Refinements
    size: int
    library_keys: tuple[str, ...]
    order: Literal["spread", "flow"] = "spread"
    """"flow" orders the chosen tracks so that neighbours sound alike."""
    favour: Favour = "none"
    """Tracks to give better chances; "none" keeps every chance the same."""
    exclusions: Exclusions = field(default_factory=Exclusions)
    """What the playlist never contains; never relaxed."""
    mood_levels: tuple[MoodLevel, ...] = ("track", "album", "artist")
    """Where the server matches moods; at any other level it asks the same again."""


def active_window(windows: Sequence[TimeWindow], moment: datetime) -> TimeWindow | None:
    """Return the window at `moment`; in a gap between windows, the last one started.

    The playlist changes when a window starts and keeps that content until the
    next one starts, so a gap plays on what the previous window chose.
    """
    if (window := window_at(windows, moment)) is not None or not windows:
        return window
    previous_start = next_boundary(windows, moment - timedelta(days=1))
    latest: TimeWindow | None = None
    while previous_start <= moment:
        latest = window_at(windows, previous_start)
        previous_start = next_boundary(windows, previous_start)
    return latest


async def select_daily_flow(
    source: TrackSource,
    settings: DailyFlowSettings,
    now: datetime,
    recent: frozenset[str] = frozenset(),
    rng: random.Random | None = None,
    *,
    held: frozenset[str] = frozenset(),
) -> Generation:
    """Choose the playlist for `now` (local, aware), relaxing filters as needed.

    Every eligible track has the same chance. Tracks in `recent` (written by the
    playlist's last runs) are left out while the eligible pool holds at least
    `FRESH_POOL_FACTOR` playlists, and taken only to fill up otherwise. Tracks
    in `held` (other playlists hold them) are always left out.
    """
    rng = rng or random.SystemRandom()
    window = active_window(settings.windows, now)
    strict = TrackQuery(
        criteria=window.criteria if window else Criteria(),
        refinements=settings.refinements,
        limit=settings.size
        * (
            CANDIDATES_PER_TRACK_AVOIDING_RECENT
            if recent or held
            else CANDIDATES_PER_TRACK
        ),
        exclusions=settings.exclusions,
    )
    batches: list[list[Track]] = []
    steps_taken: list[str] = []
    chosen: list[Track] = []
    avoid: frozenset[str] | None = None
    for step, query in relaxation_steps(strict):
        if step != STRICT_STEP:
            steps_taken.append(step)
        if step in MOOD_LEVEL_STEPS and query.mood_level not in settings.mood_levels:
            continue  # the server would answer the search before this one again
        branches = await source.async_search_tracks(settings.library_keys, query, now)
        if avoid is None:
            fresh_pool = pool_size(branches) >= FRESH_POOL_FACTOR * settings.size
            avoid = recent if fresh_pool else frozenset()
        batches.append(favour(fair_sample(branches, rng), settings.favour, rng))
        candidates = [
            track for track in merge_candidates(batches) if track.id not in held
        ]
        chosen = spread_artists(
            [track for track in candidates if track.id not in avoid],
            settings.size,
            MAX_TRACKS_PER_ARTIST,
        )
        if len(chosen) < settings.size and avoid:
            chosen = _fill_up(chosen, candidates, settings.size)
        if len(chosen) >= settings.size:
            break
    window_name = window.name if window else None
    return Generation(
        tracks=tuple(chosen),
        status=status_for(len(chosen), settings.size, relaxed=bool(steps_taken)),
        description=f"Daily Flow, window “{window_name}”",
        relaxed=tuple(steps_taken),
        window=window_name,
        failure=None if chosen else "no_tracks",
    )


def _fill_up(chosen: list[Track], candidates: list[Track], size: int) -> list[Track]:
    """Add candidates left out as recent until `size`, within the artist cap."""
    per_artist = Counter(_artist_key(track) for track in chosen)
    picked = {track.id for track in chosen}
    extra: list[Track] = []
    for track in candidates:
        if len(chosen) + len(extra) >= size:
            break
        artist = _artist_key(track)
        if track.id not in picked and per_artist[artist] < MAX_TRACKS_PER_ARTIST:
            per_artist[artist] += 1
            picked.add(track.id)
            extra.append(track)
    together = chosen + extra
    return spread_artists(together, len(together), MAX_TRACKS_PER_ARTIST)


def _artist_key(track: Track) -> str:
    return track.artist.strip().casefold()
