"""Tests for setting up and unloading a Harmoniq entry."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import timedelta
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant

from custom_components.harmoniq.const import DOMAIN
from tests.conftest import PLEX_TOKEN
from tests.fakes.plex_server import FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry loads with one coordinator per playlist and unloads cleanly."""
    entry = init_integration
    assert entry.state is ConfigEntryState.LOADED
    assert [c.title for c in entry.runtime_data.coordinators.values()] == ["Daily Flow"]
    assert entry.runtime_data.lastfm is not None

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_remove_entry_forgets_its_stores(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Deleting the entry deletes what Harmoniq stored for it."""
    entry_id = init_integration.entry_id
    assert await hass.config_entries.async_unload(entry_id)
    assert f"harmoniq.{entry_id}" in hass_storage
    await hass.config_entries.async_remove(entry_id)
    await hass.async_block_till_done()
    assert not [key for key in hass_storage if key.startswith(f"harmoniq.{entry_id}")]


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 500},
        {"kind": "status", "status": 503},
        {"kind": "drop"},
        {"kind": "malformed"},
    ],
)
async def test_setup_retries_when_plex_is_down(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
    fault: dict[str, Any],
) -> None:
    """Plex failing or unreachable at start-up makes Home Assistant retry."""
    plex_server.inject_fault(**fault)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_retries_when_plex_is_stopped(
    hass: HomeAssistant, plex_server: FakePlexServer, config_entry: MockConfigEntry
) -> None:
    """Nothing listening at the URL makes Home Assistant retry."""
    await plex_server.stop()
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_auth_failed_starts_reauth(
    hass: HomeAssistant, plex_server: FakePlexServer, config_entry: MockConfigEntry
) -> None:
    """A revoked token fails setup and asks the user for a new one."""
    plex_server.token = "revoked-and-replaced"
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_token_never_logged(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    plex_server: FakePlexServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither setup nor a run nor a failure logs the Plex token, even at debug level."""
    caplog.set_level(logging.DEBUG)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    plex_server.inject_fault("status", status=500)
    coordinator = next(iter(config_entry.runtime_data.coordinators.values()))
    await coordinator.async_run()
    assert "was not updated" in caplog.text
    assert PLEX_TOKEN not in caplog.text


async def test_blocking_call_is_caught(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    blocking_calls: list[str],
) -> None:
    """The suite's detector catches plexapi called inside the event loop.

    Planted: the executor is bypassed, so plexapi's HTTP request runs in the loop.
    Home Assistant's detector raises in the integration, and the `blocking_calls`
    fixture, which fails any test that leaves an entry behind, recorded it.
    """

    async def run_in_loop(target: Callable[..., Any], *args: Any) -> Any:
        return target(*args)

    config_entry.add_to_hass(hass)
    with patch.object(hass, "async_add_executor_job", run_in_loop):
        await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert any("putrequest" in call for call in blocking_calls)
    blocking_calls.clear()  # planted on purpose: let this test pass


async def test_home_assistant_stopping_stops_the_playlists(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    init_integration: MockConfigEntry,
) -> None:
    """Once Home Assistant stops, no playlist runs again, when due or when pressed."""
    [coordinator] = init_integration.runtime_data.coordinators.values()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    plex_server.clear_requests()

    freezer.tick(timedelta(days=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await coordinator.async_run() is None
    assert plex_server.requests == []


async def test_entry_of_version_1_1_is_migrated(
    hass: HomeAssistant, plex_server: FakePlexServer, config_entry: MockConfigEntry
) -> None:
    """An entry from before the server type was recorded becomes a Plex entry."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=config_entry.title,
        unique_id=config_entry.unique_id,
        data={k: v for k, v in config_entry.data.items() if k != "server_type"},
        version=1,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.data["server_type"] == "plex"
    assert entry.data["token"] == PLEX_TOKEN


async def test_entry_of_a_newer_version_is_not_touched(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """An entry written by a newer Harmoniq fails to migrate instead of breaking."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="Future", data=dict(config_entry.data), version=2
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


def test_only_the_adapters_name_a_server() -> None:
    """No module above the adapters imports a server's adapter or client library.

    The config flow's server steps sign in to Jellyfin, so it may use the
    adapter's sign-in helpers; everything else goes through `servers.py`.
    """
    package = Path(__file__).parent.parent / "custom_components" / "harmoniq"
    adapters = {"plex.py", "jellyfin.py", "servers.py", "config_flow.py"}
    offenders = []
    for module in package.rglob("*.py"):
        if module.name in adapters:
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            offenders += [
                f"{module.name}: {name}"
                for name in names
                if any(server in name for server in ("plex", "jellyfin"))
            ]
    assert offenders == []


async def test_entry_of_an_unknown_server_type_does_not_load(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """An entry naming a server Harmoniq has no adapter for is not set up."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Other",
        data={**config_entry.data, "server_type": "sonos"},
        minor_version=2,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
