"""Whether a track passes the listening refinements (rating, recent plays, skips)."""

from __future__ import annotations

from datetime import datetime, timedelta

from .models import Refinements, Track


def min_user_rating(refinements: Refinements) -> float | None:
    """Return the lowest accepted rating on the 0-10 scale, or None when disabled."""
    return refinements.min_stars * 2 if refinements.min_stars > 0 else None


def played_cutoff(refinements: Refinements, now: datetime) -> datetime | None:
    """Return the moment after which a play makes a track ineligible, or None."""
    if refinements.exclude_played_days <= 0:
        return None
    return now - timedelta(days=refinements.exclude_played_days)


def is_eligible(track: Track, refinements: Refinements, now: datetime) -> bool:
    """Apply the refinements with Harmoniq's semantics.

    Unrated tracks pass a minimum rating and never-played tracks pass the
    recently-played exclusion: both are unknown, not bad.
    """
    lowest = min_user_rating(refinements)
    if (
        lowest is not None
        and track.user_rating is not None
        and track.user_rating < lowest
    ):
        return False
    cutoff = played_cutoff(refinements, now)
    if (
        cutoff is not None
        and track.last_viewed_at is not None
        and track.last_viewed_at > cutoff
    ):
        return False
    return refinements.max_skips is None or track.skip_count <= refinements.max_skips
