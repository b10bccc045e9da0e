"""Time windows of the "Daily Flow" playlist.

Text format (compatible with the original Harmoniq ``TIME_WINDOWS`` option)::

    00:00-09:00:moods=Chill;09:00-17:00:moods=Energetic;17:00-00:00:moods=Atmospheric

Windows are separated by ``;`` or newlines (blank entries, such as a trailing
``;``, are ignored, as are blank ``:`` parts). Each window is ``HH:MM-HH:MM`` followed by optional
``:key=value`` parts with the keys ``name``, ``moods``, ``genres`` and
``styles``; list values are comma separated (``moods=Chill,Relaxed``) and keys
are case-insensitive. A name cannot contain ``,``, and no value a line break (a
carriage return). A window without criteria matches any track. A window
without a name is named after its time range (``00:00-09:00``): always
available, unlike a mood, and unique, as windows cannot overlap.

A moods, genres or styles item may be a Home Assistant template
(``moods={{ 'Chill' if is_state('weather.home', 'rainy') else 'Energetic' }}``):
separators inside ``{{ ... }}`` or ``{% ... %}`` do not count, and the item is
kept as written, to be rendered at each run (``is_template``).

A window covers ``[start, end)`` at minute resolution on a 24 h circle: it wraps
midnight when end is before start (``22:00-02:00``), an end of ``00:00`` (or
``24:00``) means midnight at the end of the day, and start equal to end is
invalid. Windows must not overlap; gaps between them are allowed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
import re
from typing import Literal

from .models import Criteria

type TimeWindowErrorReason = Literal[
    "empty",
    "bad_format",
    "bad_time",
    "empty_window",
    "unknown_key",
    "duplicate_key",
    "overlap",
    "bad_name",
    "line_break",
]

_MINUTES_PER_DAY = 24 * 60
_WINDOW_SEPARATOR = re.compile(r"[;\n]")
_WINDOW_HEAD = re.compile(
    r"(?P<start>[0-9]{1,2}):(?P<start_min>[0-9]{2})\s*-\s*"
    r"(?P<end>[0-9]{1,2}):(?P<end_min>[0-9]{2})\s*(?P<rest>.*)"
)
_LIST_KEYS = ("moods", "genres", "styles")
_KEYS = ("name", *_LIST_KEYS)
_FORBIDDEN_IN_VALUES = (";", ":", ",", "\n", "\r")
_TEMPLATE_BLOCK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_HIDDEN = re.compile("\x00([0-9]+)\x00")

_MESSAGES: dict[TimeWindowErrorReason, str] = {
    "empty": "no time windows given",
    "bad_format": "expected HH:MM-HH:MM followed by :key=value parts",
    "bad_time": "times must be between 00:00 and 23:59",
    "empty_window": "start and end are equal",
    "unknown_key": "unknown key {key!r}; use name, moods, genres or styles",
    "duplicate_key": "key {key!r} is given more than once",
    "overlap": "overlaps window {other_index}",
    "bad_name": "a name cannot contain a comma or a line break",
    "line_break": "{key!r} holds a line break",
}


class TimeWindowError(ValueError):
    """Invalid time window text.

    ``reason`` is a stable machine key (used for translated UI errors):

    - ``empty``: the text holds no window (``index`` is None, ``window`` "").
    - ``bad_format``: not ``HH:MM-HH:MM[:key=value...]``, or a part lacks ``=``.
    - ``bad_time``: an hour above 23 or a minute above 59 (``24:00`` is allowed as end).
    - ``empty_window``: start equals end.
    - ``unknown_key``: ``key`` is not name, moods, genres or styles.
    - ``duplicate_key``: ``key`` appears twice in the window.
    - ``overlap``: the window overlaps the earlier window number ``other_index``.
    - ``bad_name``: the name holds a comma or a line break (a carriage return),
      which the text format cannot write back.
    - ``line_break``: a value of ``key`` (moods, genres or styles) holds a line
      break (a carriage return).

    ``index`` is the 1-based number of the faulty window among the non-blank
    entries and ``window`` its raw text.
    """

    def __init__(
        self,
        reason: TimeWindowErrorReason,
        *,
        index: int | None = None,
        window: str = "",
        key: str | None = None,
        other_index: int | None = None,
    ) -> None:
        """Store the details and build the English message."""
        self.reason: TimeWindowErrorReason = reason
        self.index = index
        self.window = window
        self.key = key
        self.other_index = other_index
        detail = _MESSAGES[reason].format(key=key, other_index=other_index)
        if index is None:
            super().__init__(f"Invalid time windows: {detail}")
        else:
            super().__init__(f"Invalid time window {index} ({window!r}): {detail}")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A named part of the day and what to play in it."""

    name: str
    start: time
    end: time
    """Exclusive; 00:00 means midnight at the end of the day."""
    criteria: Criteria

    def __post_init__(self) -> None:
        """Reject times the minute-resolution model cannot represent."""
        for moment in (self.start, self.end):
            if moment.tzinfo is not None or moment.second or moment.microsecond:
                raise ValueError(f"{moment} must be a naive whole-minute time")
        if self.start == self.end:
            raise ValueError("start and end must differ")

    def contains(self, moment: time) -> bool:
        """Whether the wall-clock time falls in ``[start, end)``."""
        return any(
            low <= _minute_of_day(moment) < high for low, high in _segments(self)
        )


def default_window_name(start: time, end: time) -> str:
    """Return the name of a window without one: its time range, e.g. "00:00-09:00"."""
    return f"{start:%H:%M}-{end:%H:%M}"


DEFAULT_TIME_WINDOWS: tuple[TimeWindow, ...] = (
    TimeWindow("Morning chill", time(0, 0), time(9, 0), Criteria(moods=("Chill",))),
    TimeWindow(
        "Daytime energy", time(9, 0), time(17, 0), Criteria(moods=("Energetic",))
    ),
    TimeWindow(
        "Evening atmosphere",
        time(17, 0),
        time(0, 0),
        Criteria(moods=("Atmospheric",)),
    ),
)
"""The original Harmoniq default split of the day, with names."""


def parse_time_windows(text: str) -> tuple[TimeWindow, ...]:
    """Parse window text (see the module docstring), in the given order.

    Raises TimeWindowError for the first faulty window.
    """
    blocks: list[str] = []

    def hide(match: re.Match[str]) -> str:
        blocks.append(match[0])
        return f"\x00{len(blocks) - 1}\x00"

    hidden = _TEMPLATE_BLOCK.sub(hide, text)
    raw_windows = [
        raw.strip() for raw in _WINDOW_SEPARATOR.split(hidden) if raw.strip()
    ]
    if not raw_windows:
        raise TimeWindowError("empty")
    windows: list[TimeWindow] = []
    for index, raw in enumerate(raw_windows, start=1):
        window = _parse_window(raw, index, blocks)
        for other_index, other in enumerate(windows, start=1):
            if _overlaps(window, other):
                raise TimeWindowError(
                    "overlap", index=index, window=raw, other_index=other_index
                )
        windows.append(window)
    return tuple(windows)


def format_time_windows(windows: Iterable[TimeWindow]) -> str:
    """Canonical text for windows; parsing it gives the same windows back.

    ``name=`` is left out when the name is the default one. Raises ValueError
    when a name or criteria value cannot be written: empty, surrounded by
    whitespace, or containing ``;``, ``:``, ``,`` or a line break.
    """
    return ";".join(_format_window(window) for window in windows)


def window_at(windows: Iterable[TimeWindow], moment: datetime) -> TimeWindow | None:
    """Return the window holding the wall-clock time of ``moment``, if any."""
    wall_clock = moment.time()
    return next((window for window in windows if window.contains(wall_clock)), None)


def window_starts(windows: Iterable[TimeWindow]) -> tuple[time, ...]:
    """Return the distinct window start times, sorted."""
    return tuple(sorted({window.start for window in windows}))


def next_boundary(windows: Iterable[TimeWindow], moment: datetime) -> datetime:
    """Return the first instant strictly after ``moment`` when a window starts.

    Returned in ``moment``'s time zone, which must be set. Start times are
    wall-clock times, so window changes follow DST, consistently with
    ``window_at``:

    - a start skipped by a clock jump forward (02:30 while clocks go
      02:00 -> 03:00) happens at the jump itself (03:00 after the jump), the
      moment its window begins on the wall clock;
    - a start repeated by a clock jump back happens at both occurrences.
    """
    zone = moment.tzinfo
    if zone is None or moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    starts = window_starts(windows)
    if not starts:
        raise ValueError("no windows given")
    after = moment.astimezone(UTC)
    candidates = (
        instant
        for day_offset in (0, 1)
        for start in starts
        for instant in _occurrences(
            moment.date() + timedelta(days=day_offset), start, zone
        )
        if instant > after
    )
    return min(candidates).astimezone(zone)


def is_template(item: str) -> bool:
    """Return whether a criteria item is a template, rendered at each run."""
    return _TEMPLATE_BLOCK.search(item) is not None


def _parse_window(raw: str, index: int, blocks: list[str]) -> TimeWindow:
    """Parse one non-blank window entry (templates hidden as numbered markers)."""

    def shown(text: str) -> str:
        return _HIDDEN.sub(lambda match: blocks[int(match[1])], text)

    def error(reason: TimeWindowErrorReason, key: str | None = None) -> TimeWindowError:
        return TimeWindowError(reason, index=index, window=shown(raw), key=key)

    head = _WINDOW_HEAD.fullmatch(raw)
    if head is None or (head["rest"] and not head["rest"].startswith(":")):
        raise error("bad_format")
    start = _parse_time(head["start"], head["start_min"], allow_24=False)
    end = _parse_time(head["end"], head["end_min"], allow_24=True)
    if start is None or end is None:
        raise error("bad_time")
    if start == end:
        raise error("empty_window")
    values: dict[str, str] = {}
    for part in head["rest"].split(":")[1:]:
        if not part.strip():
            continue
        raw_key, equals, value = part.partition("=")
        key = raw_key.strip().casefold()
        if not equals:
            raise error("bad_format")
        if key not in _KEYS:
            raise error("unknown_key", raw_key.strip())
        if key in values:
            raise error("duplicate_key", raw_key.strip())
        values[key] = value
    # Reject what `format_time_windows` cannot write back: the forms save windows as
    # formatted text. Commas separate list items; `;`, `:` and `\n` never get here.
    name = values.get("name", "").strip()
    if not _writable(name) or _HIDDEN.search(name):
        raise error("bad_name")
    lists = {key: _split_list(values.get(key, "")) for key in _LIST_KEYS}
    for key, items in lists.items():
        if not all(_writable(item) for item in items):
            raise error("line_break", key)
    lists = {key: tuple(shown(item) for item in items) for key, items in lists.items()}
    return TimeWindow(
        name=name or default_window_name(start, end),
        start=start,
        end=end,
        criteria=Criteria(
            moods=lists["moods"], genres=lists["genres"], styles=lists["styles"]
        ),
    )


def _parse_time(hour_text: str, minute_text: str, *, allow_24: bool) -> time | None:
    """Time from its parts; ``24:00`` maps to midnight when allowed."""
    hour, minute = int(hour_text), int(minute_text)
    if allow_24 and (hour, minute) == (24, 0):
        return time(0, 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _split_list(value: str) -> tuple[str, ...]:
    """Comma-separated items, stripped, without blanks or repeats."""
    return tuple(
        dict.fromkeys(item.strip() for item in value.split(",") if item.strip())
    )


def _format_window(window: TimeWindow) -> str:
    """Canonical text of one window."""
    parts = [f"{window.start:%H:%M}-{window.end:%H:%M}"]
    if window.name != default_window_name(window.start, window.end):
        parts.append(f"name={_checked_value(window.name)}")
    criteria = window.criteria
    for key, items in (
        ("moods", criteria.moods),
        ("genres", criteria.genres),
        ("styles", criteria.styles),
    ):
        if items:
            parts.append(f"{key}={','.join(_checked_value(item) for item in items)}")
    return ":".join(parts)


def _checked_value(value: str) -> str:
    """``value`` if it survives a format/parse round trip, else ValueError."""
    if (
        not value
        or value != value.strip()
        or not _writable(_TEMPLATE_BLOCK.sub("", value))
    ):
        raise ValueError(f"cannot write {value!r} in time window text")
    return value


def _writable(value: str) -> bool:
    """Whether ``value`` holds no separator of the text format."""
    return not any(separator in value for separator in _FORBIDDEN_IN_VALUES)


def _minute_of_day(moment: time) -> int:
    """Minutes since midnight."""
    return moment.hour * 60 + moment.minute


def _segments(window: TimeWindow) -> tuple[tuple[int, int], ...]:
    """Half-open minute ranges of the window within one day."""
    start = _minute_of_day(window.start)
    end = _minute_of_day(window.end) or _MINUTES_PER_DAY
    if start < end:
        return ((start, end),)
    return ((start, _MINUTES_PER_DAY), (0, end))


def _overlaps(first: TimeWindow, second: TimeWindow) -> bool:
    """Whether two windows share a minute of the day."""
    return any(
        low_a < high_b and low_b < high_a
        for low_a, high_a in _segments(first)
        for low_b, high_b in _segments(second)
    )


def _occurrences(day: date, wall_clock: time, zone: tzinfo) -> set[datetime]:
    """UTC instants when the zone's clock reaches ``wall_clock`` on ``day``."""
    local = datetime.combine(day, wall_clock, tzinfo=zone)
    if _exists(local):
        return {local.astimezone(UTC), local.replace(fold=1).astimezone(UTC)}
    return {_clock_jump(local)}


def _exists(local: datetime) -> bool:
    """Whether the wall-clock time occurs, i.e. is not skipped by a clock jump."""
    zone = local.tzinfo
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local.replace(
        tzinfo=None
    )


def _clock_jump(local: datetime) -> datetime:
    """UTC instant of the forward jump that skips the wall-clock time ``local``.

    Per PEP 495, fold=1 reads a skipped time with the offset after the jump
    (an instant before it) and fold=0 with the offset before (an instant after
    it); bisect between them to the second.
    """
    zone = local.tzinfo
    target = local.replace(tzinfo=None)
    before = local.replace(fold=1).astimezone(UTC)
    after = local.replace(fold=0).astimezone(UTC)
    second = timedelta(seconds=1)
    while after - before > second:
        middle = before + (after - before) // second // 2 * second
        if middle.astimezone(zone).replace(tzinfo=None) >= target:
            after = middle
        else:
            before = middle
    return after
