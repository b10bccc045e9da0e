"""A fair, fresh Daily Flow: every eligible track has the same chance, runs don't repeat."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.harmoniq.const import (
    CONF_EXCLUDE_PLAYED_DAYS,
    CONF_FAVOUR,
    CONF_MIN_STARS,
    CONF_TIME_WINDOWS,
)
from tests.conftest import playlist_subentry, setup_entry
from tests.fakes.plex_library import FakeLibrary, FakeTrack, generate_library
from tests.fakes.plex_server import FakePlexServer

pytestmark = pytest.mark.usefixtures("lastfm_server")

MORNING = "2026-11-24 08:00:00-08:00"
DAYTIME = "2026-11-24 10:00:00-08:00"  # Energetic: 262 to 385 tracks in these seeds
RUNS = 5


@pytest.fixture(params=[11, 12, 13])
def plex_library(request: pytest.FixtureRequest) -> FakeLibrary:
    """A generated library per seed (most tracks unrated, many never played)."""
    return generate_library(10000, seed=request.param)


def _eligible_pool(
    library: FakeLibrary, min_rating: float, cutoff: float
) -> list[FakeTrack]:
    """The morning window's pool: Chill tracks passing the refinements (unknown passes)."""
    return [
        track
        for track in library.tracks
        if "Chill" in track.moods
        and (track.user_rating is None or track.user_rating >= min_rating)
        and (track.last_viewed_at is None or track.last_viewed_at < cutoff)
    ]


def _shares(tracks: list[FakeTrack]) -> tuple[float, float]:
    return (
        sum(track.user_rating is None for track in tracks) / len(tracks),
        sum(track.last_viewed_at is None for track in tracks) / len(tracks),
    )


@pytest.mark.parametrize(
    "playlist_subentries",
    [[playlist_subentry(**{CONF_MIN_STARS: 3, CONF_EXCLUDE_PLAYED_DAYS: 30})]],
)
async def test_unrated_and_unplayed_tracks_get_their_share(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    config_entry: MockConfigEntry,
) -> None:
    """The playlists' shares of unrated and never-played tracks follow the pool's."""
    freezer.move_to(MORNING)
    cutoff = (dt_util.utcnow() - timedelta(days=30)).timestamp()
    pool = _eligible_pool(plex_library, 6, cutoff)
    [coordinator] = await setup_entry(hass, config_entry)
    written: list[FakeTrack] = list(plex_server.playlist_tracks("Daily Flow"))
    for _ in range(RUNS - 1):
        freezer.tick(60)
        await coordinator.async_run()
        written += plex_server.playlist_tracks("Daily Flow")
    assert coordinator.data is not None
    assert coordinator.data.status == "ok"
    assert len(written) == 40 * RUNS
    assert {track.rating_key for track in written} <= {t.rating_key for t in pool}
    pool_unrated, pool_unplayed = _shares(pool)
    unrated, unplayed = _shares(written)
    assert abs(unrated - pool_unrated) <= 0.15, (unrated, pool_unrated)
    assert abs(unplayed - pool_unplayed) <= 0.15, (unplayed, pool_unplayed)
    # Two requests per run once the tag list is known: rated-or-played and all.
    searches = [r for r in plex_server.requests if r.path.endswith("/all")]
    assert len(searches) == 2 * RUNS


async def test_consecutive_runs_bring_new_tracks(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """With a pool of at least three playlists, a run repeats none of the last two."""
    freezer.move_to(DAYTIME)
    [coordinator] = await setup_entry(hass, config_entry)
    runs = [{t.rating_key for t in plex_server.playlist_tracks("Daily Flow")}]
    for _ in range(3):
        freezer.tick(60)
        run = await coordinator.async_run()
        assert run is not None
        assert (run.status, run.new_tracks) == ("ok", 40)
        runs.append({t.rating_key for t in plex_server.playlist_tracks("Daily Flow")})
        assert len(runs[-1]) == 40
        assert not runs[-1] & set().union(*runs[-3:-1])
    assert hass.states.get("sensor.daily_flow_status").attributes["new_tracks"] == 40


@pytest.mark.parametrize(
    "playlist_subentries",
    [
        [
            playlist_subentry(
                **{CONF_TIME_WINDOWS: "00:00-12:00:moods=Chill:genres=Classical"}
            )
        ]
    ],
)
async def test_small_pool_reuses_tracks_rather_than_shrinking(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """Below three playlists' worth of tracks, recent tracks may come back."""
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, config_entry)
    first = coordinator.data
    assert first is not None
    freezer.tick(60)
    run = await coordinator.async_run()
    assert run is not None
    assert len(run.tracks) == len(first.tracks)
    assert run.new_tracks is not None
    assert run.new_tracks < len(run.tracks)


@pytest.mark.parametrize(
    "playlist_subentries", [[playlist_subentry(**{CONF_FAVOUR: "rating"})]]
)
async def test_favouring_ratings_keeps_unrated_tracks(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    plex_server: FakePlexServer,
    config_entry: MockConfigEntry,
) -> None:
    """Favouring ratings (weights: tests/engine/test_sampling.py) excludes nothing."""
    freezer.move_to(MORNING)
    [coordinator] = await setup_entry(hass, config_entry)
    assert coordinator.generator.settings.favour == "rating"  # type: ignore[attr-defined]
    written: list[FakeTrack] = []
    for _ in range(RUNS):
        freezer.tick(60)
        run = await coordinator.async_run()
        assert run is not None
        assert run.status == "ok"
        written += plex_server.playlist_tracks("Daily Flow")
    assert any(track.user_rating is None for track in written)
    assert any(
        track.user_rating is not None and track.user_rating <= 4 for track in written
    )
