"""Harmoniq's actions: `harmoniq.refresh_playlist`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import voluptuous as vol

from homeassistant.const import (
    ATTR_AREA_ID,
    ATTR_DEVICE_ID,
    ATTR_ENTITY_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
)
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)

try:  # Home Assistant 2025.8 and later
    from homeassistant.helpers.target import (  # type: ignore[import-not-found,unused-ignore]
        TargetSelection,
        async_extract_referenced_entity_ids,
    )
except ImportError:  # pragma: no cover - only the minimum release (2025.4) runs this
    # The minimum release: the same lookup lives in `service`.
    from homeassistant.helpers.service import (
        async_extract_referenced_entity_ids as _extract_from_call,
    )

    def _referenced(call: ServiceCall) -> Any:
        return _extract_from_call(call.hass, call)
else:

    def _referenced(call: ServiceCall) -> Any:
        return async_extract_referenced_entity_ids(
            call.hass, TargetSelection(call.data)
        )


from homeassistant.util.json import JsonValueType

from .const import (
    CONF_LIBRARIES,
    DOMAIN,
    SERVICE_CREATE_SONIC_ADVENTURE,
    SERVICE_REFRESH_PLAYLIST,
    SERVICE_SET_TRACK_MATCH,
)
from .coordinator import PlaylistCoordinator, run_failed_error
from .data import HarmoniqConfigEntry
from .engine.matching import match_track, title_search_term, track_key
from .engine.models import Track
from .engine.selection import RunStatus
from .issues import async_create_sonic_issue, sonic_issue_id
from .music_server import MusicServerError, SonicAnalysisUnavailableError
from .playlists import PlaylistNameClashError
from .storage import PlaylistRun

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
TARGET_KEYS = (
    ATTR_ENTITY_ID,
    ATTR_DEVICE_ID,
    ATTR_AREA_ID,
    ATTR_FLOOR_ID,
    ATTR_LABEL_ID,
)
ATTR_ARTIST = "artist"
ATTR_TITLE = "title"
ATTR_TRACK = "track"
ATTR_IGNORE = "ignore"
ATTR_CLEAR = "clear"
ATTR_NAME = "name"
DEFAULT_ADVENTURE_NAME = "Sonic Adventure"
# Title search candidates looked at when a track is given by artist and title.
TITLE_CANDIDATES = 50

REFRESH_PLAYLIST_SCHEMA = vol.Schema(cv.ENTITY_SERVICE_FIELDS)


CREATE_SONIC_ADVENTURE_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Exclusive("from_track", "from"): cv.string,
        vol.Exclusive("from_artist", "from"): cv.string,
        vol.Optional("from_title"): cv.string,
        vol.Exclusive("to_track", "to"): cv.string,
        vol.Exclusive("to_artist", "to"): cv.string,
        vol.Optional("to_title"): cv.string,
        vol.Optional(ATTR_NAME, default=DEFAULT_ADVENTURE_NAME): vol.All(
            cv.string, vol.Strip, vol.Length(min=1)
        ),
    }
)


SET_TRACK_MATCH_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_ARTIST): vol.All(cv.string, vol.Strip, vol.Length(min=1)),
        vol.Required(ATTR_TITLE): vol.All(cv.string, vol.Strip, vol.Length(min=1)),
        vol.Exclusive(ATTR_TRACK, "match"): cv.string,
        vol.Exclusive(ATTR_IGNORE, "match"): cv.boolean,
        vol.Exclusive(ATTR_CLEAR, "match"): cv.boolean,
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
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_TRACK_MATCH,
        _async_set_track_match,
        schema=SET_TRACK_MATCH_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CREATE_SONIC_ADVENTURE,
        _async_create_sonic_adventure,
        schema=CREATE_SONIC_ADVENTURE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


async def _async_create_sonic_adventure(call: ServiceCall) -> ServiceResponse:
    """Write a one-off playlist along the sonic path Plex computes between two tracks."""
    entry = _loaded_entry(call)
    server = entry.runtime_data.server
    title: str = call.data[ATTR_NAME]
    try:
        start = await _async_resolve_track(entry, call.data, "from")
        end = await _async_resolve_track(entry, call.data, "to")
        path = await server.async_sonic_path(start, end)
        ir.async_delete_issue(call.hass, DOMAIN, sonic_issue_id(entry))
        summary = (
            f"Sonic Adventure by Harmoniq from “{start.artist} - {start.title}” to "
            f"“{end.artist} - {end.title}”."
        )
        store = entry.runtime_data.store
        info = await entry.runtime_data.writer.async_write(
            f"adventure:{title.casefold()}",
            store.adventures.get(title.casefold()),
            title,
            [track.id for track in path],
            summary,
        )
    except SonicAnalysisUnavailableError as err:
        async_create_sonic_issue(call.hass, entry)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="sonic_unavailable",
            translation_placeholders={"server": entry.title},
        ) from err
    except PlaylistNameClashError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="playlist_name_taken",
            translation_placeholders={"name": title},
        ) from err
    except MusicServerError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="plex_error",
            translation_placeholders={"server": entry.title, "error": str(err)},
        ) from err
    store.adventures[title.casefold()] = info.id
    store.async_schedule_save()
    return {"playlist": title, "tracks": [_track_response(track) for track in path]}


async def _async_set_track_match(call: ServiceCall) -> ServiceResponse:
    """Fix how a Last.fm track maps to the library, for every Last.fm playlist."""
    entry = _loaded_entry(call)
    runtime = entry.runtime_data
    artist: str = call.data[ATTR_ARTIST]
    title: str = call.data[ATTR_TITLE]
    key = track_key(artist, title)
    match: JsonValueType
    if call.data.get(ATTR_CLEAR):
        runtime.store.matches.pop(key, None)
        match = None
    elif call.data.get(ATTR_IGNORE):
        runtime.store.matches[key] = None
        match = "ignored"
    elif track_id := call.data.get(ATTR_TRACK):
        try:
            found = await runtime.server.async_get_tracks([track_id])
        except MusicServerError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="plex_error",
                translation_placeholders={"server": entry.title, "error": str(err)},
            ) from err
        if not found:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="track_not_found",
                translation_placeholders={"track": track_id},
            )
        runtime.store.matches[key] = found[0].id
        match = _track_response(found[0])
    else:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="match_required"
        )
    runtime.store.async_schedule_save()
    return {"artist": artist, "title": title, "match": match}


def _track_response(track: Track) -> dict[str, JsonValueType]:
    return {"artist": track.artist, "title": track.title, "album": track.album}


def _loaded_entry(call: ServiceCall) -> HarmoniqConfigEntry:
    """Return the targeted entry, or the only loaded one."""
    entries: list[HarmoniqConfigEntry] = call.hass.config_entries.async_loaded_entries(
        DOMAIN
    )
    if entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID):
        entries = [entry for entry in entries if entry.entry_id == entry_id]
        if not entries:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"entry": entry_id},
            )
    if len(entries) != 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_playlists" if not entries else "entry_required",
        )
    return entries[0]


async def _async_resolve_track(
    entry: HarmoniqConfigEntry, data: Mapping[str, Any], side: str
) -> Track:
    """Find the `from` or `to` track, given by ratingKey or by artist and title."""
    server = entry.runtime_data.server
    if track_id := data.get(f"{side}_track"):
        found = await server.async_get_tracks([track_id])
        wanted = str(track_id)
    elif (artist := data.get(f"{side}_artist")) and (
        title := data.get(f"{side}_title")
    ):
        candidates = await server.async_tracks_titled(
            entry.data[CONF_LIBRARIES], title_search_term(title), TITLE_CANDIDATES
        )
        match = match_track(artist, title, candidates)
        found = [match] if match else []
        wanted = f"{artist} - {title}"
    else:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="track_required",
            translation_placeholders={"side": side},
        )
    if not found:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="track_not_found",
            translation_placeholders={"track": wanted},
        )
    return found[0]


async def _async_refresh_playlist(call: ServiceCall) -> ServiceResponse:
    """Regenerate the targeted playlists (all without a target) and report them.

    Raises when every targeted playlist failed; the response reports each one.
    """
    coordinators = _targeted_coordinators(call)
    runs = await asyncio.gather(
        *(coordinator.async_run() for coordinator in coordinators)
    )
    failed = [
        (coordinator, run)
        for coordinator, run in zip(coordinators, runs, strict=True)
        if run is None or run.status is RunStatus.FAILED
    ]
    if failed and len(failed) == len(coordinators):
        raise run_failed_error(failed)
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
        return {
            "name": coordinator.title,
            "status": "failed",
            "reason": "unloaded",
            "missing": [],
            "tracks": [],
        }
    return {
        "name": coordinator.title,
        "status": run.status.value,
        "reason": run.reason,
        "window": run.window,
        "missing": list(run.missing),
        "tracks": [
            {"artist": track.artist, "title": track.title, "album": track.album}
            for track in run.tracks
        ],
    }


def _targeted_coordinators(call: ServiceCall) -> list[PlaylistCoordinator]:
    """Resolve the call's targets (entities, devices, areas, floors, labels)."""
    hass = call.hass
    loaded: dict[str, PlaylistCoordinator] = {}
    entry: HarmoniqConfigEntry
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        loaded.update(entry.runtime_data.coordinators)
    if not any(call.data.get(key) for key in TARGET_KEYS):
        if not loaded:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="no_playlists"
            )
        return list(loaded.values())

    referenced = _referenced(call)
    targeted: dict[str, PlaylistCoordinator] = {}
    entity_registry = er.async_get(hass)
    for entity_id in sorted(referenced.referenced | referenced.indirectly_referenced):
        entity = entity_registry.async_get(entity_id)
        if entity is None or entity.platform != DOMAIN:
            if entity_id in referenced.referenced:
                raise _not_a_playlist(entity_id)
            continue  # another integration's entity in the area or with the label
        _add_coordinator(targeted, entity.config_subentry_id, loaded, entity_id)
    device_registry = dr.async_get(hass)
    for device_id in sorted(referenced.referenced_devices):
        device = device_registry.async_get(device_id)
        subentry_id = next(
            (
                identifier
                for domain, identifier in (device.identifiers if device else ())
                if domain == DOMAIN
            ),
            None,
        )
        if subentry_id is None and device_id in call.data.get(ATTR_DEVICE_ID, ()):
            raise _not_a_playlist(device_id)
        if subentry_id is not None:
            _add_coordinator(targeted, subentry_id, loaded, device_id)
    if not targeted:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_targeted_playlists"
        )
    return list(targeted.values())


def _not_a_playlist(target: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_a_playlist",
        translation_placeholders={"target": target},
    )


def _add_coordinator(
    targeted: dict[str, PlaylistCoordinator],
    subentry_id: str | None,
    loaded: dict[str, PlaylistCoordinator],
    target: str,
) -> None:
    """Add the coordinator of a target's playlist, or raise a translated error."""
    if subentry_id is None:
        raise _not_a_playlist(target)
    if subentry_id not in loaded:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="playlist_not_loaded",
            translation_placeholders={"target": target},
        )
    targeted[subentry_id] = loaded[subentry_id]
