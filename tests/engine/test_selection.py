"""Tests for query relaxation, artist spreading and run status."""

from collections import Counter
import itertools
import random

import pytest

from custom_components.harmoniq.engine.models import (
    Criteria,
    MoodLevel,
    Refinements,
    Track,
    TrackQuery,
)
from custom_components.harmoniq.engine.selection import (
    RELAXATION_ORDER,
    RunStatus,
    merge_candidates,
    relaxation_steps,
    spread_artists,
    status_for,
)

ALL_CRITERIA = Criteria(moods=("Chill",), genres=("Jazz",), styles=("Bebop",))
ALL_REFINEMENTS = Refinements(min_stars=3, exclude_played_days=7, max_skips=2)


def track(track_id: str, artist: str, title: str | None = None) -> Track:
    """Build a track; the title defaults to the id."""
    return Track(
        id=track_id,
        title=title or f"Song {track_id}",
        artist=artist,
        album="Album",
        album_artist=artist,
    )


def artists(tracks: list[Track]) -> list[str]:
    """Artist of each track."""
    return [t.artist for t in tracks]


@pytest.mark.parametrize(
    ("criteria", "refinements", "mood_level", "expected_steps"),
    [
        pytest.param(
            ALL_CRITERIA,
            ALL_REFINEMENTS,
            "track",
            ["strict", *RELAXATION_ORDER],
            id="everything-set",
        ),
        pytest.param(
            Criteria(genres=("Jazz",), styles=("Bebop",)),
            ALL_REFINEMENTS,
            "track",
            ["strict", "skips", "recently_played", "rating", "styles", "genres"],
            id="no-moods-skips-mood-steps",
        ),
        pytest.param(
            Criteria(moods=("Chill",)),
            Refinements(),
            "track",
            ["strict", "mood_album", "mood_artist", "moods"],
            id="moods-only",
        ),
        pytest.param(
            Criteria(moods=("Chill",)),
            Refinements(max_skips=0),
            "album",
            ["strict", "mood_artist", "skips", "moods"],
            id="already-album-level",
        ),
        pytest.param(
            Criteria(moods=("Chill",)),
            Refinements(),
            "artist",
            ["strict", "moods"],
            id="already-artist-level-never-narrowed",
        ),
        pytest.param(
            Criteria(), Refinements(), "track", ["strict"], id="nothing-to-relax"
        ),
    ],
)
def test_relaxation_steps_order(
    criteria: Criteria,
    refinements: Refinements,
    mood_level: MoodLevel,
    expected_steps: list[str],
) -> None:
    """Steps follow RELAXATION_ORDER, skipping those that change nothing."""
    query = TrackQuery(criteria, refinements, limit=50, mood_level=mood_level)
    steps = relaxation_steps(query)
    assert [name for name, _ in steps] == expected_steps
    assert steps[0][1] is query
    assert all(step.limit == 50 for _, step in steps)


def test_relaxation_steps_are_cumulative() -> None:
    """Each step keeps every earlier relaxation."""
    strict = TrackQuery(ALL_CRITERIA, ALL_REFINEMENTS, limit=50)
    steps = dict(relaxation_steps(strict))
    assert steps["mood_album"] == TrackQuery(
        ALL_CRITERIA, ALL_REFINEMENTS, limit=50, mood_level="album"
    )
    assert steps["recently_played"] == TrackQuery(
        ALL_CRITERIA, Refinements(min_stars=3), limit=50, mood_level="artist"
    )
    assert steps["genres"] == TrackQuery(
        Criteria(moods=("Chill",)), Refinements(), limit=50, mood_level="artist"
    )
    assert steps["moods"] == TrackQuery(
        Criteria(), Refinements(), limit=50, mood_level="artist"
    )


@pytest.mark.parametrize(
    ("artist_order", "size", "max_per_artist", "expected"),
    [
        pytest.param(
            ["A", "A", "A", "B", "B", "C"],
            6,
            3,
            ["A", "B", "A", "B", "A", "C"],
            id="spread",
        ),
        pytest.param(
            ["A", "A", "A", "B", "B", "C"], 3, 3, ["A", "B", "C"], id="variety-first"
        ),
        pytest.param(
            ["A", "A", "A", "B", "B", "C"], 4, 3, ["A", "B", "A", "C"], id="short"
        ),
        pytest.param(["A", "A", "B", "B"], 4, 1, ["A", "B"], id="cap-below-size"),
        pytest.param(["A"] * 5, 5, 3, ["A", "A", "A"], id="single-artist-capped"),
        pytest.param(
            ["A", "A", "A", "A", "B"], 10, 3, ["A", "B", "A", "A"], id="unavoidable"
        ),
        pytest.param(
            ["B", "A", "A", "B"], 4, 3, ["B", "A", "B", "A"], id="tie-first-seen"
        ),
        pytest.param(["A", "B"], 0, 3, [], id="size-zero"),
        pytest.param([], 10, 3, [], id="no-tracks"),
    ],
)
def test_spread_artists_order(
    artist_order: list[str], size: int, max_per_artist: int, expected: list[str]
) -> None:
    """Variety first, then the greedy spread-out order."""
    tracks = [track(str(number), artist) for number, artist in enumerate(artist_order)]
    assert artists(spread_artists(tracks, size, max_per_artist)) == expected


def test_spread_artists_removes_duplicates() -> None:
    """Same id or same artist and title (normalised) are dropped."""
    first = track("1", "Miles Davis", "So What")
    tracks = [
        first,
        track("1", "Someone Else", "Other"),  # same id
        track("2", " miles davis ", "SO WHAT "),  # same artist and title
        track("3", "MILES DAVIS", "Blue in Green"),
        track("4", "Bill Evans", "So What"),  # same title, other artist
    ]
    assert [t.id for t in spread_artists(tracks, 10)] == ["1", "4", "3"]
    assert spread_artists(tracks, 10)[0] is first


def test_spread_artists_caps_normalised_artists() -> None:
    """The cap counts artists ignoring case and outer whitespace."""
    tracks = [track(str(n), artist) for n, artist in enumerate(["X", " x", "X ", "x"])]
    assert len(spread_artists(tracks, 10, max_per_artist=3)) == 3


@pytest.mark.parametrize(("size", "max_per_artist"), [(-1, 3), (10, 0)])
def test_spread_artists_rejects_bad_arguments(size: int, max_per_artist: int) -> None:
    """A negative size or a cap below one is an error."""
    with pytest.raises(ValueError, match="must be"):
        spread_artists([track("1", "A")], size, max_per_artist)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize(
    ("size", "max_per_artist"), [(5, 1), (15, 2), (25, 3), (60, 3)]
)
def test_spread_artists_properties(seed: int, size: int, max_per_artist: int) -> None:
    """Size, cap, uniqueness, determinism and spacing hold for random input."""
    rng = random.Random(seed)
    artist_names = [f"Artist {n}" for n in range(rng.randint(1, 8))]
    weights = [rng.randint(1, 10) for _ in artist_names]
    tracks = [
        track(str(rng.randint(0, 80)), artist, f"Song {rng.randint(0, 10)}")
        for artist in rng.choices(artist_names, weights, k=rng.randint(0, 60))
    ]

    result = spread_artists(tracks, size, max_per_artist)

    assert result == spread_artists(list(tracks), size, max_per_artist)
    assert len(result) <= size
    assert all(any(t is original for original in tracks) for t in result)
    assert len({t.id for t in result}) == len(result)
    assert len({(t.artist, t.title) for t in result}) == len(result)
    per_artist = Counter(artists(result))
    assert all(count <= max_per_artist for count in per_artist.values())
    kept_ids: set[str] = set()
    kept_songs: set[tuple[str, str]] = set()
    available: Counter[str] = Counter()
    for t in tracks:
        if t.id not in kept_ids and (t.artist, t.title) not in kept_songs:
            kept_ids.add(t.id)
            kept_songs.add((t.artist, t.title))
            available[t.artist] += 1
    capped = sum(min(count, max_per_artist) for count in available.values())
    assert len(result) == min(size, capped)
    if per_artist and max(per_artist.values()) <= (len(result) + 1) // 2:
        assert all(a != b for a, b in itertools.pairwise(result))


def test_merge_candidates_keeps_first_occurrence() -> None:
    """Merging keeps the first track of each id, in order."""
    first_two = track("2", "A", "first")
    batches = [
        [track("1", "A"), first_two],
        [track("2", "B", "second"), track("3", "B")],
        [],
        [track("1", "C"), track("4", "C")],
    ]
    merged = merge_candidates(batches)
    assert [t.id for t in merged] == ["1", "2", "3", "4"]
    assert merged[1] is first_two
    assert merged[0].artist == "A"


@pytest.mark.parametrize(
    ("selected", "size", "relaxed", "expected"),
    [
        (10, 10, False, RunStatus.OK),
        (12, 10, False, RunStatus.OK),
        (10, 10, True, RunStatus.PARTIAL),
        (5, 10, False, RunStatus.PARTIAL),
        (5, 10, True, RunStatus.PARTIAL),
        (0, 10, False, RunStatus.FAILED),
        (0, 10, True, RunStatus.FAILED),
    ],
)
def test_status_for(
    selected: int, size: int, relaxed: bool, expected: RunStatus
) -> None:
    """OK needs a full strict result, FAILED means nothing selected."""
    assert status_for(selected, size, relaxed) is expected
    assert expected.value in {"ok", "partial", "failed"}
