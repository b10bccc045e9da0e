"""Harmoniq's actions: `harmoniq.refresh_playlist`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import random
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


from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonValueType

from .const import (
    CONF_EXCLUDE_PLAYED_DAYS,
    CONF_LIBRARIES,
    CONF_MAX_SKIPS,
    CONF_MIN_STARS,
    DOMAIN,
    LOGGER,
    SERVICE_CREATE_SONIC_ADVENTURE,
    SERVICE_REFRESH_PLAYLIST,
    SERVICE_SEARCH_TRACKS,
    SERVICE_SET_TRACK_MATCH,
    SERVICE_WRITE_PLAYLIST,
)
from .coordinator import PlaylistCoordinator, run_failed_error
from .cover_art import render_cover
from .data import HarmoniqConfigEntry
from .engine.lastfm_playlists import LibraryMatcher, SourceTrack
from .engine.matching import track_key
from .engine.models import Criteria, Refinements, Track, TrackQuery
from .engine.sampling import fair_sample
from .engine.selection import RunStatus
from .issues import async_create_sonic_issue, sonic_issue_id
from .music_server import (
    ArtworkNotAllowedError,
    MusicServerError,
    SonicAnalysisUnavailableError,
)
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
ATTR_TRACKS = "tracks"
ATTR_ALBUM = "album"
ATTR_MODE = "mode"
ATTR_MAX_TRACKS = "max_tracks"
ATTR_MAX_MINUTES = "max_minutes"
ATTR_DESCRIPTION = "description"
ATTR_MOODS = "moods"
ATTR_GENRES = "genres"
ATTR_STYLES = "styles"
ATTR_LIMIT = "limit"
ATTR_COVER_ART = "cover_art"
DEFAULT_ADVENTURE_NAME = "Sonic Adventure"
DEFAULT_SEARCH_LIMIT = 50

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
        vol.Optional(ATTR_COVER_ART, default=True): cv.boolean,
    }
)


_NAME = vol.All(cv.string, vol.Strip, vol.Length(min=1))
_NAMES = vol.All(cv.ensure_list, [_NAME])

WRITE_PLAYLIST_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_NAME): _NAME,
        vol.Required(ATTR_TRACKS): vol.All(
            cv.ensure_list,
            [
                vol.Any(
                    vol.Schema(
                        {
                            vol.Required(ATTR_ARTIST): _NAME,
                            vol.Required(ATTR_TITLE): _NAME,
                            vol.Optional(ATTR_ALBUM): cv.string,
                        },
                        extra=vol.ALLOW_EXTRA,  # e.g. a search_tracks item as is
                    ),
                    cv.string,
                )
            ],
        ),
        vol.Optional(ATTR_MODE, default="replace"): vol.In(["replace", "append"]),
        vol.Optional(ATTR_MAX_TRACKS): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=1000)
        ),
        vol.Optional(ATTR_MAX_MINUTES): vol.All(
            vol.Coerce(float), vol.Range(min=1, max=6000)
        ),
        vol.Optional(ATTR_DESCRIPTION): cv.string,
        vol.Optional(ATTR_COVER_ART, default=True): cv.boolean,
    }
)

SEARCH_TRACKS_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_MOODS, default=[]): _NAMES,
        vol.Optional(ATTR_GENRES, default=[]): _NAMES,
        vol.Optional(ATTR_STYLES, default=[]): _NAMES,
        vol.Optional(CONF_MIN_STARS, default=0): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=5)
        ),
        vol.Optional(CONF_EXCLUDE_PLAYED_DAYS, default=0): vol.All(
            vol.Coerce(int), vol.Range(min=0, max=3650)
        ),
        vol.Optional(CONF_MAX_SKIPS): vol.All(vol.Coerce(int), vol.Range(min=0)),
        vol.Optional(CONF_LIBRARIES): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_LIMIT, default=DEFAULT_SEARCH_LIMIT): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=500)
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
        SERVICE_WRITE_PLAYLIST,
        _async_write_playlist,
        schema=WRITE_PLAYLIST_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEARCH_TRACKS,
        _async_search_tracks,
        schema=SEARCH_TRACKS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
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
    except SonicAnalysisUnavailableError as err:
        async_create_sonic_issue(call.hass, entry)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="sonic_unavailable",
            translation_placeholders={"server": entry.title},
        ) from err
    except MusicServerError as err:
        raise _server_error(entry, err) from err
    await _async_write_one_off(
        call.hass,
        entry,
        title,
        [track.id for track in path],
        summary,
        cover=call.data[ATTR_COVER_ART],
    )
    return {"playlist": title, "tracks": [_track_item(track) for track in path]}


async def _async_write_one_off(
    hass: HomeAssistant,
    entry: HarmoniqConfigEntry,
    title: str,
    track_ids: list[str],
    summary: str,
    *,
    cover: bool,
) -> None:
    """Write a playlist an action owns, and remember it; raise translated errors.

    A playlist it creates gets Harmoniq's cover (`cover`): one upload, once.
    """
    runtime = entry.runtime_data
    owned_id = runtime.store.adventures.get(title.casefold())
    try:
        info = await runtime.writer.async_write(
            one_off_owner(title), owned_id, title, track_ids, summary
        )
    except PlaylistNameClashError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="playlist_name_taken",
            translation_placeholders={"name": title},
        ) from err
    except MusicServerError as err:
        raise _server_error(entry, err) from err
    runtime.store.adventures[title.casefold()] = info.id
    runtime.store.async_schedule_save()
    if cover and info.id != owned_id and info.artwork_known and info.artwork is None:
        await _async_first_cover(hass, entry, info.id, title)


async def _async_first_cover(
    hass: HomeAssistant, entry: HarmoniqConfigEntry, playlist_id: str, title: str
) -> None:
    """Upload the cover of a playlist an action created (never fails the action)."""
    server = entry.runtime_data.server
    if not server.artwork_allowed:
        return
    try:
        image = await hass.async_add_executor_job(render_cover, title, None)
        await server.async_set_playlist_artwork(playlist_id, image)
    except ArtworkNotAllowedError:
        LOGGER.info("The music server does not let this user set playlist artwork")
    except MusicServerError as err:
        LOGGER.warning("Playlist '%s': the cover was not uploaded: %s", title, err)


def _server_error(
    entry: HarmoniqConfigEntry, err: MusicServerError
) -> HomeAssistantError:
    """Return the translated error of a failing server."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="plex_error",
        translation_placeholders={"server": entry.title, "error": str(err)},
    )


def one_off_owner(title: str) -> str:
    """Return the owner key of a one-off playlist written by an action."""
    return f"one-off:{title.casefold()}"


async def _async_write_playlist(call: ServiceCall) -> ServiceResponse:
    """Write any list of tracks to a playlist Harmoniq owns (created if needed)."""
    entry = _loaded_entry(call)
    server = entry.runtime_data.server
    title: str = call.data[ATTR_NAME]
    items: list[str | dict[str, str]] = call.data[ATTR_TRACKS]
    if not items:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="tracks_required"
        )
    owned_id = entry.runtime_data.store.adventures.get(title.casefold())
    try:
        found, not_found = await _async_resolve_items(entry, items)
        if not found:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_track_found",
                translation_placeholders={"tracks": ", ".join(not_found[:10])},
            )
        if call.data[ATTR_MODE] == "append" and owned_id:
            current = await server.async_get_playlist(owned_id)
            kept = [e.track_id for e in current.entries] if current else []
            new_ids = {track.id for track in found}
            existing = await server.async_get_tracks(
                [track_id for track_id in kept if track_id not in new_ids]
            )
            # Cut from the start: the newest tracks stay.
            tracks = _limited([*existing, *found][::-1], call.data)[::-1]
        else:
            tracks = _limited(found, call.data)
    except MusicServerError as err:
        raise _server_error(entry, err) from err
    summary = call.data.get(ATTR_DESCRIPTION) or (
        f"Written by Harmoniq on {dt_util.now().strftime('%Y-%m-%d %H:%M')}."
    )
    await _async_write_one_off(
        call.hass,
        entry,
        title,
        [track.id for track in tracks],
        summary,
        cover=call.data[ATTR_COVER_ART],
    )
    return {
        "playlist": title,
        "tracks": [_track_item(track) for track in tracks],
        "not_found": list(not_found),
    }


async def _async_resolve_items(
    entry: HarmoniqConfigEntry, items: list[str | dict[str, str]]
) -> tuple[list[Track], list[str]]:
    """Find the given tracks: by server id, else by artist and title (as Last.fm's).

    Returns the tracks found (in the given order, without repeats) and the items
    not found, as "Artist - Title" or the id.
    """
    runtime = entry.runtime_data
    ids = [_item_id(item) for item in items]
    by_id = {
        track.id: track
        for track in await runtime.server.async_get_tracks(
            [track_id for track_id in ids if track_id]
        )
    }
    matcher = LibraryMatcher(
        runtime.server, entry.data[CONF_LIBRARIES], runtime.store.matches
    )
    found: dict[str, Track] = {}
    not_found: list[str] = []
    for item, track_id in zip(items, ids, strict=True):
        if track_id is not None or isinstance(item, str):
            track = by_id.get(track_id or "")
            source = track_id or ""
        else:
            wanted = SourceTrack(item[ATTR_ARTIST], item[ATTR_TITLE])
            track = await matcher.async_find(wanted)
            source = str(wanted)
        if track is None:
            not_found.append(source)
        else:
            found.setdefault(track.id, track)
    return list(found.values()), not_found


def _item_id(item: str | dict[str, str]) -> str | None:
    """Return the server id an item gives (a plain id, or a track item's `id`)."""
    return item if isinstance(item, str) else item.get("id")


def _limited(tracks: list[Track], data: Mapping[str, Any]) -> list[Track]:
    """Cut the tracks to `max_tracks` and to `max_minutes` (within one track)."""
    tracks = tracks[: data.get(ATTR_MAX_TRACKS, len(tracks))]
    if (minutes := data.get(ATTR_MAX_MINUTES)) is None:
        return tracks
    kept: list[Track] = []
    total = 0.0
    for track in tracks:
        if total >= minutes * 60:
            break
        kept.append(track)
        total += track.duration
    return kept


async def _async_search_tracks(call: ServiceCall) -> ServiceResponse:
    """Return random tracks matching Daily Flow criteria, writing nothing."""
    entry = _loaded_entry(call)
    data = call.data
    libraries = [
        key
        for key in data.get(CONF_LIBRARIES, entry.data[CONF_LIBRARIES])
        if key in entry.data[CONF_LIBRARIES]
    ]
    max_skips = data.get(CONF_MAX_SKIPS)
    query = TrackQuery(
        criteria=Criteria(
            moods=tuple(data[ATTR_MOODS]),
            genres=tuple(data[ATTR_GENRES]),
            styles=tuple(data[ATTR_STYLES]),
        ),
        refinements=Refinements(
            min_stars=data[CONF_MIN_STARS],
            exclude_played_days=data[CONF_EXCLUDE_PLAYED_DAYS],
            max_skips=max_skips,
        ),
        limit=data[ATTR_LIMIT],
    )
    try:
        branches = await entry.runtime_data.server.async_search_tracks(
            libraries, query, dt_util.now()
        )
    except MusicServerError as err:
        raise _server_error(entry, err) from err
    tracks = fair_sample(branches, random.SystemRandom())[: data[ATTR_LIMIT]]
    return {"tracks": [_track_item(track) for track in tracks]}


def _track_item(track: Track) -> dict[str, JsonValueType]:
    """Return a library track as the actions report it (`write_playlist` takes it)."""
    return {
        "id": track.id,
        "artist": track.artist,
        "title": track.title,
        "album": track.album,
        "duration": round(track.duration),
        "rating": None if track.user_rating is None else track.user_rating / 2,
        "last_played": track.last_viewed_at.isoformat()
        if track.last_viewed_at
        else None,
    }


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
            raise _server_error(entry, err) from err
        if not found:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="track_not_found",
                translation_placeholders={"track": track_id},
            )
        runtime.store.matches[key] = found[0].id
        match = _track_item(found[0])
    else:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="match_required"
        )
    runtime.store.async_schedule_save()
    return {"artist": artist, "title": title, "match": match}


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
        matcher = LibraryMatcher(
            server, entry.data[CONF_LIBRARIES], entry.runtime_data.store.matches
        )
        match = await matcher.async_find(SourceTrack(artist, title))
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
