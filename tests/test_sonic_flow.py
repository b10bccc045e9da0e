"""Sonic flows and the Daily Flow's Flow order, against the fake Plex server's sonic analysis."""

from __future__ import annotations

from collections import Counter
from itertools import combinations, pairwise
from statistics import mean

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.harmoniq.const import (
    CONF_KIND,
    CONF_ORDER,
    CONF_SEED,
    CONF_SEED_MODE,
    DOMAIN,
    KIND_SONIC_FLOW,
)
from custom_components.harmoniq.coordinator import PlaylistCoordinator
from tests.conftest import (
    MACHINE_IDENTIFIER,
    MUSIC_SECTION,
    PLEX_TOKEN,
    playlist_subentry,
    setup_entry,
)
from tests.fakes.plex_library import FakeLibrary, FakeTrack
from tests.fakes.plex_server import FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")


def _playlist(title: str, **data: object) -> list[ConfigSubentryData]:
    return [playlist_subentry(title, **data)]


SONIC_FLOW = _playlist(
    "Sonic Flow", **{CONF_KIND: KIND_SONIC_FLOW, CONF_SEED_MODE: "recent"}
)


async def _run(hass: HomeAssistant, entry: MockConfigEntry) -> PlaylistCoordinator:
    [coordinator] = await setup_entry(hass, entry)
    return coordinator


def _neighbour_distance(tracks: list[FakeTrack]) -> float:
    """Mean sonic distance between neighbours, from the fake's own vectors."""
    return mean(FakePlexServer.distance(a.sonic, b.sonic) for a, b in pairwise(tracks))


def _random_order_distance(tracks: list[FakeTrack]) -> float:
    """Expected neighbour distance of a random order: the mean over all pairs."""
    return mean(
        FakePlexServer.distance(a.sonic, b.sonic) for a, b in combinations(tracks, 2)
    )


@pytest.mark.parametrize("playlist_subentries", [SONIC_FLOW])
async def test_sonic_flow_from_the_last_played_track(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    config_entry: MockConfigEntry,
) -> None:
    """A sonic flow starts at the last played track and moves smoothly."""
    coordinator = await _run(hass, config_entry)
    tracks = plex_server.playlist_tracks("Sonic Flow")
    assert len(tracks) == 40
    last_played = max(
        (t for t in plex_library.tracks if t.last_viewed_at),
        key=lambda t: t.last_viewed_at or 0,
    )
    assert tracks[0] is last_played
    artists = [t.track_artist for t in tracks]
    assert all(a != b for a, b in pairwise(artists))
    assert max(Counter(artists).values()) <= 3

    flow, random_order = _neighbour_distance(tracks), _random_order_distance(tracks)
    assert flow < 0.75 * random_order, (flow, random_order)
    run = coordinator.data
    assert run is not None
    assert run.status == "ok"
    assert hass.states.get("sensor.sonic_flow_time_window") is None
    nearest = [r for r in plex_server.requests if r.path.endswith("/nearest")]
    recent = [r for r in plex_server.requests if r.param("sort") == "lastViewedAt:desc"]
    assert len(nearest) + len(recent) <= 12, (len(nearest), len(recent))


@pytest.mark.parametrize(
    "playlist_subentries",
    [
        _playlist(
            "Sonic Flow",
            **{
                CONF_KIND: KIND_SONIC_FLOW,
                CONF_SEED_MODE: "track",
                CONF_SEED: "PLACEHOLDER",
            },
        )
    ],
)
async def test_sonic_flow_from_a_track(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    playlist_subentries: list[ConfigSubentryData],
) -> None:
    """A chosen seed track starts the flow."""
    seed = plex_library.tracks[123]
    subentry = playlist_subentries[0]
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=MACHINE_IDENTIFIER,
        title="Living Room Plex",
        data={
            "url": plex_server.url,
            "token": PLEX_TOKEN,
            "verify_ssl": True,
            "libraries": [str(MUSIC_SECTION)],
        },
        subentries_data=[
            subentry | {"data": {**subentry["data"], CONF_SEED: str(seed.rating_key)}}
        ],
    )
    await _run(hass, entry)
    assert plex_server.playlist_tracks("Sonic Flow")[0] is seed


@pytest.mark.parametrize("playlist_subentries", [SONIC_FLOW])
async def test_server_without_sonic_analysis(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """Without sonic analysis the run fails and a repair issue says how to enable it."""
    plex_server.sonic_analysis = False
    coordinator = await _run(hass, config_entry)
    assert coordinator.data is not None
    assert (coordinator.data.status, coordinator.data.reason) == (
        "failed",
        "sonic_unavailable",
    )
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"sonic_unavailable_{config_entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_key == "sonic_unavailable"
    assert plex_server.playlists == {}


@pytest.mark.parametrize(
    "playlist_subentries", [_playlist("Daily Flow", **{CONF_ORDER: "flow"})]
)
async def test_daily_flow_in_flow_order(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """The Flow order puts similar tracks next to each other: measured, not assumed."""
    freezer.move_to("2026-11-24 08:00:00-08:00")
    await _run(hass, config_entry)
    tracks = plex_server.playlist_tracks("Daily Flow")
    assert len(tracks) == 40
    assert all("Chill" in t.moods for t in tracks)
    flow, random_order = _neighbour_distance(tracks), _random_order_distance(tracks)
    assert flow < 0.75 * random_order, (flow, random_order)
    nearest = [r for r in plex_server.requests if r.path.endswith("/nearest")]
    assert len(nearest) <= 10


@pytest.mark.parametrize(
    "playlist_subentries", [_playlist("Daily Flow", **{CONF_ORDER: "flow"})]
)
async def test_sonic_issue_only_when_the_server_lacks_analysis(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """A deleted track is no reason for the repair; the repair goes once sonic works."""
    freezer.move_to("2026-11-24 08:00:00-08:00")
    coordinator = await _run(hass, config_entry)
    issue_id = f"sonic_unavailable_{config_entry.entry_id}"

    # The tracks' own pages answer 404 too: they are gone, the analysis is not.
    plex_server.inject_fault("status", status=404, path_prefix="/library/metadata/")
    run = await coordinator.async_run()
    assert run is not None
    assert (run.status, run.reason) == ("failed", "server_error")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    plex_server.clear_faults()
    plex_server.sonic_analysis = False
    run = await coordinator.async_run()
    assert run is not None
    assert (run.status, run.reason) == ("failed", "sonic_unavailable")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    plex_server.sonic_analysis = True
    run = await coordinator.async_run()
    assert run is not None
    assert run.status == "ok"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
