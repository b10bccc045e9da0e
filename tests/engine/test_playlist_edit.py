"""Planning playlist updates that cost only what changed."""

from __future__ import annotations

import random

import pytest

from custom_components.harmoniq.engine.playlist_edit import EditPlan, plan_edit


def _apply(current: list[str], plan: EditPlan, wanted: list[str]) -> list[str]:
    """Carry a plan out on a list, checking it is never empty between requests."""
    if plan.replace_all:
        entries = [*current, *wanted]
        for _ in current:
            entries.pop(0)
            assert entries
        return entries
    entries = [*current, *plan.add]
    assert entries or not wanted
    for position in sorted(plan.remove, reverse=True):
        entries.pop(position)
        assert entries or not wanted
    for track, after in plan.moves:
        entries.remove(track)
        entries.insert(0 if after is None else entries.index(after) + 1, track)
    return entries


def _ids(count: int, prefix: str = "t") -> list[str]:
    return [f"{prefix}{n}" for n in range(count)]


def test_unchanged_costs_nothing() -> None:
    """The same tracks in the same order: no request."""
    plan = plan_edit(_ids(40), _ids(40))
    assert plan.unchanged
    assert (plan.add, plan.remove, plan.moves) == ((), (), ())


def test_all_changed_costs_one_add_and_one_removal_each() -> None:
    """40 new tracks for 40 old: N + 1 requests, old entries removed after the add."""
    plan = plan_edit(_ids(40, "old"), _ids(40, "new"))
    assert plan.requests == 41
    assert _apply(_ids(40, "old"), plan, _ids(40, "new")) == _ids(40, "new")


def test_half_changed_keeps_the_rest_in_place() -> None:
    """20 leave, 20 arrive at the end: 20 removals and one add, no move."""
    current = _ids(40)
    wanted = current[20:] + _ids(20, "new")
    plan = plan_edit(current, wanted)
    assert not plan.replace_all
    assert (len(plan.remove), plan.add, plan.moves) == (20, tuple(_ids(20, "new")), ())
    assert plan.requests == 21
    assert _apply(current, plan, wanted) == wanted


def test_one_track_moved_is_one_request() -> None:
    """Moving one track to the top: one move, nothing else."""
    current = _ids(10)
    wanted = ["t9", *current[:9]]
    plan = plan_edit(current, wanted)
    assert plan.moves == (("t9", None),)
    assert plan.requests == 1


def test_reversed_order_moves_and_interleaving_replaces() -> None:
    """Reversed: 39 moves beat replacing (41); new tracks woven in: replacing wins."""
    current = _ids(40)
    plan = plan_edit(current, current[::-1])
    assert (plan.replace_all, plan.requests) == (False, 39)
    assert _apply(current, plan, current[::-1]) == current[::-1]
    woven = [
        track
        for pair in zip(_ids(20, "new"), current[:20][::-1], strict=True)
        for track in pair
    ]
    plan = plan_edit(current, woven)
    assert (plan.replace_all, plan.requests) == (True, 41)
    assert _apply(current, plan, woven) == woven


@pytest.mark.parametrize("seed", range(30))
def test_random_edits_reach_the_wanted_list(seed: int) -> None:
    """Any current list (duplicates included) becomes exactly the wanted list."""
    rng = random.Random(seed)
    pool = _ids(60)
    current = [rng.choice(pool) for _ in range(rng.randint(0, 40))]
    wanted = rng.sample(pool, rng.randint(1, 40))
    plan = plan_edit(current, wanted)
    assert _apply(current, plan, wanted) == wanted
    assert plan.requests <= 1 + len(current)
