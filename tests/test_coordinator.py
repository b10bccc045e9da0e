"""The playlist lifecycle: schedule, retry, settings, coalesced runs, unload, ownership."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from homeassistant.config_entries import SOURCE_RECONFIGURE
from homeassistant.const import (
    CONF_NAME,
    EVENT_HOMEASSISTANT_START,
    EVENT_HOMEASSISTANT_STARTED,
)
from homeassistant.core import CoreState, Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from custom_components.harmoniq import STARTUP_STAGGER
from custom_components.harmoniq.const import (
    CONF_MAX_SKIPS,
    CONF_REFRESH_INTERVAL,
    CONF_SIZE,
    DOMAIN,
    EVENT_PLAYLIST_UPDATED,
    SUBENTRY_TYPE_PLAYLIST,
)
from custom_components.harmoniq.coordinator import (
    RUN_TIMEOUT,
    PlaylistCoordinator,
    retry_delay,
)
from custom_components.harmoniq.playlists import ownership_mark
from custom_components.harmoniq.storage import DATA_STORES
from tests.conftest import playlist_subentry, setup_entry
from tests.fakes.plex_library import FakeLibrary
from tests.fakes.plex_server import FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")

AFTERNOON = "2026-11-24 16:30:00-08:00"  # Home Assistant's test time zone is US/Pacific


async def _tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _local_times(events: list[Event]) -> list[str]:
    return [dt_util.as_local(event.time_fired).strftime("%H:%M:%S") for event in events]


def _owned_writes(server: FakePlexServer) -> list[str]:
    return [
        f"{request.method} {request.path}"
        for request in server.requests
        if request.method == "POST" and request.path == "/playlists"
    ]


async def _only(entry: MockConfigEntry) -> PlaylistCoordinator:
    [coordinator] = entry.runtime_data.coordinators.values()
    return coordinator


@pytest.mark.parametrize(
    "playlist_subentries", [[playlist_subentry(**{CONF_REFRESH_INTERVAL: 60})]]
)
async def test_each_due_time_runs_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """A window start and each interval end make exactly one run each."""
    freezer.move_to(AFTERNOON)
    events = async_capture_events(hass, EVENT_PLAYLIST_UPDATED)
    await setup_entry(hass, config_entry)
    for _ in range(160):  # until 19:10, minute by minute
        await _tick(hass, freezer, 60)
    assert _local_times(events) == ["16:30:00", "17:00:00", "18:00:00", "19:00:00"]
    assert [event.data["window"] for event in events] == [
        "Daytime energy",
        *["Evening atmosphere"] * 3,
    ]
    track_searches = [r for r in plex_server.requests if r.path.endswith("/all")]
    assert len(track_searches) <= 4 * 3  # no run repeated behind the scenes


async def test_failed_run_is_retried_with_backoff(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """Failing runs are retried after 5, 15, 60, 60 minutes; recovery resumes the day."""
    freezer.move_to("2026-11-24 10:00:00-08:00")
    events = async_capture_events(hass, EVENT_PLAYLIST_UPDATED)
    plex_server.inject_fault("status", status=503, path_prefix="/library/sections/3")
    await setup_entry(hass, config_entry)
    for _ in range(5 + 15 + 60 + 60 + 1):  # until 12:21
        await _tick(hass, freezer, 60)
    assert [(e.data["status"], e.data["reason"]) for e in events] == [
        ("failed", "cannot_connect")
    ] * 5
    assert _local_times(events) == [
        "10:00:00",
        "10:05:00",
        "10:20:00",
        "11:20:00",
        "12:20:00",
    ]
    plex_server.clear_faults()
    for _ in range(60):
        await _tick(hass, freezer, 60)
    assert events[-1].data["status"] == "ok"
    assert _local_times(events)[-1] == "13:20:00"
    for _ in range(4 * 60):  # the normal schedule: next run at the window change
        await _tick(hass, freezer, 60)
    assert _local_times(events)[5:] == ["13:20:00", "17:00:00"]


def test_retry_delays() -> None:
    """The back-off grows 5, 15, 60 minutes and stays at an hour."""
    assert [retry_delay(n).total_seconds() / 60 for n in range(1, 6)] == [
        5,
        15,
        60,
        60,
        60,
    ]


async def test_failed_last_run_is_due_at_start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """After a restart, a playlist whose last run failed runs at once."""
    freezer.move_to("2026-11-24 10:00:00-08:00")
    plex_server.inject_fault("status", status=500, path_prefix="/library/sections/3")
    await setup_entry(hass, config_entry)
    assert (await _only(config_entry)).failing
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    plex_server.clear_faults()

    freezer.tick(60)  # a minute later: within the interval and the window
    events = async_capture_events(hass, EVENT_PLAYLIST_UPDATED)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["status"] for event in events] == ["ok"]


async def _reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str, **changes: Any
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_PLAYLIST),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and key.description.get("suggested_value") is not None
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**suggested, **changes}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_changed_settings_apply_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A saved change is in the very next write, made right away, to the same playlist."""
    freezer.move_to("2026-11-24 10:00:00-08:00")
    await setup_entry(hass, config_entry)
    [(subentry_id, _subentry)] = config_entry.subentries.items()
    [playlist] = plex_server.playlists.values()
    assert len(playlist.items) == 40
    events = async_capture_events(hass, EVENT_PLAYLIST_UPDATED)

    freezer.tick(60)
    await _reconfigure(hass, config_entry, subentry_id, **{CONF_SIZE: 25})
    assert [event.data["track_count"] for event in events] == [25]
    assert len(playlist.items) == 25
    assert list(plex_server.playlists.values()) == [playlist]

    await _reconfigure(
        hass, config_entry, subentry_id, **{CONF_NAME: "Focus", CONF_MAX_SKIPS: 1}
    )
    assert [event.data["playlist"] for event in events] == ["Daily Flow", "Focus"]
    assert playlist.title == "Focus"
    assert list(plex_server.playlists.values()) == [playlist]

    # Unchanged settings: a restart in the same window runs nothing.
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 2
    assert "update listener" not in caplog.text


async def test_presses_during_a_run_make_one_follow_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    init_integration: MockConfigEntry,
) -> None:
    """Three presses during a slow run: that run and one follow-up, never a queue."""
    coordinator = await _only(init_integration)
    events = async_capture_events(hass, EVENT_PLAYLIST_UPDATED)
    gate = plex_server.hold("GET", "/library/sections/3/all")
    first = hass.async_create_task(coordinator.async_run())
    await gate.arrived.wait()  # the run is choosing its tracks
    presses = [hass.async_create_task(coordinator.async_run()) for _ in range(3)]
    await asyncio.sleep(0)
    gate.release()
    runs = await asyncio.gather(first, *presses)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 2
    assert runs[1] is runs[2] is runs[3] is not runs[0]
    assert runs[3] is coordinator.data


async def test_run_deadline(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    init_integration: MockConfigEntry,
) -> None:
    """A run that outlasts its deadline fails with reason timeout; the playlist stays."""
    coordinator = await _only(init_integration)
    [playlist] = plex_server.playlists.values()
    before = list(playlist.items)
    gate = plex_server.hold("GET", "/library/sections/3/all")
    task = hass.async_create_task(coordinator.async_run())
    await gate.arrived.wait()
    freezer.tick(timedelta(seconds=RUN_TIMEOUT + 1))
    async_fire_time_changed(hass)
    run = await task
    gate.release()
    assert run is not None
    assert (run.status, run.reason) == ("failed", "timeout")
    assert playlist.items == before
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_reload_during_first_write_keeps_ownership(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """An unload waits for a write in progress; the new playlist stays Harmoniq's."""
    freezer.move_to("2026-11-24 10:00:00-08:00")
    gate = plex_server.hold("POST", "/playlists")
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await gate.arrived.wait()  # the first run is creating the playlist
    assert _owned_writes(plex_server) == ["POST /playlists"]
    reload = hass.async_create_task(
        hass.config_entries.async_reload(config_entry.entry_id)
    )
    await asyncio.sleep(0)
    gate.release()
    assert await reload
    await hass.async_block_till_done(wait_background_tasks=True)

    [playlist] = plex_server.playlists.values()
    coordinator = await _only(config_entry)
    await coordinator.async_run()
    assert list(plex_server.playlists.values()) == [playlist]
    assert coordinator.data is not None
    assert coordinator.data.status == "ok"
    assert not ir.async_get(hass).issues


async def test_lost_playlist_id_is_recovered_by_its_mark(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """With its stored id lost, Harmoniq adopts the playlist carrying its mark."""
    await setup_entry(hass, config_entry)
    [playlist] = plex_server.playlists.values()
    [subentry_id] = config_entry.subentries
    assert playlist.summary.endswith(ownership_mark(config_entry.entry_id, subentry_id))
    hass.data[DATA_STORES][config_entry.entry_id].state(subentry_id).playlist_id = None

    freezer.tick(60)
    run = await (await _only(config_entry)).async_run()
    assert run is not None
    assert run.status == "ok"
    assert list(plex_server.playlists.values()) == [playlist]
    state = hass.data[DATA_STORES][config_entry.entry_id].state(subentry_id)
    assert state.playlist_id == str(playlist.rating_key)


@pytest.mark.parametrize(
    "summary",
    [
        "My own mix",
        "Generated by Harmoniq\nHarmoniq id: 0123456789ab",  # another playlist's mark
    ],
)
async def test_unmarked_same_name_playlist_is_never_touched(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
    plex_library: FakeLibrary,
    summary: str,
) -> None:
    """A same-named playlist without this playlist's mark is a clash, left as it is."""
    items = [track.rating_key for track in plex_library.tracks[:2]]
    theirs = plex_server.create_playlist("Daily Flow", items, summary=summary)
    await setup_entry(hass, config_entry)
    run = (await _only(config_entry)).data
    assert run is not None
    assert (run.status, run.reason) == ("failed", "name_clash")
    assert list(plex_server.playlists.values()) == [theirs]
    assert (theirs.items, theirs.summary) == (items, summary)


@pytest.mark.parametrize(
    "playlist_subentries",
    [[playlist_subentry(), playlist_subentry(**{CONF_SIZE: 10})]],
)
async def test_two_playlists_with_one_title_write_one_playlist(
    hass: HomeAssistant, plex_server: FakePlexServer, config_entry: MockConfigEntry
) -> None:
    """Two playlists of one title (from stored data): one writes, one reports a clash."""
    coordinators = await setup_entry(hass, config_entry)
    assert len(plex_server.playlists) == 1
    outcomes = sorted(
        (c.data.status, c.data.reason) for c in coordinators if c.data is not None
    )
    assert outcomes == [("failed", "name_clash"), ("ok", None)]


async def test_unload_stops_action_runs_and_keeps_one_store(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Unload lets a pressed run finish its write, drops its follow-up; one store."""
    entry = init_integration
    store = hass.data[DATA_STORES][entry.entry_id]
    coordinator = await _only(entry)
    events = async_capture_events(hass, EVENT_PLAYLIST_UPDATED)
    gate = plex_server.hold("PUT", "/playlists/")
    pressed = hass.async_create_task(coordinator.async_run())
    await gate.arrived.wait()
    follow_up = hass.async_create_task(coordinator.async_run())
    await asyncio.sleep(0)
    unload = hass.async_create_task(hass.config_entries.async_unload(entry.entry_id))
    await asyncio.sleep(0)
    gate.release()
    assert await unload
    assert (await pressed) is not None
    assert await follow_up is None
    await _tick(hass, freezer, 3 * 24 * 3600)
    assert len(events) == 1  # the pressed run; nothing after the unload

    [(subentry_id, _)] = entry.subentries.items()
    saved = hass_storage[f"harmoniq.{entry.entry_id}"]
    assert (saved["version"], saved["minor_version"]) == (1, 4)
    assert saved["data"]["playlists"][subentry_id]["playlist_id"] == str(
        next(iter(plex_server.playlists))
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert hass.data[DATA_STORES][entry.entry_id] is store


@pytest.mark.parametrize(
    "playlist_subentries",
    [[playlist_subentry(), playlist_subentry("Night Mix", **{CONF_SIZE: 10})]],
)
async def test_no_run_before_home_assistant_has_started(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """Due playlists wait for Home Assistant to start, then start apart."""
    freezer.move_to("2026-11-24 10:00:00-08:00")
    events = async_capture_events(hass, EVENT_PLAYLIST_UPDATED)
    hass.set_state(CoreState.not_running)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_START)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events == []
    assert not [r for r in plex_server.requests if r.path.startswith("/library/sec")]

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [event.data["playlist"] for event in events] == ["Daily Flow"]
    await _tick(hass, freezer, STARTUP_STAGGER.total_seconds())
    assert [event.data["playlist"] for event in events] == ["Daily Flow", "Night Mix"]
    assert _local_times(events) == ["10:00:00", "10:00:15"]


def _stored_run(**changes: Any) -> dict[str, Any]:
    """A last run as version 1.1 stored it (no settings fingerprint)."""
    return {
        "status": "ok",
        "finished_at": "2026-11-24T17:59:00+00:00",
        "tracks": [{"artist": "A", "title": "T", "album": "B"}],
        "reason": None,
        "window": "Daytime energy",
        "relaxed": [],
    } | changes


@pytest.mark.parametrize(
    ("playlist_state", "others", "kept"),
    [
        ({"playlist_id": "OWNED", "last_run": _stored_run()}, {}, True),
        (  # before "missing" existed, and without adventures or matches
            {"playlist_id": "OWNED", "last_run": _stored_run(missing=["X - Y"])},
            {"adventures": {}, "matches": {}},
            True,
        ),
        ("not a playlist", {"matches": []}, False),
        ({"playlist_id": "OWNED", "last_run": {"status": "odd"}}, {}, False),
    ],
)
async def test_stored_data_of_older_shapes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    playlist_state: Any,
    others: dict[str, Any],
    kept: bool,
) -> None:
    """Files of version 1.1, partial or broken, load; what they knew is kept."""
    freezer.move_to("2026-11-24 10:00:00-08:00")
    [subentry_id] = config_entry.subentries
    owned = plex_server.create_playlist("Daily Flow", [1], summary="old")
    if isinstance(playlist_state, dict):
        playlist_state["playlist_id"] = str(owned.rating_key)
    hass_storage[f"harmoniq.{config_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"harmoniq.{config_entry.entry_id}",
        "data": {"playlists": {subentry_id: playlist_state}} | others,
    }
    [coordinator] = await setup_entry(hass, config_entry)
    run = coordinator.data
    assert run is not None
    assert "Traceback" not in caplog.text
    if kept:  # within its interval and window: not run again
        assert run.finished_at.isoformat() == "2026-11-24T17:59:00+00:00"
        assert run.settings is None
        assert list(plex_server.playlists.values()) == [owned]
    else:  # forgotten: a fresh run, which finds the unmarked playlist in its way
        assert "unreadable" in caplog.text
        assert (run.status, run.reason) == ("failed", "name_clash")


@pytest.mark.parametrize("removed", ["playlist", "entry"])
async def test_name_clash_issue_goes_with_its_playlist(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    config_entry: MockConfigEntry,
    removed: str,
) -> None:
    """Removing the clashing playlist, or the whole entry, removes its repair issue."""
    items = [track.rating_key for track in plex_library.tracks[:2]]
    plex_server.create_playlist("Daily Flow", items, summary="mine")
    await setup_entry(hass, config_entry)
    [subentry_id] = config_entry.subentries
    issue_id = f"name_clash_{subentry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    if removed == "playlist":
        hass.config_entries.async_remove_subentry(config_entry, subentry_id)
    else:
        await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_unload_cancels_a_run_still_choosing(
    hass: HomeAssistant, plex_server: FakePlexServer, init_integration: MockConfigEntry
) -> None:
    """A run that has not started writing is cancelled at once by an unload."""
    coordinator = await _only(init_integration)
    [playlist] = plex_server.playlists.values()
    before = list(playlist.items)
    plex_server.clear_requests()
    gate = plex_server.hold("GET", "/library/sections/3/all")
    pressed = hass.async_create_task(coordinator.async_run())
    await gate.arrived.wait()
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert await pressed is None
    gate.release()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert playlist.items == before
    assert not [r for r in plex_server.requests if r.method != "GET"]


async def test_stored_data_of_version_1_2(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A 1.2 file keeps its failure count and id; it gains an empty recent list."""
    freezer.move_to("2026-11-24 10:00:00-08:00")
    [subentry_id] = config_entry.subentries
    owned = plex_server.create_playlist("Daily Flow", [], summary="old")
    hass_storage[f"harmoniq.{config_entry.entry_id}"] = {
        "version": 1,
        "minor_version": 2,
        "key": f"harmoniq.{config_entry.entry_id}",
        "data": {
            "playlists": {
                subentry_id: {
                    "playlist_id": str(owned.rating_key),
                    "last_run": _stored_run(
                        status="failed", reason="cannot_connect", settings=None
                    ),
                    "failures": 2,
                }
            },
            "adventures": {"road trip": "123"},
            "matches": {},
        },
    }
    [coordinator] = await setup_entry(hass, config_entry)
    store = hass.data[DATA_STORES][config_entry.entry_id]
    assert store.adventures == {"road trip": "123"}
    # The failed run was due at start and wrote to the owned playlist.
    assert coordinator.data is not None
    assert coordinator.data.status == "ok"
    assert list(plex_server.playlists.values()) == [owned]
    assert len(owned.items) == 40
    assert store.state(subentry_id).recent == [[str(key) for key in owned.items]]


@pytest.mark.parametrize(
    "playlist_subentries",
    [[playlist_subentry(active_when="{{ is_state('input_boolean.party', 'off') }}")]],
)
async def test_condition_pauses_the_playlist(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """While its condition is false a playlist pauses and keeps its tracks."""
    freezer.move_to("2026-11-24 10:00:00-08:00")
    hass.states.async_set("input_boolean.party", "off")
    [coordinator] = await setup_entry(hass, config_entry)
    [playlist] = plex_server.playlists.values()
    before = list(playlist.items)

    hass.states.async_set("input_boolean.party", "on")
    plex_server.clear_requests()
    freezer.tick(60)
    run = await coordinator.async_run()
    assert run is not None
    assert (run.status, run.reason, len(run.tracks)) == ("paused", "paused", 40)
    assert playlist.items == before
    assert not plex_server.requests  # nothing asked of Plex
    assert hass.states.get("sensor.daily_flow_status").state == "paused"

    hass.states.async_set("input_boolean.party", "off")
    run = await coordinator.async_run()
    assert run is not None
    assert run.status == "ok"
    assert playlist.items != before
