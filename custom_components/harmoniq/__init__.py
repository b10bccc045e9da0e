"""Harmoniq: streaming-style playlists kept fresh in your own Plex library."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import (
    CONF_API_KEY,
    CONF_TOKEN,
    CONF_URL,
    CONF_VERIFY_SSL,
    Platform,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN, SUBENTRY_TYPE_PLAYLIST
from .coordinator import PlaylistCoordinator
from .data import HarmoniqConfigEntry, HarmoniqData
from .issues import lastfm_key_issue_id
from .lastfm import LastFmCache, LastFmClient
from .music_server import MusicServerAuthError, MusicServerError
from .plex import PlexMusicServer
from .services import async_setup_services
from .storage import HarmoniqStore

PLATFORMS: list[Platform] = [Platform.BUTTON, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
LASTFM_CACHE_VERSION = 1
LASTFM_CACHE_SAVE_DELAY = 30  # seconds


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register Harmoniq's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HarmoniqConfigEntry) -> bool:
    """Connect to Plex and start the playlists' coordinators."""
    try:
        server = await PlexMusicServer.async_connect(
            hass,
            entry.data[CONF_URL],
            entry.data[CONF_TOKEN],
            entry.data[CONF_VERIFY_SSL],
        )
    except MusicServerAuthError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="invalid_auth",
            translation_placeholders={"server": entry.title},
        ) from err
    except MusicServerError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"server": entry.title, "error": str(err)},
        ) from err
    entry.async_on_unload(server.async_close)

    store = await HarmoniqStore.async_load(hass, entry.entry_id)
    playlists = _playlist_subentries(entry)
    for subentry_id in set(store.playlists) - set(playlists):
        store.forget(subentry_id)  # removed while Harmoniq was not running
    lastfm = (
        LastFmClient(
            async_get_clientsession(hass),
            entry.data[CONF_API_KEY],
            cache=await _async_load_lastfm_cache(hass, entry),
        )
        if CONF_API_KEY in entry.data
        else None
    )
    ir.async_delete_issue(
        hass, DOMAIN, lastfm_key_issue_id(entry)
    )  # a new key gets a new try
    entry.runtime_data = HarmoniqData(
        server=server,
        lastfm=lastfm,
        store=store,
        coordinators={
            subentry_id: PlaylistCoordinator(
                hass, entry, subentry, store=store, server=server, lastfm=lastfm
            )
            for subentry_id, subentry in playlists.items()
        },
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    for coordinator in entry.runtime_data.coordinators.values():
        entry.async_on_unload(coordinator.async_shutdown)
        coordinator.async_start()
    entry.async_on_unload(entry.add_update_listener(_async_reload_on_change))
    return True


async def _async_reload_on_change(
    hass: HomeAssistant, entry: HarmoniqConfigEntry
) -> None:
    """Reload when playlists were added, changed or removed.

    Changes to the entry itself (reauth, reconfigure) come with their own reload.
    """
    running = {
        subentry_id: coordinator.subentry
        for subentry_id, coordinator in entry.runtime_data.coordinators.items()
    }
    if running != _playlist_subentries(entry):
        hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_remove_entry(hass: HomeAssistant, entry: HarmoniqConfigEntry) -> None:
    """Forget what Harmoniq stored for a deleted entry; Plex keeps the playlists."""
    await HarmoniqStore.async_remove(hass, entry.entry_id)
    await _lastfm_cache_store(hass, entry).async_remove()


def _lastfm_cache_store(
    hass: HomeAssistant, entry: HarmoniqConfigEntry
) -> Store[dict[str, Any]]:
    return Store(hass, LASTFM_CACHE_VERSION, f"{DOMAIN}.{entry.entry_id}.lastfm_cache")


async def _async_load_lastfm_cache(
    hass: HomeAssistant, entry: HarmoniqConfigEntry
) -> LastFmCache:
    """Load the entry's Last.fm answers cache; it saves itself when it changes."""
    store = _lastfm_cache_store(hass, entry)
    cache = LastFmCache.from_export(await store.async_load())

    @callback
    def save_soon() -> None:
        store.async_delay_save(cache.export, LASTFM_CACHE_SAVE_DELAY)

    cache.on_change = save_soon
    return cache


def _playlist_subentries(entry: HarmoniqConfigEntry) -> dict[str, ConfigSubentry]:
    return {
        subentry_id: subentry
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_TYPE_PLAYLIST
    }


async def async_unload_entry(hass: HomeAssistant, entry: HarmoniqConfigEntry) -> bool:
    """Stop the playlists and close the Plex connection; Plex keeps the playlists."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.store.async_save()
    return unloaded
