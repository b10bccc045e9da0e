"""Backend-neutral data the playlist engine works on."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

type MoodLevel = Literal["track", "album", "artist"]
"""Where moods are matched: on the track itself, its album or its artist."""


@dataclass(frozen=True, slots=True)
class Track:
    """A library track as the engine sees it."""

    id: str
    """Server id (the Plex ratingKey as a string)."""
    title: str
    artist: str
    """Track artist: Plex originalTitle when set, else the album artist."""
    album: str
    album_artist: str
    user_rating: float | None = None
    """0-10 scale (stars * 2); None when unrated."""
    view_count: int = 0
    skip_count: int = 0
    last_viewed_at: datetime | None = None
    """Aware UTC datetime of the last play; None when never played."""
    sonically_analyzed: bool = False
    """Whether the server analysed how the track sounds (sonic similarity)."""
    library_key: str = ""
    """The library (Plex section) the track belongs to."""
    duration: float = 0.0
    """Length in seconds; 0 when the server did not say."""


@dataclass(frozen=True, slots=True)
class Criteria:
    """What a window asks for; an empty tuple does not filter."""

    moods: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Refinements:
    """Listening preferences applied on top of the criteria."""

    min_stars: float = 0.0
    """0-5 stars, 0 disables; unrated tracks stay eligible."""
    exclude_played_days: int = 0
    """Skip tracks played within this many days, 0 disables; never-played tracks stay eligible."""
    max_skips: int | None = None
    """Highest allowed skip count; None disables."""


@dataclass(frozen=True, slots=True)
class Exclusions:
    """What a playlist never contains; names as the library spells them.

    A name the library does not have excludes nothing. Tags are Jellyfin's
    free-form tags (servers without them ignore the field).
    """

    artists: tuple[str, ...] = ()
    """Track or album artists."""
    genres: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        """Return whether anything is excluded."""
        return bool(
            self.artists or self.genres or self.moods or self.styles or self.tags
        )


@dataclass(frozen=True, slots=True)
class TrackQuery:
    """One server-side selection request."""

    criteria: Criteria
    refinements: Refinements
    limit: int
    mood_level: MoodLevel = "track"
    exclusions: Exclusions = Exclusions()
    """Tracks matching these are never returned (filtered on the server where it can)."""
