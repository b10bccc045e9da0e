"""Harmoniq: streaming-style playlists kept fresh in your own music server."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import (
    CONF_API_KEY,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import CALLBACK_TYPE, CoreState, Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import CONF_SERVER_TYPE, DOMAIN, SERVER_PLEX, SUBENTRY_TYPE_PLAYLIST
from .coordinator import PlaylistCoordinator
from .data import HarmoniqConfigEntry, HarmoniqData
from .issues import async_delete_entry_issues
from .lastfm import LastFmCache, LastFmClient
from .music_server import MusicServerAuthError, MusicServerError
from .playlists import OwnedPlaylistWriter
from .servers import async_connect_server
from .services import async_setup_services
from .storage import HarmoniqStore, async_get_store

PLATFORMS: list[Platform] = [Platform.BUTTON, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
LASTFM_CACHE_VERSION = 1
LASTFM_CACHE_SAVE_DELAY = 30  # seconds
# Due playlists start this far apart when Home Assistant starts.
STARTUP_STAGGER: Final = timedelta(seconds=15)
# Issue raised by versions before 0.2 when Last.fm rejected the key (now a reauth).
LEGACY_LASTFM_KEY_ISSUE = "lastfm_invalid_key_{entry_id}"

DATA_LASTFM_CACHES: HassKey[dict[str, LastFmCache]] = HassKey(f"{DOMAIN}_lastfm_caches")


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register Harmoniq's actions."""
    async_setup_services(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: HarmoniqConfigEntry) -> bool:
    """Bring an entry of an earlier version to the current one."""
    if entry.version > 1:
        return False  # written by a newer Harmoniq: don't guess
    if entry.minor_version < 2:  # 1.2: the server type is recorded (1.1: Plex only)
        hass.config_entries.async_update_entry(
            entry,
            data={CONF_SERVER_TYPE: SERVER_PLEX, **entry.data},
            minor_version=2,
        )
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HarmoniqConfigEntry) -> bool:
    """Connect to the music server and start the playlists' coordinators."""
    try:
        server = await async_connect_server(hass, entry.data)
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

    store = await async_get_store(hass, entry.entry_id)
    playlists = _playlist_subentries(entry)
    if removed := set(store.playlists) - set(playlists):
        for subentry_id in removed:
            store.forget(subentry_id)
        async_delete_entry_issues(hass, entry, removed)
    ir.async_delete_issue(
        hass, DOMAIN, LEGACY_LASTFM_KEY_ISSUE.format(entry_id=entry.entry_id)
    )
    lastfm = (
        LastFmClient(
            async_get_clientsession(hass),
            entry.data[CONF_API_KEY],
            cache=await _async_lastfm_cache(hass, entry),
        )
        if CONF_API_KEY in entry.data
        else None
    )
    entry.runtime_data = HarmoniqData(
        server=server,
        lastfm=lastfm,
        store=store,
        writer=OwnedPlaylistWriter(server, entry.entry_id),
        coordinators={
            subentry_id: PlaylistCoordinator(
                hass, entry, subentry, store=store, server=server, lastfm=lastfm
            )
            for subentry_id, subentry in playlists.items()
        },
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(_listen_for_changes(entry))
    staggered = hass.state is not CoreState.running

    @callback
    def start_playlists(hass: HomeAssistant) -> None:
        """Start the due playlists, apart from each other at Home Assistant's start."""
        now = dt_util.now()
        due = 0
        for coordinator in entry.runtime_data.coordinators.values():
            if staggered and coordinator.is_due(now):
                coordinator.async_start(STARTUP_STAGGER * due)
                due += 1
            else:
                coordinator.async_start()

    entry.async_on_unload(async_at_started(hass, start_playlists))

    async def stop_playlists(_event: Event) -> None:
        """Let writes in progress finish when Home Assistant stops; start nothing."""
        await asyncio.gather(
            *(c.async_shutdown() for c in entry.runtime_data.coordinators.values())
        )

    entry.async_on_unload(
        hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, stop_playlists)
    )
    return True


def _listen_for_changes(entry: HarmoniqConfigEntry) -> CALLBACK_TYPE:
    """Reload the entry when its settings, options or any playlist's settings change.

    Home Assistant changes subentries in place, so the settings the entry was set up
    with are copied here to compare against.
    """
    loaded_with = _settings(entry)

    async def reload_on_change(hass: HomeAssistant, entry: HarmoniqConfigEntry) -> None:
        if _settings(entry) != loaded_with:
            hass.config_entries.async_schedule_reload(entry.entry_id)

    return entry.add_update_listener(reload_on_change)


def _settings(
    entry: HarmoniqConfigEntry,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return (
        dict(entry.data),
        dict(entry.options),
        {
            subentry_id: (subentry.title, dict(subentry.data))
            for subentry_id, subentry in _playlist_subentries(entry).items()
        },
    )


async def async_unload_entry(hass: HomeAssistant, entry: HarmoniqConfigEntry) -> bool:
    """Stop the playlists (letting a write finish) and save what Harmoniq keeps."""
    runtime = entry.runtime_data
    await asyncio.gather(
        *(coordinator.async_shutdown() for coordinator in runtime.coordinators.values())
    )
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    await runtime.store.async_save()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: HarmoniqConfigEntry) -> None:
    """Forget what Harmoniq stored for a deleted entry; the server keeps the playlists."""
    await HarmoniqStore.async_remove(hass, entry.entry_id)
    hass.data.get(DATA_LASTFM_CACHES, {}).pop(entry.entry_id, None)
    await _lastfm_cache_store(hass, entry).async_remove()
    async_delete_entry_issues(hass, entry)


def _lastfm_cache_store(
    hass: HomeAssistant, entry: HarmoniqConfigEntry
) -> Store[dict[str, Any]]:
    return Store(hass, LASTFM_CACHE_VERSION, f"{DOMAIN}.{entry.entry_id}.lastfm_cache")


async def _async_lastfm_cache(
    hass: HomeAssistant, entry: HarmoniqConfigEntry
) -> LastFmCache:
    """Return the entry's Last.fm answers cache, loaded on first use; it saves itself."""
    caches = hass.data.setdefault(DATA_LASTFM_CACHES, {})
    if (cache := caches.get(entry.entry_id)) is not None:
        return cache
    store = _lastfm_cache_store(hass, entry)
    cache = caches[entry.entry_id] = LastFmCache.from_export(await store.async_load())

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
