"""Diagnostics for Harmoniq, with secrets redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_TOKEN, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .data import HarmoniqConfigEntry
from .storage import PlaylistRun

TO_REDACT = {CONF_TOKEN, CONF_API_KEY, CONF_USERNAME}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: HarmoniqConfigEntry
) -> dict[str, Any]:
    """Return the configuration, the server and each playlist's last run."""
    data = entry.runtime_data
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
        },
        "server": asdict(data.server.info),
        "track_matches": data.store.matches,
        "lastfm_key_rejected": data.lastfm_key_rejected,
        "playlists": [
            {
                "title": coordinator.title,
                "settings": dict(coordinator.subentry.data),
                "plex_playlist_id": data.store.state(subentry_id).playlist_id,
                "last_run": _run_summary(coordinator.data),
            }
            for subentry_id, coordinator in data.coordinators.items()
        ],
    }


def _run_summary(run: PlaylistRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "status": run.status.value,
        "finished_at": run.finished_at.isoformat(),
        "reason": run.reason,
        "window": run.window,
        "relaxed": list(run.relaxed),
        "track_count": len(run.tracks),
        "missing": list(run.missing),
    }
