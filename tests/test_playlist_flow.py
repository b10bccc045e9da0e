"""Tests for adding and reconfiguring playlists (config subentries)."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData

from custom_components.harmoniq.const import (
    CONF_EXCLUDE_PLAYED_DAYS,
    CONF_KIND,
    CONF_LIBRARIES,
    CONF_MAX_SKIPS,
    CONF_MIN_STARS,
    CONF_REFRESH_INTERVAL,
    CONF_SIZE,
    CONF_TIME_WINDOWS,
    SUBENTRY_TYPE_PLAYLIST,
)
from tests.conftest import MUSIC_SECTION
from tests.fakes.plex_library import FakeLibrary
from tests.fakes.plex_server import FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")

# What a new playlist saved without touching the shape fields has.
NEW_PLAYLIST_SHAPE = {
    "length_minutes": 0,
    "no_repeats": True,
    "cover_art": True,
    "exclude_artists": [],
    "exclude_genres": [],
    "exclude_moods": [],
    "exclude_styles": [],
    "exclude_tags": [],
}

NIGHT_MIX = {
    CONF_NAME: "Night Mix",
    CONF_SIZE: 25.0,
    CONF_REFRESH_INTERVAL: 120.0,
    CONF_LIBRARIES: [str(MUSIC_SECTION)],
    CONF_TIME_WINDOWS: "22:00-02:00:name=Late:moods=chill,Dreamy\n02:00-06:00:moods=Relaxed:genres=ambient",
    CONF_MIN_STARS: 3.5,
    CONF_EXCLUDE_PLAYED_DAYS: 7.0,
}


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_PLAYLIST), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        "daily_flow",
        "sonic_flow",
        "lastfm_top_tracks",
        "lastfm_recommendations",
    ]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "daily_flow"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "daily_flow"
    return dict(result)


async def test_add_daily_flow(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    init_integration: MockConfigEntry,
) -> None:
    """A second Daily Flow is added, with tags spelled as the library spells them."""
    result = await _start(hass, init_integration)
    defaults = {
        str(key): key.default()
        for key in result["data_schema"].schema
        if key.default is not vol.UNDEFINED
    }
    assert defaults[CONF_NAME] == "Daily Flow 2"  # "Daily Flow" is taken
    placeholders = result["description_placeholders"]
    assert "Chill" in placeholders["moods"]
    assert "Rock" in placeholders["genres"]
    assert "Baroque" in placeholders["styles"]

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], NIGHT_MIX
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Night Mix"
    assert result["data"] == {
        CONF_KIND: "daily_flow",
        CONF_SIZE: 25,
        CONF_REFRESH_INTERVAL: 120,
        CONF_LIBRARIES: [str(MUSIC_SECTION)],
        CONF_TIME_WINDOWS: "22:00-02:00:name=Late:moods=Chill,Dreamy;02:00-06:00:moods=Relaxed:genres=Ambient",
        "order": "spread",
        "favour": "none",
        CONF_MIN_STARS: 3.5,
        CONF_EXCLUDE_PLAYED_DAYS: 7,
        **NEW_PLAYLIST_SHAPE,
    }
    await hass.async_block_till_done(wait_background_tasks=True)
    titles = [c.title for c in init_integration.runtime_data.coordinators.values()]
    assert sorted(titles) == ["Daily Flow", "Night Mix"]
    assert hass.states.get("sensor.night_mix_status") is not None
    assert any(p.title == "Night Mix" for p in plex_server.playlists.values())


@pytest.mark.parametrize(
    ("changes", "field", "error", "placeholders"),
    [
        ({CONF_NAME: "daily flow"}, CONF_NAME, "name_in_use", {}),
        ({CONF_NAME: "  "}, CONF_NAME, "name_required", {}),
        ({CONF_LIBRARIES: []}, CONF_LIBRARIES, "no_library_selected", {}),
        ({CONF_TIME_WINDOWS: ""}, CONF_TIME_WINDOWS, "window_empty", {}),
        (
            {CONF_TIME_WINDOWS: "22:00-02:00:moods=Chill;01:00-03:00:moods=Relaxed"},
            CONF_TIME_WINDOWS,
            "window_overlap",
            {"index": "2", "other_index": "1", "window": "01:00-03:00:moods=Relaxed"},
        ),
        (
            {CONF_TIME_WINDOWS: "08:00-25:00:moods=Chill"},
            CONF_TIME_WINDOWS,
            "window_bad_time",
            {"index": "1", "window": "08:00-25:00:moods=Chill"},
        ),
        (
            {CONF_TIME_WINDOWS: "08:00-10:00:mood=Chill"},
            CONF_TIME_WINDOWS,
            "window_unknown_key",
            {"index": "1", "key": "mood"},
        ),
        (
            {CONF_TIME_WINDOWS: "08:00-10:00:moods=Chill;10:00-12:00:moods=Chil"},
            CONF_TIME_WINDOWS,
            "unknown_tag",
            {"index": "2", "tag": "Chil", "kind": "mood"},
        ),
        (
            {CONF_TIME_WINDOWS: "22:00-02:00:name=Late, later:moods=Chill"},
            CONF_TIME_WINDOWS,
            "window_bad_name",
            {"index": "1", "window": "22:00-02:00:name=Late, later:moods=Chill"},
        ),
        (
            {CONF_TIME_WINDOWS: "08:00-10:00:moods=Chill\n10:00-12:00:name=A\rB"},
            CONF_TIME_WINDOWS,
            "window_bad_name",
            {"index": "2", "window": "10:00-12:00:name=A\rB"},
        ),
        (
            {CONF_TIME_WINDOWS: "08:00-10:00:moods=Chill\rRelaxed"},
            CONF_TIME_WINDOWS,
            "window_line_break",
            {"index": "1", "key": "moods"},
        ),
    ],
)
async def test_daily_flow_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    changes: dict[str, Any],
    field: str,
    error: str,
    placeholders: dict[str, str],
) -> None:
    """Bad input is named on the form, down to the faulty window; fixed, it saves."""
    result = await _start(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], NIGHT_MIX | changes
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert placeholders.items() <= result["description_placeholders"].items()

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], NIGHT_MIX
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_reconfigure_daily_flow(
    hass: HomeAssistant, plex_server: FakePlexServer, init_integration: MockConfigEntry
) -> None:
    """Reconfiguring renames the same Plex playlist and keeps the other settings."""
    [(subentry_id, subentry)] = init_integration.subentries.items()
    [playlist] = plex_server.playlists.values()
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_TYPE_PLAYLIST),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested[CONF_NAME] == "Daily Flow"
    # Shown one window per line; saved as before.
    assert suggested[CONF_TIME_WINDOWS] == subentry.data[CONF_TIME_WINDOWS].replace(
        ";", "\n"
    )

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            **{key: value for key, value in suggested.items() if key != CONF_MAX_SKIPS},
            CONF_NAME: "Morning Flow",
            CONF_MAX_SKIPS: 2.0,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_integration.subentries[subentry_id].title == "Morning Flow"
    assert init_integration.subentries[subentry_id].data[CONF_MAX_SKIPS] == 2

    coordinator = init_integration.runtime_data.coordinators[subentry_id]
    await coordinator.async_run()
    assert list(plex_server.playlists.values()) == [playlist]
    assert playlist.title == "Morning Flow"


async def test_add_playlist_needs_a_loaded_entry(
    hass: HomeAssistant, plex_server: FakePlexServer, config_entry: MockConfigEntry
) -> None:
    """While Harmoniq cannot reach Plex, adding a playlist explains why it cannot."""
    plex_server.inject_fault("status", status=500)
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    result = await hass.config_entries.subentries.async_init(
        (config_entry.entry_id, SUBENTRY_TYPE_PLAYLIST), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "daily_flow"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def _start_kind(
    hass: HomeAssistant, entry: MockConfigEntry, kind: str
) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_PLAYLIST), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": kind}
    )
    assert result["step_id"] == kind
    return dict(result)


COMMON = {
    CONF_SIZE: 30.0,
    CONF_REFRESH_INTERVAL: 60.0,
    CONF_LIBRARIES: [str(MUSIC_SECTION)],
}


@pytest.mark.parametrize(
    ("seed_mode", "seed", "error"),
    [
        ("artist", "Nobody At All", {"seed": "unknown_artist"}),
        ("track", "987654321", {"seed": "unknown_track"}),
        ("artist", "", {"seed": "seed_required"}),
    ],
)
async def test_add_sonic_flow(
    hass: HomeAssistant,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
    seed_mode: str,
    seed: str,
    error: dict[str, str],
) -> None:
    """A Sonic Flow's seed is checked against the library; a real one saves."""
    result = await _start_kind(hass, init_integration, "sonic_flow")
    form = {CONF_NAME: "Flow", **COMMON, "seed_mode": seed_mode, "min_stars": 0.0,
            "exclude_played_days": 0.0}  # fmt: skip
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], form | {"seed": seed}
    )
    assert result["errors"] == error

    valid = (
        plex_library.artists[0].title
        if seed_mode == "artist"
        else str(plex_library.tracks[0].rating_key)
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], form | {"seed": valid}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["kind"] == "sonic_flow"
    assert (result["data"]["seed_mode"], result["data"]["seed"]) == (seed_mode, valid)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_add_lastfm_playlists(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The Last.fm kinds are offered with a Last.fm account and keep their settings."""
    result = await _start_kind(hass, init_integration, "lastfm_top_tracks")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "German Chart", **COMMON, "country": " Germany "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "kind": "lastfm_top_tracks",
        "country": "Germany",
        CONF_SIZE: 30,
        CONF_REFRESH_INTERVAL: 60,
        CONF_LIBRARIES: [str(MUSIC_SECTION)],
        **NEW_PLAYLIST_SHAPE,
    }
    await hass.async_block_till_done(wait_background_tasks=True)  # reload with it

    result = await _start_kind(hass, init_integration, "lastfm_recommendations")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Fresh Finds",
            **COMMON,
            "period": "1month",
            "seed_artists": 3.0,
            "similar_artists": 8.0,
            "tracks_per_artist": 1.0,
            "include_known_artists": True,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["kind"] == "lastfm_recommendations"
    assert (
        result["data"]["seed_artists"],
        result["data"]["include_known_artists"],
    ) == (
        3,
        True,
    )


async def test_lastfm_kinds_need_an_account(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """Without Last.fm, only the library kinds are offered."""
    entry = MockConfigEntry(
        domain=config_entry.domain,
        title=config_entry.title,
        unique_id=config_entry.unique_id,
        data={
            k: v
            for k, v in config_entry.data.items()
            if k not in ("api_key", "username")
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TYPE_PLAYLIST), context={"source": SOURCE_USER}
    )
    assert result["menu_options"] == ["daily_flow", "sonic_flow"]


async def test_daily_flow_form_takes_templates(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A template criterion is saved as written; one that cannot be read is refused."""
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_TYPE_PLAYLIST),
        context={"source": SOURCE_USER},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "daily_flow"}
    )
    base = {
        CONF_NAME: "Weather Flow",
        CONF_SIZE: 20,
        CONF_REFRESH_INTERVAL: 60,
        CONF_LIBRARIES: [str(MUSIC_SECTION)],
        "order": "spread",
        CONF_MIN_STARS: 0,
        CONF_EXCLUDE_PLAYED_DAYS: 0,
        "favour": "none",
    }
    broken = "00:00-12:00:moods={{ 'Chill' if }}"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**base, CONF_TIME_WINDOWS: broken}
    )
    assert result["errors"] == {CONF_TIME_WINDOWS: "bad_template"}
    assert result["description_placeholders"]["tag"] == "{{ 'Chill' if }}"

    good = "00:00-12:00:moods={{ 'Chill' if is_state('sun.sun', 'below_horizon') else 'Energetic' }}"
    with pytest.raises(InvalidData):  # the template selector refuses it
        await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {**base, CONF_TIME_WINDOWS: good, "active_when": "{{ is_state('a.b' }}"},
        )
    condition = "{{ is_state('input_boolean.party', 'off') }}"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**base, CONF_TIME_WINDOWS: good, "active_when": condition},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_TIME_WINDOWS] == good
    assert result["data"]["active_when"] == condition

    # Reconfiguring shows what the template renders to now.
    hass.states.async_set("sun.sun", "below_horizon")
    await hass.async_block_till_done(wait_background_tasks=True)
    [subentry_id] = [
        sid
        for sid, sub in init_integration.subentries.items()
        if sub.title == "Weather Flow"
    ]
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_TYPE_PLAYLIST),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    assert result["description_placeholders"]["templates"].endswith("→ Chill")
