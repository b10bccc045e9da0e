"""Tests for the playlist sensors."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.harmoniq.const import DOMAIN
from tests.fakes.plex_server import FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")


async def test_sensors(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Each playlist has a device with status, last run, tracks and window sensors."""
    freezer.move_to("2026-11-24 08:00:00-08:00")
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    [subentry_id] = config_entry.subentries

    status = hass.states.get("sensor.daily_flow_status")
    assert status.state == "ok"
    assert status.attributes["options"] == ["ok", "partial", "failed", "paused"]
    assert status.attributes["reason"] is None
    assert status.attributes["friendly_name"] == "Daily Flow Status"
    assert (
        hass.states.get("sensor.daily_flow_last_run").state
        == "2026-11-24T16:00:00+00:00"
    )
    tracks = hass.states.get("sensor.daily_flow_tracks")
    assert (tracks.state, tracks.attributes["unit_of_measurement"]) == ("40", "tracks")
    assert "state_class" not in tracks.attributes  # no long-term statistics
    assert hass.states.get("sensor.daily_flow_time_window").state == "Morning chill"

    entity = entity_registry.async_get("sensor.daily_flow_status")
    assert entity.unique_id == f"{subentry_id}_status"
    assert entity.config_subentry_id == subentry_id
    assert entity.translation_key == "status"
    assert (
        entity_registry.async_get("sensor.daily_flow_last_run").entity_category
        == "diagnostic"
    )
    device = device_registry.async_get(entity.device_id)
    assert device.identifiers == {(DOMAIN, subentry_id)}
    assert device.name == "Daily Flow"


async def test_sensors_before_the_first_run(
    hass: HomeAssistant, plex_server: FakePlexServer, config_entry: MockConfigEntry
) -> None:
    """Until a playlist has run, its sensors are unknown, not made up."""
    plex_server.inject_fault("status", status=500, path_prefix="/library/sections/")
    plex_server.inject_fault("status", status=500, path_prefix="/playlists")
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    assert hass.states.get("sensor.daily_flow_tracks").state == STATE_UNKNOWN
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("sensor.daily_flow_status").state == "failed"
    assert hass.states.get("sensor.daily_flow_tracks").state == "0"
