"""Connecting the music server an entry uses: the one place that picks an adapter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import (
    CONF_DEVICE_ID,
    CONF_MOOD_PREFIX,
    CONF_SERVER_TYPE,
    CONF_USER_ID,
    DEFAULT_MOOD_PREFIX,
    SERVER_JELLYFIN,
    SERVER_PLEX,
)
from .jellyfin import JellyfinMusicServer
from .music_server import MusicServer, MusicServerError
from .plex import PlexMusicServer


async def async_connect_server(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> MusicServer:
    """Connect to the server an entry's data describes.

    Raises the `MusicServerError` subclasses of `music_server` when that fails.
    """
    server_type = data.get(CONF_SERVER_TYPE, SERVER_PLEX)
    if server_type == SERVER_PLEX:
        return await PlexMusicServer.async_connect(
            hass, data[CONF_URL], data[CONF_TOKEN], data[CONF_VERIFY_SSL]
        )
    if server_type == SERVER_JELLYFIN:
        return await JellyfinMusicServer.async_connect(
            async_get_clientsession(hass, data[CONF_VERIFY_SSL]),
            data[CONF_URL],
            data[CONF_TOKEN],
            data[CONF_USER_ID],
            data[CONF_DEVICE_ID],
            verify_ssl=data[CONF_VERIFY_SSL],
            mood_prefix=data.get(CONF_MOOD_PREFIX, DEFAULT_MOOD_PREFIX),
        )
    raise MusicServerError(f"Unknown server type {server_type!r}")
