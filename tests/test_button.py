"""Tests for the regenerate button."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from custom_components.harmoniq.const import DOMAIN
from tests.fakes.plex_server import FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")


async def test_regenerate(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    init_integration: MockConfigEntry,
) -> None:
    """Pressing Regenerate writes new tracks to the same playlist now."""
    [playlist] = plex_server.playlists.values()
    before = list(playlist.items)
    last_run = hass.states.get("sensor.daily_flow_last_run").state

    freezer.tick(60)
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: "button.daily_flow_regenerate"},
        blocking=True,
    )
    assert list(plex_server.playlists) == [playlist.rating_key]
    assert playlist.items != before
    assert hass.states.get("sensor.daily_flow_last_run").state != last_run


async def test_regenerate_failure_raises(
    hass: HomeAssistant, plex_server: FakePlexServer, init_integration: MockConfigEntry
) -> None:
    """A failed run makes the press fail with a translated error naming the reason."""
    [playlist] = plex_server.playlists.values()
    before = list(playlist.items)
    plex_server.inject_fault("status", status=503)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN,
            SERVICE_PRESS,
            {ATTR_ENTITY_ID: "button.daily_flow_regenerate"},
            blocking=True,
        )
    assert (err.value.translation_domain, err.value.translation_key) == (
        DOMAIN,
        "playlist_not_updated",
    )
    assert err.value.translation_placeholders == {
        "playlists": "Daily Flow (cannot_connect)"
    }
    assert playlist.items == before
