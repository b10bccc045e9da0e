"""Writing owned playlists through the real Plex client: what each write costs."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from homeassistant.core import HomeAssistant

from custom_components.harmoniq.playlists import OwnedPlaylistWriter, ownership_mark
from custom_components.harmoniq.plex import PlexMusicServer
from tests.conftest import PLEX_TOKEN
from tests.fakes.plex_library import FakeLibrary
from tests.fakes.plex_server import FakePlexServer

ENTRY = "entry-id"
OWNER = "subentry-id"


@pytest.fixture
async def server(
    hass: HomeAssistant, plex_server: FakePlexServer
) -> AsyncGenerator[PlexMusicServer]:
    """The Plex adapter connected to the fake server."""
    connected = await PlexMusicServer.async_connect(
        hass, plex_server.url, PLEX_TOKEN, True
    )
    yield connected
    await connected.async_close()


def _ids(library: FakeLibrary, start: int, stop: int) -> list[str]:
    return [str(track.rating_key) for track in library.tracks[start:stop]]


def _requests(plex_server: FakePlexServer) -> list[str]:
    return [
        f"{r.method} {r.path.rsplit('/', 1)[0] if r.method == 'DELETE' else r.path}"
        for r in plex_server.requests
    ]


async def test_write_costs_only_what_changed(
    plex_server: FakePlexServer, plex_library: FakeLibrary, server: PlexMusicServer
) -> None:
    """Create: 3 requests; same tracks: 2; half changed: 23; all changed: N + 3."""
    writer = OwnedPlaylistWriter(server, ENTRY)
    plex_server.clear_requests()
    first = _ids(plex_library, 0, 40)
    info = await writer.async_write(OWNER, None, "Mix", first, "one")
    key = int(info.id)
    assert _requests(plex_server) == [
        "GET /playlists",  # the name is free
        "POST /playlists",
        f"PUT /playlists/{key}",  # summary, with the mark
    ]
    playlist = plex_server.playlists[key]
    assert playlist.items == [int(i) for i in first]
    assert playlist.summary == f"one\n{ownership_mark(ENTRY, OWNER)}"

    plex_server.clear_requests()
    await writer.async_write(OWNER, info.id, "Mix", first, "two")
    assert _requests(plex_server) == [
        f"GET /playlists/{key}/items",
        f"PUT /playlists/{key}",
    ]
    assert playlist.items == [int(i) for i in first]
    assert playlist.summary.startswith("two\n")

    plex_server.clear_requests()
    half = first[20:] + _ids(plex_library, 40, 60)
    await writer.async_write(OWNER, info.id, "Mix", half, "three")
    assert _requests(plex_server) == [
        f"GET /playlists/{key}/items",
        f"PUT /playlists/{key}/items",  # the arrivals, before any removal
        *[f"DELETE /playlists/{key}/items"] * 20,
        f"PUT /playlists/{key}",
    ]
    assert playlist.items == [int(i) for i in half]

    plex_server.clear_requests()
    fresh = _ids(plex_library, 100, 140)
    await writer.async_write(OWNER, info.id, "Mix", fresh, "four")
    assert len(plex_server.requests) == len(fresh) + 3
    assert playlist.items == [int(i) for i in fresh]
    assert list(plex_server.playlists) == [key]


async def test_reorder_and_rename_in_place(
    plex_server: FakePlexServer, plex_library: FakeLibrary, server: PlexMusicServer
) -> None:
    """A new order costs the fewest moves; a new title rides on the summary edit."""
    writer = OwnedPlaylistWriter(server, ENTRY)
    tracks = _ids(plex_library, 0, 10)
    info = await writer.async_write(OWNER, None, "Mix", tracks, "one")
    key = int(info.id)
    plex_server.clear_requests()
    wanted = [tracks[9], *tracks[:9]]
    await writer.async_write(OWNER, info.id, "Evening Mix", wanted, "two")
    assert _requests(plex_server) == [
        f"GET /playlists/{key}/items",
        "GET /playlists",  # the new title is free
        f"PUT /playlists/{key}/items/{plex_server.playlists[key].entries[0].item_id}/move",
        f"PUT /playlists/{key}",
    ]
    playlist = plex_server.playlists[key]
    assert playlist.items == [int(i) for i in wanted]
    assert playlist.title == "Evening Mix"
