"""Tests for the Harmoniq config flow, against the fake Plex and Last.fm servers."""

from __future__ import annotations

import asyncio
import socket
from typing import Any
from unittest.mock import patch

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
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

from custom_components.harmoniq.const import (
    CONF_LIBRARIES,
    DOMAIN,
    REAUTH_LASTFM,
    SUBENTRY_TYPE_PLAYLIST,
)
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
        result["flow_id"], {CONF_API_KEY: LASTFM_API_KEY, CONF_USERNAME: "rj"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data[CONF_USERNAME] == "RJ"
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
