"""The same playlist behaviour on every music server adapter (Plex, Jellyfin)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from itertools import pairwise
import json
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from custom_components.harmoniq.config_flow import starter_playlists
from custom_components.harmoniq.const import (
    DOMAIN,
    KIND_LASTFM_TOP_TRACKS,
    SERVICE_REFRESH_PLAYLIST,
    SERVICE_SEARCH_TRACKS,
    SERVICE_WRITE_PLAYLIST,
    SUBENTRY_TYPE_PLAYLIST,
)
from custom_components.harmoniq.diagnostics import async_get_config_entry_diagnostics
from tests.conftest import LASTFM_API_KEY, setup_entry
from tests.fakes.jellyfin_server import (
    ALICE_PASSWORD,
    BOB_PASSWORD,
    FakeJellyfinServer,
)
from tests.fakes.lastfm_server import FakeLastFmServer
from tests.servers import LibraryTrack, Server

pytestmark = pytest.mark.usefixtures("lastfm_server")

MORNING = "2026-11-24 08:00:00-08:00"


async def test_daily_flow_writes_the_window(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """The morning window's mood, 40 tracks, artists spread, in one owned playlist."""
    server, entry = server_entry
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, entry)
    tracks = server.playlists()["Daily Flow"]
    assert len(tracks) == 40
    assert len(set(tracks)) == 40
    assert all("Chill" in server.track_moods(t) for t in tracks)
    artists = [server.track_artist(t) for t in tracks]
    assert max(Counter(artists).values()) <= 3
    assert all(a != b for a, b in pairwise(artists))
    assert coordinator.data is not None
    assert (coordinator.data.status, coordinator.data.window) == ("ok", "Morning chill")

    freezer.tick(60)
    run = await coordinator.async_run()
    assert run is not None
    assert run.status == "ok"
    assert list(server.playlists()) == ["Daily Flow"]  # updated in place


@pytest.mark.parametrize("fault", [{"kind": "status", "status": 500}, {"kind": "drop"}])
async def test_failed_run_keeps_the_playlist(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
    fault: dict[str, Any],
) -> None:
    """A server failing mid-run: status failed, cannot_connect, the tracks kept."""
    server, entry = server_entry
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, entry)
    before = server.playlists()["Daily Flow"]
    server.fake.inject_fault(**fault)
    run = await coordinator.async_run()
    server.fake.clear_faults()
    assert run is not None
    assert (run.status, run.reason) == ("failed", "cannot_connect")
    assert server.playlists()["Daily Flow"] == before


async def test_foreign_playlist_is_never_touched(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """A same-named playlist Harmoniq did not write stops the run with a repair."""
    server, entry = server_entry
    freezer.move_to(MORNING)
    server.add_foreign_playlist("Daily Flow")
    [coordinator] = await setup_entry(hass, entry)
    assert coordinator.data is not None
    assert (coordinator.data.status, coordinator.data.reason) == (
        "failed",
        "name_clash",
    )
    assert server.playlists() == {"Daily Flow": []}
    [subentry_id] = entry.subentries
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"name_clash_{subentry_id}")


async def test_jellyfin_offers_what_jellyfin_can_do(
    hass: HomeAssistant, jellyfin_entry: MockConfigEntry
) -> None:
    """No Sonic Flow, no Flow order and no skip limit for a Jellyfin entry."""
    await setup_entry(hass, jellyfin_entry)
    result = await hass.config_entries.subentries.async_init(
        (jellyfin_entry.entry_id, SUBENTRY_TYPE_PLAYLIST),
        context={"source": SOURCE_USER},
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["daily_flow"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "daily_flow"}
    )
    fields = {str(key): key for key in result["data_schema"].schema}
    assert "max_skips" not in fields
    order = result["data_schema"].schema[fields["order"]]
    assert order.config["options"] == ["spread"]
    assert "Chill" in result["description_placeholders"]["moods"]


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


@pytest.fixture
def lastfm_entry(
    server_entry: tuple[Server, MockConfigEntry], lastfm_server: FakeLastFmServer
) -> Generator[tuple[Server, MockConfigEntry]]:
    """The server's entry with Last.fm and only the Last.fm Top Tracks playlist.

    Last.fm knows the library's tracks (by their whole credit, "A feat. B") and
    made-up ones that are not in it. No waiting between Last.fm calls.
    """
    server, entry = server_entry
    data = {**entry.data, CONF_API_KEY: LASTFM_API_KEY, CONF_USERNAME: "RJ"}
    lastfm_server.populate_from_library(server.lastfm_catalogue(), seed=3)
    with (
        patch("custom_components.harmoniq.lastfm.RETRY_DELAYS", (0.01, 0.01)),
        patch("custom_components.harmoniq.lastfm.MAX_CALLS_PER_SECOND", 1000),
    ):
        yield (
            server,
            MockConfigEntry(
                domain=DOMAIN,
                title=entry.title,
                unique_id=entry.unique_id,
                minor_version=2,
                data=data,
                subentries_data=[
                    subentry
                    for subentry in starter_playlists(data)
                    if subentry["data"]["kind"] == KIND_LASTFM_TOP_TRACKS
                ],
            ),
        )


async def test_lastfm_top_tracks(
    hass: HomeAssistant,
    lastfm_server: FakeLastFmServer,
    lastfm_entry: tuple[Server, MockConfigEntry],
) -> None:
    """The chart's first 40 tracks the library has, in chart order; the rest reported."""
    server, entry = lastfm_entry
    [coordinator] = await setup_entry(hass, entry)
    chart = lastfm_server.charts["global"]
    in_library = [pair for pair in chart if pair in lastfm_server.in_library]
    assert any(" feat. " in artist for artist, _title in in_library[:40])
    written = [(t.credit, t.title) for t in server.written("Last.fm Top Tracks")]
    assert written == in_library[:40]
    considered = chart[: chart.index(written[-1]) + 1]
    missing = [
        f"{a} - {t}" for a, t in considered if (a, t) not in lastfm_server.in_library
    ]
    assert missing
    run = coordinator.data
    assert run is not None
    assert (run.status, list(run.missing)) == ("ok", missing)
    state = hass.states.get("sensor.last_fm_top_tracks_missing_tracks")
    assert state is not None
    assert state.state == str(len(missing))
    assert state.attributes["tracks"] == missing[:20]

    response = await _call(
        hass,
        SERVICE_REFRESH_PLAYLIST,
        {ATTR_ENTITY_ID: "sensor.last_fm_top_tracks_missing_tracks"},
    )
    [playlist] = response["playlists"]
    assert (playlist["name"], playlist["status"]) == ("Last.fm Top Tracks", "ok")
    assert playlist["missing"] == missing
    assert [
        (t.artist, t.title, t.album) for t in server.written("Last.fm Top Tracks")
    ] == [(t["artist"], t["title"], t["album"]) for t in playlist["tracks"]]
    assert list(server.playlists()) == ["Last.fm Top Tracks"]


async def test_refresh_playlist(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """The action reports the tracks it wrote; a failing server raises its reason."""
    server, entry = server_entry
    freezer.move_to(MORNING)
    await setup_entry(hass, entry)
    playlist_id = server.playlist_id("Daily Flow")
    freezer.tick(60)
    response = await _call(
        hass, SERVICE_REFRESH_PLAYLIST, {ATTR_ENTITY_ID: "sensor.daily_flow_tracks"}
    )
    [playlist] = response["playlists"]
    assert (playlist["name"], playlist["status"], playlist["window"]) == (
        "Daily Flow",
        "ok",
        "Morning chill",
    )
    written = server.written("Daily Flow")
    assert len(written) == 40
    assert playlist["tracks"] == [
        {"artist": t.artist, "title": t.title, "album": t.album} for t in written
    ]
    assert server.playlist_id("Daily Flow") == playlist_id  # in place

    server.fake.inject_fault("drop")
    with pytest.raises(HomeAssistantError) as err:
        await _call(
            hass, SERVICE_REFRESH_PLAYLIST, {ATTR_ENTITY_ID: "sensor.daily_flow_tracks"}
        )
    server.fake.clear_faults()
    assert (err.value.translation_domain, err.value.translation_key) == (
        DOMAIN,
        "playlist_not_updated",
    )
    assert err.value.translation_placeholders == {
        "playlists": "Daily Flow (cannot_connect)"
    }
    assert hass.states.get("sensor.daily_flow_status").state == "failed"
    assert server.written("Daily Flow") == written


def _unique_titles(server: Server) -> list[LibraryTrack]:
    """Tracks whose title no other track of the library has."""
    titles = Counter(t.title for t in server.tracks.values())
    return [t for t in server.tracks.values() if titles[t.title] == 1]


async def test_write_playlist_by_id_and_by_artist_and_title(
    hass: HomeAssistant, server_entry: tuple[Server, MockConfigEntry]
) -> None:
    """Ids and "artist/title" items (a featured credit too) become one owned playlist."""
    server, entry = server_entry
    await setup_entry(hass, entry)
    unique = _unique_titles(server)
    featured = next(t for t in unique if " feat. " in t.credit)
    party = [*[t for t in unique if t is not featured][:3], featured]
    answer: list[Any] = [{"artist": t.credit, "title": t.title} for t in party]
    answer.append({"artist": "Nobody", "title": "Nothing At All"})
    extra = list(server.tracks.values())[100]
    response = await _call(
        hass, SERVICE_WRITE_PLAYLIST, {"name": "Party", "tracks": [*answer, extra.id]}
    )
    assert server.written("Party") == [*party, extra]
    assert response["playlist"] == "Party"
    assert [
        (item["id"], item["artist"], item["title"]) for item in response["tracks"]
    ] == [(t.id, t.artist, t.title) for t in [*party, extra]]
    assert response["not_found"] == ["Nobody - Nothing At All"]
    party_id = server.playlist_id("Party")

    # Again: the same playlist, replaced in place.
    server.fake.clear_requests()
    await _call(hass, SERVICE_WRITE_PLAYLIST, {"name": "Party", "tracks": [extra.id]})
    assert server.written("Party") == [extra]
    assert server.playlist_id("Party") == party_id
    writes = server.writes()
    assert "post /playlists" not in [w.lower() for w in writes]  # nothing created
    if server.kind == "jellyfin":
        assert writes == [f"POST /Playlists/{party_id}"]  # one request replaces all

    # Appending keeps what is there; max_tracks keeps the newest.
    more = list(server.tracks.values())[200:203]
    await _call(
        hass,
        SERVICE_WRITE_PLAYLIST,
        {
            "name": "Party",
            "tracks": [t.id for t in more],
            "mode": "append",
            "max_tracks": 3,
        },
    )
    assert server.written("Party") == more
    assert server.playlist_id("Party") == party_id
    assert sorted(server.playlists()) == ["Daily Flow", "Party"]


async def test_write_playlist_refuses_a_foreign_playlist(
    hass: HomeAssistant, server_entry: tuple[Server, MockConfigEntry]
) -> None:
    """A playlist of that name Harmoniq did not write is refused and left alone."""
    server, entry = server_entry
    await setup_entry(hass, entry)
    server.add_foreign_playlist("Mine")
    server.fake.clear_requests()
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            SERVICE_WRITE_PLAYLIST,
            {"name": "Mine", "tracks": [next(iter(server.tracks))]},
        )
    assert (err.value.translation_domain, err.value.translation_key) == (
        DOMAIN,
        "playlist_name_taken",
    )
    assert server.writes() == []
    assert server.playlists()["Mine"] == []


async def test_search_then_write(
    hass: HomeAssistant, server_entry: tuple[Server, MockConfigEntry]
) -> None:
    """Search Chill tracks (writing nothing), keep the long ones, write them."""
    server, entry = server_entry
    await setup_entry(hass, entry)
    server.fake.clear_requests()
    found = await _call(
        hass, SERVICE_SEARCH_TRACKS, {"moods": ["Chill"], "min_stars": 3, "limit": 60}
    )
    tracks = found["tracks"]
    assert len(tracks) == 60
    assert len({item["id"] for item in tracks}) == 60
    for item in tracks:
        track = server.tracks[item["id"]]
        assert "Chill" in track.moods
        assert (item["artist"], item["title"], item["album"]) == (
            track.artist,
            track.title,
            track.album,
        )
        assert item["duration"] == round(track.duration)
        assert item["rating"] is None or item["rating"] >= 3
    assert server.writes() == []

    long_ones = [item for item in tracks if item["duration"] > 240]
    assert long_ones
    await _call(
        hass, SERVICE_WRITE_PLAYLIST, {"name": "Long Chill", "tracks": long_ones}
    )
    assert [t.id for t in server.written("Long Chill")] == [
        item["id"] for item in long_ones
    ]


async def test_diagnostics_redact_the_credentials(
    hass: HomeAssistant, server_entry: tuple[Server, MockConfigEntry]
) -> None:
    """The token (and Last.fm account) are redacted; ids that are no secret are shown."""
    server, entry = server_entry
    await setup_entry(hass, entry)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    dumped = json.dumps(diagnostics)
    assert entry.data[CONF_TOKEN] not in dumped
    data = diagnostics["entry"]["data"]
    assert {key for key, value in data.items() if value == "**REDACTED**"} == {
        key for key in (CONF_TOKEN, CONF_API_KEY, CONF_USERNAME) if key in entry.data
    }
    assert diagnostics["server"]["unique_id"] == entry.unique_id
    if server.kind == "jellyfin":
        assert isinstance(server.fake, FakeJellyfinServer)
        alice = server.fake.user("alice")
        assert data["user_id"] == alice.id
        assert data["device_id"] == entry.data["device_id"]
        assert diagnostics["server"]["unique_id"].endswith(f"_{alice.id}")
    [playlist] = diagnostics["playlists"]
    assert playlist["server_playlist_id"] == server.playlist_id("Daily Flow")
    assert playlist["last_run"]["track_count"] == 40


async def _sign_in_again(
    hass: HomeAssistant, flow_id: str, url: str, username: str, password: str
) -> dict[str, Any]:
    """Go through a Jellyfin reauth flow's forms with a password."""
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_URL: url, CONF_VERIFY_SSL: True, "sign_in": "password"}
    )
    assert result["step_id"] == "jellyfin_password"
    return dict(
        await hass.config_entries.flow.async_configure(
            flow_id, {CONF_USERNAME: username, CONF_PASSWORD: password}
        )
    )


async def test_jellyfin_revoked_token_asks_to_sign_in_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    jellyfin_server: FakeJellyfinServer,
    jellyfin_entry: MockConfigEntry,
) -> None:
    """A revoked token fails the run (invalid_auth) and a reauth signs alice in again."""
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, jellyfin_entry)
    alice = jellyfin_server.user("alice")
    before = dict(jellyfin_entry.data)
    playlist = jellyfin_server.playlist_by_name("Daily Flow")
    tracks = list(playlist.item_ids)
    assert jellyfin_server.revoke_token(before[CONF_TOKEN])

    freezer.tick(60)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, SERVICE_REFRESH_PLAYLIST, {})
    assert err.value.translation_placeholders == {
        "playlists": "Daily Flow (invalid_auth)"
    }
    assert coordinator.data is not None
    assert (coordinator.data.status, coordinator.data.reason) == (
        "failed",
        "invalid_auth",
    )
    assert hass.states.get("sensor.daily_flow_status").state == "failed"
    assert playlist.item_ids == tracks
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert (flow["context"]["source"], flow["step_id"]) == ("reauth", "jellyfin")

    result = await _sign_in_again(
        hass, flow["flow_id"], jellyfin_server.url, "alice", "wrong"
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_USERNAME: "alice", CONF_PASSWORD: ALICE_PASSWORD}
    )
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "reauth_successful",
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    token = jellyfin_entry.data[CONF_TOKEN]
    assert token != before[CONF_TOKEN]
    assert jellyfin_entry.data == {**before, CONF_TOKEN: token}
    session = jellyfin_server.tokens[token]
    assert (session.user_id, session.device_id) == (alice.id, before["device_id"])
    assert jellyfin_entry.state is ConfigEntryState.LOADED
    [coordinator] = jellyfin_entry.runtime_data.coordinators.values()
    freezer.tick(60)
    run = await coordinator.async_run()
    assert run is not None
    assert run.status == "ok"
    assert list(jellyfin_server.playlists) == [playlist.id]  # the same playlist
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert jellyfin_server.internal_errors == []


async def test_jellyfin_reauth_refuses_another_user(
    hass: HomeAssistant,
    jellyfin_server: FakeJellyfinServer,
    jellyfin_entry: MockConfigEntry,
) -> None:
    """Signing in as bob to fix alice's entry aborts with wrong_user; nothing changes."""
    await setup_entry(hass, jellyfin_entry)
    before = dict(jellyfin_entry.data)
    result = await jellyfin_entry.start_reauth_flow(hass)
    assert result["step_id"] == "jellyfin"
    result = await _sign_in_again(
        hass, result["flow_id"], jellyfin_server.url, "bob", BOB_PASSWORD
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "wrong_user")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert jellyfin_entry.data == before
    assert jellyfin_server.tokens[before[CONF_TOKEN]].user_id == before["user_id"]
    assert jellyfin_entry.state is ConfigEntryState.LOADED
    assert jellyfin_server.internal_errors == []


async def test_jellyfin_token_revoked_before_setup(
    hass: HomeAssistant,
    jellyfin_server: FakeJellyfinServer,
    jellyfin_entry: MockConfigEntry,
) -> None:
    """Setup with a revoked token asks to sign in; signing in sets the entry up."""
    assert jellyfin_server.revoke_token(jellyfin_entry.data[CONF_TOKEN])
    jellyfin_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(jellyfin_entry.entry_id)
    await hass.async_block_till_done()
    assert jellyfin_entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert (flow["context"]["source"], flow["step_id"]) == ("reauth", "jellyfin")
    result = await _sign_in_again(
        hass, flow["flow_id"], jellyfin_server.url, "alice", ALICE_PASSWORD
    )
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "reauth_successful",
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert jellyfin_entry.state is ConfigEntryState.LOADED
    [coordinator] = jellyfin_entry.runtime_data.coordinators.values()
    assert coordinator.data is not None
    assert coordinator.data.status == "ok"
    assert len(jellyfin_server.playlist_by_name("Daily Flow").item_ids) == 40


async def test_jellyfin_refused_sign_in_leaves_no_session(
    hass: HomeAssistant,
    jellyfin_server: FakeJellyfinServer,
    jellyfin_entry: MockConfigEntry,
) -> None:
    """The token of a sign-in Harmoniq refuses is not left valid on the server."""
    await setup_entry(hass, jellyfin_entry)
    result = await jellyfin_entry.start_reauth_flow(hass)
    result = await _sign_in_again(
        hass, result["flow_id"], jellyfin_server.url, "bob", BOB_PASSWORD
    )
    assert result["reason"] == "wrong_user"
    bob = jellyfin_server.user("bob")
    assert [t for t in jellyfin_server.tokens.values() if t.user_id == bob.id] == []
