"""Planning a playlist update that costs only what changed.

A server edits a playlist one request at a time: one request appends any number of
tracks, but each removal and each move is a request of its own. `plan_edit` finds
the cheaper of two ways from the current entries to the wanted tracks, neither of
which ever leaves the playlist empty:

- in place: append the arriving tracks, remove the leaving ones, then move the
  fewest entries (all but a longest run already in the wanted order);
- replace: append every wanted track, then remove every old entry.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace as replace_field


@dataclass(frozen=True, slots=True)
class EditPlan:
    """How to turn a playlist's entries into the wanted tracks."""

    replace_all: bool
    """Append every wanted track, then remove every current entry."""
    add: tuple[str, ...] = ()
    """Track ids to append, in order (in place)."""
    remove: tuple[int, ...] = ()
    """Positions of current entries to remove (in place)."""
    moves: tuple[tuple[str, str | None], ...] = ()
    """(track id, track id to place it after, None for the top), in order."""
    requests: int = 0
    """Requests the plan costs: one per append batch, removal and move, and one to
    read the entries again when a move involves an appended track."""

    @property
    def reread(self) -> bool:
        """Return whether the appended entries must be read before the moves."""
        added = set(self.add)
        return any(track in added or after in added for track, after in self.moves)

    @property
    def unchanged(self) -> bool:
        """Return whether the playlist already holds the wanted tracks in order."""
        return self.requests == 0


def plan_edit(current: Sequence[str], wanted: Sequence[str]) -> EditPlan:
    """Plan the cheapest edit from `current` track ids to `wanted` (unique) ids."""
    wanted_set = set(wanted)
    kept: list[str] = []
    remove: list[int] = []
    for position, track_id in enumerate(current):
        if track_id in wanted_set and track_id not in kept:
            kept.append(track_id)
        else:
            remove.append(position)
    kept_set = set(kept)
    add = tuple(track_id for track_id in wanted if track_id not in kept_set)
    target = {track_id: index for index, track_id in enumerate(wanted)}
    in_order = _longest_increasing([target[t] for t in [*kept, *add]])
    staying = {wanted[index] for index in in_order}
    moves = tuple(
        (track_id, wanted[index - 1] if index else None)
        for index, track_id in enumerate(wanted)
        if track_id not in staying
    )
    plan = EditPlan(replace_all=False, add=add, remove=tuple(remove), moves=moves)
    in_place = len(remove) + (1 if add else 0) + len(moves) + plan.reread
    replace = 1 + len(current)
    if replace < in_place:
        return EditPlan(replace_all=True, requests=replace)
    return replace_field(plan, requests=in_place)


def _longest_increasing(values: Sequence[int]) -> list[int]:
    """Return a longest strictly increasing subsequence of `values` (its values)."""
    tails: list[int] = []  # tails[k]: index in values of the last of a run of k+1
    tail_values: list[int] = []
    previous: list[int] = [-1] * len(values)
    for index, value in enumerate(values):
        length = bisect_left(tail_values, value)
        if length:
            previous[index] = tails[length - 1]
        if length == len(tails):
            tails.append(index)
            tail_values.append(value)
        else:
            tails[length] = index
            tail_values[length] = value
    run: list[int] = []
    index = tails[-1] if tails else -1
    while index >= 0:
        run.append(values[index])
        index = previous[index]
    return run[::-1]
