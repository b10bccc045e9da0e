"""Shared fixtures: fake Plex and Last.fm servers over real HTTP, and a blocking-call detector."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant import block_async_io
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import (
    CONF_API_KEY,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.util import loop as loop_util

from custom_components.harmoniq.config_flow import default_daily_flow
from custom_components.harmoniq.const import (
    CONF_LIBRARIES,
    DEFAULT_DAILY_FLOW_NAME,
    DOMAIN,
    SUBENTRY_TYPE_PLAYLIST,
)
from custom_components.harmoniq.coordinator import PlaylistCoordinator
from tests.fakes.jellyfin_server import FakeJellyfinServer, seeded_server
from tests.fakes.lastfm_server import FakeLastFmServer
from tests.fakes.plex_library import FakeLibrary, generate_library
from tests.fakes.plex_server import FakePlexServer
from tests.servers import Server

PLEX_TOKEN = "plex-token-0123456789"
LASTFM_API_KEY = "a" * 32
MACHINE_IDENTIFIER = "f" * 40
MUSIC_SECTION = 3


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/harmoniq in every test."""


@pytest.fixture(autouse=True)
def auto_socket_enabled(socket_enabled: None) -> None:
    """Let the tests reach the fake servers on 127.0.0.1."""


@pytest.fixture(autouse=True)
def no_deprecated_usage(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Fail any test in which Home Assistant reports a deprecated use by Harmoniq."""
    yield
    reports = [
        record.getMessage()
        for record in caplog.records
        if "custom integration 'harmoniq'" in record.getMessage()
        and ("Detected" in record.getMessage() or "should" in record.getMessage())
    ]
    assert not reports, reports


@pytest.fixture(autouse=True)
def blocking_calls() -> Generator[list[str]]:
    """Fail any test that makes a blocking call inside the event loop.

    Home Assistant's own detector (`homeassistant.block_async_io`) is only enabled by
    its bootstrap, which tests never run. Enable it here, with its test-mode exemptions
    switched off so that file access counts too, and record every call it catches while
    an event loop runs in this thread. A test that means to plant one clears the list.
    """
    detected: list[str] = []
    report = loop_util.raise_for_blocking_call

    def record(func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # pytest's own work between tests, not inside the event loop
        check_allowed = kwargs.get("check_allowed") or (args[0] if args else None)
        mapped = {key: kwargs[key] for key in ("args", "kwargs") if key in kwargs}
        if check_allowed is not None and check_allowed(mapped):
            return
        detected.append(f"{func.__qualname__}{kwargs.get('args')!r}")
        report(func, *args, **kwargs)

    with (
        patch.object(block_async_io, "_IN_TESTS", False),
        patch.object(loop_util, "raise_for_blocking_call", record),
    ):
        block_async_io.enable()
        try:
            yield detected
        finally:
            for call in block_async_io._BLOCKED_CALLS.calls:
                setattr(call.object, call.function, call.original_func)
            block_async_io._BLOCKED_CALLS.calls.clear()
    assert not detected, f"Blocking calls inside the event loop: {detected}"


@pytest.fixture(scope="session")
def plex_library() -> FakeLibrary:
    """A small generated music library, shared by all tests (read-only)."""
    return generate_library(1500, seed=7)


@pytest.fixture
async def plex_server(plex_library: FakeLibrary) -> AsyncGenerator[FakePlexServer]:
    """A fake Plex Media Server with one music section, on 127.0.0.1."""
    server = FakePlexServer(
        token=PLEX_TOKEN,
        machine_identifier=MACHINE_IDENTIFIER,
        friendly_name="Living Room Plex",
        music_sections=[(MUSIC_SECTION, "Music", plex_library)],
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def jellyfin_server() -> AsyncGenerator[FakeJellyfinServer]:
    """A fake Jellyfin server on 127.0.0.1: one music library, users alice and bob."""
    server = seeded_server(1500, seed=7)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def jellyfin_entry(jellyfin_server: FakeJellyfinServer) -> MockConfigEntry:
    """A Harmoniq entry for user alice of the fake Jellyfin server (no Last.fm)."""
    alice = jellyfin_server.user("alice")
    device_id = "0123456789abcdef0123456789abcdef"
    [library] = jellyfin_server.libraries
    return MockConfigEntry(
        domain=DOMAIN,
        title=jellyfin_server.server_name,
        unique_id=f"{jellyfin_server.server_id}_{alice.id}",
        minor_version=2,
        data={
            "server_type": "jellyfin",
            CONF_URL: jellyfin_server.url,
            CONF_VERIFY_SSL: True,
            CONF_TOKEN: jellyfin_server.issue_token(alice, device_id=device_id),
            "user_id": alice.id,
            "device_id": device_id,
            CONF_LIBRARIES: [library.id],
        },
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_TYPE_PLAYLIST,
                title=DEFAULT_DAILY_FLOW_NAME,
                data=default_daily_flow([library.id]),
                unique_id=None,
            )
        ],
    )


@pytest.fixture
async def lastfm_server() -> AsyncGenerator[FakeLastFmServer]:
    """A fake Last.fm API, with the client pointed at it."""
    server = FakeLastFmServer(api_keys={LASTFM_API_KEY})
    await server.start()
    with patch("custom_components.harmoniq.lastfm.API_URL", server.url):
        yield server
    await server.stop()


def playlist_subentry(
    title: str = DEFAULT_DAILY_FLOW_NAME, **changes: Any
) -> ConfigSubentryData:
    """A playlist subentry: the default Daily Flow, with `changes` to its settings."""
    return ConfigSubentryData(
        subentry_type=SUBENTRY_TYPE_PLAYLIST,
        title=title,
        data=default_daily_flow([str(MUSIC_SECTION)]) | changes,
        unique_id=None,
    )


@pytest.fixture
def playlist_subentries() -> list[ConfigSubentryData]:
    """The playlists the entry starts with: the default Daily Flow."""
    return [playlist_subentry()]


@pytest.fixture
def config_entry(
    plex_server: FakePlexServer, playlist_subentries: list[ConfigSubentryData]
) -> MockConfigEntry:
    """A Harmoniq entry for the fake Plex server, with Last.fm."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Living Room Plex",
        unique_id=MACHINE_IDENTIFIER,
        minor_version=2,
        data={
            "server_type": "plex",
            CONF_URL: plex_server.url,
            CONF_TOKEN: PLEX_TOKEN,
            CONF_VERIFY_SSL: True,
            CONF_LIBRARIES: [str(MUSIC_SECTION)],
            CONF_API_KEY: LASTFM_API_KEY,
            CONF_USERNAME: "RJ",
        },
        subentries_data=playlist_subentries,
    )


async def setup_entry(
    hass: HomeAssistant, entry: MockConfigEntry
) -> list[PlaylistCoordinator]:
    """Set up a Harmoniq entry, let its first playlist runs finish, return its coordinators."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return list(entry.runtime_data.coordinators.values())


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, config_entry: MockConfigEntry, lastfm_server: FakeLastFmServer
) -> MockConfigEntry:
    """Set up the Harmoniq entry against the fakes and let its first runs finish."""
    await setup_entry(hass, config_entry)
    return config_entry


@pytest.fixture(params=["plex", "jellyfin"])
def server_entry(
    request: pytest.FixtureRequest,
) -> Generator[tuple[Server, MockConfigEntry]]:
    """A Harmoniq entry with the default Daily Flow, for each kind of server.

    Afterwards the fake Jellyfin must have had no internal error, and no artist
    item created by a lookup of an unknown name (`artists=`).
    """
    if request.param == "plex":
        yield (
            Server("plex", request.getfixturevalue("plex_server")),
            request.getfixturevalue("config_entry"),
        )
        return
    jellyfin: FakeJellyfinServer = request.getfixturevalue("jellyfin_server")
    yield Server("jellyfin", jellyfin), request.getfixturevalue("jellyfin_entry")
    assert jellyfin.internal_errors == []
    assert jellyfin.created_artists == {}
