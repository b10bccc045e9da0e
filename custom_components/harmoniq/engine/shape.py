"""A playlist's shape, whatever its kind: its length, what it leaves out.

The length is a number of tracks, or of minutes: then the playlist is filled
until its duration reaches the target, the last track overshooting by less than
its own length. Generators ask for `Length.tracks_wanted` tracks, enough for the
minutes even when the tracks are short, and `fit_length` trims them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from math import ceil

from .generation import Generation
from .models import Exclusions, Track
from .seasons import Season, out_of_season
from .selection import RunStatus

# Seconds a track is assumed to last when asking for tracks by the minute: short,
# so that enough tracks are asked for; `fit_length` trims what is too many.
SHORT_TRACK_SECONDS = 150
# Seconds counted for a track whose duration the server did not give.
UNKNOWN_TRACK_SECONDS = 210
# Most tracks a playlist asks for.
MAX_TRACKS = 600


@dataclass(frozen=True, slots=True)
class Length:
    """How long a playlist is: `tracks`, or `minutes` when above 0."""

    tracks: int
    minutes: int = 0

    @property
    def tracks_wanted(self) -> int:
        """Return how many tracks to ask for."""
        if self.minutes <= 0:
            return self.tracks
        return min(ceil(self.minutes * 60 / SHORT_TRACK_SECONDS), MAX_TRACKS)

    def describe(self) -> str:
        """Return the length for a playlist's summary."""
        return f"{self.minutes} min" if self.minutes > 0 else f"{self.tracks} tracks"


def track_seconds(track: Track) -> float:
    """Return a track's length in seconds (an estimate when unknown)."""
    return track.duration if track.duration > 0 else UNKNOWN_TRACK_SECONDS


def fit_length(tracks: Sequence[Track], length: Length) -> tuple[Track, ...]:
    """Return the first tracks that make up `length`, in order."""
    if length.minutes <= 0:
        return tuple(tracks[: length.tracks])
    target = length.minutes * 60
    total = 0.0
    fitted: list[Track] = []
    for track in tracks:
        if total >= target:
            break
        fitted.append(track)
        total += track_seconds(track)
    return tuple(fitted)


def fitted(generation: Generation, length: Length) -> Generation:
    """Return the generation trimmed to `length`, its status judged by the length."""
    tracks = fit_length(generation.tracks, length)
    if not tracks:
        status = RunStatus.FAILED
    elif is_full(tracks, length) and not generation.relaxed:
        status = RunStatus.OK
    else:
        status = RunStatus.PARTIAL
    return replace(
        generation,
        tracks=tracks,
        status=status,
        failure=(generation.failure or "no_tracks") if not tracks else None,
    )


def is_full(tracks: Sequence[Track], length: Length) -> bool:
    """Return whether the tracks make up the whole length."""
    if length.minutes <= 0:
        return len(tracks) >= length.tracks
    return sum(track_seconds(track) for track in tracks) >= length.minutes * 60


def with_seasons(
    exclusions: Exclusions, seasons: Iterable[Season], day: date
) -> Exclusions:
    """Add the tags of the seasons `day` is not in, as every kind of tag."""
    tags = out_of_season(seasons, day)
    if not tags:
        return exclusions

    def more(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*names, *tags)))

    return replace(
        exclusions,
        genres=more(exclusions.genres),
        moods=more(exclusions.moods),
        styles=more(exclusions.styles),
        tags=more(exclusions.tags),
    )


def accepts(exclusions: Exclusions, held: frozenset[str]) -> Callable[[Track], bool]:
    """Return a check that a track is not held elsewhere nor by an excluded artist.

    Artists compare case-insensitively, on the track artist and the album artist.
    """
    artists = {artist.strip().casefold() for artist in exclusions.artists}

    def accept(track: Track) -> bool:
        return (
            track.id not in held
            and track.artist.strip().casefold() not in artists
            and track.album_artist.strip().casefold() not in artists
        )

    return accept
