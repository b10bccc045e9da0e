"""Fair samples mixed from branches of the eligible pool."""

from __future__ import annotations

from collections import Counter
import random

from custom_components.harmoniq.engine.models import Track
from custom_components.harmoniq.engine.sampling import (
    TrackBranch,
    fair_sample,
    favour,
    pool_size,
)


def _tracks(prefix: str, count: int) -> tuple[Track, ...]:
    return tuple(
        Track(
            id=f"{prefix}{n}",
            title=f"{prefix}{n}",
            artist="A",
            album="B",
            album_artist="A",
        )
        for n in range(count)
    )


def test_branches_share_the_head_in_proportion_to_their_pools() -> None:
    """A pool of 300 beside one of 100: three quarters of the first picks from it."""
    rng = random.Random(5)
    heads: Counter[str] = Counter()
    for _ in range(200):
        sample = fair_sample(
            [
                TrackBranch(_tracks("big", 40), 300),
                TrackBranch(_tracks("small", 40), 100),
            ],
            rng,
        )
        heads.update(track.id.rstrip("0123456789") for track in sample[:40])
    share = heads["big"] / (heads["big"] + heads["small"])
    assert 0.70 <= share <= 0.80, share


def test_every_track_is_kept_once_in_branch_order() -> None:
    """Nothing is lost or repeated; each branch keeps its own (random) order."""
    big, small = _tracks("big", 5), _tracks("small", 3)
    sample = fair_sample(
        [TrackBranch(big, 10), TrackBranch(small, 0)], random.Random(1)
    )
    assert sorted(t.id for t in sample) == sorted(t.id for t in big + small)
    assert [t for t in sample if t in big] == list(big)
    assert [t for t in sample if t in small] == list(small)


def test_pool_size_and_empty_branches() -> None:
    """The pool is the branches' sum; no branches give no tracks."""
    assert pool_size([TrackBranch((), 12.5), TrackBranch(_tracks("x", 1), 3)]) == 15.5
    assert fair_sample([], random.Random(1)) == []


def test_favour_weighs_and_keeps_every_track() -> None:
    """Favouring ratings puts rated-10 tracks first more often; none are dropped."""
    low = [
        Track(
            id=f"low{n}",
            title="t",
            artist="A",
            album="B",
            album_artist="A",
            user_rating=2,
        )
        for n in range(50)
    ]
    high = [
        Track(
            id=f"high{n}",
            title="t",
            artist="A",
            album="B",
            album_artist="A",
            user_rating=10,
        )
        for n in range(50)
    ]
    rng = random.Random(3)
    ordered = favour(low + high, "rating", rng)
    assert sorted(t.id for t in ordered) == sorted(t.id for t in low + high)
    first_half = ordered[:50]
    assert sum(t in high for t in first_half) >= 30
    assert favour(low + high, "none", rng) == low + high
    played = [
        Track(
            id=f"p{n}",
            title="t",
            artist="A",
            album="B",
            album_artist="A",
            view_count=n % 2 * 50,
        )
        for n in range(100)
    ]
    first = favour(played, "less_played", rng)[:50]
    assert sum(t.view_count == 0 for t in first) >= 30
