"""Tests for a playlist's shape: length in tracks or minutes, exclusions."""

from datetime import date

from custom_components.harmoniq.engine.generation import Generation
from custom_components.harmoniq.engine.models import Exclusions, Track
from custom_components.harmoniq.engine.seasons import parse_seasons
from custom_components.harmoniq.engine.selection import RunStatus
from custom_components.harmoniq.engine.shape import (
    MAX_TRACKS,
    SHORT_TRACK_SECONDS,
    UNKNOWN_TRACK_SECONDS,
    Length,
    accepts,
    fit_length,
    fitted,
    is_full,
    with_seasons,
)


def track(
    track_id: str, seconds: float, artist: str = "A", album_artist: str = ""
) -> Track:
    """Build a track of a given length."""
    return Track(
        id=track_id,
        title=f"Song {track_id}",
        artist=artist,
        album="Album",
        album_artist=album_artist or artist,
        duration=seconds,
    )


def test_tracks_wanted() -> None:
    """By tracks: the size; by minutes: enough short tracks, within the cap."""
    assert Length(tracks=40).tracks_wanted == 40
    assert Length(tracks=40, minutes=60).tracks_wanted == 60 * 60 // SHORT_TRACK_SECONDS
    assert Length(tracks=40, minutes=10_000).tracks_wanted == MAX_TRACKS


def test_minutes_fill_to_the_target_within_one_track() -> None:
    """The duration reaches the target; without the last track it would not."""
    tracks = [track(str(i), 200 + 37 * (i % 5)) for i in range(60)]
    length = Length(tracks=40, minutes=60)
    chosen = fit_length(tracks, length)
    total = sum(t.duration for t in chosen)
    assert total >= 3600
    assert total - chosen[-1].duration < 3600
    assert chosen == tuple(tracks[: len(chosen)])
    assert is_full(chosen, length)


def test_too_few_tracks_for_the_minutes() -> None:
    """All tracks are taken and the playlist is not full."""
    tracks = [track(str(i), 180) for i in range(5)]
    length = Length(tracks=40, minutes=60)
    assert fit_length(tracks, length) == tuple(tracks)
    assert not is_full(tracks, length)


def test_unknown_durations_count_as_an_estimate() -> None:
    """A track without a duration counts `UNKNOWN_TRACK_SECONDS`."""
    tracks = [track(str(i), 0) for i in range(100)]
    chosen = fit_length(tracks, Length(tracks=1, minutes=35))
    assert len(chosen) == -(-35 * 60 // UNKNOWN_TRACK_SECONDS)


def test_by_tracks_takes_the_first() -> None:
    """Without minutes the first `tracks` tracks are taken."""
    tracks = [track(str(i), 999) for i in range(10)]
    assert fit_length(tracks, Length(tracks=3)) == tuple(tracks[:3])


def test_fitted_judges_the_status_by_the_length() -> None:
    """Full and unrelaxed is ok; short or relaxed is partial; nothing fails."""
    tracks = tuple(track(str(i), 240) for i in range(30))
    by_minutes = Length(tracks=40, minutes=60)
    full = fitted(Generation(tracks, RunStatus.PARTIAL, "x"), by_minutes)
    assert (full.status, len(full.tracks)) == (RunStatus.OK, 15)
    relaxed = fitted(
        Generation(tracks, RunStatus.PARTIAL, "x", relaxed=("moods",)), by_minutes
    )
    assert relaxed.status is RunStatus.PARTIAL
    short = fitted(Generation(tracks[:5], RunStatus.OK, "x"), by_minutes)
    assert short.status is RunStatus.PARTIAL
    empty = fitted(Generation((), RunStatus.FAILED, "x", failure="no_seed"), by_minutes)
    assert (empty.status, empty.failure) == (RunStatus.FAILED, "no_seed")


def test_out_of_season_tags_are_excluded_as_every_kind() -> None:
    """A tag out of season joins the genres, moods, styles and tags; in season nothing."""
    seasons = parse_seasons("Christmas: 1 Dec - 26 Dec")
    own = Exclusions(artists=("Nickelback",), genres=("Metal",))
    july = with_seasons(own, seasons, date(2026, 7, 1))
    assert july == Exclusions(
        artists=("Nickelback",),
        genres=("Metal", "Christmas"),
        moods=("Christmas",),
        styles=("Christmas",),
        tags=("Christmas",),
    )
    assert with_seasons(own, seasons, date(2026, 12, 24)) == own
    assert not Exclusions()
    assert Exclusions(tags=("x",))


def test_accepts_turns_away_held_tracks_and_excluded_artists() -> None:
    """Track and album artists compare case-insensitively; held ids are refused."""
    accept = accepts(Exclusions(artists=(" nickelback ",)), frozenset({"7"}))
    assert accept(track("1", 200, "Radiohead"))
    assert not accept(track("2", 200, "Nickelback"))
    assert not accept(track("3", 200, "Feat. Someone", album_artist="NICKELBACK"))
    assert not accept(track("7", 200, "Radiohead"))
