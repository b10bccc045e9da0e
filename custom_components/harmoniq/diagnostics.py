"""Diagnostics for Harmoniq, with secrets redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import DOMAIN
from .coordinator import PlaylistCoordinator
from .data import HarmoniqConfigEntry
from .storage import PlaylistRun

TO_REDACT = {CONF_TOKEN, CONF_API_KEY, CONF_USERNAME}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HarmoniqConfigEntry
) -> dict[str, Any]:
    """Return the configuration, the server and each playlist's last run."""
    data = entry.runtime_data
    return _entry_summary(entry) | {
        "track_matches": data.store.matches,
        "playlists": [
            _playlist_summary(entry, coordinator)
            for coordinator in data.coordinators.values()
        ],
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: HarmoniqConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return one playlist device's settings, state and last run."""
    coordinators = entry.runtime_data.coordinators
    [coordinator] = [
        coordinators[identifier]
        for domain, identifier in device.identifiers
        if domain == DOMAIN and identifier in coordinators
    ]
    return _entry_summary(entry) | {"playlist": _playlist_summary(entry, coordinator)}


def _entry_summary(entry: HarmoniqConfigEntry) -> dict[str, Any]:
    data = entry.runtime_data
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "server": asdict(data.server.info),
        "lastfm_key_rejected": data.lastfm_key_rejected,
    }


def _playlist_summary(
    entry: HarmoniqConfigEntry, coordinator: PlaylistCoordinator
) -> dict[str, Any]:
    state = entry.runtime_data.store.state(coordinator.subentry.subentry_id)
    return {
        "title": coordinator.title,
        "settings": dict(coordinator.subentry.data),
        "settings_fingerprint": coordinator.settings,
        "server_playlist_id": state.playlist_id,
        "failures_in_a_row": state.failures,
        "last_run": _run_summary(coordinator.data),
    }


def _run_summary(run: PlaylistRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "status": run.status.value,
        "finished_at": run.finished_at.isoformat(),
        "settings_fingerprint": run.settings,
        "reason": run.reason,
        "window": run.window,
        "relaxed": list(run.relaxed),
        "track_count": len(run.tracks),
        "missing": list(run.missing),
    }
