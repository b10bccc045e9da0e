"""The Music Assistant blueprint: valid, and an automation made from it plays."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import importer
from homeassistant.components.blueprint.models import Blueprint, DomainBlueprints
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, yaml as yaml_util

from custom_components.harmoniq.config_flow import default_daily_flow
from custom_components.harmoniq.const import (
    EVENT_PLAYLIST_UPDATED,
    SUBENTRY_TYPE_PLAYLIST,
)
from tests.conftest import MUSIC_SECTION, setup_entry

BLUEPRINTS = Path(__file__).parents[1] / "blueprints" / "automation"
BLUEPRINT_PATH = "harmoniq/play_harmoniq_playlist.yaml"
PLAYER = "media_player.kitchen"
MORNING = "2026-11-24 07:00:00-08:00"

pytestmark = pytest.mark.usefixtures("lastfm_server")


@pytest.fixture
def playlist_subentries() -> list[ConfigSubentryData]:
    """Two Daily Flows: the one the automation plays, and another."""
    return [
        ConfigSubentryData(
            subentry_type=SUBENTRY_TYPE_PLAYLIST,
            title=title,
            data=default_daily_flow([str(MUSIC_SECTION)]) | {"size": size},
            unique_id=None,
        )
        for title, size in (("Daily Flow", 20), ("Night Mix", 10))
    ]


def _load() -> Blueprint:
    return Blueprint(
        yaml_util.load_yaml_dict(BLUEPRINTS / BLUEPRINT_PATH),
        expected_domain="automation",
        path=BLUEPRINT_PATH,
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )


def test_blueprint_is_valid() -> None:
    """The blueprint passes the automation blueprint schema and version check."""
    blueprint = _load()
    assert blueprint.domain == "automation"
    assert blueprint.validate() is None  # this Home Assistant is recent enough
    assert blueprint.metadata["homeassistant"]["min_version"] == "2025.4.0"
    assert blueprint.metadata["source_url"].endswith(
        "/blueprints/automation/harmoniq/play_harmoniq_playlist.yaml"
    )


def test_blueprint_inputs() -> None:
    """The inputs are the documented ones, with their selectors and defaults."""
    inputs = _load().inputs
    assert list(inputs) == [
        "playlist",
        "player",
        "play_at_time",
        "time",
        "play_when_updated",
        "volume",
        "shuffle",
        "skip_if_playing",
    ]
    assert "default" not in inputs["playlist"]  # required
    assert "default" not in inputs["player"]  # required
    [playlist_filter] = inputs["playlist"]["selector"]["entity"]["filter"]
    assert playlist_filter["integration"] == "harmoniq"
    assert playlist_filter["domain"] in ("sensor", ["sensor"])
    assert playlist_filter["device_class"] in ("enum", ["enum"])
    [player_filter] = inputs["player"]["selector"]["entity"]["filter"]
    assert player_filter["integration"] == "music_assistant"
    assert player_filter["domain"] in ("media_player", ["media_player"])
    defaults = {key: value.get("default") for key, value in inputs.items()}
    assert defaults == {
        "playlist": None,
        "player": None,
        "play_at_time": True,
        "time": "07:30:00",
        "play_when_updated": False,
        "volume": 0,
        "shuffle": False,
        "skip_if_playing": True,
    }


async def test_blueprint_imports_from_its_source_url(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """The README's import link (the source URL) gives Home Assistant this blueprint."""
    text = await hass.async_add_executor_job((BLUEPRINTS / BLUEPRINT_PATH).read_text)
    source_url = (await hass.async_add_executor_job(_load)).metadata["source_url"]
    raw_url = source_url.replace(
        "https://github.com/", "https://raw.githubusercontent.com/"
    )
    raw_url = raw_url.replace("/blob/", "/")
    aioclient_mock.get(raw_url, text=text)
    imported = await importer.fetch_blueprint_from_url(hass, source_url)
    assert imported.blueprint.domain == "automation"
    assert imported.blueprint.name == "Play a Harmoniq playlist with Music Assistant"
    assert imported.suggested_filename == "harmoniq-dev/play_harmoniq_playlist"
    assert aioclient_mock.call_count == 1


@pytest.fixture
def blueprint_folder() -> Generator[None]:
    """Point the automation blueprints at this repository's blueprints/automation."""
    with patch.object(
        DomainBlueprints,
        "blueprint_folder",
        new_callable=PropertyMock,
        return_value=BLUEPRINTS,
    ):
        yield


@pytest.fixture(autouse=True)
async def turn_off_automations(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Detach the automations' triggers (their timers) when a test ends."""
    yield
    if "automation" in hass.config.components:
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )


@pytest.fixture
async def harmoniq(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Harmoniq with two playlists, set up at 07:00 in the morning."""
    freezer.move_to(MORNING)
    await setup_entry(hass, config_entry)
    return config_entry


@pytest.fixture
def calls(hass: HomeAssistant) -> dict[str, list[ServiceCall]]:
    """Mock actions of Music Assistant and the media player, by name."""
    return {
        "play_media": async_mock_service(hass, "music_assistant", "play_media"),
        "shuffle_set": async_mock_service(hass, "media_player", "shuffle_set"),
        "volume_set": async_mock_service(hass, "media_player", "volume_set"),
    }


async def _automation(hass: HomeAssistant, **inputs: Any) -> None:
    """Create an automation from the blueprint with these inputs."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "play_daily_flow",
                "alias": "Play Daily Flow",
                "use_blueprint": {
                    "path": BLUEPRINT_PATH,
                    "input": {
                        "playlist": "sensor.daily_flow_status",
                        "player": PLAYER,
                    }
                    | inputs,
                },
            }
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get("automation.play_daily_flow").state == "on"


async def _press(hass: HomeAssistant, button: str) -> None:
    await hass.services.async_call(
        "button", "press", {"entity_id": button}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)


def _played(calls: dict[str, list[ServiceCall]]) -> list[dict[str, Any]]:
    return [dict(call.data) for call in calls["play_media"]]


@pytest.mark.usefixtures("harmoniq", "blueprint_folder")
async def test_plays_when_updated(
    hass: HomeAssistant, calls: dict[str, list[ServiceCall]]
) -> None:
    """A run of the chosen playlist plays it; another playlist's run does not."""
    await _automation(hass, play_when_updated=True, volume=30, shuffle=True)
    assert not _played(calls)  # set up after Harmoniq's first runs

    await _press(hass, "button.night_mix_regenerate")
    assert not _played(calls)

    await _press(hass, "button.daily_flow_regenerate")
    assert _played(calls) == [
        {
            "entity_id": [PLAYER],
            "media_id": "Daily Flow",
            "media_type": "playlist",
            "enqueue": "replace",
        }
    ]
    [volume] = calls["volume_set"]
    assert dict(volume.data) == {"entity_id": [PLAYER], "volume_level": 0.3}
    [shuffle] = calls["shuffle_set"]
    assert dict(shuffle.data) == {"entity_id": [PLAYER], "shuffle": True}


@pytest.mark.usefixtures("harmoniq", "blueprint_folder")
async def test_does_not_play_a_failed_or_paused_run(
    hass: HomeAssistant, calls: dict[str, list[ServiceCall]]
) -> None:
    """A failed or paused run left the playlist as it was: nothing plays."""
    await _automation(hass, play_when_updated=True)
    for status in ("failed", "paused"):
        hass.bus.async_fire(
            EVENT_PLAYLIST_UPDATED, {"playlist": "Daily Flow", "status": status}
        )
        await hass.async_block_till_done()
    assert not _played(calls)
    hass.bus.async_fire(
        EVENT_PLAYLIST_UPDATED, {"playlist": "Daily Flow", "status": "partial"}
    )
    await hass.async_block_till_done()
    assert [call["media_id"] for call in _played(calls)] == ["Daily Flow"]


@pytest.mark.usefixtures("harmoniq", "blueprint_folder")
async def test_not_when_updated_unless_asked(
    hass: HomeAssistant, calls: dict[str, list[ServiceCall]]
) -> None:
    """By default, only the time of day plays the playlist, not its updates."""
    await _automation(hass)
    await _press(hass, "button.daily_flow_regenerate")
    assert not _played(calls)


@pytest.mark.usefixtures("harmoniq", "blueprint_folder")
async def test_plays_at_the_time_of_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    calls: dict[str, list[ServiceCall]],
) -> None:
    """At the chosen time the playlist plays, in order, volume untouched."""
    await _automation(hass, time="07:30:00")
    when = dt_util.parse_datetime("2026-11-24 07:30:00-08:00")
    assert isinstance(when, datetime)
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done()
    assert _played(calls) == [
        {
            "entity_id": [PLAYER],
            "media_id": "Daily Flow",
            "media_type": "playlist",
            "enqueue": "replace",
        }
    ]
    assert not calls["volume_set"]
    [shuffle] = calls["shuffle_set"]
    assert dict(shuffle.data) == {"entity_id": [PLAYER], "shuffle": False}


@pytest.mark.usefixtures("harmoniq", "blueprint_folder")
async def test_time_of_day_off_and_playing_player(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    calls: dict[str, list[ServiceCall]],
) -> None:
    """With the time of day off nothing plays then; a playing player is left alone."""
    await _automation(hass, play_at_time=False, play_when_updated=True)
    when = dt_util.parse_datetime("2026-11-24 07:30:00-08:00")
    assert isinstance(when, datetime)
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done()
    assert not _played(calls)

    hass.states.async_set(PLAYER, "playing")
    await _press(hass, "button.daily_flow_regenerate")
    assert not _played(calls)
    hass.states.async_set(PLAYER, "idle")
    await _press(hass, "button.daily_flow_regenerate")
    assert len(_played(calls)) == 1
