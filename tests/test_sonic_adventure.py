"""Tests for the `harmoniq.create_sonic_adventure` action."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from custom_components.harmoniq.const import DOMAIN, SERVICE_CREATE_SONIC_ADVENTURE
from tests.fakes.plex_library import FakeLibrary
from tests.fakes.plex_server import FakePlexServer
from tests.servers import plex_track_item

pytestmark = pytest.mark.usefixtures("lastfm_server")


async def _adventure(hass: HomeAssistant, data: dict[str, Any]) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE_CREATE_SONIC_ADVENTURE,
        data,
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def test_adventure_by_rating_key(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
) -> None:
    """The path Plex computes becomes a playlist; running it again replaces it in place."""
    start, end = plex_library.tracks[10], plex_library.tracks[900]
    response = await _adventure(
        hass, {"from_track": str(start.rating_key), "to_track": str(end.rating_key)}
    )
    assert response["playlist"] == "Sonic Adventure"
    assert response["tracks"][0] == plex_track_item(start)
    assert response["tracks"][-1] == plex_track_item(end)
    [playlist] = [
        p for p in plex_server.playlists.values() if p.title == "Sonic Adventure"
    ]
    assert playlist.items[0] == start.rating_key
    assert playlist.items[-1] == end.rating_key
    assert len(playlist.items) == len(response["tracks"]) > 2

    other_end = plex_library.tracks[500]
    await _adventure(
        hass,
        {"from_track": str(start.rating_key), "to_track": str(other_end.rating_key)},
    )
    [again] = [
        p for p in plex_server.playlists.values() if p.title == "Sonic Adventure"
    ]
    assert again is playlist
    assert playlist.items[-1] == other_end.rating_key


async def test_adventure_by_artist_and_title(
    hass: HomeAssistant,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
) -> None:
    """Tracks can be named by artist and title, as people know them."""
    start, end = plex_library.tracks[42], plex_library.tracks[777]
    response = await _adventure(
        hass,
        {
            "from_artist": start.track_artist,
            "from_title": start.title.upper(),
            "to_artist": end.track_artist,
            "to_title": end.title,
            "name": "Road Trip",
        },
    )
    assert response["playlist"] == "Road Trip"
    assert (response["tracks"][0], response["tracks"][-1]) == (
        plex_track_item(start),
        plex_track_item(end),
    )


@pytest.mark.parametrize(
    ("data", "translation_key"),
    [
        ({"from_track": "999999999", "to_track": "1500"}, "track_not_found"),
        (
            {"from_artist": "Nobody", "from_title": "Nothing", "to_track": "1500"},
            "track_not_found",
        ),
        ({"to_track": "1500"}, "track_required"),
    ],
)
async def test_adventure_bad_tracks(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    data: dict[str, Any],
    translation_key: str,
) -> None:
    """Unknown or missing tracks raise translated validation errors."""
    with pytest.raises(ServiceValidationError) as err:
        await _adventure(hass, data)
    assert err.value.translation_key == translation_key


async def test_adventure_name_taken(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
) -> None:
    """A user's playlist with the chosen name is never touched."""
    users = plex_server.create_playlist(
        "Sonic Adventure", [plex_library.tracks[0].rating_key]
    )
    with pytest.raises(ServiceValidationError) as err:
        await _adventure(
            hass,
            {
                "from_track": str(plex_library.tracks[1].rating_key),
                "to_track": str(plex_library.tracks[2].rating_key),
            },
        )
    assert err.value.translation_key == "playlist_name_taken"
    assert users.items == [plex_library.tracks[0].rating_key]


async def test_adventure_without_sonic_analysis(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
) -> None:
    """A server without sonic analysis: a clear error and a repair issue."""
    plex_server.sonic_analysis = False
    for section in plex_server.sections.values():
        section.sonic = False
    with pytest.raises(HomeAssistantError) as err:
        await _adventure(
            hass,
            {
                "from_track": str(plex_library.tracks[1].rating_key),
                "to_track": str(plex_library.tracks[2].rating_key),
            },
        )
    assert err.value.translation_key == "sonic_unavailable"
    issue_id = f"sonic_unavailable_{init_integration.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert [p.title for p in plex_server.playlists.values()] == ["Daily Flow"]


async def test_adventure_when_plex_fails(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
) -> None:
    """Plex failing to compute the path: a translated Plex error, no repair, no playlist."""
    plex_server.inject_fault("status", status=500, path_prefix="/library/sections/3/")
    with pytest.raises(HomeAssistantError) as err:
        await _adventure(
            hass,
            {
                "from_track": str(plex_library.tracks[1].rating_key),
                "to_track": str(plex_library.tracks[2].rating_key),
            },
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "plex_error"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["server"] == "Living Room Plex"
    assert "500" in err.value.translation_placeholders["error"]
    assert plex_server.requests[-1].path == "/library/sections/3/computePath"
    issue_id = f"sonic_unavailable_{init_integration.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert [p.title for p in plex_server.playlists.values()] == ["Daily Flow"]
