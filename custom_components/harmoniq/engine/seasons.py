"""Seasonal tags: music that belongs to a time of year.

Text format, one season per line::

    Christmas: 1 Dec - 26 Dec

A season is a tag name (a genre, mood, style or Jellyfin tag, as the library
spells it), a colon and a date range ``D Mon - D Mon`` (English month names or
their first three letters, any case; a hyphen, an en dash or an em dash). Both days are
included and a range may wrap the new year (``20 Dec - 6 Jan``). Outside its
range a season's tag is excluded from every playlist; inside it, its tracks are
eligible as usual.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
import re
from typing import Literal

type SeasonErrorReason = Literal["bad_format", "bad_month", "bad_day", "duplicate"]

DEFAULT_SEASONS = "Christmas: 1 Dec - 26 Dec"

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_LINE = re.compile(
    r"(?P<tag>[^:]+):\s*(?P<start_day>[0-9]{1,2})\s+(?P<start_month>[A-Za-z]+)\.?"
    r"\s*[-\u2013\u2014]\s*(?P<end_day>[0-9]{1,2})\s+(?P<end_month>[A-Za-z]+)\.?\s*"
)


class SeasonError(ValueError):
    """A seasons text that cannot be read; `line` counts from 1."""

    def __init__(self, reason: SeasonErrorReason, line: int, text: str) -> None:
        """Keep the reason (a translation key) and where it happened."""
        super().__init__(f"season {line} ({text!r}): {reason}")
        self.reason = reason
        self.line = line
        self.text = text


@dataclass(frozen=True, slots=True)
class Season:
    """A tag that belongs to the days from `start` to `end` (month, day), both included."""

    tag: str
    start: tuple[int, int]
    end: tuple[int, int]

    def includes(self, day: date) -> bool:
        """Return whether `day` falls in the season (any year)."""
        today = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= today <= self.end
        return today >= self.start or today <= self.end


def parse_seasons(text: str) -> tuple[Season, ...]:
    """Read seasons, one per line; blank lines are ignored."""
    seasons: list[Season] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not (line := raw.strip()):
            continue
        if (match := _LINE.fullmatch(line)) is None or not match["tag"].strip():
            raise SeasonError("bad_format", number, line)
        tag = match["tag"].strip()
        if any(season.tag.casefold() == tag.casefold() for season in seasons):
            raise SeasonError("duplicate", number, line)
        start = _month_day(match["start_day"], match["start_month"], number, line)
        end = _month_day(match["end_day"], match["end_month"], number, line)
        seasons.append(Season(tag=tag, start=start, end=end))
    return tuple(seasons)


def format_seasons(seasons: Iterable[Season]) -> str:
    """Write seasons in the text format, one per line."""
    return "\n".join(
        f"{season.tag}: {_format_day(season.start)} - {_format_day(season.end)}"
        for season in seasons
    )


def out_of_season(seasons: Iterable[Season], day: date) -> tuple[str, ...]:
    """Return the tags of the seasons that `day` is not in."""
    return tuple(season.tag for season in seasons if not season.includes(day))


def next_season_change(seasons: Iterable[Season], now: datetime) -> datetime | None:
    """Return the next midnight (in `now`'s time zone) at which a season starts or ends."""
    seasons = tuple(seasons)
    if not seasons:
        return None
    today = out_of_season(seasons, now.date())
    for days in range(1, 367):
        day = now.date() + timedelta(days=days)
        if out_of_season(seasons, day) != today:
            return datetime.combine(day, time(), tzinfo=now.tzinfo)
    return None  # every season lasts all year


def _month_day(
    day_text: str, month_text: str, number: int, line: str
) -> tuple[int, int]:
    """Return (month, day) from a day number and a month name or its first letters."""
    name = month_text.casefold()
    month = next(
        (
            index
            for index, full in enumerate(_MONTHS, start=1)
            if len(name) >= 3 and full.startswith(name)
        ),
        None,
    )
    if month is None:
        raise SeasonError("bad_month", number, line)
    day = int(day_text)
    if not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        raise SeasonError("bad_day", number, line)
    return month, day


def _format_day(month_day: tuple[int, int]) -> str:
    month, day = month_day
    return f"{day} {_MONTHS[month - 1][:3].capitalize()}"
