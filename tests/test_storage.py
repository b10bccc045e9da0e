"""Tests for what Harmoniq stores across restarts (storage.py)."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from custom_components.harmoniq.storage import HarmoniqStore
from tests.conftest import setup_entry
from tests.fakes.plex_server import FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")


async def test_file_of_a_newer_version_starts_afresh(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A file a newer Harmoniq wrote (version 2) is not guessed at: setup still works.

    The state starts afresh, the playlist is written, and the file is replaced with
    this version's shape when the entry unloads.
    """
    [subentry_id] = config_entry.subentries
    key = f"harmoniq.{config_entry.entry_id}"
    hass_storage[key] = {
        "version": 2,
        "minor_version": 1,
        "key": key,
        "data": {
            "playlists": {subentry_id: {"server_playlist": "12345", "runs": []}},
            "adventures": {"road trip": "123"},
        },
    }
    [coordinator] = await setup_entry(hass, config_entry)
    assert config_entry.state is ConfigEntryState.LOADED
    assert "written by a newer version; starting afresh" in caplog.text
    assert "Traceback" not in caplog.text

    store = config_entry.runtime_data.store
    assert store.adventures == {}
    assert store.matches == {}
    assert coordinator.data is not None
    assert coordinator.data.status == "ok"
    [playlist] = plex_server.playlists.values()
    assert playlist.title == "Daily Flow"
    assert store.state(subentry_id).playlist_id == str(playlist.rating_key)

    assert await hass.config_entries.async_unload(config_entry.entry_id)
    saved = hass_storage[key]
    assert (saved["version"], saved["minor_version"]) == (1, 4)
    assert saved["data"]["adventures"] == {}
    assert saved["data"]["playlists"][subentry_id]["playlist_id"] == str(
        playlist.rating_key
    )


async def test_file_of_a_newer_minor_version_keeps_what_it_shares(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A 1.9 file (same major version) keeps the owned playlist and the adventures."""
    [subentry_id] = config_entry.subentries
    owned = plex_server.create_playlist("Daily Flow", [], summary="old")
    key = f"harmoniq.{config_entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 9,
        "key": key,
        "data": {
            "playlists": {
                subentry_id: {
                    "playlist_id": str(owned.rating_key),
                    "last_run": None,
                    "failures": 0,
                    "recent": [],
                    "skipped_lately": ["1", "2"],
                }
            },
            "adventures": {"road trip": "123"},
            "matches": {},
            "favourites": {},
        },
    }
    [coordinator] = await setup_entry(hass, config_entry)
    store = config_entry.runtime_data.store
    assert store.adventures == {"road trip": "123"}
    assert coordinator.data is not None
    assert coordinator.data.status == "ok"
    assert list(plex_server.playlists.values()) == [owned]  # no second playlist
    assert len(owned.items) == 40


async def test_file_of_version_1_3_loads_without_covers(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A 1.3 file keeps everything it has; its playlists have no cover yet (1.4)."""
    key = "harmoniq.entry"
    run = {
        "status": "ok",
        "finished_at": "2026-11-24T16:00:00+00:00",
        "tracks": [],
        "reason": None,
        "window": "Morning chill",
        "relaxed": [],
        "missing": [],
        "settings": "abc",
        "new_tracks": 3,
    }
    hass_storage[key] = {
        "version": 1,
        "minor_version": 3,
        "key": key,
        "data": {
            "playlists": {
                "sub": {
                    "playlist_id": "123",
                    "last_run": run,
                    "failures": 0,
                    "recent": [["1", "2"]],
                }
            },
            "adventures": {},
            "matches": {},
        },
    }
    store = await HarmoniqStore.async_load(hass, "entry")
    state = store.state("sub")
    assert (state.playlist_id, state.recent) == ("123", [["1", "2"]])
    assert state.last_run is not None
    assert state.last_run.window == "Morning chill"
    assert (state.cover_key, state.artwork, state.user_artwork) == (None, None, None)

    state.cover_key, state.artwork, state.user_artwork = "k" * 16, "tag", None
    await store.async_save()
    saved = hass_storage[key]
    assert (saved["version"], saved["minor_version"]) == (1, 4)
    assert saved["data"]["playlists"]["sub"] | {"last_run": None} == {
        "playlist_id": "123",
        "last_run": None,
        "failures": 0,
        "recent": [["1", "2"]],
        "cover_key": "k" * 16,
        "artwork": "tag",
        "user_artwork": None,
    }
    again = (await HarmoniqStore.async_load(hass, "entry")).state("sub")
    assert (again.cover_key, again.artwork, again.user_artwork) == (
        "k" * 16,
        "tag",
        None,
    )
