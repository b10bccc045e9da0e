"""Last.fm tracks found in a library whose server may or may not fold diacritics."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.const import (
    CONF_API_KEY,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant

from custom_components.harmoniq.config_flow import starter_playlists
from custom_components.harmoniq.const import (
    CONF_LIBRARIES,
    DOMAIN,
    KIND_LASTFM_TOP_TRACKS,
)
from tests.conftest import (
    LASTFM_API_KEY,
    MACHINE_IDENTIFIER,
    MUSIC_SECTION,
    PLEX_TOKEN,
    setup_entry,
)
from tests.fakes.lastfm_server import FakeLastFmServer
from tests.fakes.plex_library import FakeLibrary
from tests.fakes.plex_server import FakePlexServer

SEARCH_KEYS = ("artist.title", "track.title")


@pytest.fixture(params=[False, True], ids=["literal", "folding"])
async def folding_plex(
    request: pytest.FixtureRequest,
) -> AsyncGenerator[FakePlexServer]:
    """A small library with accented names, on a server folding diacritics or not.

    Whether a real server's "contains" filters fold them is unconfirmed.
    """
    library = FakeLibrary()
    library.add_track("Hoppípolla", "Sigur Rós", "Takk...")
    library.add_track("Glósóli", "Sigur Rós", "Takk...")
    library.add_track("Hoppipolla", "Sigur Rose", "Decoys")  # contains "Sigur Ros"
    library.add_track("Hoppipolla", "Sigur", "Decoys")  # contains "Sigur"
    server = FakePlexServer(
        token=PLEX_TOKEN,
        machine_identifier=MACHINE_IDENTIFIER,
        music_sections=[(MUSIC_SECTION, "Music", library)],
        fold_diacritics=request.param,
    )
    await server.start()
    yield server
    await server.stop()


async def test_top_tracks_without_diacritics(
    hass: HomeAssistant,
    folding_plex: FakePlexServer,
    lastfm_server: FakeLastFmServer,
) -> None:
    """Last.fm's "Sigur Ros - Hoppipolla" is the library's "Sigur Rós - Hoppípolla".

    Found cheaply, and never as a decoy whose name contains or shares a part
    with the Last.fm name.
    """
    lastfm_server.charts["global"] = [
        ("Sigur Ros", "Hoppipolla"),
        ("Nobody Known", "Nothing Here"),
        ("Sigur Ros", "Glosoli"),
    ]
    data = {
        CONF_URL: folding_plex.url,
        CONF_TOKEN: PLEX_TOKEN,
        CONF_VERIFY_SSL: True,
        CONF_LIBRARIES: [str(MUSIC_SECTION)],
        CONF_API_KEY: LASTFM_API_KEY,
        CONF_USERNAME: "RJ",
    }
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Plex",
        unique_id=MACHINE_IDENTIFIER,
        data=data,
        subentries_data=[
            subentry
            for subentry in starter_playlists(data)
            if subentry["data"]["kind"] == KIND_LASTFM_TOP_TRACKS
        ],
    )
    folding_plex.clear_requests()
    [coordinator] = await setup_entry(hass, entry)

    written = folding_plex.playlist_tracks("Last.fm Top Tracks")
    assert [(t.track_artist, t.title) for t in written] == [
        ("Sigur Rós", "Hoppípolla"),
        ("Sigur Rós", "Glósóli"),
    ]
    assert coordinator.data is not None
    assert list(coordinator.data.missing) == ["Nobody Known - Nothing Here"]
    searches = [
        (key, value)
        for request in folding_plex.requests
        for key, value in request.query
        if key in SEARCH_KEYS
    ]
    missed = [
        ("artist.title", "Nobody Known"),
        ("track.title", "Nothing Here"),
        ("artist.title", "Nobody"),
        ("artist.title", "Known"),
    ]
    if folding_plex.fold_diacritics:
        # One search finds the artist; its next track costs none.
        assert searches == [("artist.title", "Sigur Ros"), *missed]
    else:
        # The name and the title find only decoys; half the name finds the
        # artist, and the next track costs its (cached) searches, and its title.
        assert searches == [
            ("artist.title", "Sigur Ros"),
            ("track.title", "Hoppipolla"),
            ("artist.title", "Sigur"),
            *missed,
            ("track.title", "Glosoli"),
        ]
    assert await hass.config_entries.async_unload(entry.entry_id)
