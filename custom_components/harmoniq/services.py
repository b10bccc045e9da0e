"""Harmoniq's actions: `harmoniq.refresh_playlist`."""

from __future__ import annotations

import asyncio

import voluptuous as vol

from homeassistant.const import ATTR_DEVICE_ID, ATTR_ENTITY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.util.json import JsonValueType

from .const import DOMAIN, SERVICE_REFRESH_PLAYLIST
from .coordinator import PlaylistCoordinator
from .data import HarmoniqConfigEntry
from .storage import PlaylistRun

REFRESH_PLAYLIST_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_ENTITY_ID): cv.entity_ids,
        vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once, from `async_setup`)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_REFRESH_PLAYLIST,
        _async_refresh_playlist,
        schema=REFRESH_PLAYLIST_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


async def _async_refresh_playlist(call: ServiceCall) -> ServiceResponse:
    """Regenerate the targeted playlists (all without a target) and report them."""
    coordinators = _targeted_coordinators(call)
    runs = await asyncio.gather(
        *(coordinator.async_run() for coordinator in coordinators)
    )
    return {
        "playlists": [
            _run_response(coordinator, run)
            for coordinator, run in zip(coordinators, runs, strict=True)
        ]
    }


def _run_response(
    coordinator: PlaylistCoordinator, run: PlaylistRun | None
) -> JsonValueType:
    if run is None:
        return {"name": coordinator.title, "status": "failed", "reason": "unexpected_error", "tracks": []}
    return {
        "name": coordinator.title,
        "status": run.status.value,
        "reason": run.reason,
        "window": run.window,
        "tracks": [
            {"artist": track.artist, "title": track.title, "album": track.album}
            for track in run.tracks
        ],
    }


def _targeted_coordinators(call: ServiceCall) -> list[PlaylistCoordinator]:
    """Resolve the call's entities and devices to playlist coordinators."""
    hass = call.hass
    loaded: dict[str, PlaylistCoordinator] = {}
    entry: HarmoniqConfigEntry
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        loaded.update(entry.runtime_data.coordinators)
    entity_ids: list[str] = call.data.get(ATTR_ENTITY_ID, [])
    device_ids: list[str] = call.data.get(ATTR_DEVICE_ID, [])
    if not entity_ids and not device_ids:
        if not loaded:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_playlists"
            )
        return list(loaded.values())

    targeted: dict[str, PlaylistCoordinator] = {}
    entity_registry = er.async_get(hass)
    for entity_id in entity_ids:
        entity = entity_registry.async_get(entity_id)
        subentry_id = entity.config_subentry_id if entity and entity.platform == DOMAIN else None
        coordinator = _coordinator_for(subentry_id, loaded, entity_id)
        targeted[coordinator.subentry.subentry_id] = coordinator
    device_registry = dr.async_get(hass)
    for device_id in device_ids:
        device = device_registry.async_get(device_id)
        subentry_id = next(
            (
                identifier
                for domain, identifier in (device.identifiers if device else ())
                if domain == DOMAIN
            ),
            None,
        )
        coordinator = _coordinator_for(subentry_id, loaded, device_id)
        targeted[coordinator.subentry.subentry_id] = coordinator
    return list(targeted.values())


def _coordinator_for(
    subentry_id: str | None, loaded: dict[str, PlaylistCoordinator], target: str
) -> PlaylistCoordinator:
    """Return the coordinator of a target's playlist, or raise a translated error."""
    if subentry_id is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_playlist",
            translation_placeholders={"target": target},
        )
    if subentry_id not in loaded:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="playlist_not_loaded",
            translation_placeholders={"target": target},
        )
    return loaded[subentry_id]
