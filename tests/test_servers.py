"""The same playlist behaviour on every music server adapter (Plex, Jellyfin)."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir

from custom_components.harmoniq.const import DOMAIN, SUBENTRY_TYPE_PLAYLIST
from tests.conftest import setup_entry
from tests.fakes.jellyfin_server import FakeJellyfinServer
from tests.fakes.plex_server import FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")

MORNING = "2026-11-24 08:00:00-08:00"


class Server:
    """One fake server as the tests see it: its playlists' contents and faults."""

    def __init__(self, kind: str, fake: FakePlexServer | FakeJellyfinServer) -> None:
        """Wrap the fake."""
        self.kind = kind
        self.fake = fake

    def playlists(self) -> dict[str, list[str]]:
        """Return every playlist's track ids by title."""
        if isinstance(self.fake, FakePlexServer):
            return {
                p.title: [str(key) for key in p.items]
                for p in self.fake.playlists.values()
            }
        return {p.name: list(p.item_ids) for p in self.fake.playlists.values()}

    def track_moods(self, track_id: str) -> tuple[str, ...]:
        """Return a track's moods."""
        if isinstance(self.fake, FakePlexServer):
            [library] = [s.library for s in self.fake.sections.values()]
            return library.track_by_key[int(track_id)].moods
        [library] = self.fake.libraries
        [track] = [t for t in library.tracks if t.id == track_id]
        return tuple(
            t.removeprefix("MOOD:") for t in track.tags if t.startswith("MOOD:")
        )

    def track_artist(self, track_id: str) -> str:
        """Return a track's artist."""
        if isinstance(self.fake, FakePlexServer):
            [library] = [s.library for s in self.fake.sections.values()]
            return library.track_by_key[int(track_id)].track_artist
        [library] = self.fake.libraries
        [track] = [t for t in library.tracks if t.id == track_id]
        return track.artists[0]

    def add_foreign_playlist(self, title: str) -> None:
        """Create a playlist of that title that Harmoniq did not write."""
        if isinstance(self.fake, FakePlexServer):
            self.fake.create_playlist(title, [], summary="mine")
        else:
            self.fake.create_playlist(title, self.fake.user("alice"))


@pytest.fixture(params=["plex", "jellyfin"])
def server_entry(
    request: pytest.FixtureRequest,
) -> tuple[Server, MockConfigEntry]:
    """A Harmoniq entry with the default Daily Flow, for each kind of server."""
    if request.param == "plex":
        return (
            Server("plex", request.getfixturevalue("plex_server")),
            request.getfixturevalue("config_entry"),
        )
    return (
        Server("jellyfin", request.getfixturevalue("jellyfin_server")),
        request.getfixturevalue("jellyfin_entry"),
    )


async def test_daily_flow_writes_the_window(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """The morning window's mood, 40 tracks, artists spread, in one owned playlist."""
    server, entry = server_entry
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, entry)
    tracks = server.playlists()["Daily Flow"]
    assert len(tracks) == 40
    assert len(set(tracks)) == 40
    assert all("Chill" in server.track_moods(t) for t in tracks)
    artists = [server.track_artist(t) for t in tracks]
    assert max(Counter(artists).values()) <= 3
    assert all(a != b for a, b in pairwise(artists))
    assert coordinator.data is not None
    assert (coordinator.data.status, coordinator.data.window) == ("ok", "Morning chill")

    freezer.tick(60)
    run = await coordinator.async_run()
    assert run is not None
    assert run.status == "ok"
    assert list(server.playlists()) == ["Daily Flow"]  # updated in place


@pytest.mark.parametrize("fault", [{"kind": "status", "status": 500}, {"kind": "drop"}])
async def test_failed_run_keeps_the_playlist(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
    fault: dict[str, Any],
) -> None:
    """A server failing mid-run: status failed, cannot_connect, the tracks kept."""
    server, entry = server_entry
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, entry)
    before = server.playlists()["Daily Flow"]
    server.fake.inject_fault(**fault)
    run = await coordinator.async_run()
    server.fake.clear_faults()
    assert run is not None
    assert (run.status, run.reason) == ("failed", "cannot_connect")
    assert server.playlists()["Daily Flow"] == before


async def test_foreign_playlist_is_never_touched(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """A same-named playlist Harmoniq did not write stops the run with a repair."""
    server, entry = server_entry
    freezer.move_to(MORNING)
    server.add_foreign_playlist("Daily Flow")
    [coordinator] = await setup_entry(hass, entry)
    assert coordinator.data is not None
    assert (coordinator.data.status, coordinator.data.reason) == (
        "failed",
        "name_clash",
    )
    assert server.playlists() == {"Daily Flow": []}
    [subentry_id] = entry.subentries
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"name_clash_{subentry_id}")


async def test_jellyfin_offers_what_jellyfin_can_do(
    hass: HomeAssistant, jellyfin_entry: MockConfigEntry
) -> None:
    """No Sonic Flow, no Flow order and no skip limit for a Jellyfin entry."""
    await setup_entry(hass, jellyfin_entry)
    result = await hass.config_entries.subentries.async_init(
        (jellyfin_entry.entry_id, SUBENTRY_TYPE_PLAYLIST),
        context={"source": SOURCE_USER},
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["daily_flow"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "daily_flow"}
    )
    fields = {str(key): key for key in result["data_schema"].schema}
    assert "max_skips" not in fields
    order = result["data_schema"].schema[fields["order"]]
    assert order.config["options"] == ["spread"]
    assert "Chill" in result["description_placeholders"]["moods"]
