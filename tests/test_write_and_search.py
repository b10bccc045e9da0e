"""The `write_playlist` and `search_tracks` actions: your own playlist logic."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from custom_components.harmoniq.const import (
    DOMAIN,
    SERVICE_SEARCH_TRACKS,
    SERVICE_WRITE_PLAYLIST,
)
from tests.fakes.plex_library import FakeLibrary, FakeTrack
from tests.fakes.plex_server import FakePlaylist, FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")


async def _call(hass: HomeAssistant, service: str, data: dict[str, Any]) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


def _playlist(server: FakePlexServer, title: str) -> FakePlaylist:
    [playlist] = [p for p in server.playlists.values() if p.title == title]
    return playlist


def _by_title(library: FakeLibrary, count: int) -> list[FakeTrack]:
    """Tracks whose artist and title are unique in the library."""
    seen: dict[str, int] = {}
    for track in library.tracks:
        seen[track.title] = seen.get(track.title, 0) + 1
    return [t for t in library.tracks if seen[t.title] == 1][:count]


async def test_write_by_ids_and_by_artist_and_title(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
) -> None:
    """An AI answer's artist/title list and plain ids become one owned playlist."""
    # What an ai_task.generate_data step would hand over (a stub answer).
    party = _by_title(plex_library, 3)
    ai_answer = [{"artist": t.track_artist, "title": t.title} for t in party]
    ai_answer.append({"artist": "Nobody", "title": "Nothing At All"})
    extra = plex_library.tracks[100]
    response = await _call(
        hass,
        SERVICE_WRITE_PLAYLIST,
        {"name": "Party", "tracks": [*ai_answer, str(extra.rating_key)]},
    )
    playlist = _playlist(plex_server, "Party")
    assert playlist.items == [t.rating_key for t in [*party, extra]]
    assert [item["id"] for item in response["tracks"]] == [
        str(t.rating_key) for t in [*party, extra]
    ]
    assert response["not_found"] == ["Nobody - Nothing At All"]

    # Again, replacing: the same playlist, in place.
    response = await _call(
        hass,
        SERVICE_WRITE_PLAYLIST,
        {"name": "Party", "tracks": [str(extra.rating_key)]},
    )
    assert list(plex_server.playlists.values()).count(playlist) == 1
    assert playlist.items == [extra.rating_key]

    # Appending keeps what is there; max_tracks keeps the newest.
    more = [str(t.rating_key) for t in plex_library.tracks[200:203]]
    await _call(
        hass,
        SERVICE_WRITE_PLAYLIST,
        {"name": "Party", "tracks": more, "mode": "append", "max_tracks": 3},
    )
    assert playlist.items == [int(i) for i in more]


async def test_write_limited_in_minutes(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
) -> None:
    """max_minutes fills the playlist until it lasts that long, within one track."""
    tracks = plex_library.tracks[:30]
    await _call(
        hass,
        SERVICE_WRITE_PLAYLIST,
        {
            "name": "Short",
            "tracks": [str(t.rating_key) for t in tracks],
            "max_minutes": 20,
        },
    )
    written = _playlist(plex_server, "Short").items
    seconds = [t.duration_ms / 1000 for t in tracks[: len(written)]]
    assert sum(seconds[:-1]) < 20 * 60 <= sum(seconds)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"name": "Empty", "tracks": []}, "tracks_required"),
        ({"name": "Unknown", "tracks": ["999999999"]}, "no_track_found"),
        ({"name": "Mine", "tracks": ["TRACK"]}, "playlist_name_taken"),
    ],
)
async def test_write_refuses_bad_input(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
    data: dict[str, Any],
    key: str,
) -> None:
    """Bad input raises a translated validation error; nothing is written."""
    track = plex_library.tracks[0].rating_key
    data = {
        **data,
        "tracks": [str(track) if t == "TRACK" else t for t in data["tracks"]],
    }
    mine = plex_server.create_playlist("Mine", [track], summary="my own")
    plex_server.clear_requests()
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, SERVICE_WRITE_PLAYLIST, data)
    assert (err.value.translation_domain, err.value.translation_key) == (DOMAIN, key)
    assert not [r for r in plex_server.requests if r.method != "GET"]
    assert (mine.items, mine.summary) == ([track], "my own")


async def test_server_failure_mid_write_keeps_the_playlist(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
) -> None:
    """A failing server raises a translated error; the old tracks stay."""
    first = [str(t.rating_key) for t in plex_library.tracks[:5]]
    await _call(hass, SERVICE_WRITE_PLAYLIST, {"name": "Mix", "tracks": first})
    playlist = _playlist(plex_server, "Mix")
    plex_server.inject_fault(
        "status", status=500, path_prefix="/playlists", method="PUT"
    )
    second = [str(t.rating_key) for t in plex_library.tracks[5:10]]
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, SERVICE_WRITE_PLAYLIST, {"name": "Mix", "tracks": second})
    assert err.value.translation_key == "plex_error"
    assert playlist.items == [int(i) for i in first]


async def test_search_then_write_long_tracks(
    hass: HomeAssistant,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    init_integration: MockConfigEntry,
) -> None:
    """A script: search Chill tracks, keep those over four minutes, write them."""
    plex_server.clear_requests()
    found = await _call(
        hass, SERVICE_SEARCH_TRACKS, {"moods": ["Chill"], "min_stars": 3, "limit": 60}
    )
    tracks = found["tracks"]
    assert len(tracks) == 60
    by_key = {str(t.rating_key): t for t in plex_library.tracks}
    assert all("Chill" in by_key[item["id"]].moods for item in tracks)
    assert all(item["rating"] is None or item["rating"] >= 3 for item in tracks)
    assert {
        "id",
        "artist",
        "title",
        "album",
        "duration",
        "rating",
        "last_played",
    } <= set(tracks[0])
    assert not [r for r in plex_server.requests if r.method != "GET"]  # wrote nothing

    # The template step: keep tracks longer than four minutes.
    long_ones = [item for item in tracks if item["duration"] > 240]
    assert long_ones
    await _call(
        hass, SERVICE_WRITE_PLAYLIST, {"name": "Long Chill", "tracks": long_ones}
    )
    assert _playlist(plex_server, "Long Chill").items == [
        int(item["id"]) for item in long_ones
    ]
