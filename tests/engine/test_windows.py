"""Tests for the Daily Flow time windows."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from custom_components.harmoniq.engine.models import Criteria
from custom_components.harmoniq.engine.windows import (
    DEFAULT_TIME_WINDOWS,
    TimeWindow,
    TimeWindowError,
    format_time_windows,
    is_template,
    next_boundary,
    parse_time_windows,
    window_at,
    window_starts,
)

BERLIN = ZoneInfo("Europe/Berlin")
ORIGINAL_DEFAULT_TEXT = (
    "00:00-09:00:moods=Chill;09:00-17:00:moods=Energetic;17:00-00:00:moods=Atmospheric"
)


def window(
    start: str,
    end: str,
    name: str | None = None,
    *,
    moods: tuple[str, ...] = (),
    genres: tuple[str, ...] = (),
    styles: tuple[str, ...] = (),
) -> TimeWindow:
    """Build a window from HH:MM strings; the name defaults to the time range."""
    return TimeWindow(
        name=name or f"{start}-{end}",
        start=time.fromisoformat(start),
        end=time.fromisoformat(end),
        criteria=Criteria(moods=moods, genres=genres, styles=styles),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            ORIGINAL_DEFAULT_TEXT,
            (
                window("00:00", "09:00", moods=("Chill",)),
                window("09:00", "17:00", moods=("Energetic",)),
                window("17:00", "00:00", moods=("Atmospheric",)),
            ),
            id="original-format",
        ),
        pytest.param(
            " 22:00 - 02:00 : name = Late night : moods= Chill , Relaxed :"
            "genres=Jazz:styles=Bebop,Cool Jazz;",
            (
                window(
                    "22:00",
                    "02:00",
                    "Late night",
                    moods=("Chill", "Relaxed"),
                    genres=("Jazz",),
                    styles=("Bebop", "Cool Jazz"),
                ),
            ),
            id="extended-wrapping-whitespace-trailing-semicolon",
        ),
        pytest.param(
            "06:00-12:00:MOODS=Chill\n\n12:00-18:00:Genres=Rock\r\n",
            (
                window("06:00", "12:00", moods=("Chill",)),
                window("12:00", "18:00", genres=("Rock",)),
            ),
            id="newlines-and-key-case",
        ),
        pytest.param("8:00-10:00", (window("08:00", "10:00"),), id="no-criteria"),
        pytest.param(
            "17:00-24:00:moods=Calm",
            (window("17:00", "00:00", moods=("Calm",)),),
            id="end-24",
        ),
        pytest.param(
            "00:00-09:00::moods=Chill,,Chill, Happy:name=:",
            (window("00:00", "09:00", moods=("Chill", "Happy")),),
            id="blank-parts-items-repeats-and-name",
        ),
        pytest.param(
            "17:00-00:00;00:00-09:00",
            (window("17:00", "00:00"), window("00:00", "09:00")),
            id="adjacent-at-midnight",
        ),
    ],
)
def test_parse_valid(text: str, expected: tuple[TimeWindow, ...]) -> None:
    """Valid texts, original and extended, parse to windows."""
    assert parse_time_windows(text) == expected


type ExpectedError = tuple[str, int | None, str, str | None, int | None]
"""reason, index, window, key and other_index of a TimeWindowError."""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("empty", None, "", None, None)),
        (" ;\n ; ", ("empty", None, "", None, None)),
        ("9:00 17:00", ("bad_format", 1, "9:00 17:00", None, None)),
        ("00:00-09:00; 9-17:moods=X ", ("bad_format", 2, "9-17:moods=X", None, None)),
        ("00:00-09:00 moods=X", ("bad_format", 1, "00:00-09:00 moods=X", None, None)),
        ("00:00-09:00:moods", ("bad_format", 1, "00:00-09:00:moods", None, None)),
        ("25:00-09:00", ("bad_time", 1, "25:00-09:00", None, None)),
        ("00:00-09:60", ("bad_time", 1, "00:00-09:60", None, None)),
        ("24:00-09:00", ("bad_time", 1, "24:00-09:00", None, None)),
        ("09:00-09:00:moods=X", ("empty_window", 1, "09:00-09:00:moods=X", None, None)),
        ("00:00-24:00", ("empty_window", 1, "00:00-24:00", None, None)),
        ("00:00-09:00:mood=X", ("unknown_key", 1, "00:00-09:00:mood=X", "mood", None)),
        (
            "00:00-09:00:moods=A: Moods=B",
            ("duplicate_key", 1, "00:00-09:00:moods=A: Moods=B", "Moods", None),
        ),
        (
            "22:00-02:00:moods=A;01:00-03:00:moods=B",
            ("overlap", 2, "01:00-03:00:moods=B", None, 1),
        ),
        ("00:00-09:00;10:00-12:00;08:00-10:00", ("overlap", 3, "08:00-10:00", None, 1)),
        (
            "00:00-09:00:name=Rock, Pop:genres=Rock",
            ("bad_name", 1, "00:00-09:00:name=Rock, Pop:genres=Rock", None, None),
        ),
        (
            "00:00-09:00;09:00-17:00:name=Late\rnight",
            ("bad_name", 2, "09:00-17:00:name=Late\rnight", None, None),
        ),
        (
            "00:00-09:00:moods=Chill\rRelaxed",
            ("line_break", 1, "00:00-09:00:moods=Chill\rRelaxed", "moods", None),
        ),
    ],
)
def test_parse_invalid(text: str, expected: ExpectedError) -> None:
    """Each error reason names the faulty window."""
    with pytest.raises(TimeWindowError) as caught:
        parse_time_windows(text)
    error = caught.value
    assert (error.reason, error.index, error.window, error.key, error.other_index) == (
        expected
    )
    _, index, raw, _, _ = expected
    if index is not None:
        assert f"window {index} ({raw!r})" in str(error)


def test_error_message_is_readable() -> None:
    """The English message names the window and the problem."""
    with pytest.raises(TimeWindowError) as caught:
        parse_time_windows("00:00-09:00;08:00-10:00")
    assert str(caught.value) == (
        "Invalid time window 2 ('08:00-10:00'): overlaps window 1"
    )


@pytest.mark.parametrize(
    ("first", "second", "overlaps"),
    [
        ("22:00-02:00", "01:00-03:00", True),
        ("17:00-00:00", "00:00-09:00", False),
        ("22:00-02:00", "02:00-22:00", False),
        ("22:00-02:00", "23:00-23:30", True),
        ("22:00-02:00", "21:00-03:00", True),
        ("23:00-01:00", "00:30-00:45", True),
        ("20:00-00:00", "23:00-01:00", True),
        ("10:00-12:00", "12:00-14:00", False),
        ("10:00-12:00", "11:59-12:30", True),
        ("12:00-11:00", "11:00-12:00", False),
        ("12:00-11:00", "10:59-11:01", True),
    ],
)
def test_overlap_detection(first: str, second: str, overlaps: bool) -> None:
    """Overlaps on the 24 h circle are found in either order."""
    for text in (f"{first};{second}", f"{second};{first}"):
        if overlaps:
            with pytest.raises(TimeWindowError) as caught:
                parse_time_windows(text)
            assert (caught.value.reason, caught.value.other_index) == ("overlap", 1)
        else:
            assert len(parse_time_windows(text)) == 2


@pytest.mark.parametrize(
    "windows",
    [
        DEFAULT_TIME_WINDOWS,
        parse_time_windows(ORIGINAL_DEFAULT_TEXT),
        parse_time_windows(
            "22:00-02:00:name=Late night:moods=Chill,Relaxed:genres=Jazz:styles=Bebop;"
            "06:00-12:00:genres=Rock, Pop;12:00-13:00"
        ),
    ],
)
def test_format_parse_round_trip(windows: tuple[TimeWindow, ...]) -> None:
    """Formatted text parses back to the same windows."""
    assert parse_time_windows(format_time_windows(windows)) == windows


@pytest.mark.parametrize(
    "text",
    [
        "00:00-09:00:name= Früh & spät (1/2) :moods= Chill , Relaxed ,",
        "00:00-09:00:name=Late night\r\n09:00-17:00:name=Day\r\n",
        "22:00-02:00:name=  :styles=Bebop",
        "00:00-09:00:name=Rock \u2028 Pop",
    ],
)
def test_parsed_windows_can_be_written(text: str) -> None:
    """Whatever the parser accepts, the form can write back (and read again)."""
    windows = parse_time_windows(text)
    assert parse_time_windows(format_time_windows(windows)) == windows


def test_format_is_canonical() -> None:
    """Default names are left out; the original format is kept."""
    assert format_time_windows(DEFAULT_TIME_WINDOWS) == (
        "00:00-09:00:name=Morning chill:moods=Chill;"
        "09:00-17:00:name=Daytime energy:moods=Energetic;"
        "17:00-00:00:name=Evening atmosphere:moods=Atmospheric"
    )
    assert format_time_windows(parse_time_windows(ORIGINAL_DEFAULT_TEXT)) == (
        ORIGINAL_DEFAULT_TEXT
    )


@pytest.mark.parametrize(
    "unwritable",
    [
        window("00:00", "09:00", "Night: early"),
        window("00:00", "09:00", moods=("Chill;Relaxed",)),
        window("00:00", "09:00", genres=("Rock,Pop",)),
        window("00:00", "09:00", styles=(" Bebop",)),
        window("00:00", "09:00", styles=("",)),
    ],
)
def test_format_rejects_values_that_cannot_round_trip(unwritable: TimeWindow) -> None:
    """Separators in names or values cannot be written."""
    with pytest.raises(ValueError, match="cannot write"):
        format_time_windows([unwritable])


@pytest.mark.parametrize(
    ("start", "end"),
    [(time(9), time(9)), (time(9, 0, 30), time(10)), (time(9), time(10, tzinfo=UTC))],
)
def test_time_window_rejects_invalid_times(start: time, end: time) -> None:
    """Equal, non-whole-minute or aware times are rejected."""
    with pytest.raises(ValueError, match="must"):
        TimeWindow("Bad", start, end, Criteria())


def test_default_windows_cover_the_day() -> None:
    """The defaults are named and leave no gap."""
    assert [w.name for w in DEFAULT_TIME_WINDOWS] == [
        "Morning chill",
        "Daytime energy",
        "Evening atmosphere",
    ]
    for minute in range(24 * 60):
        moment = datetime(2026, 6, 1, minute // 60, minute % 60, tzinfo=BERLIN)
        assert window_at(DEFAULT_TIME_WINDOWS, moment) is not None


GAPPED_WINDOWS = parse_time_windows(
    "22:00-02:00:name=Night;06:00-12:00:name=Morning;12:00-22:00:name=Day"
)


@pytest.mark.parametrize(
    ("wall_clock", "expected"),
    [
        (time(22, 0), "Night"),
        (time(21, 59, 59, 999999), "Day"),
        (time(0, 0), "Night"),
        (time(1, 59, 59), "Night"),
        (time(2, 0), None),
        (time(5, 59), None),
        (time(6, 0), "Morning"),
        (time(11, 59, 59, 999999), "Morning"),
        (time(12, 0), "Day"),
    ],
)
def test_window_at_boundaries(wall_clock: time, expected: str | None) -> None:
    """Start is inclusive, end exclusive, gaps hold no window."""
    moment = datetime.combine(date(2026, 6, 1), wall_clock, tzinfo=BERLIN)
    found = window_at(GAPPED_WINDOWS, moment)
    assert (found.name if found else None) == expected


def test_window_at_uses_wall_clock_of_the_moment() -> None:
    """The moment's own wall-clock time decides."""
    moment = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)  # 01:30 in Berlin
    assert window_at(DEFAULT_TIME_WINDOWS, moment) == DEFAULT_TIME_WINDOWS[2]
    assert (
        window_at(DEFAULT_TIME_WINDOWS, moment.astimezone(BERLIN))
        == (DEFAULT_TIME_WINDOWS[0])
    )


def test_window_starts() -> None:
    """Distinct start times come sorted."""
    assert window_starts(GAPPED_WINDOWS) == (time(6), time(12), time(22))
    assert window_starts(DEFAULT_TIME_WINDOWS) == (time(0), time(9), time(17))


SPRING_WINDOWS = parse_time_windows(
    "22:00-02:30:name=Night;02:30-12:00:name=Morning;12:00-22:00:name=Day"
)
AUTUMN_WINDOWS = parse_time_windows("01:00-02:30:name=Early;02:30-01:00:name=Rest")


@pytest.mark.parametrize(
    ("windows", "moment", "expected_utc"),
    [
        pytest.param(
            DEFAULT_TIME_WINDOWS,
            datetime(2026, 6, 1, 8, 59, tzinfo=BERLIN),
            datetime(2026, 6, 1, 7, 0, tzinfo=UTC),
            id="same-day",
        ),
        pytest.param(
            DEFAULT_TIME_WINDOWS,
            datetime(2026, 6, 1, 9, 0, tzinfo=BERLIN),
            datetime(2026, 6, 1, 15, 0, tzinfo=UTC),
            id="strictly-after",
        ),
        pytest.param(
            DEFAULT_TIME_WINDOWS,
            datetime(2026, 6, 1, 23, 59, 59, tzinfo=BERLIN),
            datetime(2026, 6, 1, 22, 0, tzinfo=UTC),
            id="across-midnight",
        ),
        pytest.param(
            GAPPED_WINDOWS,
            datetime(2026, 6, 1, 22, 0, tzinfo=BERLIN),
            datetime(2026, 6, 2, 4, 0, tzinfo=UTC),
            id="over-a-gap-after-midnight",
        ),
        pytest.param(
            DEFAULT_TIME_WINDOWS,
            datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN),
            datetime(2026, 3, 29, 7, 0, tzinfo=UTC),
            id="spring-forward-shorter-window",
        ),
        pytest.param(
            SPRING_WINDOWS,
            datetime(2026, 3, 29, 1, 59, tzinfo=BERLIN),
            datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
            id="spring-forward-skipped-start-at-the-jump",
        ),
        pytest.param(
            SPRING_WINDOWS,
            datetime(2026, 3, 29, 3, 10, tzinfo=BERLIN),
            datetime(2026, 3, 29, 10, 0, tzinfo=UTC),
            id="spring-forward-after-the-jump",
        ),
        pytest.param(
            DEFAULT_TIME_WINDOWS,
            datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN),
            datetime(2026, 10, 25, 8, 0, tzinfo=UTC),
            id="fall-back-longer-window",
        ),
        pytest.param(
            AUTUMN_WINDOWS,
            datetime(2026, 10, 25, 2, 0, tzinfo=BERLIN),
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            id="fall-back-first-occurrence",
        ),
        pytest.param(
            AUTUMN_WINDOWS,
            datetime(2026, 10, 25, 2, 45, tzinfo=BERLIN),
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
            id="fall-back-repeated-occurrence",
        ),
        pytest.param(
            AUTUMN_WINDOWS,
            datetime(2026, 10, 25, 2, 45, fold=1, tzinfo=BERLIN),
            datetime(2026, 10, 26, 0, 0, tzinfo=UTC),
            id="fall-back-after-both-occurrences",
        ),
    ],
)
def test_next_boundary(
    windows: tuple[TimeWindow, ...], moment: datetime, expected_utc: datetime
) -> None:
    """The next start is found across midnight, gaps and DST changes."""
    boundary = next_boundary(windows, moment)
    assert boundary.tzinfo is BERLIN
    assert boundary.astimezone(UTC) == expected_utc
    before = window_at(
        windows, datetime.fromtimestamp(boundary.timestamp() - 1, BERLIN)
    )
    assert window_at(windows, boundary) != before


def test_next_boundary_needs_an_aware_moment_and_windows() -> None:
    """Naive moments and empty windows are errors."""
    with pytest.raises(ValueError, match="timezone-aware"):
        next_boundary(DEFAULT_TIME_WINDOWS, datetime(2026, 6, 1, 12, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="no windows"):
        next_boundary((), datetime(2026, 6, 1, 12, 0, tzinfo=BERLIN))


def test_template_items_keep_their_separators() -> None:
    """Commas, colons and semicolons inside a template stay in the one item."""
    text = (
        "00:00-12:00:moods={{ 'Chill' if is_state('a.b', 'on') else 'X' }},Relaxed"
        ";12:00-18:00:genres={% if now().hour < 15 %}Rock{% else %}Pop{% endif %}"
    )
    windows = parse_time_windows(text)
    assert windows[0].criteria.moods == (
        "{{ 'Chill' if is_state('a.b', 'on') else 'X' }}",
        "Relaxed",
    )
    assert windows[1].criteria.genres == (
        "{% if now().hour < 15 %}Rock{% else %}Pop{% endif %}",
    )
    assert is_template(windows[0].criteria.moods[0])
    assert not is_template("Relaxed")
    assert parse_time_windows(format_time_windows(windows)) == windows
