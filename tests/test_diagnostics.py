"""Tests for Harmoniq's diagnostics."""

from __future__ import annotations

import json

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from custom_components.harmoniq.diagnostics import async_get_config_entry_diagnostics
from tests.conftest import LASTFM_API_KEY, MACHINE_IDENTIFIER, MUSIC_SECTION, PLEX_TOKEN
from tests.fakes.plex_server import FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")


async def test_diagnostics(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Diagnostics hold the config and last runs, with secrets redacted."""
    diagnostics = await async_get_config_entry_diagnostics(hass, init_integration)

    dumped = json.dumps(diagnostics)
    assert PLEX_TOKEN not in dumped
    assert LASTFM_API_KEY not in dumped
    assert '"RJ"' not in dumped
    assert diagnostics["entry"]["data"]["token"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["api_key"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["username"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["libraries"] == [str(MUSIC_SECTION)]
    assert diagnostics["entry"]["options"] == dict(init_integration.options)
    assert diagnostics["server"]["unique_id"] == MACHINE_IDENTIFIER
    [playlist] = diagnostics["playlists"]
    assert playlist["title"] == "Daily Flow"
    assert playlist["server_playlist_id"] is not None
    assert playlist["last_run"]["status"] in ("ok", "partial")
    assert playlist["last_run"]["track_count"] == 40


async def test_device_diagnostics_over_http(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    plex_server: FakePlexServer,
    init_integration: MockConfigEntry,
) -> None:
    """A playlist device's diagnostics download: its playlist, secrets redacted."""
    entity = entity_registry.async_get("sensor.daily_flow_status")
    assert entity is not None
    assert entity.device_id is not None
    device = device_registry.async_get(entity.device_id)
    assert device is not None
    diagnostics = await get_diagnostics_for_device(
        hass, hass_client, init_integration, device
    )
    assert PLEX_TOKEN not in json.dumps(diagnostics)
    playlist = diagnostics["playlist"]
    assert playlist["title"] == "Daily Flow"
    assert playlist["server_playlist_id"] == str(next(iter(plex_server.playlists)))
    assert playlist["last_run"]["track_count"] == 40
    assert playlist["failures_in_a_row"] == 0


async def test_diagnostics_before_the_first_run(
    hass: HomeAssistant, plex_server: FakePlexServer, config_entry: MockConfigEntry
) -> None:
    """While a playlist's first run is still choosing, it shows no last run."""
    gate = plex_server.hold("GET", f"/library/sections/{MUSIC_SECTION}/all")
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await gate.arrived.wait()
    diagnostics = await async_get_config_entry_diagnostics(hass, config_entry)
    [playlist] = diagnostics["playlists"]
    assert playlist["title"] == "Daily Flow"
    assert playlist["last_run"] is None
    assert playlist["server_playlist_id"] is None

    gate.release()
    await hass.async_block_till_done(wait_background_tasks=True)
    diagnostics = await async_get_config_entry_diagnostics(hass, config_entry)
    assert diagnostics["playlists"][0]["last_run"]["track_count"] == 40
