"""Fair samples: every eligible track has the same chance, whatever its history.

A server cannot always select the whole eligible pool in one query (Plex, for one,
cannot ask for "rated at least 4 stars or unrated"). It then answers several
disjoint branches of the pool, each with a uniform random sample and the branch's
size; `fair_sample` interleaves those samples in proportion to the sizes, as if one
uniform sample had been drawn from the whole pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import math
import random
from typing import Literal

from .models import Track

type Favour = Literal["none", "rating", "less_played"]
"""What a playlist may favour; "none" keeps every track's chance the same."""

NEUTRAL_RATING = 5.0  # an unrated track weighs as a 2.5-star one


@dataclass(frozen=True, slots=True)
class TrackBranch:
    """A uniform random sample of one part of the eligible pool."""

    tracks: tuple[Track, ...]
    pool_size: float
    """How many eligible tracks that part holds (an estimate where the server
    cannot count it)."""


def scaled_pool(total: int, kept: int, sample: int) -> float:
    """Estimate how many of `total` tracks pass, from the share of a sample kept."""
    return total * kept / sample if sample else 0.0


def pool_size(branches: Sequence[TrackBranch]) -> float:
    """Return the estimated size of the whole eligible pool."""
    return sum(branch.pool_size for branch in branches)


def fair_sample(branches: Sequence[TrackBranch], rng: random.Random) -> list[Track]:
    """Interleave the branches' samples as one uniform sample of their union.

    Each next track comes from a branch with probability proportional to the part
    of its pool not yet drawn, which is how drawing without replacement from the
    union behaves. A branch whose sample runs out drops out.
    """
    queues = [list(branch.tracks) for branch in branches]
    left = [max(branch.pool_size, len(branch.tracks)) for branch in branches]
    sample: list[Track] = []
    while live := [index for index, queue in enumerate(queues) if queue]:
        [index] = rng.choices(live, weights=[left[i] for i in live])
        sample.append(queues[index].pop(0))
        left[index] = max(left[index] - 1, len(queues[index]))
    return sample


def favour(tracks: Sequence[Track], how: Favour, rng: random.Random) -> list[Track]:
    """Reorder a uniform sample so that favoured tracks tend to come first.

    Weighted random order (each track's key is u ** (1 / weight)): higher-rated
    tracks weigh up to three times as much as the lowest rated, never-played ones
    three times as much as the most played. Nothing is excluded, and "none"
    leaves the order as it is.
    """
    if how == "none":
        return list(tracks)

    def weight(track: Track) -> float:
        if how == "rating":
            rating = NEUTRAL_RATING if track.user_rating is None else track.user_rating
            return 1 + rating / 5
        return 3 / (1 + math.log1p(track.view_count))

    keyed = [(rng.random() ** (1 / weight(track)), track) for track in tracks]
    return [track for _key, track in sorted(keyed, key=lambda kt: kt[0], reverse=True)]
