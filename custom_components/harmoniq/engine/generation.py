"""What one playlist run produces, whatever its kind."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Track
from .selection import RunStatus


@dataclass(frozen=True, slots=True)
class Generation:
    """The tracks a generator chose and how it went."""

    tracks: tuple[Track, ...]
    status: RunStatus
    description: str
    """What the playlist was generated from, for its summary in Plex."""
    relaxed: tuple[str, ...] = ()
    """Filters that had to be relaxed, in order."""
    window: str | None = None
    """Daily Flow: the name of the window the tracks were chosen for."""
    missing: tuple[str, ...] = ()
    """Source tracks ("Artist - Title") that the libraries do not have."""
    failure: str | None = None
    """Why nothing could be chosen (a reason key), when `tracks` is empty."""
