"""A playlist's shape on every server: length in minutes, seasons, no repeats, exclusions."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.harmoniq.config_flow import default_daily_flow
from custom_components.harmoniq.const import (
    CONF_EXCLUDE_ARTISTS,
    CONF_EXCLUDE_GENRES,
    CONF_KIND,
    CONF_LENGTH_MINUTES,
    CONF_LIBRARIES,
    CONF_NO_REPEATS,
    CONF_REFRESH_INTERVAL,
    CONF_SEASONS,
    CONF_SIZE,
    CONF_TIME_WINDOWS,
    DOMAIN,
    KIND_LASTFM_TOP_TRACKS,
    SUBENTRY_TYPE_PLAYLIST,
)
from custom_components.harmoniq.coordinator import PlaylistCoordinator
from tests.conftest import LASTFM_API_KEY, setup_entry
from tests.fakes.jellyfin_server import FakeJellyfinServer, seeded_server
from tests.fakes.lastfm_server import FakeLastFmServer
from tests.fakes.plex_library import FakeLibrary, generate_library
from tests.servers import Server

pytestmark = pytest.mark.usefixtures("lastfm_server")

OUT_OF_SEASON = "2026-11-24 08:00:00-08:00"
IN_SEASON = "2026-12-10 08:00:00-08:00"
# Christmas tracks added to each fake library: Chill, each by its own choir.
CAROLS = 60
CAROL = "Carol"
ALL_DAY_CAROLS = "00:00-23:59:name=All day:genres=Christmas"


@pytest.fixture(scope="module")
def plex_library() -> FakeLibrary:
    """The shared test library plus Christmas albums (genre at album and artist)."""
    library = generate_library(1500, seed=7)
    for number in range(CAROLS):
        choir = library.add_artist(f"Choir {number}", genres=("Christmas",))
        album = library.add_album(f"Carols {number}", choir, genres=("Christmas",))
        library.add_track(
            f"{CAROL} {number}",
            choir,
            album,
            moods=("Chill",),
            duration_ms=150_000 + 1000 * number,
        )
    return library


@pytest.fixture
async def jellyfin_server() -> AsyncGenerator[FakeJellyfinServer]:
    """The shared test server plus Christmas tracks (their own genre)."""
    server = seeded_server(1500, seed=7)
    [library] = server.libraries
    for number in range(CAROLS):
        library.add_track(
            f"{CAROL} {number}",
            f"Choir {number}",
            f"Carols {number}",
            genres=("Christmas",),
            moods=("Chill",),
            seconds=150 + number,
        )
    await server.start()
    yield server
    await server.stop()


def with_playlists(
    entry: MockConfigEntry,
    playlists: dict[str, dict[str, Any]],
    *,
    options: dict[str, Any] | None = None,
    lastfm: bool = False,
) -> MockConfigEntry:
    """Return the entry with these playlists (title -> settings) instead of its own."""
    data = dict(entry.data)
    if lastfm:
        data |= {CONF_API_KEY: LASTFM_API_KEY, CONF_USERNAME: "RJ"}
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        minor_version=entry.minor_version,
        data=data,
        options=options or {},
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_TYPE_PLAYLIST,
                title=title,
                data=settings,
                unique_id=None,
            )
            for title, settings in playlists.items()
        ],
    )


def daily_flow(entry: MockConfigEntry, **changes: Any) -> dict[str, Any]:
    """The default Daily Flow of the entry's libraries (repeats allowed), with changes."""
    return (
        default_daily_flow(list(entry.data[CONF_LIBRARIES]))
        | {CONF_NO_REPEATS: False}
        | changes
    )


def carols(server: Server, track_ids: list[str]) -> list[str]:
    """Return the Christmas tracks among these."""
    return [t for t in track_ids if server.tracks[t].title.startswith(CAROL)]


def by_title(entry: MockConfigEntry) -> dict[str, PlaylistCoordinator]:
    """Return the entry's coordinators by playlist title."""
    return {c.title: c for c in entry.runtime_data.coordinators.values()}


@pytest.fixture
def no_lastfm_wait() -> Generator[None]:
    """No waiting between Last.fm calls."""
    with (
        patch("custom_components.harmoniq.lastfm.RETRY_DELAYS", (0.01, 0.01)),
        patch("custom_components.harmoniq.lastfm.MAX_CALLS_PER_SECOND", 1000),
    ):
        yield


@pytest.mark.parametrize("minutes", [25, 60])
async def test_length_in_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
    minutes: int,
) -> None:
    """The playlist lasts the minutes asked for, overshooting by less than its last track."""
    server, entry = server_entry
    freezer.move_to(OUT_OF_SEASON)
    entry = with_playlists(
        entry, {"Hour": daily_flow(entry, **{CONF_LENGTH_MINUTES: minutes})}
    )
    [coordinator] = await setup_entry(hass, entry)
    written = server.written("Hour")
    total = sum(track.duration for track in written)
    assert total >= minutes * 60
    assert total - written[-1].duration < minutes * 60
    assert coordinator.data is not None
    assert (coordinator.data.status, len(coordinator.data.tracks)) == (
        "ok",
        len(written),
    )


async def test_lastfm_length_in_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
    lastfm_server: FakeLastFmServer,
    no_lastfm_wait: None,
) -> None:
    """A chart playlist by minutes: the chart's first tracks, up to the minutes."""
    server, entry = server_entry
    freezer.move_to(OUT_OF_SEASON)
    lastfm_server.populate_from_library(server.lastfm_catalogue(), seed=3)
    settings = {
        CONF_KIND: KIND_LASTFM_TOP_TRACKS,
        CONF_SIZE: 40,
        CONF_LENGTH_MINUTES: 30,
        CONF_REFRESH_INTERVAL: 1440,
        CONF_LIBRARIES: list(entry.data[CONF_LIBRARIES]),
    }
    entry = with_playlists(entry, {"Chart": settings}, lastfm=True)
    await setup_entry(hass, entry)
    written = server.written("Chart")
    total = sum(track.duration for track in written)
    assert total >= 30 * 60
    assert total - written[-1].duration < 30 * 60


@pytest.mark.parametrize(
    ("moment", "in_season"), [(OUT_OF_SEASON, False), (IN_SEASON, True)]
)
async def test_seasonal_tag_only_in_its_season(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
    moment: str,
    in_season: bool,
) -> None:
    """Out of season no playlist holds a Christmas track; in season a window may ask for them.

    The default seasons (Christmas: 1 Dec - 26 Dec) apply without any option set.
    """
    server, entry = server_entry
    freezer.move_to(moment)
    entry = with_playlists(
        entry,
        {
            "Chill": daily_flow(entry, **{CONF_SIZE: 200}),
            "Carols": daily_flow(entry, **{CONF_TIME_WINDOWS: ALL_DAY_CAROLS}),
        },
    )
    await setup_entry(hass, entry)
    chill = server.playlists()["Chill"]
    asked = server.playlists()["Carols"]
    if in_season:
        assert carols(server, asked) == asked
        assert len(asked) >= 20
        assert carols(server, chill)  # eligible like any Chill track
    else:
        assert carols(server, chill) == []
        assert carols(server, asked) == []
        assert asked  # the window's genre was relaxed
        assert by_title(entry)["Carols"].data.relaxed  # type: ignore[union-attr]


async def test_edited_seasons_apply(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """Seasons from the options replace the default: no seasons, Christmas all year."""
    server, entry = server_entry
    freezer.move_to(OUT_OF_SEASON)
    entry = with_playlists(
        entry,
        {"Carols": daily_flow(entry, **{CONF_TIME_WINDOWS: ALL_DAY_CAROLS})},
        options={CONF_SEASONS: ""},
    )
    await setup_entry(hass, entry)
    asked = server.playlists()["Carols"]
    assert asked
    assert carols(server, asked) == asked


async def test_lastfm_chart_leaves_out_of_season_tracks(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
    lastfm_server: FakeLastFmServer,
    no_lastfm_wait: None,
) -> None:
    """A chart topped by carols in November: they are left out, the playlist still fills.

    The first choice (12 tracks) keeps 4; the second, with twice the tracks, fills it.
    """
    server, entry = server_entry
    freezer.move_to(OUT_OF_SEASON)
    lastfm_server.populate_from_library(server.lastfm_catalogue(), seed=3)
    chart = [
        (artist, title)
        for artist, title in lastfm_server.charts["global"]
        if not artist.startswith("Choir")
    ]
    top_carols = [
        (t.credit, t.title) for t in server.tracks.values() if t.title.startswith(CAROL)
    ][:8]
    lastfm_server.charts["global"] = top_carols + chart
    settings = {
        CONF_KIND: KIND_LASTFM_TOP_TRACKS,
        CONF_SIZE: 12,
        CONF_REFRESH_INTERVAL: 1440,
        CONF_LIBRARIES: list(entry.data[CONF_LIBRARIES]),
    }
    entry = with_playlists(entry, {"Chart": settings}, lastfm=True)
    await setup_entry(hass, entry)
    written = server.playlists()["Chart"]
    assert carols(server, written) == []
    assert len(written) == 12


async def test_excluded_artists_and_genres(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """A playlist's own exclusions: neither the artists nor the genre appear."""
    server, entry = server_entry
    freezer.move_to(IN_SEASON)
    first = await _written_artists(hass, server, entry, "Before", {})
    banned = sorted(first)[:3]
    entry = with_playlists(
        entry,
        {
            "After": daily_flow(
                entry,
                **{
                    CONF_SIZE: 100,
                    CONF_EXCLUDE_ARTISTS: [a.upper() for a in banned],
                    CONF_EXCLUDE_GENRES: ["Christmas"],
                },
            )
        },
    )
    await setup_entry(hass, entry)
    written = server.playlists()["After"]
    assert len(written) == 100
    assert not {server.tracks[t].artist for t in written} & set(banned)
    assert carols(server, written) == []


async def _written_artists(
    hass: HomeAssistant,
    server: Server,
    entry: MockConfigEntry,
    title: str,
    changes: dict[str, Any],
) -> set[str]:
    """Write a 200-track Daily Flow and return its artists."""
    entry = with_playlists(
        entry, {title: daily_flow(entry, **{CONF_SIZE: 200}, **changes)}
    )
    await setup_entry(hass, entry)
    artists = {server.tracks[t].artist for t in server.playlists()[title]}
    await hass.config_entries.async_unload(entry.entry_id)
    return artists


@pytest.mark.parametrize("no_repeats", [True, False])
async def test_no_repeats_across_playlists(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
    no_repeats: bool,
) -> None:
    """Two playlists from one pool share no track, run after run.

    Without the setting they do: the control shows that the pool is small enough
    for the two to collide.
    """
    server, entry = server_entry
    freezer.move_to(OUT_OF_SEASON)
    settings = daily_flow(entry, **{CONF_SIZE: 80, CONF_NO_REPEATS: no_repeats})
    entry = with_playlists(entry, {"One": settings, "Two": settings})
    await setup_entry(hass, entry)
    coordinators = by_title(entry)
    shared: list[int] = []
    for title in ("One", "Two", "One"):
        freezer.tick(60)
        run = await coordinators[title].async_run()
        assert run is not None
        assert run.status in {"ok", "partial"}
        playlists = server.playlists()
        shared.append(len(set(playlists["One"]) & set(playlists["Two"])))
    if no_repeats:
        assert shared == [0, 0, 0]
    else:
        assert min(shared) > 0


async def test_season_start_runs_the_playlists(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """At midnight on 1 December the playlists run, and the carols window has carols.

    The window starts at 06:00 and the interval is a week: only the season's
    start makes the midnight run.
    """
    server, entry = server_entry
    freezer.move_to("2026-11-30 12:00:00-08:00")
    entry = with_playlists(
        entry,
        {
            "Carols": daily_flow(
                entry,
                **{
                    CONF_TIME_WINDOWS: "06:00-05:59:name=Day:genres=Christmas",
                    CONF_REFRESH_INTERVAL: 10080,
                },
            )
        },
    )
    [coordinator] = await setup_entry(hass, entry)
    assert carols(server, server.playlists()["Carols"]) == []
    runs: list[str] = []
    coordinator.async_add_listener(
        lambda: runs.append(dt_util.as_local(coordinator.data.finished_at).isoformat())  # type: ignore[union-attr]
    )
    for moment in ("2026-11-30 23:59:00-08:00", "2026-12-01 00:00:00-08:00"):
        freezer.move_to(moment)
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert runs == ["2026-12-01T00:00:00-08:00"]
    written = server.playlists()["Carols"]
    assert written
    assert carols(server, written) == written
