"""The Daily Flow: a playlist whose character follows the time of day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from .generation import Generation
from .models import Criteria, Refinements, Track, TrackQuery
from .selection import (
    STRICT_STEP,
    merge_candidates,
    relaxation_steps,
    spread_artists,
    status_for,
)
from .windows import TimeWindow, next_boundary, window_at

# Candidates asked of the server per track wanted: room for the artist cap and for
# tracks the refinements turn away.
CANDIDATES_PER_TRACK = 3
MAX_TRACKS_PER_ARTIST = 3


class TrackSource(Protocol):
    """Where tracks come from: a music server adapter."""

    async def async_search_tracks(
        self, library_keys: Sequence[str], query: TrackQuery, now: datetime
    ) -> list[Track]:
        """Return random tracks matching the query."""


@dataclass(frozen=True, slots=True)
class DailyFlowSettings:
    """What a Daily Flow playlist is configured with."""

    windows: tuple[TimeWindow, ...]
    refinements: Refinements
    size: int
    library_keys: tuple[str, ...]
    order: Literal["spread", "flow"] = "spread"
    """"flow" orders the chosen tracks so that neighbours sound alike."""


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
    source: TrackSource, settings: DailyFlowSettings, now: datetime
) -> Generation:
    """Choose the playlist for `now` (local, aware), relaxing filters as needed."""
    window = active_window(settings.windows, now)
    strict = TrackQuery(
        criteria=window.criteria if window else Criteria(),
        refinements=settings.refinements,
        limit=settings.size * CANDIDATES_PER_TRACK,
    )
    batches: list[list[Track]] = []
    steps_taken: list[str] = []
    chosen: list[Track] = []
    for step, query in relaxation_steps(strict):
        if step != STRICT_STEP:
            steps_taken.append(step)
        batches.append(
            await source.async_search_tracks(settings.library_keys, query, now)
        )
        chosen = spread_artists(
            merge_candidates(batches), settings.size, MAX_TRACKS_PER_ARTIST
        )
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
