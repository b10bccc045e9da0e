"""Exclusions: what a playlist never contains, on every music server adapter.

The adapters are called directly against the fakes; what counts as excluded is
read from the fake libraries' own data, with each server's semantics: Plex
excludes moods on the track and genres and styles on its album or artist, and
compares names in any case; Jellyfin excludes any of a track's artists, its own
genres, mood tags and tags, compared as Jellyfin compares them (`clean`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
import math
import random
from typing import Any

import pytest

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from custom_components.harmoniq.engine.daily_flow import (
    DailyFlowSettings,
    select_daily_flow,
)
from custom_components.harmoniq.engine.models import (
    Criteria,
    Exclusions,
    Refinements,
    Track,
    TrackQuery,
)
from custom_components.harmoniq.engine.sampling import fair_sample
from custom_components.harmoniq.engine.windows import parse_time_windows
from custom_components.harmoniq.jellyfin import JellyfinMusicServer
from custom_components.harmoniq.music_server import MusicServer
from custom_components.harmoniq.plex import PlexMusicServer
from tests.conftest import MUSIC_SECTION, PLEX_TOKEN
from tests.fakes.jellyfin_library import MOOD_TAG_PREFIX, JellyfinLibrary
from tests.fakes.jellyfin_server import FakeJellyfinServer, clean_value
from tests.fakes.plex_library import FakeLibrary, FakeTrack
from tests.fakes.plex_server import FakePlexServer

NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)
EVERYTHING = 5000  # more than the library holds: a sample is the whole pool
DEVICE_ID = "harmoniq-exclusions"


@dataclass(frozen=True)
class Facts:
    """What a library track carries, normalised the way its server compares."""

    artists: frozenset[str]
    genres: frozenset[str]
    moods: frozenset[str]
    styles: frozenset[str]
    tags: frozenset[str]


@dataclass
class Case:
    """One adapter connected to its fake, and the truth read from the fake."""

    kind: str
    music: MusicServer
    fake: FakePlexServer | FakeJellyfinServer
    library_key: str
    facts: dict[str, Facts]
    norm: Callable[[str], str]

    def excluded(self, track_id: str, exclusions: Exclusions) -> bool:
        """Return whether the fake's data says the track is excluded."""
        facts = self.facts[track_id]
        return any(
            {self.norm(name) for name in names} & have
            for names, have in (
                (exclusions.artists, facts.artists),
                (exclusions.genres, facts.genres),
                (exclusions.moods, facts.moods),
                (exclusions.styles, facts.styles),
                (exclusions.tags, facts.tags),
            )
        )

    def kept(self, exclusions: Exclusions) -> set[str]:
        """Return the ids of the library's tracks no exclusion matches."""
        return {t for t in self.facts if not self.excluded(t, exclusions)}

    def requests(self) -> list[Any]:
        """Return the requests the fake recorded."""
        return list(self.fake.requests)

    def clear(self) -> None:
        """Forget the recorded requests."""
        self.fake.clear_requests()


def plex_facts(library: FakeLibrary) -> dict[str, Facts]:
    """Track, album and artist tags of the fake Plex library, case-folded."""

    def folded(*groups: tuple[str, ...]) -> frozenset[str]:
        return frozenset(name.casefold() for group in groups for name in group)

    return {
        str(t.rating_key): Facts(
            artists=folded((t.track_artist, t.artist.title)),
            genres=folded(t.album.genres, t.artist.genres),
            moods=folded(t.moods),
            styles=folded(t.album.styles, t.artist.styles),
            tags=frozenset(),
        )
        for t in library.tracks
    }


def jellyfin_facts(fake: FakeJellyfinServer) -> dict[str, Facts]:
    """Artists, genres, mood tags and tags of the fake Jellyfin library, cleaned."""
    [library] = fake.libraries
    clean = fake.clean
    return {
        t.id: Facts(
            artists=frozenset(clean(a.name) for a in (*t.artists, *t.album_artists)),
            genres=frozenset(clean(g) for g in t.genres),
            moods=frozenset(
                clean(tag.removeprefix(MOOD_TAG_PREFIX))
                for tag in t.tags
                if tag.startswith(MOOD_TAG_PREFIX)
            ),
            styles=frozenset(),
            tags=frozenset(clean(tag) for tag in t.tags),
        )
        for t in library.tracks
    }


async def connect_jellyfin(
    hass: HomeAssistant, fake: FakeJellyfinServer
) -> JellyfinMusicServer:
    """Connect the adapter as alice."""
    alice = fake.user("alice")
    return await JellyfinMusicServer.async_connect(
        async_get_clientsession(hass),
        fake.url,
        fake.issue_token(alice, device_id=DEVICE_ID),
        alice.id,
        DEVICE_ID,
        verify_ssl=True,
    )


@pytest.fixture(name="fake", params=["plex", "jellyfin"])
def fake_fixture(
    request: pytest.FixtureRequest,
) -> FakePlexServer | FakeJellyfinServer:
    """Each fake server (1500 generated tracks, seed 7)."""
    return request.getfixturevalue(  # type: ignore[no-any-return]
        "plex_server" if request.param == "plex" else "jellyfin_server"
    )


@pytest.fixture
async def case(
    hass: HomeAssistant,
    fake: FakePlexServer | FakeJellyfinServer,
    plex_library: FakeLibrary,
) -> AsyncGenerator[Case]:
    """Each adapter, connected to its fake."""
    if isinstance(fake, FakePlexServer):
        music = await PlexMusicServer.async_connect(hass, fake.url, PLEX_TOKEN, True)
        fake.clear_requests()
        yield Case(
            "plex",
            music,
            fake,
            str(MUSIC_SECTION),
            plex_facts(plex_library),
            str.casefold,
        )
        await music.async_close()
        return
    connected = await connect_jellyfin(hass, fake)
    fake.clear_requests()
    yield Case(
        "jellyfin",
        connected,
        fake,
        fake.libraries[0].id,
        jellyfin_facts(fake),
        fake.clean,
    )
    assert fake.internal_errors == []
    assert fake.created_artists == {}  # names never went to `artists=`


@pytest.fixture(name="exclusions")
def exclusions_fixture(plex_library: FakeLibrary) -> Exclusions:
    """An artist on albums of their own and on compilations, a genre, a mood.

    Both fakes hold the same generated library (seed 7), so the names fit both.
    """
    [(artist, _count)] = Counter(
        t.original_title for t in plex_library.tracks if t.album.is_compilation
    ).most_common(1)
    assert artist is not None
    return Exclusions(artists=(artist,), genres=("Jazz",), moods=("Chill",))


def _query(
    exclusions: Exclusions,
    *,
    limit: int = EVERYTHING,
    refinements: Refinements | None = None,
    criteria: Criteria | None = None,
) -> TrackQuery:
    return TrackQuery(
        criteria=criteria or Criteria(),
        refinements=refinements or Refinements(),
        limit=limit,
        exclusions=exclusions,
    )


async def _search(case: Case, query: TrackQuery) -> list[list[Track]]:
    branches = await case.music.async_search_tracks([case.library_key], query, NOW)
    return [list(branch.tracks) for branch in branches]


async def test_search_leaves_out_exactly_the_excluded(
    case: Case, exclusions: Exclusions
) -> None:
    """No track with an excluded artist, genre or mood; every other track comes."""
    kept = case.kept(exclusions)
    assert 1000 < len(kept) < len(case.facts) - 150  # a real share is excluded
    for part in ("artists", "genres", "moods"):  # each name excludes something
        alone = Exclusions(**{part: getattr(exclusions, part)})
        assert case.kept(alone) > kept

    branches = await case.music.async_search_tracks(
        [case.library_key], _query(exclusions), NOW
    )
    found = [track.id for branch in branches for track in branch.tracks]
    assert len(found) == len(set(found))
    assert set(found) == kept
    assert sum(branch.pool_size for branch in branches) == len(kept)


async def test_unknown_names_exclude_nothing(case: Case) -> None:
    """Names the library does not have exclude nothing and fail nothing."""
    unknown = Exclusions(
        artists=("No Such Artist", "Crosby, Nobody & Co"),
        genres=("No Such Genre",),
        moods=("No Such Mood",),
        styles=("No Such Style",),
        tags=("no such tag",),
    )
    [branch] = await case.music.async_search_tracks(
        [case.library_key], _query(unknown), NOW
    )
    assert {track.id for track in branch.tracks} == set(case.facts)
    assert branch.pool_size == len(case.facts)
    tracks = list(branch.tracks[:60])
    assert await case.music.async_drop_excluded(tracks, unknown) == tracks
    if case.kind == "plex":
        [search] = [r for r in case.requests() if r.path.endswith("/all")]
        negated = [key for key, _value in search.query if key.endswith("!")]
        assert negated == []  # no tag ids for names the tag lists lack
        assert search.param("artist.title!=") == "No Such Artist"  # the comma one: here
    else:
        [search] = [r for r in case.requests() if r.path == "/Items"][:1]
        assert search.param("excludeArtistIds") is None


async def test_same_fairness_branch_by_branch(
    case: Case, exclusions: Exclusions
) -> None:
    """Exclusions only take the excluded tracks out of each branch and its size."""
    refinements = Refinements(min_stars=3, exclude_played_days=30)
    before = await case.music.async_search_tracks(
        [case.library_key], _query(Exclusions(), refinements=refinements), NOW
    )
    after = await case.music.async_search_tracks(
        [case.library_key], _query(exclusions, refinements=refinements), NOW
    )
    assert len(before) == len(after) == (2 if case.kind == "plex" else 1)
    for whole, part in zip(before, after, strict=True):
        expected = {t.id for t in whole.tracks if not case.excluded(t.id, exclusions)}
        assert {t.id for t in part.tracks} == expected
        assert part.pool_size == len(expected)


async def test_estimated_pools_and_shares_stay_fair(
    case: Case, exclusions: Exclusions
) -> None:
    """With samples smaller than the pool, the sizes and the mix stay honest."""
    refinements = Refinements(min_stars=3)
    exact = await case.music.async_search_tracks(
        [case.library_key], _query(exclusions, refinements=refinements), NOW
    )
    pool = [t for branch in exact for t in branch.tracks]
    unrated_share = sum(t.user_rating is None for t in pool) / len(pool)
    rng = random.Random(3)
    estimates: list[float] = []
    picked: list[Track] = []
    for _ in range(10):
        branches = await case.music.async_search_tracks(
            [case.library_key],
            _query(exclusions, refinements=refinements, limit=50),
            NOW,
        )
        estimates.append(sum(branch.pool_size for branch in branches))
        for branch in branches:
            assert len(branch.tracks) <= 50
            assert not any(case.excluded(t.id, exclusions) for t in branch.tracks)
        picked += fair_sample(branches, rng)[:50]
    assert sum(estimates) / len(estimates) == pytest.approx(len(pool), rel=0.15)
    share = sum(t.user_rating is None for t in picked) / len(picked)
    assert share == pytest.approx(unrated_share, abs=0.1)


async def test_search_requests(case: Case, exclusions: Exclusions) -> None:
    """Exclusions cost no request per search once their names are resolved."""
    await _search(case, _query(Exclusions()))
    assert len(case.requests()) == 1
    case.clear()
    await _search(case, _query(exclusions))
    first = len(case.requests())
    case.clear()
    await _search(case, _query(exclusions))
    again = case.requests()
    assert len(again) == 1
    if case.kind == "plex":
        assert first == 1 + 3  # mood (track), genre (album, artist) tag lists
    else:
        assert first == 1 + 2  # the excluded artist's id, the library's tags
        assert again[0].param("excludeArtistIds")
        assert again[0].param("fields") == "Genres,Tags"
        assert again[0].param("limit") == str(EVERYTHING * 3)


async def test_names_the_library_lacks_cost_nothing(case: Case) -> None:
    """A season's tag the library does not have: the same search as without it.

    On Jellyfin its genres and tags are read once (`/Items/Filters`), then no
    larger sample and no `fields` are asked for; on Plex the tag lists say so.
    """
    absent = Exclusions(genres=("Christmas",), moods=("Christmas",), tags=("Xmas",))
    await _search(case, _query(absent, limit=40))  # tag lists read, as when warm
    case.clear()
    await _search(case, _query(Exclusions(), limit=40))
    plain = [(r.path, sorted(r.query)) for r in case.requests()]
    case.clear()
    await _search(case, _query(absent, limit=40))
    assert [(r.path, sorted(r.query)) for r in case.requests()] == plain


async def test_mood_levels_the_server_lacks_are_not_asked(case: Case) -> None:
    """More Chill tracks than any level has: the same steps relaxed on both servers.

    Plex searches each mood level (track, album, artist, then without moods);
    Jellyfin's moods are track tags only, so its album and artist steps would
    ask the track-level search again and are not sent.
    """
    settings = DailyFlowSettings(
        windows=parse_time_windows("00:00-23:59:moods=Chill"),
        refinements=Refinements(),
        size=2000,
        library_keys=(case.library_key,),
        mood_levels=case.music.capabilities.mood_levels,
    )
    await _search(case, _query(Exclusions(), limit=1))  # tag lists read, as when warm
    case.clear()
    generation = await select_daily_flow(case.music, settings, NOW)
    assert generation.relaxed == ("mood_album", "mood_artist", "moods")
    assert generation.tracks
    searches = [r for r in case.requests() if r.path.endswith(("/all", "/Items"))]
    assert len(searches) == (4 if case.kind == "plex" else 2)


async def test_plex_filters_on_the_server(
    plex_server: FakePlexServer,
    plex_library: FakeLibrary,
    hass: HomeAssistant,
    exclusions: Exclusions,
) -> None:
    """Plex gets `!=` tag ids at each level and the album artist as `!==`."""
    music = await PlexMusicServer.async_connect(hass, plex_server.url, PLEX_TOKEN, True)
    plex_server.clear_requests()
    criteria = Criteria(moods=("Energetic",))
    await music.async_search_tracks(
        [str(MUSIC_SECTION)], _query(exclusions, limit=40, criteria=criteria), NOW
    )
    [search] = [r for r in plex_server.requests if r.path.endswith("/all")]
    assert search.param("track.mood") == str(plex_library.tag_ids["mood"]["Energetic"])
    assert search.container_size == 50  # 40 and a quarter for the track artists

    plex_server.clear_requests()
    await music.async_search_tracks([str(MUSIC_SECTION)], _query(exclusions), NOW)
    [search] = [r for r in plex_server.requests if r.path.endswith("/all")]
    ids = plex_library.tag_ids
    [artist] = exclusions.artists
    assert [
        (key, value) for key, value in search.query if key.endswith(("!", "!="))
    ] == [
        ("track.mood!", str(ids["mood"]["Chill"])),
        ("album.genre!", str(ids["genre"]["Jazz"])),
        ("artist.genre!", str(ids["genre"]["Jazz"])),
        ("artist.title!=", artist),
    ]
    # What Plex itself selects excludes every album artist, genre and mood named;
    # tracks credited to the artist on compilations are left to the adapter.
    selected = list(plex_server.search(MUSIC_SECTION, search.query))
    assert selected
    assert not any(
        t.artist.title == artist
        or "Jazz" in (*t.album.genres, *t.artist.genres)
        or "Chill" in t.moods
        for t in selected
        if isinstance(t, FakeTrack)
    )
    assert any(t.track_artist == artist for t in selected if isinstance(t, FakeTrack))
    await music.async_close()


async def test_plex_styles_and_case(
    plex_server: FakePlexServer, plex_library: FakeLibrary, hass: HomeAssistant
) -> None:
    """Styles exclude at album and artist level; names match in any case."""
    music = await PlexMusicServer.async_connect(hass, plex_server.url, PLEX_TOKEN, True)
    exclusions = Exclusions(styles=("shoegaze", "BEBOP"), tags=("ignored",))
    [branch] = await music.async_search_tracks(
        [str(MUSIC_SECTION)], _query(exclusions), NOW
    )
    facts = plex_facts(plex_library)
    kept = {t for t, f in facts.items() if not {"shoegaze", "bebop"} & f.styles}
    assert {t.id for t in branch.tracks} == kept < set(facts)
    await music.async_close()


async def test_drop_excluded(
    case: Case, plex_library: FakeLibrary, exclusions: Exclusions
) -> None:
    """Tracks from elsewhere are checked in order, in a few requests."""
    ids = list(case.facts)[::7][:150]
    tracks = await case.music.async_get_tracks(ids)
    assert len(tracks) == 150
    case.clear()

    assert await case.music.async_drop_excluded(tracks, Exclusions()) == tracks
    assert case.requests() == []

    kept = await case.music.async_drop_excluded(tracks, exclusions)
    assert kept == [t for t in tracks if not case.excluded(t.id, exclusions)]
    assert 0 < len(kept) < len(tracks)
    if case.kind == "jellyfin":  # 100 and 50 ids
        assert len(case.requests()) == 2
        return
    # Plex: the details of the tracks whose artists pass (moods, album and artist
    # keys), then those of their albums and artists (genres), 100 at a time.
    checked = [
        plex_library.track_by_key[int(t.id)]
        for t in tracks
        if not case.excluded(t.id, Exclusions(artists=exclusions.artists))
    ]
    holders = {t.album.rating_key for t in checked} | {
        t.artist.rating_key for t in checked
    }
    assert len(case.requests()) == math.ceil(len(checked) / 100) + math.ceil(
        len(holders) / 100
    )
    assert len(case.requests()) <= 5


@pytest.mark.parametrize(
    ("part", "plex_requests"),
    [("artists", 0), ("moods", 1), ("genres", 2), ("styles", 2), ("tags", 0)],
)
async def test_drop_excluded_costs(
    case: Case, plex_library: FakeLibrary, part: str, plex_requests: int
) -> None:
    """Up to 50 tracks: Plex asks what each kind needs, Jellyfin one request."""
    names = {
        "artists": (plex_library.artists[1].title,),
        "moods": ("Chill",),
        "genres": ("Rock",),
        "styles": ("Indie Rock",),
        "tags": ("MOOD:Chill",),
    }[part]
    exclusions = Exclusions(**{part: names})
    tracks = await case.music.async_get_tracks(list(case.facts)[::30][:50])
    case.clear()
    kept = await case.music.async_drop_excluded(tracks, exclusions)
    assert kept == [t for t in tracks if not case.excluded(t.id, exclusions)]
    if case.kind == "plex":
        assert len(case.requests()) == plex_requests
    else:
        assert len(case.requests()) == (0 if part == "styles" else 1)


async def test_jellyfin_tags(
    hass: HomeAssistant, jellyfin_server: FakeJellyfinServer
) -> None:
    """Jellyfin's free-form tags exclude in searches and checks, in any case."""
    [library] = jellyfin_server.libraries
    for number in range(5):
        library.add_track(f"Carol {number}", "Choir", tags=("Christmas",))
    library.add_track("Live One", "Band", tags=("live",), moods=("Chill",))
    music = await connect_jellyfin(hass, jellyfin_server)
    assert music.capabilities.tags
    exclusions = Exclusions(tags=("CHRISTMAS",))
    [branch] = await music.async_search_tracks([library.id], _query(exclusions), NOW)
    titles = {t.title for t in branch.tracks}
    assert "Live One" in titles
    assert not any(title.startswith("Carol") for title in titles)
    assert branch.pool_size == len(library.tracks) - 5
    tracks = await music.async_get_tracks(
        [library.track(title).id for title in ("Carol 1", "Live One", "Carol 3")]
    )
    jellyfin_server.clear_requests()
    kept = await music.async_drop_excluded(tracks, exclusions)
    assert [t.title for t in kept] == ["Live One"]
    [request] = jellyfin_server.requests
    assert request.param("fields") == "Genres,Tags"
    assert request.param("ids")


@pytest.mark.parametrize(("version", "dropped"), [("10.11", 1), ("12.0", 2)])
async def test_jellyfin_compares_like_the_server(
    hass: HomeAssistant, version: str, dropped: int
) -> None:
    """Excluded genres match the spellings the server's version treats as one."""
    library = JellyfinLibrary()
    library.add_track("Dashed", "MC One", genres=("Hip-Hop",))
    library.add_track("Spaced", "MC Two", genres=("Hip Hop",))
    library.add_track("Accented", "Björk", genres=("Électronique",))
    library.add_track("Plain", "Someone", genres=("Rock",))
    fake = FakeJellyfinServer(version=version, libraries=[library])  # type: ignore[arg-type]
    fake.add_user("alice", "pw")
    await fake.start()
    try:
        music = await connect_jellyfin(hass, fake)
        exclusions = Exclusions(genres=("hip hop", "electronique"), artists=("bjork",))
        [branch] = await music.async_search_tracks(
            [library.id], _query(exclusions), NOW
        )
        assert len(branch.tracks) == 4 - 1 - dropped
        assert "Plain" in {t.title for t in branch.tracks}
        assert all(
            clean_value(g, version) != clean_value("hip hop", version)
            for t in branch.tracks
            for g in library.track(t.title).genres
        )
        tracks = await music.async_get_tracks([t.id for t in library.tracks])
        kept = await music.async_drop_excluded(tracks, exclusions)
        titles = {t.title for t in branch.tracks}
        assert [t.title for t in kept] == [t.title for t in tracks if t.title in titles]
        assert fake.created_artists == {}
    finally:
        await fake.stop()
