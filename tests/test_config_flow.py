"""Tests for the Harmoniq config flow, against the fake Plex and Last.fm servers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
import socket
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_NAME,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.harmoniq.config_flow import (
    MAX_CHOICES_SHOWN,
    default_daily_flow,
)
from custom_components.harmoniq.const import (
    CONF_COVER_ART,
    CONF_LIBRARIES,
    CONF_NO_REPEATS,
    CONF_SEASONS,
    DOMAIN,
    REAUTH_LASTFM,
    SUBENTRY_TYPE_PLAYLIST,
)
from custom_components.harmoniq.engine.seasons import DEFAULT_SEASONS
from tests.conftest import (
    LASTFM_API_KEY,
    MACHINE_IDENTIFIER,
    MUSIC_SECTION,
    PLEX_TOKEN,
    setup_entry,
)
from tests.fakes.jellyfin_server import ALICE_PASSWORD, FakeJellyfinServer
from tests.fakes.lastfm_server import FakeLastFmServer
from tests.fakes.plex_library import FakeLibrary
from tests.fakes.plex_server import FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")


def _closed_port_url() -> str:
    """Return a URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def _start_user_flow(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["plex", "jellyfin"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "plex"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "plex"
    assert result["errors"] == {}
    return dict(result)


def _server_input(server: FakePlexServer, **overrides: Any) -> dict[str, Any]:
    return {
        CONF_URL: server.url,
        CONF_TOKEN: PLEX_TOKEN,
        CONF_VERIFY_SSL: True,
    } | overrides


async def test_full_flow(hass: HomeAssistant, plex_server: FakePlexServer) -> None:
    """A user connects Plex, picks a library and a Last.fm account."""
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _server_input(plex_server, **{CONF_URL: plex_server.url + "/"}),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "libraries"
    assert result["description_placeholders"] == {"server": "Living Room Plex"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LIBRARIES: [str(MUSIC_SECTION)]}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "lastfm"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: LASTFM_API_KEY, CONF_USERNAME: "rj"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Living Room Plex"
    assert result["result"].unique_id == MACHINE_IDENTIFIER
    assert result["data"] == {
        "server_type": "plex",
        CONF_URL: plex_server.url,
        CONF_TOKEN: PLEX_TOKEN,
        CONF_VERIFY_SSL: True,
        CONF_LIBRARIES: [str(MUSIC_SECTION)],
        CONF_API_KEY: LASTFM_API_KEY,
        CONF_USERNAME: "RJ",  # Last.fm's canonical spelling
    }
    assert [
        (subentry.title, subentry.data["kind"])
        for subentry in result["result"].subentries.values()
    ] == [
        ("Daily Flow", "daily_flow"),
        ("Last.fm Top Tracks", "lastfm_top_tracks"),
        ("Last.fm Discovery", "lastfm_recommendations"),
    ]
    # The starter playlists share no tracks and get a cover; the seasons start
    # with the default ones.
    for subentry in result["result"].subentries.values():
        assert (subentry.data[CONF_NO_REPEATS], subentry.data[CONF_COVER_ART]) == (
            True,
            True,
        )
    assert result["result"].options == {CONF_SEASONS: DEFAULT_SEASONS}


async def test_flow_without_lastfm(
    hass: HomeAssistant, plex_server: FakePlexServer, lastfm_server: FakeLastFmServer
) -> None:
    """Leaving the Last.fm step empty skips it without calling Last.fm."""
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LIBRARIES: [str(MUSIC_SECTION)]}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_API_KEY not in result["data"]
    assert CONF_USERNAME not in result["data"]
    assert lastfm_server.requests == []
    assert [s.title for s in result["result"].subentries.values()] == ["Daily Flow"]


async def test_flow_lastfm_key_only(
    hass: HomeAssistant, plex_server: FakePlexServer, lastfm_server: FakeLastFmServer
) -> None:
    """An API key alone is validated with a chart call and stored without a user."""
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LIBRARIES: [str(MUSIC_SECTION)]}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: f" {LASTFM_API_KEY} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_KEY] == LASTFM_API_KEY
    assert CONF_USERNAME not in result["data"]
    assert [call["method"] for call in lastfm_server.requests] == ["chart.getTopTracks"]
    assert [s.title for s in result["result"].subentries.values()] == [
        "Daily Flow",
        "Last.fm Top Tracks",
    ]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "status", "status": 500}, "cannot_connect"),
        ({"kind": "status", "status": 503}, "cannot_connect"),
        ({"kind": "drop"}, "cannot_connect"),
        ({"kind": "malformed"}, "unknown"),
    ],
)
async def test_user_step_server_faults(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    fault: dict[str, Any],
    error: str,
) -> None:
    """Server faults show an error on the form; the next try succeeds."""
    result = await _start_user_flow(hass)
    plex_server.inject_fault(**fault)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "plex"
    assert result["errors"] == {"base": error}

    plex_server.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server)
    )
    assert result["step_id"] == "libraries"


async def test_user_step_invalid_token(
    hass: HomeAssistant, plex_server: FakePlexServer
) -> None:
    """A token Plex answers 401 to shows invalid_auth, and the form keeps the URL."""
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server, **{CONF_TOKEN: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert plex_server.requests[-1].status == 401

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server)
    )
    assert result["step_id"] == "libraries"


async def test_user_step_connection_refused(
    hass: HomeAssistant, plex_server: FakePlexServer
) -> None:
    """Nothing listening at the URL shows cannot_connect."""
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server, **{CONF_URL: _closed_port_url()})
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_step_timeout(
    hass: HomeAssistant, plex_server: FakePlexServer
) -> None:
    """A server slower than the timeout shows cannot_connect."""
    result = await _start_user_flow(hass)
    plex_server.latency = 1.0
    with patch("custom_components.harmoniq.plex.PLEX_TIMEOUT", 0.2):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _server_input(plex_server)
        )
    assert result["errors"] == {"base": "cannot_connect"}
    plex_server.latency = 0


async def test_user_step_ssl_error(
    hass: HomeAssistant, plex_server: FakePlexServer
) -> None:
    """An https URL whose TLS handshake fails shows ssl_error."""
    result = await _start_user_flow(hass)
    https_url = plex_server.url.replace("http://", "https://")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server, **{CONF_URL: https_url})
    )
    assert result["errors"] == {"base": "ssl_error"}


async def test_already_configured(
    hass: HomeAssistant, plex_server: FakePlexServer, config_entry: MockConfigEntry
) -> None:
    """A second entry for the same server aborts."""
    config_entry.add_to_hass(hass)
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_no_music_libraries(hass: HomeAssistant) -> None:
    """A server without a music section aborts."""
    server = FakePlexServer(token=PLEX_TOKEN, music_sections=[])
    await server.start()
    try:
        result = await _start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _server_input(server)
        )
    finally:
        await server.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_music_libraries"


async def test_libraries_offers_music_sections_only(
    hass: HomeAssistant, plex_library: FakeLibrary
) -> None:
    """Only music sections are offered, labelled by title; one must be chosen."""
    server = FakePlexServer(
        token=PLEX_TOKEN,
        music_sections=[(3, "Music", plex_library), (7, "Audiobooks", plex_library)],
        other_sections=[(1, "Movies", "movie"), (2, "TV Shows", "show")],
    )
    await server.start()
    try:
        result = await _start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _server_input(server)
        )
        schema = result["data_schema"].schema
        selector = schema[CONF_LIBRARIES]
        assert selector.config["options"] == [
            {"value": "3", "label": "Music"},
            {"value": "7", "label": "Audiobooks"},
        ]
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_LIBRARIES: []}
        )
        assert result["errors"] == {CONF_LIBRARIES: "no_library_selected"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_LIBRARIES: ["7"]}
        )
        assert result["step_id"] == "lastfm"
    finally:
        await server.stop()


async def _flow_at_lastfm_step(
    hass: HomeAssistant, plex_server: FakePlexServer
) -> dict[str, Any]:
    result = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LIBRARIES: [str(MUSIC_SECTION)]}
    )
    assert result["step_id"] == "lastfm"
    return dict(result)


@pytest.mark.parametrize(
    ("user_input", "fault", "errors"),
    [
        (
            {CONF_API_KEY: "b" * 32, CONF_USERNAME: "rj"},
            None,
            {CONF_API_KEY: "invalid_api_key"},
        ),
        ({CONF_API_KEY: "b" * 32}, None, {CONF_API_KEY: "invalid_api_key"}),
        (
            {CONF_API_KEY: LASTFM_API_KEY, CONF_USERNAME: "nobody"},
            None,
            {CONF_USERNAME: "invalid_user"},
        ),
        ({CONF_USERNAME: "rj"}, None, {CONF_API_KEY: "api_key_required"}),
        (
            {CONF_API_KEY: LASTFM_API_KEY, CONF_USERNAME: "rj"},
            (26, 200),
            {CONF_API_KEY: "invalid_api_key"},
        ),
        (
            {CONF_API_KEY: LASTFM_API_KEY, CONF_USERNAME: "rj"},
            (11, 200),
            {"base": "lastfm_cannot_connect"},
        ),
        (
            {CONF_API_KEY: LASTFM_API_KEY, CONF_USERNAME: "rj"},
            (29, 429),
            {"base": "lastfm_cannot_connect"},
        ),
    ],
)
async def test_lastfm_errors(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    lastfm_server: FakeLastFmServer,
    user_input: dict[str, str],
    fault: tuple[int, int] | None,
    errors: dict[str, str],
) -> None:
    """Last.fm errors show on the form; a correct account then completes the flow."""
    result = await _flow_at_lastfm_step(hass, plex_server)
    if fault:
        lastfm_server.inject_error(fault[0], status=fault[1])
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors

    lastfm_server.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: LASTFM_API_KEY, CONF_USERNAME: "rj"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_lastfm_unreachable(
    hass: HomeAssistant, plex_server: FakePlexServer, lastfm_server: FakeLastFmServer
) -> None:
    """Last.fm not answering at all shows lastfm_cannot_connect."""
    result = await _flow_at_lastfm_step(hass, plex_server)
    with (
        patch.object(lastfm_server, "url", _closed_port_url()),
        patch("custom_components.harmoniq.lastfm.API_URL", _closed_port_url()),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: LASTFM_API_KEY, CONF_USERNAME: "rj"}
        )
    assert result["errors"] == {"base": "lastfm_cannot_connect"}


async def test_reauth(
    hass: HomeAssistant, plex_server: FakePlexServer, config_entry: MockConfigEntry
) -> None:
    """A new token replaces the old one after Plex accepts it."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    plex_server.token = "new-token"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: "new-token"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    # Harmoniq's own message, not Home Assistant's generic one (2025.11+).
    assert result.get("translation_domain") is None
    assert config_entry.data[CONF_TOKEN] == "new-token"
    await hass.async_block_till_done()


async def test_reauth_wrong_server(
    hass: HomeAssistant, plex_server: FakePlexServer, config_entry: MockConfigEntry
) -> None:
    """Reauthentication refuses a token that reaches another server."""
    other_entry = MockConfigEntry(
        domain=DOMAIN, title="Old server", unique_id="0" * 40, data=config_entry.data
    )
    other_entry.add_to_hass(hass)
    result = await other_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: PLEX_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"


async def test_reconfigure(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """Reconfigure walks server, libraries and Last.fm, keeping what is not changed."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server, **{CONF_TOKEN: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}

    plex_server.token = "rotated"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _server_input(plex_server, **{CONF_TOKEN: "rotated", CONF_VERIFY_SSL: False}),
    )
    assert result["step_id"] == "libraries"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LIBRARIES: [str(MUSIC_SECTION)]}
    )
    assert result["step_id"] == "lastfm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert result.get("translation_domain") is None
    assert config_entry.data == {
        "server_type": "plex",
        CONF_URL: plex_server.url,
        CONF_TOKEN: "rotated",
        CONF_VERIFY_SSL: False,
        CONF_LIBRARIES: [str(MUSIC_SECTION)],
    }
    await hass.async_block_till_done()


async def test_reconfigure_wrong_server(
    hass: HomeAssistant, plex_library: FakeLibrary, config_entry: MockConfigEntry
) -> None:
    """Reconfigure refuses a URL that leads to a different server."""
    config_entry.add_to_hass(hass)
    other = FakePlexServer(
        token=PLEX_TOKEN,
        machine_identifier="1" * 40,
        music_sections=[(MUSIC_SECTION, "Music", plex_library)],
    )
    await other.start()
    try:
        result = await config_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _server_input(other)
        )
    finally:
        await other.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_server"


@pytest.mark.usefixtures("lastfm_server")
async def test_reconfigure_loaded_entry_reloads_without_warning(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A loaded entry reloads with its new data through its update listener, quietly."""
    await setup_entry(hass, config_entry)
    old_server = config_entry.runtime_data.server
    plex_server.token = "rotated"
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server, **{CONF_TOKEN: "rotated"})
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LIBRARIES: [str(MUSIC_SECTION)]}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: config_entry.data[CONF_API_KEY], CONF_USERNAME: "RJ"},
    )
    assert result["reason"] == "reconfigure_successful"
    assert result.get("translation_domain") is None
    await hass.async_block_till_done(wait_background_tasks=True)
    assert config_entry.state is ConfigEntryState.LOADED
    assert config_entry.runtime_data.server is not old_server
    assert config_entry.data[CONF_TOKEN] == "rotated"
    assert "update listener" not in caplog.text
    assert "Detected" not in caplog.text


async def test_reauth_lastfm_needs_a_key(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    lastfm_server: FakeLastFmServer,
) -> None:
    """Asked for a new Last.fm key, an empty form says the key is required."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass, data={REAUTH_LASTFM: True})
    assert result["step_id"] == "reauth_lastfm"
    assert result["description_placeholders"]["server"] == "Living Room Plex"

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_API_KEY: "api_key_required"}
    assert lastfm_server.requests == []

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "b" * 32}
    )
    assert result["errors"] == {CONF_API_KEY: "invalid_api_key"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: LASTFM_API_KEY, CONF_USERNAME: "rj"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_USERNAME] == "RJ"
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_reauth_lastfm_key_alone_drops_the_username(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    lastfm_server: FakeLastFmServer,
) -> None:
    """A key without a username replaces the whole Last.fm account; the rest stays."""
    config_entry.add_to_hass(hass)
    kept = {k: v for k, v in config_entry.data.items() if k != CONF_USERNAME}
    result = await config_entry.start_reauth_flow(hass, data={REAUTH_LASTFM: True})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "rj"}
    )
    assert result["errors"] == {CONF_API_KEY: "api_key_required"}
    assert lastfm_server.requests == []

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: f" {LASTFM_API_KEY} ", CONF_USERNAME: " "}
    )
    assert result["reason"] == "reauth_successful"
    assert config_entry.data == kept
    await hass.async_block_till_done(wait_background_tasks=True)


async def _start_playlist_flow(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_PLAYLIST), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    return result["flow_id"]


@pytest.mark.parametrize(
    "kind", ["sonic_flow", "lastfm_top_tracks", "lastfm_recommendations"]
)
async def test_playlist_kinds_need_a_loaded_entry(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
    kind: str,
) -> None:
    """While Harmoniq cannot reach Plex, every kind explains why it cannot be added."""
    plex_server.inject_fault("status", status=500)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    flow_id = await _start_playlist_flow(hass, config_entry)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"next_step_id": kind}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_playlist_flow_aborts_when_plex_fails(
    hass: HomeAssistant, plex_server: FakePlexServer, init_integration: MockConfigEntry
) -> None:
    """Plex failing while the form reads the libraries aborts with cannot_connect."""
    flow_id = await _start_playlist_flow(hass, init_integration)
    plex_server.inject_fault("status", status=500, path_prefix="/library/sections")
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"next_step_id": "daily_flow"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
    assert plex_server.requests[-1].status == 500
    assert len(init_integration.subentries) == 1


@pytest.mark.parametrize(
    ("seed_mode", "path_prefix"),
    [("track", "/library/metadata"), ("artist", "/library/sections")],
)
async def test_sonic_flow_seed_check_plex_fails(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
    seed_mode: str,
    path_prefix: str,
) -> None:
    """Plex failing while the seed is checked shows cannot_connect; a retry saves."""
    flow_id = await _start_playlist_flow(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"next_step_id": "sonic_flow"}
    )
    assert result["step_id"] == "sonic_flow"
    seed = (
        str(plex_library.tracks[0].rating_key)
        if seed_mode == "track"
        else plex_library.artists[0].title
    )
    form = {
        CONF_NAME: "Flow",
        "size": 30.0,
        "refresh_interval": 60.0,
        CONF_LIBRARIES: [str(MUSIC_SECTION)],
        "seed_mode": seed_mode,
        "seed": seed,
        "min_stars": 0.0,
        "exclude_played_days": 0.0,
    }
    plex_server.inject_fault("status", status=500, path_prefix=path_prefix)
    result = await hass.config_entries.subentries.async_configure(flow_id, form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert plex_server.requests[-1].path.startswith(path_prefix)

    plex_server.clear_faults()
    result = await hass.config_entries.subentries.async_configure(flow_id, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (result["data"]["seed_mode"], result["data"]["seed"]) == (seed_mode, seed)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_daily_flow_form_lists_only_the_tags_the_library_has(
    hass: HomeAssistant, plex_server: FakePlexServer, init_integration: MockConfigEntry
) -> None:
    """A library with moods but no genres or styles shows "-" for those kinds."""
    library = FakeLibrary()
    library.add_track("Slow Song", "Quiet Band", moods=("Chill",))
    plex_server.replace_library(MUSIC_SECTION, library)
    flow_id = await _start_playlist_flow(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"next_step_id": "daily_flow"}
    )
    assert result["step_id"] == "daily_flow"
    placeholders = result["description_placeholders"]
    assert (placeholders["moods"], placeholders["genres"], placeholders["styles"]) == (
        "Chill",
        "-",
        "-",
    )


async def _start_jellyfin_flow(
    hass: HomeAssistant, jellyfin_server: FakeJellyfinServer, sign_in: str
) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "jellyfin"}
    )
    assert result["step_id"] == "jellyfin"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: jellyfin_server.url, CONF_VERIFY_SSL: True, "sign_in": sign_in},
    )
    return dict(result)


@pytest.mark.usefixtures("lastfm_server")
async def test_jellyfin_password_flow(
    hass: HomeAssistant, jellyfin_server: FakeJellyfinServer
) -> None:
    """A Jellyfin user signs in; only the token is kept; the entry writes a Daily Flow."""
    result = await _start_jellyfin_flow(hass, jellyfin_server, "password")
    assert result["step_id"] == "jellyfin_password"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "alice", "password": "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "alice", "password": ALICE_PASSWORD}
    )
    assert result["step_id"] == "libraries"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LIBRARIES: result["data_schema"]({})[CONF_LIBRARIES]}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    alice = jellyfin_server.user("alice")
    assert result["result"].unique_id == f"{jellyfin_server.server_id}_{alice.id}"
    data = result["data"]
    assert data["server_type"] == "jellyfin"
    assert data["user_id"] == alice.id
    assert ALICE_PASSWORD not in str(data)
    assert jellyfin_server.tokens[data[CONF_TOKEN]].device_id == data["device_id"]
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    [coordinator] = entry.runtime_data.coordinators.values()
    assert coordinator.data is not None
    assert coordinator.data.status in ("ok", "partial")
    [playlist] = [
        p for p in jellyfin_server.playlists.values() if p.name == "Daily Flow"
    ]
    assert playlist.owner_id == alice.id
    assert not playlist.open_access
    assert len(playlist.item_ids) == 40

    # Bob, on the same server, is a separate entry; Alice again is refused.
    result = await _start_jellyfin_flow(hass, jellyfin_server, "password")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "alice", "password": ALICE_PASSWORD}
    )
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "already_configured",
    )


async def test_jellyfin_quick_connect_flow(
    hass: HomeAssistant, jellyfin_server: FakeJellyfinServer
) -> None:
    """Quick Connect shows a code; approving it in Jellyfin signs Harmoniq in."""
    with patch("custom_components.harmoniq.config_flow.QUICK_CONNECT_POLL_INTERVAL", 0):
        result = await _start_jellyfin_flow(hass, jellyfin_server, "quick_connect")
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        assert result["progress_action"] == "quick_connect"
        code = result["description_placeholders"]["code"]
        jellyfin_server.approve_quick_connect(code, jellyfin_server.user("bob"))
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["step_id"] == "libraries"
    bob = jellyfin_server.user("bob")
    flow = hass.config_entries.flow._progress[result["flow_id"]]
    assert flow.unique_id == f"{jellyfin_server.server_id}_{bob.id}"
    hass.config_entries.flow.async_abort(result["flow_id"])


async def test_jellyfin_quick_connect_turned_off(
    hass: HomeAssistant, jellyfin_server: FakeJellyfinServer
) -> None:
    """With Quick Connect off on the server, the flow says so and stops."""
    jellyfin_server.quick_connect_enabled = False
    result = await _start_jellyfin_flow(hass, jellyfin_server, "quick_connect")
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "quick_connect_invalid_auth",
    )


async def test_jellyfin_quick_connect_expires(
    hass: HomeAssistant, jellyfin_server: FakeJellyfinServer
) -> None:
    """A code nobody approves before it expires ends the flow with an explanation."""
    with patch("custom_components.harmoniq.config_flow.QUICK_CONNECT_POLL_INTERVAL", 0):
        result = await _start_jellyfin_flow(hass, jellyfin_server, "quick_connect")
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        polls = [r for r in jellyfin_server.requests if "Connect" in r.path]
        while len(polls) < 2:  # asked at least twice: not approved yet
            await asyncio.sleep(0)
            polls = [r for r in jellyfin_server.requests if "Connect" in r.path]
        jellyfin_server.inject_fault(
            "status", status=404, path_prefix="/QuickConnect/Connect"
        )
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "quick_connect_failed",
    )


async def _sign_in(
    hass: HomeAssistant, result: Any, jellyfin_server: FakeJellyfinServer, user: str
) -> Any:
    assert result["step_id"] == "jellyfin"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: jellyfin_server.url, CONF_VERIFY_SSL: True, "sign_in": "password"},
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_USERNAME: user, "password": f"{user}-password"},
    )


async def test_jellyfin_reauth_keeps_the_user(
    hass: HomeAssistant,
    jellyfin_server: FakeJellyfinServer,
    jellyfin_entry: MockConfigEntry,
) -> None:
    """Reauth signs the same user in again; another user is refused."""
    await setup_entry(hass, jellyfin_entry)
    old_token = jellyfin_entry.data[CONF_TOKEN]
    result = await jellyfin_entry.start_reauth_flow(hass)
    result = await _sign_in(hass, result, jellyfin_server, "bob")
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "wrong_user")

    result = await jellyfin_entry.start_reauth_flow(hass)
    result = await _sign_in(hass, result, jellyfin_server, "alice")
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "reauth_successful",
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert jellyfin_entry.data[CONF_TOKEN] != old_token
    assert jellyfin_entry.data["device_id"] == "0123456789abcdef0123456789abcdef"
    assert jellyfin_entry.state is ConfigEntryState.LOADED


async def test_jellyfin_reconfigure(
    hass: HomeAssistant,
    jellyfin_server: FakeJellyfinServer,
    jellyfin_entry: MockConfigEntry,
) -> None:
    """Reconfigure signs in again as the same user, then libraries and Last.fm."""
    await setup_entry(hass, jellyfin_entry)
    result = await jellyfin_entry.start_reconfigure_flow(hass)
    result = await _sign_in(hass, result, jellyfin_server, "alice")
    assert result["step_id"] == "libraries"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LIBRARIES: jellyfin_entry.data[CONF_LIBRARIES]}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "reconfigure_successful",
    )
    assert jellyfin_entry.data["user_id"] == jellyfin_server.user("alice").id


async def test_jellyfin_server_fails_after_sign_in(
    hass: HomeAssistant, jellyfin_server: FakeJellyfinServer
) -> None:
    """Signed in, but the server fails when Harmoniq reads it: the flow stops."""
    result = await _start_jellyfin_flow(hass, jellyfin_server, "password")
    jellyfin_server.inject_fault("status", status=500, path_prefix="/Users/Me")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "alice", "password": ALICE_PASSWORD}
    )
    assert (result["type"], result["reason"]) == (
        FlowResultType.ABORT,
        "cannot_connect",
    )


async def test_unexpected_error_is_logged(
    hass: HomeAssistant, plex_server: FakePlexServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug while connecting shows "unknown" and logs the traceback."""
    result = await _start_user_flow(hass)
    with patch(
        "custom_components.harmoniq.config_flow.async_connect_server",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], _server_input(plex_server)
        )
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error connecting to" in caplog.text


async def test_jellyfin_refused_sign_in_when_logout_fails(
    hass: HomeAssistant,
    jellyfin_server: FakeJellyfinServer,
    jellyfin_entry: MockConfigEntry,
) -> None:
    """A refused sign-in whose logout fails still ends the flow with its reason."""
    await setup_entry(hass, jellyfin_entry)
    jellyfin_server.inject_fault("status", status=500, path_prefix="/Sessions/Logout")
    result = await jellyfin_entry.start_reauth_flow(hass)
    result = await _sign_in(hass, result, jellyfin_server, "bob")
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "wrong_user")
    assert [r.status for r in jellyfin_server.requests if "Logout" in r.path] == [500]


# Playlist settings every kind has: length, repeats, cover, exclusions.

DAILY_FLOW_FORM = {
    CONF_NAME: "Quiet Hours",
    "size": 30.0,
    "refresh_interval": 60.0,
    CONF_LIBRARIES: [str(MUSIC_SECTION)],
    "time_windows": "00:00-12:00:moods=Chill",
    "min_stars": 0.0,
    "exclude_played_days": 0.0,
}


def _fields(schema: Any) -> dict[str, Any]:
    """Return a form schema's fields by name (markers keep defaults and suggestions)."""
    return {str(key): key for key in schema.schema}


def _suggested(schema: Any) -> dict[str, Any]:
    """Return the suggested values of a form schema's fields."""
    return {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description and "suggested_value" in key.description
    }


async def _open_kind(
    hass: HomeAssistant, entry: MockConfigEntry, kind: str
) -> dict[str, Any]:
    flow_id = await _start_playlist_flow(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"next_step_id": kind}
    )
    assert result["step_id"] == kind
    return dict(result)


async def test_new_playlist_form_defaults(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A new playlist: length in tracks, no repeats and a cover; windows one per line."""
    result = await _open_kind(hass, init_integration, "daily_flow")
    fields = _fields(result["data_schema"])
    assert fields["length_minutes"].default() == 0
    assert fields[CONF_NO_REPEATS].default() is True
    assert fields[CONF_COVER_ART].default() is True
    assert fields["time_windows"].default() == (
        "00:00-09:00:name=Morning chill:moods=Chill\n"
        "09:00-17:00:name=Daytime energy:moods=Energetic\n"
        "17:00-00:00:name=Evening atmosphere:moods=Atmospheric"
    )
    exclusions = result["data_schema"].schema[fields["exclusions"]]
    assert exclusions.options["collapsed"] is True
    # The short tag lists go under the windows field, not above the form.
    placeholders = result["description_placeholders"]
    for kind in ("moods", "genres", "styles"):
        assert 0 < len(placeholders[kind].split(", ")) <= MAX_CHOICES_SHOWN


async def test_shape_fields_stored_flat(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Length, repeats, cover and the exclusions' section are saved flat.

    Names are saved once each, spelled as the library spells them; a name the
    library does not have is kept as typed.
    """
    result = await _open_kind(hass, init_integration, "daily_flow")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        DAILY_FLOW_FORM
        | {
            "length_minutes": 90.0,
            CONF_NO_REPEATS: False,
            CONF_COVER_ART: False,
            "exclusions": {
                "exclude_artists": [" Some Band ", "some band", ""],
                "exclude_genres": ["rock", "Polka Noir"],
                "exclude_moods": ["CHILL"],
                "exclude_styles": ["baroque"],
            },
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    data = result["data"]
    assert "exclusions" not in data
    assert {key: data[key] for key in data if key not in DAILY_FLOW_FORM} == {
        "kind": "daily_flow",
        "order": "spread",
        "favour": "none",
        "length_minutes": 90,
        CONF_NO_REPEATS: False,
        CONF_COVER_ART: False,
        "exclude_artists": ["Some Band"],
        "exclude_genres": ["Rock", "Polka Noir"],
        "exclude_moods": ["Chill"],
        "exclude_styles": ["Baroque"],
        "exclude_tags": [],  # Plex has no free-form tags
    }
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize(
    "kind", ["sonic_flow", "lastfm_top_tracks", "lastfm_recommendations"]
)
async def test_every_kind_has_the_shape_fields(
    hass: HomeAssistant, init_integration: MockConfigEntry, kind: str
) -> None:
    """Every kind of playlist offers the length, repeats, cover and exclusions."""
    result = await _open_kind(hass, init_integration, kind)
    assert {"length_minutes", CONF_NO_REPEATS, CONF_COVER_ART, "exclusions"} <= set(
        _fields(result["data_schema"])
    )


async def test_exclusion_choices_come_from_the_library(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Genres, moods and styles are offered as the library has them; Plex has no tags."""
    server = init_integration.runtime_data.server
    choices = await server.async_get_tag_choices([str(MUSIC_SECTION)])
    result = await _open_kind(hass, init_integration, "lastfm_top_tracks")
    schema = result["data_schema"].schema
    section = schema[_fields(result["data_schema"])["exclusions"]]
    selectors = {str(key): value for key, value in section.schema.schema.items()}
    assert list(selectors) == [
        "exclude_artists",
        "exclude_genres",
        "exclude_moods",
        "exclude_styles",
    ]
    for name, options in (
        ("exclude_artists", ()),
        ("exclude_genres", choices.genres),
        ("exclude_moods", choices.moods),
        ("exclude_styles", choices.styles),
    ):
        config = selectors[name].config
        assert config["options"] == list(options), name
        assert (config["multiple"], config["custom_value"]) == (True, True)
    assert all((choices.genres, choices.moods, choices.styles))


async def test_jellyfin_exclusions_have_tags_not_styles(
    hass: HomeAssistant, jellyfin_entry: MockConfigEntry
) -> None:
    """On a server with free-form tags (Jellyfin), tags replace the styles it lacks."""
    await setup_entry(hass, jellyfin_entry)
    assert jellyfin_entry.runtime_data.server.capabilities.tags
    result = await _open_kind(hass, jellyfin_entry, "daily_flow")
    section = result["data_schema"].schema[_fields(result["data_schema"])["exclusions"]]
    assert [str(key) for key in section.schema.schema] == [
        "exclude_artists",
        "exclude_genres",
        "exclude_moods",
        "exclude_tags",
    ]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        DAILY_FLOW_FORM
        | {
            CONF_NAME: "Tagged",
            CONF_LIBRARIES: jellyfin_entry.data[CONF_LIBRARIES],
            "time_windows": "00:00-12:00",
            "exclusions": {"exclude_tags": ["Live", "live", "Demo"]},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (result["data"]["exclude_tags"], result["data"]["exclude_styles"]) == (
        ["Live", "Demo"],
        [],
    )
    await hass.async_block_till_done(wait_background_tasks=True)


OLD_PLAYLIST = ConfigSubentryData(
    subentry_type=SUBENTRY_TYPE_PLAYLIST,
    title="Old Flow",
    data={
        key: value
        for key, value in default_daily_flow([str(MUSIC_SECTION)]).items()
        if key not in (CONF_NO_REPEATS, CONF_COVER_ART)
    }
    | {"exclude_genres": ["Rock"], "exclude_artists": ["Some Band"]},
    unique_id=None,
)


@pytest.mark.parametrize("playlist_subentries", [[OLD_PLAYLIST]])
async def test_reconfigure_playlist_suggests_its_settings(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A playlist saved before the new settings keeps repeats; exclusions nest back."""
    [(subentry_id, subentry)] = init_integration.subentries.items()
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_TYPE_PLAYLIST),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    schema = result["data_schema"]
    suggested = _suggested(schema)
    assert suggested[CONF_NO_REPEATS] is False  # absent: repeats were allowed
    assert CONF_COVER_ART not in suggested  # absent: the default (on) shows
    assert suggested["time_windows"] == subentry.data["time_windows"].replace(";", "\n")
    section = schema.schema[_fields(schema)["exclusions"]]
    assert _suggested(section.schema) == {
        "exclude_genres": ["Rock"],
        "exclude_artists": ["Some Band"],
    }

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            key: value
            for key, value in suggested.items()
            if key not in ("max_skips", "active_when")
        }
        | {
            CONF_COVER_ART: False,
            "exclusions": {"exclude_genres": ["Rock", "jazz"], "exclude_artists": []},
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert result.get("translation_domain") is None  # Harmoniq's own message
    data = init_integration.subentries[subentry_id].data
    assert (data[CONF_NO_REPEATS], data[CONF_COVER_ART]) == (False, False)
    assert (data["exclude_genres"], data["exclude_artists"]) == (
        ["Rock", "Jazz"],
        [],
    )
    assert data["time_windows"] == subentry.data["time_windows"]  # saved as before
    await hass.async_block_till_done(wait_background_tasks=True)


# Seasons: the entry's options.


async def test_options_flow_saves_seasons_and_reloads(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Seasons are saved normalised and the entry reloads to apply them."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert _suggested(result["data_schema"]) == {CONF_SEASONS: DEFAULT_SEASONS}

    loaded_with = init_integration.runtime_data
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_SEASONS: "christmas :1 december-26 dec\n\nSummer: 21 jun \u2013 22 Sep."},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_SEASONS: "christmas: 1 Dec - 26 Dec\nSummer: 21 Jun - 22 Sep"
    }
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.runtime_data is not loaded_with

    # Opened again, the form shows the saved seasons; saving them unchanged (or
    # emptied: no seasons) behaves like any other options change.
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert _suggested(result["data_schema"]) == dict(init_integration.options)
    loaded_with = init_integration.runtime_data
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], dict(init_integration.options)
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.runtime_data is loaded_with  # nothing changed

    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert init_integration.options == {CONF_SEASONS: ""}
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.runtime_data is not loaded_with


@pytest.mark.parametrize(
    ("text", "error", "line"),
    [
        ("Christmas 1 Dec - 26 Dec", "season_bad_format", "1"),
        ("Christmas: 1 Dex - 26 Dec", "season_bad_month", "1"),
        ("Christmas: 1 Dec - 26 Dec\n\nLeap: 30 Feb - 1 Mar", "season_bad_day", "3"),
        ("Xmas: 1 Dec - 26 Dec\nxmas: 1 Jan - 2 Jan", "season_duplicate", "2"),
    ],
)
async def test_options_flow_season_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    text: str,
    error: str,
    line: str,
) -> None:
    """A season that cannot be read is named by its line; the text stays on the form."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SEASONS: text}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_SEASONS: error}
    assert result["description_placeholders"]["line"] == line
    assert _suggested(result["data_schema"]) == {CONF_SEASONS: text}
    assert init_integration.options == {}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SEASONS: DEFAULT_SEASONS}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)


# Plex servers Home Assistant's own Plex integration runs.


type CorePlexEntry = Callable[..., MockConfigEntry]


@pytest.fixture
def core_plex_entry(
    hass: HomeAssistant, plex_server: FakePlexServer
) -> Generator[CorePlexEntry]:
    """Add entries of Home Assistant's Plex integration, as its config flow writes them.

    They only pretend to be loaded: the Plex integration is never set up (nor
    unloaded at the end).
    """
    added: list[MockConfigEntry] = []

    def add(
        state: ConfigEntryState = ConfigEntryState.LOADED, **server_config: Any
    ) -> MockConfigEntry:
        entry = _core_plex_entry(plex_server, state, **server_config)
        entry.add_to_hass(hass)
        added.append(entry)
        return entry

    yield add
    for entry in added:
        entry.mock_state(hass, ConfigEntryState.NOT_LOADED)


def _core_plex_entry(
    server: FakePlexServer, state: ConfigEntryState, **server_config: Any
) -> MockConfigEntry:
    return MockConfigEntry(
        domain="plex",
        title="Living Room Plex",
        unique_id=MACHINE_IDENTIFIER,
        data={
            "server": "Living Room Plex",
            "server_id": MACHINE_IDENTIFIER,
            "server_config": {CONF_URL: server.url, CONF_TOKEN: PLEX_TOKEN}
            | server_config,
        },
        state=state,
    )


async def test_core_plex_server_is_offered_and_used(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    core_plex_entry: CorePlexEntry,
) -> None:
    """A server of Home Assistant's Plex integration connects without typing."""
    plex_entry = core_plex_entry()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["menu_options"] == ["plex_home_assistant", "plex", "jellyfin"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "plex_home_assistant"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "plex_home_assistant"
    selector = result["data_schema"].schema["plex_entry"]
    assert selector.config["options"] == [
        {"value": plex_entry.entry_id, "label": "Living Room Plex"}
    ]

    plex_server.inject_fault("status", status=500)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"plex_entry": plex_entry.entry_id}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    plex_server.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"plex_entry": plex_entry.entry_id}
    )
    assert result["step_id"] == "libraries"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LIBRARIES: [str(MUSIC_SECTION)]}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == MACHINE_IDENTIFIER
    assert result["data"] == {
        "server_type": "plex",
        CONF_URL: plex_server.url,
        CONF_TOKEN: PLEX_TOKEN,
        CONF_VERIFY_SSL: True,  # Plex keeps it for https URLs only
        CONF_LIBRARIES: [str(MUSIC_SECTION)],
    }
    await hass.async_block_till_done(wait_background_tasks=True)

    # Harmoniq has it now: not offered again.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["menu_options"] == ["plex", "jellyfin"]


async def test_core_plex_server_keeps_its_ssl_setting(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    core_plex_entry: CorePlexEntry,
) -> None:
    """The Plex integration's certificate setting is reused."""
    plex_entry = core_plex_entry(verify_ssl=False)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "plex_home_assistant"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"plex_entry": plex_entry.entry_id}
    )
    assert result["step_id"] == "libraries"
    flow = hass.config_entries.flow._progress[result["flow_id"]]
    assert flow._data[CONF_VERIFY_SSL] is False
    hass.config_entries.flow.async_abort(result["flow_id"])


@pytest.mark.parametrize(
    ("state", "server_config"),
    [
        (ConfigEntryState.SETUP_RETRY, {}),  # not running
        (ConfigEntryState.LOADED, {CONF_TOKEN: ""}),  # no token to reuse
    ],
)
async def test_core_plex_server_not_offered(
    hass: HomeAssistant,
    core_plex_entry: CorePlexEntry,
    state: ConfigEntryState,
    server_config: dict[str, Any],
) -> None:
    """Only running Plex integration entries with a token are offered."""
    core_plex_entry(state, **server_config)
    await _start_user_flow(hass)  # asserts the menu is Plex and Jellyfin only


async def test_core_plex_server_gone_falls_back_to_typing(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    core_plex_entry: CorePlexEntry,
) -> None:
    """When the offered server goes away meanwhile, the URL and token are asked for."""
    plex_entry = core_plex_entry()
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "plex_home_assistant"}
    )
    plex_entry.mock_state(hass, ConfigEntryState.NOT_LOADED)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"plex_entry": plex_entry.entry_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "plex"
    assert result["errors"] == {}


# URLs without a scheme.


async def test_plex_url_needs_a_scheme(
    hass: HomeAssistant, plex_server: FakePlexServer
) -> None:
    """A Plex URL without http:// or https:// is refused before connecting."""
    result = await _start_user_flow(hass)
    bare = plex_server.url.removeprefix("http://")
    plex_server.clear_requests()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server, **{CONF_URL: bare})
    )
    assert result["errors"] == {CONF_URL: "url_missing_scheme"}
    assert plex_server.requests == []
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _server_input(plex_server)
    )
    assert result["step_id"] == "libraries"


async def test_reconfigure_url_needs_a_scheme(
    hass: HomeAssistant, plex_server: FakePlexServer, config_entry: MockConfigEntry
) -> None:
    """Reconfiguring Plex refuses a URL without a scheme too."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _server_input(plex_server, **{CONF_URL: "192.168.1.10:32400"}),
    )
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {CONF_URL: "url_missing_scheme"}


async def test_jellyfin_url_needs_a_scheme(
    hass: HomeAssistant, jellyfin_server: FakeJellyfinServer
) -> None:
    """A Jellyfin URL without a scheme is refused; the form keeps what was typed."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "jellyfin"}
    )
    bare = jellyfin_server.url.removeprefix("http://")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: bare, CONF_VERIFY_SSL: True, "sign_in": "password"},
    )
    assert result["step_id"] == "jellyfin"
    assert result["errors"] == {CONF_URL: "url_missing_scheme"}
    assert _suggested(result["data_schema"])[CONF_URL] == bare
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_URL: jellyfin_server.url, CONF_VERIFY_SSL: True, "sign_in": "password"},
    )
    assert result["step_id"] == "jellyfin_password"
