"""Choosing tracks: query relaxation, artist spreading and run status."""

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Literal, assert_never

from .models import Track, TrackQuery

type RelaxationStep = Literal[
    "mood_album",
    "mood_artist",
    "skips",
    "recently_played",
    "rating",
    "styles",
    "genres",
    "moods",
]

RELAXATION_ORDER: tuple[RelaxationStep, ...] = (
    "mood_album",
    "mood_artist",
    "skips",
    "recently_played",
    "rating",
    "styles",
    "genres",
    "moods",
)
"""Order in which filters are loosened when the strict query finds too few tracks.

Moods give a window its character, so they are kept longest: first they are
matched more broadly (on the album, then on the artist, as many libraries tag
moods only there), and only dropped as the very last step. The refinements are
listening preferences and go next, the noisiest signal first: skip limit,
recently-played exclusion, then minimum rating (the user's explicit opinion).
Then the criteria from the most to the least specific: styles, genres, moods.
Without moods the ``mood_*`` steps change nothing and are skipped.
"""

STRICT_STEP = "strict"
"""Step name of the unrelaxed query in ``relaxation_steps``."""


class RunStatus(StrEnum):
    """Outcome of a playlist run."""

    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    PAUSED = "paused"
    """Not run: the playlist's condition was false; its tracks stay."""


def relaxation_steps(query: TrackQuery) -> list[tuple[str, TrackQuery]]:
    """Return the strict query, then each cumulative relaxation that changes it.

    Step names are ``STRICT_STEP`` followed by names from ``RELAXATION_ORDER``.
    """
    steps = [(STRICT_STEP, query)]
    for step in RELAXATION_ORDER:
        relaxed = _relax(steps[-1][1], step)
        if relaxed != steps[-1][1]:
            steps.append((step, relaxed))
    return steps


def merge_candidates(batches: Iterable[Sequence[Track]]) -> list[Track]:
    """All tracks of the batches, the first occurrence of each id kept."""
    merged: dict[str, Track] = {}
    for batch in batches:
        for track in batch:
            merged.setdefault(track.id, track)
    return list(merged.values())


def spread_artists(
    tracks: Sequence[Track], size: int, max_per_artist: int = 3
) -> list[Track]:
    """Pick up to ``size`` tracks with varied artists, in a spread-out order.

    Duplicates (same id, or same artist and title ignoring case and outer
    whitespace) are dropped, first occurrence kept. At most ``max_per_artist``
    tracks per artist are kept, even when that leaves fewer than ``size``.
    Tracks are picked round-robin over artists (each artist's first track, then
    each one's second, ...), so a short playlist gets as many artists as
    possible. They are then ordered greedily: next comes the artist with the
    most picked tracks left that differs from the previous one, ties going to
    the artist seen first in the input; two adjacent tracks share an artist
    only when nothing else is left. The result is deterministic for an input.
    """
    if size < 0 or max_per_artist < 1:
        raise ValueError("size must be >= 0 and max_per_artist >= 1")
    by_artist: dict[str, list[Track]] = {}
    seen_ids: set[str] = set()
    seen_songs: set[tuple[str, str]] = set()
    for track in tracks:
        artist = _normalised(track.artist)
        song = (artist, _normalised(track.title))
        if track.id in seen_ids or song in seen_songs:
            continue
        seen_ids.add(track.id)
        seen_songs.add(song)
        by_artist.setdefault(artist, []).append(track)

    picked: dict[str, deque[Track]] = {artist: deque() for artist in by_artist}
    remaining = size
    for rank in range(max_per_artist):
        for artist, artist_tracks in by_artist.items():
            if remaining and rank < len(artist_tracks):
                picked[artist].append(artist_tracks[rank])
                remaining -= 1

    ordered: list[Track] = []
    previous: str | None = None
    while left := [artist for artist, queue in picked.items() if queue]:
        others = [artist for artist in left if artist != previous]
        previous = max(others or left, key=lambda artist: len(picked[artist]))
        ordered.append(picked[previous].popleft())
    return ordered


def status_for(selected: int, size: int, relaxed: bool) -> RunStatus:
    """FAILED with no tracks, OK with ``size`` tracks from the strict query, else PARTIAL."""
    if selected <= 0:
        return RunStatus.FAILED
    if selected >= size and not relaxed:
        return RunStatus.OK
    return RunStatus.PARTIAL


def _normalised(text: str) -> str:
    """Return ``text`` for comparisons: case-folded, outer whitespace removed."""
    return text.strip().casefold()


def _relax(query: TrackQuery, step: RelaxationStep) -> TrackQuery:
    """``query`` with one more filter loosened; unchanged when it does not apply."""
    criteria, refinements = query.criteria, query.refinements
    match step:
        case "mood_album":
            if criteria.moods and query.mood_level == "track":
                return replace(query, mood_level="album")
            return query
        case "mood_artist":
            if criteria.moods:
                return replace(query, mood_level="artist")
            return query
        case "skips":
            return replace(query, refinements=replace(refinements, max_skips=None))
        case "recently_played":
            return replace(
                query, refinements=replace(refinements, exclude_played_days=0)
            )
        case "rating":
            return replace(query, refinements=replace(refinements, min_stars=0.0))
        case "styles":
            return replace(query, criteria=replace(criteria, styles=()))
        case "genres":
            return replace(query, criteria=replace(criteria, genres=()))
        case "moods":
            return replace(query, criteria=replace(criteria, moods=()))
        case _:
            assert_never(step)
