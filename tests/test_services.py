"""Tests for the `harmoniq.refresh_playlist` and `harmoniq.set_track_match` actions."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import (
    ATTR_AREA_ID,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    floor_registry as fr,
    label_registry as lr,
)

from custom_components.harmoniq.config_flow import default_daily_flow
from custom_components.harmoniq.const import (
    DOMAIN,
    SERVICE_REFRESH_PLAYLIST,
    SERVICE_SET_TRACK_MATCH,
    SUBENTRY_TYPE_PLAYLIST,
)
from tests.conftest import MUSIC_SECTION, PLEX_TOKEN, playlist_subentry, setup_entry
from tests.fakes.plex_library import FakeLibrary
from tests.fakes.plex_server import FakePlexServer
from tests.servers import plex_track_item

pytestmark = [
    pytest.mark.usefixtures("lastfm_server"),
    pytest.mark.parametrize(
        "playlist_subentries",
        [
            [
                ConfigSubentryData(
                    subentry_type=SUBENTRY_TYPE_PLAYLIST,
                    title=title,
                    data=default_daily_flow([str(MUSIC_SECTION)]) | {"size": size},
                    unique_id=None,
                )
                for title, size in (("Daily Flow", 40), ("Night Mix", 10))
            ]
        ],
    ),
]


async def _refresh(hass: HomeAssistant, data: dict[str, Any]) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, SERVICE_REFRESH_PLAYLIST, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def test_refresh_all(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
) -> None:
    """Without a target every playlist is refreshed and reported with its tracks."""
    freezer.tick(60)
    plex_server.clear_requests()
    response = await _refresh(hass, {})
    assert [p["name"] for p in response["playlists"]] == ["Daily Flow", "Night Mix"]
    assert [len(p["tracks"]) for p in response["playlists"]] == [40, 10]
    assert {p["status"] for p in response["playlists"]} == {"ok"}
    night = next(p for p in plex_server.playlists.values() if p.title == "Night Mix")
    written = [plex_library.track_by_key[key] for key in night.items]
    assert response["playlists"][1]["tracks"] == [
        {
            "artist": track.track_artist,
            "title": track.title,
            "album": track.album.title,
        }
        for track in written
    ]


async def test_refresh_by_entity_and_device(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A playlist is targeted by any of its entities or by its device."""
    response = await _refresh(hass, {ATTR_ENTITY_ID: "sensor.night_mix_status"})
    assert [p["name"] for p in response["playlists"]] == ["Night Mix"]

    device_id = entity_registry.async_get("sensor.night_mix_tracks").device_id
    response = await _refresh(
        hass,
        {ATTR_DEVICE_ID: device_id, ATTR_ENTITY_ID: ["button.daily_flow_regenerate"]},
    )
    assert [p["name"] for p in response["playlists"]] == ["Daily Flow", "Night Mix"]


def _playlist_key(server: FakePlexServer, title: str) -> int:
    [key] = [key for key, p in server.playlists.items() if p.title == title]
    return key


async def test_refresh_one_failed_playlist_raises(
    hass: HomeAssistant, plex_server: FakePlexServer, init_integration: MockConfigEntry
) -> None:
    """A single targeted playlist that fails raises a translated error with its reason."""
    plex_server.inject_fault("drop")
    with pytest.raises(HomeAssistantError) as err:
        await _refresh(hass, {ATTR_ENTITY_ID: "sensor.daily_flow_tracks"})
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "playlist_not_updated"
    assert err.value.translation_placeholders == {
        "playlists": "Daily Flow (cannot_connect)"
    }
    assert hass.states.get("sensor.daily_flow_status").state == "failed"


async def test_refresh_several_raises_only_when_all_fail(
    hass: HomeAssistant, plex_server: FakePlexServer, init_integration: MockConfigEntry
) -> None:
    """With several targets, one failure is reported; all failing raises."""
    night = _playlist_key(plex_server, "Night Mix")
    plex_server.inject_fault(
        "status", status=500, path_prefix=f"/playlists/{night}/items", method="PUT"
    )
    response = await _refresh(hass, {})
    assert [(p["name"], p["status"], p["reason"]) for p in response["playlists"]] == [
        ("Daily Flow", "ok", None),
        ("Night Mix", "failed", "cannot_connect"),
    ]

    plex_server.inject_fault("status", status=500, path_prefix="/library")
    with pytest.raises(HomeAssistantError) as err:
        await _refresh(hass, {})
    assert err.value.translation_placeholders == {
        "playlists": "Daily Flow (cannot_connect), Night Mix (cannot_connect)"
    }


async def test_refresh_by_area_floor_and_label(
    hass: HomeAssistant,
    area_registry: ar.AreaRegistry,
    floor_registry: fr.FloorRegistry,
    label_registry: lr.LabelRegistry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Every target the picker offers reaches the playlists it contains."""
    floor = floor_registry.async_create("Upstairs")
    bedroom = area_registry.async_create("Bedroom", floor_id=floor.floor_id)
    night_device = entity_registry.async_get("sensor.night_mix_tracks").device_id
    device_registry.async_update_device(night_device, area_id=bedroom.id)
    party = label_registry.async_create("Party")
    entity_registry.async_update_entity(
        "button.daily_flow_regenerate", labels={party.label_id}
    )

    for target, expected in (
        ({ATTR_AREA_ID: bedroom.id}, ["Night Mix"]),
        ({ATTR_FLOOR_ID: floor.floor_id}, ["Night Mix"]),
        ({ATTR_LABEL_ID: party.label_id}, ["Daily Flow"]),
        (
            {ATTR_LABEL_ID: party.label_id, ATTR_AREA_ID: bedroom.id},
            ["Daily Flow", "Night Mix"],
        ),
    ):
        response = await _refresh(hass, target)
        assert sorted(p["name"] for p in response["playlists"]) == expected, target

    empty = area_registry.async_create("Garage")
    with pytest.raises(ServiceValidationError) as err:
        await _refresh(hass, {ATTR_AREA_ID: empty.id})
    assert err.value.translation_key == "no_targeted_playlists"


@pytest.mark.parametrize(
    ("data", "translation_key"),
    [
        ({ATTR_ENTITY_ID: "sensor.not_ours"}, "not_a_playlist"),
        ({ATTR_DEVICE_ID: "no-such-device"}, "not_a_playlist"),
    ],
)
async def test_bad_targets(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    data: dict[str, Any],
    translation_key: str,
) -> None:
    """Targets that are not Harmoniq playlists raise a translated validation error."""
    with pytest.raises(ServiceValidationError) as err:
        await _refresh(hass, data)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == translation_key
    assert err.value.translation_placeholders == {"target": next(iter(data.values()))}


async def test_unloaded_playlists(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """With the entry unloaded, targeting its playlist or all playlists fails clearly."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await _refresh(hass, {ATTR_ENTITY_ID: "sensor.night_mix_status"})
    assert err.value.translation_key == "playlist_not_loaded"
    with pytest.raises(ServiceValidationError) as err:
        await _refresh(hass, {})
    assert err.value.translation_key == "no_playlists"


@pytest.fixture
async def second_entry(
    hass: HomeAssistant, plex_library: FakeLibrary, init_integration: MockConfigEntry
) -> AsyncGenerator[tuple[FakePlexServer, MockConfigEntry]]:
    """A second Plex server with its own loaded entry (no Last.fm): "Kitchen Mix"."""
    server = FakePlexServer(
        token=PLEX_TOKEN,
        machine_identifier="1" * 40,
        friendly_name="Kitchen Plex",
        music_sections=[(MUSIC_SECTION, "Music", plex_library)],
    )
    await server.start()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Kitchen Plex",
        unique_id=server.machine_identifier,
        data={
            key: value
            for key, value in init_integration.data.items()
            if key not in ("api_key", "username")
        }
        | {"url": server.url},
        subentries_data=[playlist_subentry("Kitchen Mix", size=5)],
    )
    await setup_entry(hass, entry)
    yield server, entry
    await server.stop()


async def test_refresh_reports_a_playlist_unloaded_meanwhile(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    second_entry: tuple[FakePlexServer, MockConfigEntry],
) -> None:
    """A playlist whose entry unloads during the refresh is reported, not raised."""
    kitchen_server, kitchen_entry = second_entry
    gate = kitchen_server.hold("GET", f"/library/sections/{MUSIC_SECTION}/all")
    refresh = hass.async_create_task(_refresh(hass, {}))
    await gate.arrived.wait()
    assert await hass.config_entries.async_unload(kitchen_entry.entry_id)
    response = await refresh
    gate.release()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [(p["name"], p["status"]) for p in response["playlists"]] == [
        ("Daily Flow", "ok"),
        ("Night Mix", "ok"),
        ("Kitchen Mix", "failed"),
    ]
    assert response["playlists"][2] == {
        "name": "Kitchen Mix",
        "status": "failed",
        "reason": "unloaded",
        "missing": [],
        "tracks": [],
    }


async def test_refresh_by_area_skips_other_integrations(
    hass: HomeAssistant,
    area_registry: ar.AreaRegistry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Another integration's entity in the targeted area is left alone, no error."""
    bedroom = area_registry.async_create("Bedroom")
    night_device = entity_registry.async_get("sensor.night_mix_tracks").device_id
    device_registry.async_update_device(night_device, area_id=bedroom.id)
    lamp = entity_registry.async_get_or_create(
        "light", "other_integration", "bedside-lamp", suggested_object_id="bedside"
    )
    entity_registry.async_update_entity(lamp.entity_id, area_id=bedroom.id)

    response = await _refresh(hass, {ATTR_AREA_ID: bedroom.id})
    assert [p["name"] for p in response["playlists"]] == ["Night Mix"]


async def test_refresh_harmoniq_entity_of_no_playlist(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A Harmoniq entity that belongs to no playlist is not a playlist target."""
    stray = entity_registry.async_get_or_create(
        "sensor", DOMAIN, "left-over", config_entry=init_integration
    )
    assert stray.config_subentry_id is None
    with pytest.raises(ServiceValidationError) as err:
        await _refresh(hass, {ATTR_ENTITY_ID: stray.entity_id})
    assert err.value.translation_key == "not_a_playlist"
    assert err.value.translation_placeholders == {"target": stray.entity_id}


async def _set_match(hass: HomeAssistant, data: dict[str, Any]) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_SET_TRACK_MATCH,
        {"artist": "Queen", "title": "Bohemian Rhapsody"} | data,
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def test_set_track_match_needs_a_choice(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Neither a track, nor ignore, nor clear: a translated validation error."""
    with pytest.raises(ServiceValidationError) as err:
        await _set_match(hass, {})
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "match_required"
    assert init_integration.runtime_data.store.matches == {}


async def test_set_track_match_when_plex_fails(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
) -> None:
    """Plex failing while the track is looked up raises plex_error; nothing is kept."""
    plex_server.inject_fault("status", status=500, path_prefix="/library/metadata")
    with pytest.raises(HomeAssistantError) as err:
        await _set_match(hass, {"track": str(plex_library.tracks[3].rating_key)})
    assert err.value.translation_key == "plex_error"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["server"] == "Living Room Plex"
    assert "500" in err.value.translation_placeholders["error"]
    assert init_integration.runtime_data.store.matches == {}

    plex_server.clear_faults()
    track = plex_library.tracks[3]
    response = await _set_match(hass, {"track": str(track.rating_key)})
    assert response["match"] == plex_track_item(track)


async def test_set_track_match_picks_the_entry(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    second_entry: tuple[FakePlexServer, MockConfigEntry],
) -> None:
    """With two servers the entry must be named; an unknown or unloaded one is refused."""
    _, kitchen_entry = second_entry
    with pytest.raises(ServiceValidationError) as err:
        await _set_match(hass, {"ignore": True})
    assert err.value.translation_key == "entry_required"

    with pytest.raises(ServiceValidationError) as err:
        await _set_match(hass, {"ignore": True, "config_entry_id": "no-such-entry"})
    assert err.value.translation_key == "entry_not_loaded"
    assert err.value.translation_placeholders == {"entry": "no-such-entry"}

    response = await _set_match(
        hass, {"ignore": True, "config_entry_id": kitchen_entry.entry_id}
    )
    assert response["match"] == "ignored"
    assert kitchen_entry.runtime_data.store.matches == {
        next(iter(kitchen_entry.runtime_data.store.matches)): None
    }
    assert init_integration.runtime_data.store.matches == {}

    for entry in (init_integration, kitchen_entry):
        assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await _set_match(hass, {"ignore": True})
    assert err.value.translation_key == "no_playlists"
