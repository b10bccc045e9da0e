"""Tests for Harmoniq's diagnostics."""

from __future__ import annotations

import json

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant

from custom_components.harmoniq.diagnostics import async_get_config_entry_diagnostics
from tests.conftest import LASTFM_API_KEY, MACHINE_IDENTIFIER, MUSIC_SECTION, PLEX_TOKEN

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
    assert diagnostics["server"]["unique_id"] == MACHINE_IDENTIFIER
    [playlist] = diagnostics["playlists"]
    assert playlist["title"] == "Daily Flow"
    assert playlist["plex_playlist_id"] is not None
    assert playlist["last_run"]["status"] in ("ok", "partial")
    assert playlist["last_run"]["track_count"] == 40
