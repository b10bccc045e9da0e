"""Tests for seasonal tags: the text format and which tags are out of season."""

from datetime import date, datetime, timedelta, timezone

import pytest

from custom_components.harmoniq.engine.seasons import (
    DEFAULT_SEASONS,
    Season,
    SeasonError,
    format_seasons,
    next_season_change,
    out_of_season,
    parse_seasons,
)


def test_default_is_christmas_in_december() -> None:
    """The prefilled example reads as Christmas from 1 to 26 December."""
    assert parse_seasons(DEFAULT_SEASONS) == (
        Season(tag="Christmas", start=(12, 1), end=(12, 26)),
    )


@pytest.mark.parametrize(
    "text",
    [
        "Christmas: 1 Dec - 26 Dec",
        "Christmas:1 dec\u201326 DEC",
        "Christmas : 1 December \u2014 26 December.",
        "  Christmas: 01 Dec. - 26 Dec  ",
    ],
)
def test_spellings(text: str) -> None:
    """Dashes, case, full month names, a dot and spaces all read the same."""
    assert parse_seasons(text) == (Season("Christmas", (12, 1), (12, 26)),)


@pytest.mark.parametrize(
    ("day", "out"),
    [
        (date(2026, 11, 30), ("Christmas",)),
        (date(2026, 12, 1), ()),
        (date(2026, 12, 26), ()),
        (date(2026, 12, 27), ("Christmas",)),
        (date(2026, 7, 1), ("Christmas",)),
    ],
)
def test_both_ends_are_included(day: date, out: tuple[str, ...]) -> None:
    """The first and the last day are in season; the days around them are not."""
    assert out_of_season(parse_seasons(DEFAULT_SEASONS), day) == out


def test_a_season_may_wrap_the_new_year() -> None:
    """20 Dec - 6 Jan is in season on New Year's Day, not in February."""
    seasons = parse_seasons("Winter Holidays: 20 Dec - 6 Jan\nSummer: 21 Jun - 22 Sep")
    assert out_of_season(seasons, date(2027, 1, 1)) == ("Summer",)
    assert out_of_season(seasons, date(2027, 2, 1)) == ("Winter Holidays", "Summer")
    assert out_of_season(seasons, date(2027, 7, 1)) == ("Winter Holidays",)


def test_29_february_is_a_day() -> None:
    """A range may end on 29 February; a non-leap year simply skips it."""
    (season,) = parse_seasons("Leap: 1 Feb - 29 Feb")
    assert season.includes(date(2027, 2, 28))
    assert not season.includes(date(2027, 3, 1))


def test_format_round_trips() -> None:
    """Formatting writes the canonical form, which reads back the same."""
    seasons = parse_seasons("christmas: 1 december - 26 dec\n\nNY: 31 Dec - 1 Jan")
    text = format_seasons(seasons)
    assert text == "christmas: 1 Dec - 26 Dec\nNY: 31 Dec - 1 Jan"
    assert parse_seasons(text) == seasons


def test_empty_text_is_no_seasons() -> None:
    """Blank lines only: nothing is seasonal."""
    assert parse_seasons("\n  \n") == ()


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        ("Christmas 1 Dec - 26 Dec", "bad_format", 1),
        (": 1 Dec - 26 Dec", "bad_format", 1),
        ("Christmas: 1 Dec", "bad_format", 1),
        ("Christmas: 1 Dex - 26 Dec", "bad_month", 1),
        ("Christmas: 1 De - 26 Dec", "bad_month", 1),
        ("Christmas: 32 Dec - 26 Dec", "bad_day", 1),
        ("Summer: 1 Jun - 31 Jun", "bad_day", 1),
        ("A: 1 Jan - 2 Jan\n\nB: 1 Jan - 0 Feb", "bad_day", 3),
        ("Christmas: 1 Dec - 26 Dec\nCHRISTMAS: 1 Jan - 2 Jan", "duplicate", 2),
    ],
)
def test_errors_name_the_line(text: str, reason: str, line: int) -> None:
    """Each mistake has its reason and the line it is on."""
    with pytest.raises(SeasonError) as caught:
        parse_seasons(text)
    assert (caught.value.reason, caught.value.line) == (reason, line)


def test_next_change_is_the_midnight_a_season_starts_or_ends() -> None:
    """From November: 1 December; from within: the day after the last day."""
    zone = timezone(timedelta(hours=-8))
    seasons = parse_seasons(DEFAULT_SEASONS)
    november = datetime(2026, 11, 24, 8, tzinfo=zone)
    assert next_season_change(seasons, november) == datetime(2026, 12, 1, tzinfo=zone)
    december = datetime(2026, 12, 10, 8, tzinfo=zone)
    assert next_season_change(seasons, december) == datetime(2026, 12, 27, tzinfo=zone)
    assert next_season_change((), december) is None
    all_year = parse_seasons("Always: 1 Jan - 31 Dec")
    assert next_season_change(all_year, december) is None
