"""Covers Harmoniq draws and uploads: legible, one upload per change, never the user's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from io import BytesIO
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant

from custom_components.harmoniq.const import (
    CONF_COVER_ART,
    DOMAIN,
    SERVICE_WRITE_PLAYLIST,
)
from custom_components.harmoniq.coordinator import PlaylistCoordinator
from custom_components.harmoniq.cover_art import (
    DESIGN_VERSION,
    SCHEMES,
    colour_scheme,
    contrast_ratio,
    cover_key,
    render_cover,
)
from custom_components.harmoniq.engine.windows import DEFAULT_TIME_WINDOWS
from tests.conftest import setup_entry
from tests.fakes.jellyfin_server import FakeJellyfinServer
from tests.fakes.plex_server import FakePlexServer
from tests.servers import Server

pytestmark = pytest.mark.usefixtures("lastfm_server")

MORNING = "2026-11-24 08:00:00-08:00"  # "Morning chill" until 09:00 (US/Pacific)
TITLE = "Daily Flow"


# ---------------------------------------------------------------------------------------
# The picture.
# ---------------------------------------------------------------------------------------
def _is_text(pixel: tuple[int, int, int], background: tuple[int, int, int]) -> bool:
    """A pixel that stands out from the background as text does (WCAG 4.5:1)."""
    return contrast_ratio(pixel, background) >= 4.5


@pytest.mark.parametrize(
    ("title", "window"),
    [
        (TITLE, "Morning chill"),
        (TITLE, "Daytime energy"),
        (TITLE, "Evening atmosphere"),
        ("Sonic Flow", None),
        ("A playlist with a rather long name that needs three lines", "Late night"),
        ("Supercalifragilisticexpialidocious", "Workout"),
    ],
)
def test_cover_is_legible_at_200_px(title: str, window: str | None) -> None:
    """White text on the scheme's colours, large enough to read at 200 px."""
    scheme = colour_scheme(title, window)
    for background in (scheme.top, scheme.bottom):
        assert contrast_ratio(scheme.text, background) >= 7
        assert contrast_ratio(scheme.accent, background) >= 4.5
    image = Image.open(BytesIO(render_cover(title, window)))
    assert (image.format, image.size) == ("JPEG", (600, 600))
    small = image.convert("RGB").resize((200, 200), Image.Resampling.LANCZOS)
    pixels: Any = small.load()
    # The text sits in the lower half: rows with text pixels, and how tall the
    # tallest run of such rows is (a line of text, in px at 200 px).
    text_rows = []
    for y in range(100, 200):
        background = small.getpixel((199, y))  # the right edge: never text
        count = sum(_is_text(pixels[x, y], background) for x in range(200))
        text_rows.append(count > 0)
        if count:
            assert contrast_ratio(scheme.text, background) >= 7
    runs, run = [], 0
    for has_text in text_rows:
        run = run + 1 if has_text else 0
        runs.append(run)
    assert max(runs) >= 12  # the title's letters are at least 12 px tall
    text_pixels = sum(
        _is_text(pixels[x, y], small.getpixel((199, y)))
        for y in range(100, 200)
        for x in range(200)
    )
    assert text_pixels > 400


def test_windows_have_distinct_schemes() -> None:
    """The times of day each have their own scheme; the choice is stable."""
    names = [window.name for window in DEFAULT_TIME_WINDOWS]
    schemes = [colour_scheme(TITLE, name) for name in [*names, "Late night"]]
    assert len({scheme.name for scheme in schemes}) == 4
    assert colour_scheme(TITLE, "Morning chill").name == "dawn"
    assert colour_scheme(TITLE, "Late night").name == "night"
    assert colour_scheme("Other title", "Morning chill") == schemes[0]
    # Other names: a scheme by hash, the same each time, several in use.
    others = {colour_scheme(TITLE, f"Window {n}").name for n in range(40)}
    assert len(others) >= 5
    assert colour_scheme(TITLE, "Window 7") == colour_scheme(TITLE, "Window 7")
    assert len({scheme.name for scheme in SCHEMES}) == len(SCHEMES)


def test_cover_key() -> None:
    """The key changes with the title, the window and the design, nothing else."""
    key = cover_key(TITLE, "Morning chill")
    assert key == cover_key(TITLE, "Morning chill")
    assert len(key) == 16
    assert (
        len({key, cover_key(TITLE, "Evening"), cover_key("Mix", "Morning chill")}) == 3
    )
    assert cover_key(TITLE, None) == cover_key(TITLE, "")
    assert isinstance(DESIGN_VERSION, int)


# ---------------------------------------------------------------------------------------
# Uploading, on both servers.
# ---------------------------------------------------------------------------------------
class Covers:
    """The cover requests a fake server received, counted per run."""

    def __init__(self, server: Server) -> None:
        """Watch `server`'s recorded requests."""
        self.server = server
        self.seen = 0

    def uploads_and_reads(self) -> tuple[int, int]:
        """Return the artwork uploads and reads since the last call.

        Reads: Plex `GET /playlists/{id}`; Jellyfin `GET /Items/{id}` beyond those
        with which the writer reads the playlist (each followed by its entries).
        """
        fake = self.server.fake
        requests = fake.requests[self.seen :]
        self.seen = len(fake.requests)
        playlist_id = self.server.playlist_id(TITLE)
        writer_reads = 0
        if isinstance(fake, FakePlexServer):
            upload = f"/library/metadata/{playlist_id}/posters"
            read = f"/playlists/{playlist_id}"
        else:
            upload = f"/Items/{playlist_id}/Images/Primary"
            read = f"/Items/{playlist_id}"
            writer_reads = sum(
                r.method == "GET"
                and r.path == f"/Playlists/{playlist_id}/Items"
                and r.param("startIndex") == "0"
                for r in requests
            )
        uploads = sum(r.method == "POST" and r.path == upload for r in requests)
        reads = sum(r.method == "GET" and r.path == read for r in requests)
        return uploads, reads - writer_reads

    def image(self) -> bytes | None:
        """Return the playlist's current image (None: the server's own)."""
        fake = self.server.fake
        if isinstance(fake, FakePlexServer):
            [playlist] = fake.playlists.values()
            return playlist.posters[-1] if playlist.thumb else None  # type: ignore[return-value]
        return fake.playlist_by_name(TITLE).image

    def set_users_own(self, image: bytes | None) -> None:
        """Set (None: remove) artwork as the user would in the server's app."""
        fake = self.server.fake
        if isinstance(fake, FakePlexServer):
            [playlist] = fake.playlists.values()
            if image is None:
                fake.remove_poster(playlist)
            else:
                fake.set_poster(playlist, image)
        else:
            fake.playlist_by_name(TITLE).set_image(image)


def _entry(entry: MockConfigEntry, **changes: Any) -> MockConfigEntry:
    """Return a copy of the entry whose playlist has `changes` in its settings."""
    [subentry] = entry.subentries.values()
    return MockConfigEntry(
        domain=entry.domain,
        title=entry.title,
        unique_id=entry.unique_id,
        minor_version=entry.minor_version,
        data=dict(entry.data),
        subentries_data=[
            ConfigSubentryData(
                subentry_type=subentry.subentry_type,
                title=subentry.title,
                data={**subentry.data, **changes},
                unique_id=None,
            )
        ],
    )


def _admin(server: Server) -> None:
    """Make the entry's Jellyfin user an administrator (who may set images)."""
    if isinstance(server.fake, FakeJellyfinServer):
        server.fake.user("alice").is_admin = True


async def _at(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: str) -> None:
    """Move to `when` and let the runs that fall due finish.

    First to 2 s before, with nothing due, so that the fakes' keep-alive timers
    close their idle connections before a run could send on one.
    """
    freezer.move_to(datetime.fromisoformat(when) - timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _run(coordinator: PlaylistCoordinator) -> None:
    run = await coordinator.async_run()
    assert run is not None
    assert run.status == "ok"


async def test_one_upload_per_cover_change(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """First run: one upload; same window: nothing; a new window: one upload."""
    server, entry = server_entry
    _admin(server)
    covers = Covers(server)
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, entry)
    assert coordinator.data is not None
    assert coordinator.data.window == "Morning chill"
    # The upload, then one read of the new artwork's id (so that artwork the user
    # sets later is never taken for Harmoniq's).
    assert covers.uploads_and_reads() == (1, 1)
    morning = covers.image()
    assert morning is not None
    assert morning[:2] == b"\xff\xd8"  # a JPEG

    freezer.tick(60)
    await _run(coordinator)
    assert covers.uploads_and_reads() == (0, 0)  # unchanged: no request at all

    await _at(hass, freezer, "2026-11-24 09:00:01-08:00")
    assert coordinator.data.window == "Daytime energy"
    assert covers.uploads_and_reads() == (1, 1)
    assert covers.image() not in (None, morning)

    freezer.tick(60)
    await _run(coordinator)
    assert covers.uploads_and_reads() == (0, 0)
    stored = entry.runtime_data.store.state(coordinator.subentry.subentry_id)
    assert stored.cover_key == cover_key(TITLE, "Daytime energy")
    assert stored.artwork
    assert stored.user_artwork is None


async def test_plex_without_thumb_in_the_items_reply(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """Where the items reply lacks `thumb`, a new window costs one read more."""
    plex_server.playlist_items_thumb = False
    covers = Covers(Server("plex", plex_server))
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, config_entry)
    assert covers.uploads_and_reads() == (1, 1)
    freezer.tick(60)
    await _run(coordinator)
    assert covers.uploads_and_reads() == (0, 0)
    await _at(hass, freezer, "2026-11-24 09:00:01-08:00")
    assert covers.uploads_and_reads() == (1, 2)  # current artwork, upload, new id


async def test_users_own_artwork_is_never_replaced(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Artwork the user set stays through new windows; removed, covers come back."""
    server, entry = server_entry
    _admin(server)
    covers = Covers(server)
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, entry)
    assert covers.uploads_and_reads() == (1, 1)
    covers.set_users_own(b"\x89PNG the user's own")

    freezer.tick(60)
    with caplog.at_level(logging.INFO):
        await _run(coordinator)
    assert "has artwork of its own: Harmoniq leaves it" in caplog.text
    for when in ("2026-11-24 09:00:01-08:00", "2026-11-24 17:00:01-08:00"):
        await _at(hass, freezer, when)
        assert coordinator.data is not None
        assert coordinator.data.status == "ok"
    assert coordinator.data.window == "Evening atmosphere"
    assert covers.uploads_and_reads() == (0, 0)
    assert covers.image() == b"\x89PNG the user's own"

    covers.set_users_own(None)  # the user removes theirs: Harmoniq's cover returns
    freezer.tick(60)
    await _run(coordinator)
    assert covers.uploads_and_reads() == (1, 1)
    assert covers.image() == render_cover(TITLE, "Evening atmosphere")


async def test_users_artwork_before_the_first_cover(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """A playlist Harmoniq wrote before covers existed keeps the user's artwork."""
    server, entry = server_entry
    _admin(server)
    covers = Covers(server)
    freezer.move_to(MORNING)
    off = _entry(entry, **{CONF_COVER_ART: False})
    [coordinator] = await setup_entry(hass, off)
    assert covers.uploads_and_reads() == (0, 0)
    covers.set_users_own(b"\xff\xd8 mine")
    hass.config_entries.async_update_subentry(
        off,
        coordinator.subentry,
        data={**coordinator.subentry.data, CONF_COVER_ART: True},
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    [coordinator] = off.runtime_data.coordinators.values()
    freezer.tick(60)
    await _run(coordinator)
    await _at(hass, freezer, "2026-11-24 09:00:01-08:00")
    assert covers.uploads_and_reads()[0] == 0
    assert covers.image() == b"\xff\xd8 mine"


async def test_cover_art_off_uploads_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """`cover_art: False`: no cover request in any run."""
    server, entry = server_entry
    _admin(server)
    covers = Covers(server)
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, _entry(entry, **{CONF_COVER_ART: False}))
    await _at(hass, freezer, "2026-11-24 09:00:01-08:00")
    assert coordinator.data is not None
    assert coordinator.data.window == "Daytime energy"
    assert covers.uploads_and_reads() == (0, 0)
    assert covers.image() is None


@pytest.mark.parametrize(
    "fault",
    [{"kind": "status", "status": 500}, {"kind": "drop"}],
    ids=["500", "drop"],
)
async def test_failed_upload_does_not_fail_the_run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
    fault: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The tracks are written and the run is ok; the next run uploads the cover."""
    server, entry = server_entry
    _admin(server)
    covers = Covers(server)
    path = "/library/metadata/" if server.kind == "plex" else "/Items/"
    server.fake.inject_fault(**fault, path_prefix=path, method="POST", times=1)
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, entry)
    assert coordinator.data is not None
    assert coordinator.data.status == "ok"
    assert len(server.playlists()[TITLE]) == 40
    assert "the cover was not updated" in caplog.text
    assert covers.uploads_and_reads() == (1, 0)
    assert covers.image() is None
    freezer.tick(60)
    await _run(coordinator)
    # Plex: the items reply has shown no poster yet, so the artwork is read first.
    assert covers.uploads_and_reads() == (1, 2 if server.kind == "plex" else 1)
    assert covers.image() is not None


async def test_a_new_playlist_gets_a_cover(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """The user deleted the playlist: the one Harmoniq creates anew gets a cover."""
    server, entry = server_entry
    _admin(server)
    covers = Covers(server)
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, entry)
    assert covers.uploads_and_reads() == (1, 1)
    old_id = server.playlist_id(TITLE)
    fake = server.fake
    if isinstance(fake, FakePlexServer):
        del fake.playlists[int(old_id)]
    else:
        del fake.playlists[old_id]
    freezer.tick(60)
    await _run(coordinator)
    assert server.playlist_id(TITLE) != old_id
    assert covers.uploads_and_reads() == (1, 1)
    assert covers.image() is not None


# ---------------------------------------------------------------------------------------
# Jellyfin: administrators only.
# ---------------------------------------------------------------------------------------
async def test_jellyfin_user_who_may_not_set_images(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    jellyfin_server: FakeJellyfinServer,
    jellyfin_entry: MockConfigEntry,
) -> None:
    """A user who is not an administrator: no upload, and every run is ok."""
    covers = Covers(Server("jellyfin", jellyfin_server))
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, jellyfin_entry)
    await _at(hass, freezer, "2026-11-24 09:00:01-08:00")
    assert coordinator.data is not None
    assert (coordinator.data.status, coordinator.data.window) == (
        "ok",
        "Daytime energy",
    )
    assert covers.uploads_and_reads() == (0, 0)


async def test_jellyfin_403_stops_the_uploads(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    jellyfin_server: FakeJellyfinServer,
    jellyfin_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An administrator demoted later: one 403, logged once, then no more attempts."""
    server = Server("jellyfin", jellyfin_server)
    _admin(server)
    covers = Covers(server)
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, jellyfin_entry)
    assert covers.uploads_and_reads() == (1, 1)
    jellyfin_server.user("alice").is_admin = False
    with caplog.at_level(logging.INFO):
        for when in ("2026-11-24 09:00:01-08:00", "2026-11-24 17:00:01-08:00"):
            await _at(hass, freezer, when)
            assert coordinator.data is not None
            assert coordinator.data.status == "ok"
    assert coordinator.data.window == "Evening atmosphere"
    uploads = [
        r
        for r in jellyfin_server.requests
        if r.method == "POST" and r.path.endswith("/Images/Primary")
    ]
    assert [r.status for r in uploads] == [204, 403]
    assert caplog.text.count("does not let this user set playlist artwork") == 1
    assert "the cover was not updated" not in caplog.text


# ---------------------------------------------------------------------------------------
# What a run costs.
# ---------------------------------------------------------------------------------------
async def test_cover_requests_per_run(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    server_entry: tuple[Server, MockConfigEntry],
) -> None:
    """Covers add no request to a run whose cover is unchanged, two when it changed."""
    server, entry = server_entry
    _admin(server)
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, entry)
    stats: Callable[[], int] = lambda: entry.runtime_data.server.stats.requests  # noqa: E731
    costs = []
    for cover_art in (True, False, True):
        hass.config_entries.async_update_subentry(
            entry,
            coordinator.subentry,
            data={**coordinator.subentry.data, CONF_COVER_ART: cover_art},
        )
        await hass.async_block_till_done(wait_background_tasks=True)
        [coordinator] = entry.runtime_data.coordinators.values()
        freezer.tick(timedelta(minutes=1))
        before = stats()
        await _run(coordinator)
        costs.append(stats() - before)
    assert costs[0] == costs[1] == costs[2]


def _posts_to_images(server: Server) -> int:
    """Return the image uploads the fake received, to any playlist."""
    if isinstance(server.fake, FakePlexServer):
        return sum(
            r.method == "POST" and r.path.endswith("/posters")
            for r in server.fake.requests
        )
    return sum(
        r.method == "POST" and r.path.endswith("/Images/Primary")
        for r in server.fake.requests
    )


@pytest.mark.parametrize("cover_art", [True, False])
async def test_action_playlist_gets_a_cover_once(
    hass: HomeAssistant,
    server_entry: tuple[Server, MockConfigEntry],
    cover_art: bool,
) -> None:
    """`write_playlist` uploads a cover when it creates the playlist, never again."""
    server, entry = server_entry
    _admin(server)
    await setup_entry(hass, entry)
    before = _posts_to_images(server)
    track_ids = list(server.tracks)[:12]
    for tracks in (track_ids[:6], track_ids[6:]):
        await hass.services.async_call(
            DOMAIN,
            SERVICE_WRITE_PLAYLIST,
            {"name": "Party", "tracks": tracks, "cover_art": cover_art},
            blocking=True,
            return_response=True,
        )
    assert server.playlists()["Party"] == track_ids[6:]
    assert _posts_to_images(server) - before == (1 if cover_art else 0)
