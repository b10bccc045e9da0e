"""Last.fm Top Tracks and Discovery playlists, end to end against both fakes."""

from __future__ import annotations

from collections.abc import Generator
from itertools import pairwise
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from custom_components.harmoniq.config_flow import starter_playlists
from custom_components.harmoniq.const import (
    CONF_LIBRARIES,
    DOMAIN,
    KIND_LASTFM_DISCOVERY,
    KIND_LASTFM_TOP_TRACKS,
    SERVICE_REFRESH_PLAYLIST,
    SERVICE_SET_TRACK_MATCH,
)
from custom_components.harmoniq.coordinator import PlaylistCoordinator
from tests.conftest import MUSIC_SECTION, setup_entry
from tests.fakes.lastfm_server import FakeLastFmServer
from tests.fakes.plex_library import FakeLibrary
from tests.fakes.plex_server import FakePlexServer

LASTFM_ONLY = [
    subentry
    for subentry in starter_playlists(
        {CONF_LIBRARIES: [str(MUSIC_SECTION)], "api_key": "k", "username": "RJ"}
    )
    if subentry["data"]["kind"] in (KIND_LASTFM_TOP_TRACKS, KIND_LASTFM_DISCOVERY)
]


@pytest.fixture(autouse=True)
def lastfm_data(
    lastfm_server: FakeLastFmServer, plex_library: FakeLibrary
) -> Generator[FakeLastFmServer]:
    """Last.fm data about the fake library's artists; no waiting between calls.

    The client's rate limit and backoff are tested in test_lastfm.py.
    """
    lastfm_server.populate_from_library(plex_library, seed=3)
    with (
        patch("custom_components.harmoniq.lastfm.RETRY_DELAYS", (0.01, 0.01)),
        patch("custom_components.harmoniq.lastfm.MAX_CALLS_PER_SECOND", 1000),
    ):
        yield lastfm_server


@pytest.fixture
def playlist_subentries() -> list[ConfigSubentryData]:
    """Only the two Last.fm playlists; Discovery seeded by 10 artists.

    The fake knows 10 similar artists per artist, fewer than Last.fm does.
    """
    return [
        subentry
        | {"data": {**subentry["data"], "seed_artists": 10, "tracks_per_artist": 3}}
        if subentry["data"]["kind"] == KIND_LASTFM_DISCOVERY
        else subentry
        for subentry in LASTFM_ONLY
    ]


async def _setup(
    hass: HomeAssistant, entry: MockConfigEntry
) -> dict[str, PlaylistCoordinator]:
    return {c.generator.kind: c for c in await setup_entry(hass, entry)}


def _written(server: FakePlexServer, title: str) -> list[tuple[str, str]]:
    return [(t.track_artist, t.title) for t in server.playlist_tracks(title)]


async def test_top_tracks(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    lastfm_server: FakeLastFmServer,
    config_entry: MockConfigEntry,
) -> None:
    """The chart's first tracks that the library has, in chart order; the rest reported."""
    coordinators = await _setup(hass, config_entry)
    chart = lastfm_server.charts["global"]
    written = _written(plex_server, "Last.fm Top Tracks")
    assert len(written) == 40
    in_library = [pair for pair in chart if pair in lastfm_server.in_library]
    assert written == in_library[:40]
    considered = chart[: chart.index(written[-1]) + 1]
    missing = [
        f"{a} - {t}" for a, t in considered if (a, t) not in lastfm_server.in_library
    ]
    run = coordinators[KIND_LASTFM_TOP_TRACKS].data
    assert run is not None
    assert list(run.missing) == missing
    state = hass.states.get("sensor.last_fm_top_tracks_missing_tracks")
    assert state.state == str(len(missing))
    assert state.attributes["tracks"] == missing[:20]

    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_REFRESH_PLAYLIST,
        {"entity_id": "sensor.last_fm_top_tracks_missing_tracks"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    [playlist] = response["playlists"]
    assert playlist["missing"] == missing


async def test_discovery_calls_and_cache(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    lastfm_server: FakeLastFmServer,
    config_entry: MockConfigEntry,
) -> None:
    """Discovery leaves out the user's own top artists; a warm run makes few calls."""
    coordinators = await _setup(hass, config_entry)
    discovery = coordinators[KIND_LASTFM_DISCOVERY]
    written = _written(plex_server, "Last.fm Discovery")
    assert len(written) == 40
    known = {name for name, _plays in lastfm_server.top_artists["rj"][:20]}
    assert not known & {artist for artist, _title in written}
    artists = [artist for artist, _title in written]
    assert all(a != b for a, b in pairwise(artists))
    cold = len(lastfm_server.calls()) - len(lastfm_server.calls("chart.getTopTracks"))
    assert cold <= 60

    lastfm_server.requests.clear()
    run = await discovery.async_run()
    assert run is not None
    assert run.status == "ok"
    assert len(lastfm_server.requests) <= 5


@pytest.mark.parametrize(
    ("code", "status", "reason"),
    [
        (29, 429, "lastfm_unavailable"),
        (11, 200, "lastfm_unavailable"),
        (16, 503, "lastfm_unavailable"),
        (8, 200, "lastfm_unavailable"),
    ],
)
async def test_transient_lastfm_errors(
    hass: HomeAssistant,
    lastfm_server: FakeLastFmServer,
    config_entry: MockConfigEntry,
    code: int,
    status: int,
    reason: str,
) -> None:
    """Retried, then reported; the playlist keeps its tracks; a retry that works heals."""
    coordinators = await _setup(hass, config_entry)
    top = coordinators[KIND_LASTFM_TOP_TRACKS]
    client = config_entry.runtime_data.lastfm
    assert client is not None
    assert client.cache is not None
    client.cache.clear()  # the chart is cached: make the next run ask Last.fm again

    lastfm_server.inject_error(code, status=status)
    run = await top.async_run()
    assert run is not None
    assert (run.status, run.reason) == ("failed", reason)
    assert len(lastfm_server.calls("chart.getTopTracks")) > 2  # first call and retries

    lastfm_server.clear_faults()
    lastfm_server.inject_error(code, status=status, times=1)
    run = await top.async_run()
    assert run is not None
    assert run.status == "ok"


@pytest.mark.parametrize(("code", "status"), [(10, 403), (26, 200)])
async def test_invalid_key_asks_for_a_new_one(
    hass: HomeAssistant,
    lastfm_server: FakeLastFmServer,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
    code: int,
    status: int,
) -> None:
    """Error 10/26: a reauth step asks for the key; Last.fm playlists resume after it."""
    lastfm_server.inject_error(code, status=status)
    coordinators = await _setup(hass, config_entry)
    for coordinator in coordinators.values():
        assert coordinator.data is not None
        assert coordinator.data.reason == "lastfm_invalid_key"
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert (flow["context"]["source"], flow["step_id"]) == ("reauth", "reauth_lastfm")
    # A credentials problem: Home Assistant's own reauth issue, none of Harmoniq's.
    assert [domain for domain, _ in ir.async_get(hass).issues] == ["homeassistant"]

    calls = len(lastfm_server.requests)
    await coordinators[KIND_LASTFM_TOP_TRACKS].async_run()
    assert len(lastfm_server.requests) == calls  # stopped until the key is fixed

    lastfm_server.clear_faults()
    new_key = "b" * 32
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"api_key": "c" * 32, "username": "RJ"}
    )
    assert result["errors"] == {"api_key": "invalid_api_key"}
    lastfm_server.api_keys.add(new_key)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": new_key, "username": "RJ"}
    )
    assert (result["type"], result["reason"]) == ("abort", "reauth_successful")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.data["api_key"] == new_key
    assert config_entry.data["token"] == plex_server.token  # the rest is kept
    runs = {c.title: c.data for c in config_entry.runtime_data.coordinators.values()}
    assert {title: run.status for title, run in runs.items() if run} == {
        "Last.fm Top Tracks": "ok",
        "Last.fm Discovery": "ok",
    }


async def test_unknown_lastfm_user(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
) -> None:
    """A username Last.fm no longer knows (error 6) fails Discovery with its reason."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        unique_id=config_entry.unique_id,
        data={**config_entry.data, "username": "gone"},
        subentries_data=LASTFM_ONLY,
    )
    coordinators = await _setup(hass, entry)
    run = coordinators[KIND_LASTFM_DISCOVERY].data
    assert run is not None
    assert (run.status, run.reason) == ("failed", "lastfm_user_not_found")
    top = coordinators[KIND_LASTFM_TOP_TRACKS].data
    assert top is not None
    assert top.status == "ok"


async def test_manual_matches(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    config_entry: MockConfigEntry,
) -> None:
    """A missing track can be matched by hand or ignored; the choice sticks."""
    coordinators = await _setup(hass, config_entry)
    top = coordinators[KIND_LASTFM_TOP_TRACKS]
    assert top.data is not None
    first_missing = top.data.missing[0]
    artist, title = first_missing.split(" - ", 1)
    held = {key for p in plex_server.playlists.values() for key in p.items}
    # Not held by another playlist: they leave out each other's tracks.
    stand_in = next(t for t in plex_library.tracks if t.rating_key not in held)

    async def set_match(**data: Any) -> dict[str, Any]:
        response = await hass.services.async_call(
            DOMAIN,
            SERVICE_SET_TRACK_MATCH,
            {"artist": artist, "title": title, **data},
            blocking=True,
            return_response=True,
        )
        assert response is not None
        return dict(response)

    response = await set_match(track=str(stand_in.rating_key))
    assert response["match"]["title"] == stand_in.title
    run = await top.async_run()
    assert run is not None
    assert first_missing not in run.missing
    [playlist] = [
        p for p in plex_server.playlists.values() if p.title == "Last.fm Top Tracks"
    ]
    assert stand_in.rating_key in playlist.items

    await set_match(ignore=True)
    run = await top.async_run()
    assert run is not None
    assert first_missing not in run.missing
    assert stand_in.rating_key not in playlist.items

    await set_match(clear=True)
    run = await top.async_run()
    assert run is not None
    assert first_missing in run.missing

    with pytest.raises(ServiceValidationError) as err:
        await set_match(track="987654321")
    assert err.value.translation_key == "track_not_found"
