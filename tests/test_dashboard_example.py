"""The documented dashboard card (docs/dashboard_card.yaml) against a live setup."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.template import Template
from homeassistant.util import yaml as yaml_util

from custom_components.harmoniq.config_flow import starter_playlists
from custom_components.harmoniq.const import CONF_LIBRARIES, KIND_LASTFM_DISCOVERY
from tests.conftest import MUSIC_SECTION, setup_entry
from tests.fakes.lastfm_server import FakeLastFmServer
from tests.fakes.plex_library import FakeLibrary
from tests.fakes.plex_server import FakePlexServer

CARD = Path(__file__).parents[1] / "docs" / "dashboard_card.yaml"
HEADER = "| Playlist | Status | Window | Tracks | Last run |"


@pytest.fixture(scope="module")
def card() -> dict[str, Any]:
    """The card, as the dashboard editor would read it."""
    return yaml_util.load_yaml_dict(CARD)


@pytest.fixture
def markdown(card: dict[str, Any]) -> str:
    """The Markdown card's template."""
    [content] = [c["content"] for c in card["cards"] if c["type"] == "markdown"]
    return str(content)


@pytest.fixture(autouse=True)
def lastfm_data(
    lastfm_server: FakeLastFmServer, plex_library: FakeLibrary
) -> Generator[FakeLastFmServer]:
    """Last.fm data about the fake library's artists; no waiting between calls."""
    lastfm_server.populate_from_library(plex_library, seed=3)
    with (
        patch("custom_components.harmoniq.lastfm.RETRY_DELAYS", (0.01, 0.01)),
        patch("custom_components.harmoniq.lastfm.MAX_CALLS_PER_SECOND", 1000),
    ):
        yield lastfm_server


@pytest.fixture
def playlist_subentries() -> list[ConfigSubentryData]:
    """The playlists a new entry with Last.fm starts with: Daily Flow, Top Tracks, Discovery."""
    return [
        subentry
        | {"data": {**subentry["data"], "seed_artists": 10, "tracks_per_artist": 3}}
        if subentry["data"]["kind"] == KIND_LASTFM_DISCOVERY
        else subentry
        for subentry in starter_playlists(
            {CONF_LIBRARIES: [str(MUSIC_SECTION)], "api_key": "k", "username": "RJ"}
        )
    ]


def _render(hass: HomeAssistant, markdown: str) -> str:
    """Render as the Markdown card does: strict, an undefined name is an error."""
    return str(Template(markdown, hass).async_render(parse_result=False, strict=True))


def _rows(text: str) -> dict[str, list[str]]:
    """Return the table's rows by playlist name, each as its cells."""
    lines = text.strip().splitlines()
    assert lines[:2] == [HEADER, "|:---|:---|:---|---:|:---|"]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    return {row[0]: row[1:] for row in rows}


async def test_markdown_card(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    markdown: str,
) -> None:
    """One row per playlist, by name: status, window, track count and last run."""
    freezer.move_to("2026-11-24 08:00:00-08:00")
    await setup_entry(hass, config_entry)

    rows = _rows(_render(hass, markdown))
    assert list(rows) == ["Daily Flow", "Last.fm Discovery", "Last.fm Top Tracks"]
    assert rows["Daily Flow"] == ["OK", "Morning chill", "40", "Tue 08:00"]
    for name, entity in (
        ("Last.fm Top Tracks", "last_fm_top_tracks"),
        ("Last.fm Discovery", "last_fm_discovery"),
    ):
        status = hass.states.get(f"sensor.{entity}_status")
        tracks = hass.states.get(f"sensor.{entity}_tracks")
        missing = hass.states.get(f"sensor.{entity}_missing_tracks")
        assert tracks.state != missing.state  # the card must not mix them up
        assert rows[name] == [
            {"ok": "OK", "partial": "Partial"}[status.state]
            + (f" ({status.attributes['reason']})" if status.state != "ok" else ""),
            "-",  # only a Daily Flow has time windows
            tracks.state,
            "Tue 08:00",
        ]


async def test_markdown_card_follows_changes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    markdown: str,
) -> None:
    """A failed run shows its reason; a renamed device shows its new name."""
    freezer.move_to("2026-11-24 08:00:00-08:00")
    [daily_flow, *_] = await setup_entry(hass, config_entry)
    assert daily_flow.title == "Daily Flow"
    freezer.move_to("2026-11-24 10:15:00-08:00")
    plex_server.inject_fault("status", status=500, path_prefix="/library/sections/")
    plex_server.inject_fault("status", status=500, path_prefix="/playlists")
    await daily_flow.async_run()
    await hass.async_block_till_done()
    entity = entity_registry.async_get("sensor.daily_flow_status")
    assert entity is not None
    assert entity.device_id is not None
    device_registry.async_update_device(entity.device_id, name_by_user="Mornings")

    rows = _rows(_render(hass, markdown))
    assert "Daily Flow" not in rows
    status, window, tracks, last = rows["Mornings"]
    assert status.startswith("Failed (")
    assert (
        status
        == f"Failed ({hass.states.get('sensor.daily_flow_status').attributes['reason']})"
    )
    assert window == hass.states.get("sensor.daily_flow_time_window").state
    assert tracks == "40"  # the server playlist keeps its tracks
    assert last == "Tue 10:15"


async def test_markdown_card_without_playlists(
    hass: HomeAssistant, markdown: str
) -> None:
    """Before Harmoniq is set up, the card says so instead of an empty table."""
    assert _render(hass, markdown).strip() == "No Harmoniq playlists yet."


async def test_regenerate_buttons(
    hass: HomeAssistant, config_entry: MockConfigEntry, card: dict[str, Any]
) -> None:
    """The entities card's rows are the starter playlists' Regenerate buttons."""
    await setup_entry(hass, config_entry)
    [entities] = [c for c in card["cards"] if c["type"] == "entities"]
    buttons = [row["entity"] for row in entities["entities"] if "entity" in row]
    assert buttons == [
        "button.daily_flow_regenerate",
        "button.last_fm_top_tracks_regenerate",
        "button.last_fm_discovery_regenerate",
    ]
    for button in buttons:
        assert hass.states.get(button) is not None, button
    [all_button] = [row for row in entities["entities"] if row.get("type") == "button"]
    assert all_button["tap_action"]["perform_action"] == "harmoniq.refresh_playlist"
    assert hass.services.has_service("harmoniq", "refresh_playlist")
