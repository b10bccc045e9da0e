"""The Jellyfin adapter against the fake Jellyfin server, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
import dataclasses
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import socket
from typing import Any
from unittest.mock import patch

import aiohttp
import pytest

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from custom_components.harmoniq import jellyfin
from custom_components.harmoniq.engine.models import Criteria, Refinements, TrackQuery
from custom_components.harmoniq.jellyfin import (
    CLIENT_VERSION,
    LIKED_RATING,
    JellyfinMusicServer,
    async_login_password,
    async_quick_connect_enabled,
    async_quick_connect_initiate,
    async_quick_connect_login,
    async_quick_connect_poll,
)
from custom_components.harmoniq.music_server import (
    MusicLibrary,
    MusicServerAuthError,
    MusicServerConnectionError,
    MusicServerError,
    MusicServerSSLError,
    SonicAnalysisUnavailableError,
)
from custom_components.harmoniq.playlists import (
    OwnedPlaylistWriter,
    PlaylistNameClashError,
)
from tests.fakes.jellyfin_library import (
    JellyfinLibrary,
    UserItemData,
    generate_jellyfin_library,
)
from tests.fakes.jellyfin_server import (
    FakeJellyfinServer,
    PlaylistShare,
    RecordedRequest,
    parse_authorization,
)

NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)
DAY = 86_400
DEVICE_ID = "harmoniq-entry-0123"
ALICE_PASSWORD = "alice-pw"
ENTRY = "entry-id"
OWNER = "subentry-id"
VERSIONS = ("10.10", "10.11", "12.0")


def _ago(days: float) -> float:
    return (NOW - timedelta(days=days)).timestamp()


def small_library(name: str = "Music") -> JellyfinLibrary:
    """Hand-made tracks with known genres, moods and alice's listening data."""
    lib = JellyfinLibrary(name=name)
    lib.add_track(
        "Harbour Lights", "The Example Band", "Northern Shore",
        genres=("Indie Rock", "Dream Pop"), moods=("Chill",),
        user_data=UserItemData(rating=10.0, play_count=7, played=True,
                               last_played=_ago(2), is_favorite=True),
    )  # fmt: skip
    lib.add_track(
        "Slow Tide", ("Example Singer", "Guest Person"), "Quiet Hours",
        genres=("Jazz",),
    )  # fmt: skip
    lib.add_track(
        "Paper Planes (Live)", "The Example Band", "Festival Sessions",
        album_artist="Various Artists", genres=("Indie Rock",), tags=("live",),
        user_data=UserItemData(rating=1.0, play_count=2, played=True,
                               last_played=_ago(100)),
    )  # fmt: skip
    lib.add_track(
        "Röck Song", "Ünïcode Artist", genres=("Röck",), moods=("Energetic",),
        user_data=UserItemData(rating=8.0, play_count=1, played=True,
                               last_played=_ago(50)),
    )  # fmt: skip
    lib.add_track(
        "Hip Tune", "MC Test", genres=("Hip-Hop",), moods=("Energetic", "Chill"),
        user_data=UserItemData(rating=4.0, play_count=3, played=True,
                               last_played=_ago(1)),
    )  # fmt: skip
    for title in ("Rock", "Rock Anthem", "Rocket Science", "Hard Rock Cafe"):
        lib.add_track(title, "Rock Band", genres=("Rock",))
    return lib


type Start = Callable[..., Awaitable[FakeJellyfinServer]]


@pytest.fixture(name="start")
async def start_fixture() -> AsyncGenerator[Start]:
    """Start fake servers with alice (the library's listener) and bob."""
    servers: list[FakeJellyfinServer] = []

    async def start(*libraries: JellyfinLibrary, **options: Any) -> FakeJellyfinServer:
        libraries = libraries or (small_library(),)
        server = FakeJellyfinServer(libraries=libraries, **options)
        user_data = {k: v for lib in libraries for k, v in lib.user_data.items()}
        server.add_user("alice", ALICE_PASSWORD, user_data=user_data)
        server.add_user("bob", "bob-pw")
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture(name="fake")
async def fake_fixture(start: Start) -> FakeJellyfinServer:
    """A 12.0 server with the small library."""
    return await start()


async def _connect(
    hass: HomeAssistant, server: FakeJellyfinServer, user: str = "alice"
) -> JellyfinMusicServer:
    account = server.user(user)
    token = server.issue_token(account, device_id=DEVICE_ID)
    return await JellyfinMusicServer.async_connect(
        async_get_clientsession(hass),
        server.url,
        token,
        account.id,
        DEVICE_ID,
        verify_ssl=True,
    )


@pytest.fixture(name="music")
async def music_fixture(
    hass: HomeAssistant, fake: FakeJellyfinServer
) -> JellyfinMusicServer:
    """The adapter connected to `fake` as alice; recorded requests cleared."""
    music = await _connect(hass, fake)
    fake.clear_requests()
    return music


def _calls(server: FakeJellyfinServer) -> list[str]:
    return [f"{r.method} {r.path}" for r in server.requests]


def _params(request: RecordedRequest) -> dict[str, str]:
    return {key.lower(): value for key, value in request.query}


def _library(server: FakeJellyfinServer) -> JellyfinLibrary:
    return server.libraries[0]


def _id(server: FakeJellyfinServer, title: str) -> str:
    return _library(server).track(title).id


# -- login ----------------------------------------------------------------------------


async def test_login_with_password(
    hass: HomeAssistant, fake: FakeJellyfinServer
) -> None:
    """A password login returns a working token for the user's device."""
    session = async_get_clientsession(hass)
    login = await async_login_password(
        session, fake.url, "ALICE", ALICE_PASSWORD, DEVICE_ID
    )
    alice = fake.user("alice")
    assert login.user_id == alice.id
    assert login.server_id == fake.server_id
    assert login.server_name == "Fake Jellyfin"
    token = fake.tokens[login.token]
    assert (token.user_id, token.device_id, token.client, token.app_version) == (
        alice.id,
        DEVICE_ID,
        "Harmoniq",
        CLIENT_VERSION,
    )
    assert _calls(fake) == ["POST /Users/AuthenticateByName", "GET /System/Info/Public"]
    assert json.loads(fake.requests[0].body) == {
        "Username": "ALICE",
        "Pw": ALICE_PASSWORD,
    }

    with pytest.raises(MusicServerAuthError):
        await async_login_password(session, fake.url, "alice", "wrong", DEVICE_ID)
    alice.is_disabled = True
    with pytest.raises(MusicServerAuthError):
        await async_login_password(
            session, fake.url, "alice", ALICE_PASSWORD, DEVICE_ID
        )


@pytest.mark.parametrize("version", VERSIONS)
async def test_quick_connect(hass: HomeAssistant, start: Start, version: str) -> None:
    """Initiate, poll until a user approves the code, then log in."""
    fake = await start(version=version)
    session = async_get_clientsession(hass)
    assert await async_quick_connect_enabled(session, fake.url, DEVICE_ID)
    code, secret = await async_quick_connect_initiate(session, fake.url, DEVICE_ID)
    assert len(code) == 6
    assert not await async_quick_connect_poll(session, fake.url, DEVICE_ID, secret)
    with pytest.raises(MusicServerAuthError):  # not approved yet
        await async_quick_connect_login(session, fake.url, DEVICE_ID, secret)

    approved = fake.approve_quick_connect(code, fake.user("alice"))
    assert await async_quick_connect_poll(session, fake.url, DEVICE_ID, secret)
    login = await async_quick_connect_login(session, fake.url, DEVICE_ID, secret)
    assert login.token == approved
    assert login.user_id == fake.user("alice").id
    assert login.server_id == fake.server_id
    assert fake.tokens[login.token].device_id == DEVICE_ID

    with pytest.raises(MusicServerAuthError):  # expired or unknown secret
        await async_quick_connect_poll(session, fake.url, DEVICE_ID, "0" * 64)


async def test_quick_connect_disabled(hass: HomeAssistant, start: Start) -> None:
    """A server without Quick Connect says so, and refuses to start one."""
    fake = await start(quick_connect_enabled=False)
    session = async_get_clientsession(hass)
    assert not await async_quick_connect_enabled(session, fake.url, DEVICE_ID)
    with pytest.raises(MusicServerAuthError):
        await async_quick_connect_initiate(session, fake.url, DEVICE_ID)


# -- connecting -----------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_connect(hass: HomeAssistant, start: Start, version: str) -> None:
    """Identity and capabilities come from /System/Info and /Users/Me."""
    fake = await start(version=version)
    music = await _connect(hass, fake)
    alice = fake.user("alice")
    assert music.info.unique_id == f"{fake.server_id}_{alice.id}"
    assert music.info.name == "Fake Jellyfin"
    assert music.info.version == fake.version_string
    capabilities = music.capabilities
    assert capabilities.moods
    assert capabilities.bulk_playlist_replace
    assert not capabilities.styles
    assert not capabilities.star_ratings
    assert not capabilities.skip_counts
    assert not capabilities.sonic_analysis
    assert _calls(fake)[-2:] == ["GET /System/Info", "GET /Users/Me"]
    assert music.stats.requests == 2


async def test_every_request_carries_the_mediabrowser_header(
    hass: HomeAssistant, fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Token in the `Authorization` header only: never X-Emby-Token or api_key."""
    await music.async_get_music_libraries()
    await music.async_get_tracks([_id(fake, "Rock")])
    for request in fake.requests:
        header = parse_authorization(request.headers["Authorization"], allow_emby=False)
        assert header is not None
        assert header["Client"] == "Harmoniq"
        assert header["Device"] == "Home Assistant"
        assert header["DeviceId"] == DEVICE_ID
        assert header["Version"] == CLIENT_VERSION
        assert header["Token"] in fake.tokens
        assert "X-Emby-Token" not in request.headers
        assert not {"api_key", "apikey"} & set(_params(request))


async def test_connect_rejects_wrong_user_revoked_token_and_api_key(
    hass: HomeAssistant, fake: FakeJellyfinServer
) -> None:
    """Another user's token, a revoked token or an API key are auth errors."""
    session = async_get_clientsession(hass)
    bob_token = fake.issue_token(fake.user("bob"), device_id=DEVICE_ID)
    with pytest.raises(MusicServerAuthError):
        await JellyfinMusicServer.async_connect(
            session,
            fake.url,
            bob_token,
            fake.user("alice").id,
            DEVICE_ID,
            verify_ssl=True,
        )
    api_key = fake.create_api_key()
    with pytest.raises(MusicServerAuthError):
        await JellyfinMusicServer.async_connect(
            session,
            fake.url,
            api_key,
            fake.user("alice").id,
            DEVICE_ID,
            verify_ssl=True,
        )

    music = await _connect(hass, fake)
    for token in list(fake.tokens):
        fake.revoke_token(token)
    with pytest.raises(MusicServerAuthError):
        await music.async_get_music_libraries()
    with pytest.raises(MusicServerAuthError):
        await _connect_with(hass, fake, "0" * 32)


async def _connect_with(
    hass: HomeAssistant, server: FakeJellyfinServer, token: str
) -> JellyfinMusicServer:
    return await JellyfinMusicServer.async_connect(
        async_get_clientsession(hass),
        server.url,
        token,
        server.user("alice").id,
        DEVICE_ID,
        verify_ssl=True,
    )


# -- libraries and tags ---------------------------------------------------------------


async def test_music_libraries(hass: HomeAssistant, start: Start) -> None:
    """Only the user's music views are libraries."""
    first, second = small_library("Music"), small_library("Vinyl Rips")
    fake = await start(first, second)
    music = await _connect(hass, fake)
    assert sorted(
        await music.async_get_music_libraries(), key=lambda lib: lib.title
    ) == [MusicLibrary(first.id, "Music"), MusicLibrary(second.id, "Vinyl Rips")]


async def test_tag_choices(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Genres from /Genres, moods from the prefixed tags; no styles."""
    choices = await music.async_get_tag_choices([_library(fake).id])
    assert choices.moods == ("Chill", "Energetic")
    # Jellyfin keeps one genre per folded name: "Röck" stands for "Rock" too.
    assert choices.genres == ("Dream Pop", "Hip-Hop", "Indie Rock", "Jazz", "Röck")
    assert choices.styles == ()
    assert _calls(fake) == ["GET /Genres", "GET /Items/Filters"]


# -- tracks ---------------------------------------------------------------------------


def _query(
    *,
    genres: tuple[str, ...] = (),
    moods: tuple[str, ...] = (),
    styles: tuple[str, ...] = (),
    refinements: Refinements | None = None,
    limit: int = 50,
    mood_level: Any = "track",
) -> TrackQuery:
    return TrackQuery(
        criteria=Criteria(moods=moods, genres=genres, styles=styles),
        refinements=refinements or Refinements(),
        limit=limit,
        mood_level=mood_level,
    )


async def test_track_mapping(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Ids, names, artists, user data; likes and favourites count as top-rated."""
    ids = [_id(fake, t) for t in ("Harbour Lights", "Slow Tide", "Paper Planes (Live)")]
    harbour, slow, paper = await music.async_get_tracks(ids)
    assert (harbour.id, harbour.title, harbour.album) == (
        ids[0],
        "Harbour Lights",
        "Northern Shore",
    )
    assert harbour.user_rating == LIKED_RATING  # favourite
    assert harbour.view_count == 7
    assert harbour.skip_count == 0
    assert harbour.duration == 200.0
    assert harbour.last_viewed_at == NOW - timedelta(days=2)
    assert not harbour.sonically_analyzed
    assert (slow.artist, slow.album_artist) == ("Example Singer", "Example Singer")
    assert (slow.user_rating, slow.view_count, slow.last_viewed_at) == (None, 0, None)
    assert (paper.artist, paper.album_artist) == ("The Example Band", "Various Artists")
    assert paper.user_rating == 1.0  # disliked


async def test_dates_without_z(hass: HomeAssistant, start: Start) -> None:
    """A date without `Z` is UTC too."""
    fake = await start(dates_with_z=False)
    music = await _connect(hass, fake)
    [track] = await music.async_get_tracks([_id(fake, "Röck Song")])
    assert track.last_viewed_at == NOW - timedelta(days=50)


async def test_search_filters_on_the_server(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Genres and moods go to Jellyfin (OR within each, AND across): one request."""
    library = _library(fake)
    [branch] = await music.async_search_tracks(
        [library.id],
        _query(genres=("indie rock", "Hip-Hop"), moods=("Chill",)),
        NOW,
    )
    assert sorted(t.title for t in branch.tracks) == ["Harbour Lights", "Hip Tune"]
    assert branch.pool_size == 2
    assert {t.library_key for t in branch.tracks} == {library.id}
    [request] = fake.requests
    params = _params(request)
    assert params["genres"] == "indie rock|Hip-Hop"
    assert params["tags"] == "MOOD:Chill"
    assert params["sortby"] == "Random"
    assert params["limit"] == "50"
    assert params["parentid"] == library.id
    assert params["includeitemtypes"] == "Audio"
    assert params["recursive"] == "true"


@pytest.mark.parametrize("mood_level", ["track", "album", "artist"])
async def test_moods_live_on_tracks(
    fake: FakeJellyfinServer, music: JellyfinMusicServer, mood_level: str
) -> None:
    """Every mood level asks for the track's tags."""
    [branch] = await music.async_search_tracks(
        [_library(fake).id], _query(moods=("Energetic",), mood_level=mood_level), NOW
    )
    assert sorted(t.title for t in branch.tracks) == ["Hip Tune", "Röck Song"]
    assert _params(fake.requests[0])["tags"] == "MOOD:Energetic"


async def test_styles_match_nothing(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Jellyfin has no styles: a query with styles finds nothing, asking nothing."""
    assert (
        await music.async_search_tracks(
            [_library(fake).id], _query(styles=("Shoegaze",)), NOW
        )
        == []
    )
    assert fake.requests == []


def _expected_pool(fake: FakeJellyfinServer, refinements: Refinements) -> set[str]:
    """Track ids passing the refinements, from the fake's own data."""
    alice = fake.user("alice")
    lowest = refinements.min_stars * 2
    cutoff = (NOW - timedelta(days=refinements.exclude_played_days)).timestamp()
    passing = set()
    for track in _library(fake).tracks:
        data = alice.user_data.get(track.id) or UserItemData()
        rating = LIKED_RATING if data.is_favorite or data.likes else data.rating
        if rating is not None and rating < lowest:
            continue
        if data.last_played is not None and data.last_played > cutoff:
            continue
        passing.add(track.id)
    return passing


async def test_refinements_are_checked_locally(
    hass: HomeAssistant, start: Start
) -> None:
    """Rating and recent plays are checked here on a bounded over-fetch."""
    fake = await start(generate_jellyfin_library(300, seed=5, now=NOW.timestamp()))
    music = await _connect(hass, fake)
    fake.clear_requests()
    library_id = _library(fake).id
    refinements = Refinements(min_stars=4, exclude_played_days=30, max_skips=0)
    expected = _expected_pool(fake, refinements)
    assert 0 < len(expected) < 300

    # A sample as large as the library: the pool size is exact.
    [whole] = await music.async_search_tracks(
        [library_id], _query(refinements=refinements, limit=100), NOW
    )
    assert whole.pool_size == len(expected)
    assert {t.id for t in whole.tracks} <= expected
    assert len(whole.tracks) == min(100, len(expected))
    params = _params(fake.requests[-1])
    assert params["limit"] == "300"
    assert not {"filters", "isfavorite", "isplayed", "minrating"} & set(params)

    # A smaller sample: every track passes, the pool is estimated.
    [part] = await music.async_search_tracks(
        [library_id], _query(refinements=refinements, limit=20), NOW
    )
    assert {t.id for t in part.tracks} <= expected
    assert len(part.tracks) <= 20
    assert _params(fake.requests[-1])["limit"] == "60"
    assert 0 < part.pool_size <= 300
    assert len(fake.requests) == 2


async def test_search_one_branch_per_library(hass: HomeAssistant, start: Start) -> None:
    """Each library is one request and one branch, without refinements exact."""
    first, second = small_library("Music"), small_library("More Music")
    fake = await start(first, second)
    music = await _connect(hass, fake)
    fake.clear_requests()
    branches = await music.async_search_tracks(
        [first.id, second.id], _query(genres=("Rock",), limit=3), NOW
    )
    assert [b.pool_size for b in branches] == [5, 5]  # "Röck" is "Rock" too
    assert [len(b.tracks) for b in branches] == [3, 3]
    assert [{t.library_key for t in b.tracks} for b in branches] == [
        {first.id},
        {second.id},
    ]
    assert len(fake.requests) == 2


async def test_get_tracks_in_the_order_asked(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Tracks come back in the order asked; unknown and malformed ids are left out."""
    ids = [t.id for t in _library(fake).tracks][::-1]
    unknown = "f" * 32
    tracks = await music.async_get_tracks([*ids[:5], "12345", unknown, ids[5]])
    assert [t.id for t in tracks] == [*ids[:5], ids[5]]
    assert len(fake.requests) == 1

    # `ids=<garbage>` would mean "no filter" to Jellyfin: nothing is asked.
    assert await music.async_get_tracks(["12345", "not-an-id"]) == []
    assert len(fake.requests) == 1


async def test_get_tracks_in_batches(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Long id lists are split over several requests."""
    ids = [t.id for t in _library(fake).tracks]
    with patch.object(jellyfin, "IDS_PER_REQUEST", 4):
        tracks = await music.async_get_tracks(ids)
    assert [t.id for t in tracks] == ids
    assert len(fake.requests) == 3


async def test_recent_tracks(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """The last played tracks, latest first."""
    tracks = await music.async_recent_tracks([_library(fake).id], 3)
    assert [t.title for t in tracks] == ["Hip Tune", "Harbour Lights", "Röck Song"]
    params = _params(fake.requests[0])
    assert (params["sortby"], params["sortorder"], params["filters"]) == (
        "DatePlayed",
        "Descending",
        "IsPlayed",
    )


async def test_artist_tracks_exact_album_artist(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """The exact album artist, any case; no artist is created by the lookup."""
    library = [_library(fake).id]
    tracks = await music.async_artist_tracks(library, "the example band", 10)
    assert [t.title for t in tracks] == ["Harbour Lights"]
    assert await music.async_artist_tracks(library, "Example", 10) == []
    assert await music.async_artist_tracks(library, "Nobody Known", 10) == []
    assert fake.created_artists == {}
    assert not any("artists" in _params(r) for r in fake.requests)


async def test_tracks_by_artist_and_title(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Name searches: Jellyfin folds case and diacritics."""
    library = [_library(fake).id]
    by_artist = await music.async_tracks_by_artist(library, "EXAMPLE", 50)
    assert sorted(t.title for t in by_artist) == [
        "Harbour Lights",
        "Paper Planes (Live)",
        "Slow Tide",
    ]
    assert sorted(
        t.title for t in await music.async_tracks_by_artist(library, "unicode", 50)
    ) == ["Röck Song"]
    assert await music.async_tracks_by_artist(library, "zzz", 50) == []
    titled = await music.async_tracks_titled(library, "rock", 50)
    assert sorted(t.title for t in titled) == [
        "Hard Rock Cafe",
        "Rock",
        "Rock Anthem",
        "Rocket Science",
        "Röck Song",
    ]
    assert fake.created_artists == {}


async def test_no_sonic_analysis(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Nearest tracks and sonic paths are unavailable, without asking the server."""
    [track] = await music.async_get_tracks([_id(fake, "Rock")])
    with pytest.raises(SonicAnalysisUnavailableError):
        await music.async_nearest(track.id, 10, 0.5)
    with pytest.raises(SonicAnalysisUnavailableError):
        await music.async_sonic_path(track, track)
    assert len(fake.requests) == 1


# -- playlists ------------------------------------------------------------------------


def _track_ids(fake: FakeJellyfinServer) -> list[str]:
    return [t.id for t in _library(fake).tracks]


async def test_create_private_playlist(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """One request; the playlist is the user's, private, with the tracks."""
    ids = _track_ids(fake)[:4]
    created = await music.async_create_playlist("Daily Flow", ids, "Made by Harmoniq")
    assert (created.title, created.summary, created.track_count) == (
        "Daily Flow",
        None,
        4,
    )
    playlist = fake.playlists[created.id]
    assert playlist.owner_id == fake.user("alice").id
    assert not playlist.open_access
    assert not playlist.is_visible(fake.user("bob"))
    assert playlist.item_ids == ids
    assert _calls(fake) == ["POST /Playlists"]
    assert json.loads(fake.requests[0].body) == {
        "Name": "Daily Flow",
        "Ids": ids,
        "UserId": fake.user("alice").id,
        "MediaType": "Audio",
        "IsPublic": False,
    }
    with pytest.raises(MusicServerError):
        await music.async_create_playlist("Empty", [], "")


@pytest.mark.parametrize("distinct_entry_ids", [False, True])
async def test_get_playlist(
    hass: HomeAssistant, start: Start, distinct_entry_ids: bool
) -> None:
    """Title and entries (PlaylistItemId kept as is), read a page at a time."""
    fake = await start(distinct_entry_ids=distinct_entry_ids)
    music = await _connect(hass, fake)
    ids = _track_ids(fake)[:5]
    playlist = fake.create_playlist("Mix", fake.user("alice"), ids)
    fake.clear_requests()
    with patch.object(jellyfin, "PLAYLIST_PAGE", 2):
        info = await music.async_get_playlist(playlist.id)
    assert info is not None
    assert (info.id, info.title, info.track_count) == (playlist.id, "Mix", 5)
    assert [e.track_id for e in info.entries] == ids
    assert [e.entry_id for e in info.entries] == [e.entry_id for e in playlist.entries]
    assert (info.entries[0].entry_id == ids[0]) is not distinct_entry_ids
    assert _calls(fake) == [
        f"GET /Items/{playlist.id}",
        *[f"GET /Playlists/{playlist.id}/Items"] * 3,
    ]


async def test_get_playlist_gone_or_foreign(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """A deleted, malformed or other user's private playlist reads as None."""
    bobs = fake.create_playlist("Bob's", fake.user("bob"), _track_ids(fake)[:2])
    assert await music.async_get_playlist(bobs.id) is None
    assert await music.async_get_playlist("e" * 32) is None
    assert await music.async_get_playlist("123") is None
    assert len(fake.requests) == 2  # nothing asked for a malformed id
    assert await music.async_get_playlist(_id(fake, "Rock")) is None  # not a playlist


async def test_find_playlists(hass: HomeAssistant, start: Start) -> None:
    """The user's playlists of that exact title, any case; invisible ones dropped."""
    fake = await start(expose_private_playlists=True)
    music = await _connect(hass, fake)
    alice, bob = fake.user("alice"), fake.user("bob")
    ids = _track_ids(fake)
    mine = fake.create_playlist("Daily Flow", alice, ids[:3])
    other_case = fake.create_playlist("daily flow", alice, ids[:1])
    fake.create_playlist("Daily Flow Extra", alice, ids[:1])
    fake.create_playlist("Daily Flow", bob, ids[:1])  # private: listed by the bug
    shared = fake.create_playlist("DAILY FLOW", bob, ids[:2], public=True)
    fake.clear_requests()
    found = await music.async_find_playlists("Daily Flow")
    assert sorted((p.id, p.track_count) for p in found) == sorted(
        [(mine.id, 3), (other_case.id, 1), (shared.id, 2)]
    )
    assert {p.summary for p in found} == {None}
    params = _params(fake.requests[0])
    assert (params["searchterm"], params["includeitemtypes"], params["fields"]) == (
        "Daily Flow",
        "Playlist",
        "Overview",
    )
    assert len(fake.requests) == 1 + 4  # the search, and a check per exact name


async def test_replace_in_one_request(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Changed tracks: one request; unchanged: none; a new title alone: one."""
    ids = _track_ids(fake)
    playlist = fake.create_playlist("Mix", fake.user("alice"), ids[:4])
    current = await music.async_get_playlist(playlist.id)
    assert current is not None
    fake.clear_requests()

    wanted = [ids[5], ids[2], ids[0], ids[7]]
    result = await music.async_replace_playlist_tracks(current, "Mix", wanted, "s")
    assert (result.id, result.title, result.track_count) == (playlist.id, "Mix", 4)
    assert playlist.item_ids == wanted
    assert _calls(fake) == [f"POST /Playlists/{playlist.id}"]
    assert json.loads(fake.requests[0].body) == {"Name": "Mix", "Ids": wanted}

    current = await music.async_get_playlist(playlist.id)
    assert current is not None
    fake.clear_requests()
    await music.async_replace_playlist_tracks(current, "Mix", wanted, "s")
    assert fake.requests == []

    await music.async_replace_playlist_tracks(current, "Evening Mix", wanted, "s")
    assert json.loads(fake.requests[0].body) == {"Name": "Evening Mix"}
    assert (playlist.name, playlist.item_ids) == ("Evening Mix", wanted)


@pytest.mark.parametrize("version", VERSIONS)
async def test_owned_playlist_writer(
    hass: HomeAssistant, start: Start, version: str
) -> None:
    """What each write costs through the writer, and foreign playlists stay untouched."""
    fake = await start(version=version)
    music = await _connect(hass, fake)
    writer = OwnedPlaylistWriter(music, ENTRY)
    ids = _track_ids(fake)
    fake.clear_requests()

    created = await writer.async_write(OWNER, None, "Daily Flow", ids[:4], "one")
    assert _calls(fake) == ["GET /Items", "POST /Playlists"]
    playlist = fake.playlists[created.id]
    assert playlist.item_ids == ids[:4]
    assert not playlist.open_access

    fake.clear_requests()
    await writer.async_write(OWNER, created.id, "Daily Flow", ids[:4], "two")
    assert _calls(fake) == [
        f"GET /Items/{created.id}",
        f"GET /Playlists/{created.id}/Items",
    ]

    fake.clear_requests()
    await writer.async_write(OWNER, created.id, "Daily Flow", ids[3:8], "three")
    assert _calls(fake)[-1] == f"POST /Playlists/{created.id}"
    assert len(fake.requests) == 3
    assert playlist.item_ids == ids[3:8]

    # A playlist of that title Harmoniq did not write is never touched.
    alice = fake.user("alice")
    own = fake.create_playlist("Road Trip", alice, ids[:2])
    shared = fake.create_playlist(
        "Evening", fake.user("bob"), ids[:2], shares=[PlaylistShare(alice.id, True)]
    )
    fake.clear_requests()
    for title in ("road trip", "Evening"):
        with pytest.raises(PlaylistNameClashError):
            await writer.async_write("other", None, title, ids[5:7], "x")
    assert own.item_ids == ids[:2]
    assert shared.item_ids == ids[:2]
    assert {r.method for r in fake.requests} == {"GET"}

    # Without a summary, a lost record cannot be recovered by the mark: the
    # playlist Harmoniq wrote is then a clash too, and is left alone.
    with pytest.raises(PlaylistNameClashError):
        await writer.async_write(OWNER, None, "Daily Flow", ids[:3], "four")
    assert playlist.item_ids == ids[3:8]


async def test_in_place_edit_before_10_9(hass: HomeAssistant, start: Start) -> None:
    """Without the bulk replace: append, bulk-remove, then move; never empty."""
    fake = await start(version="10.10", distinct_entry_ids=True)
    music = await _connect(hass, fake)
    music.capabilities = dataclasses.replace(
        music.capabilities, bulk_playlist_replace=False
    )
    ids = _track_ids(fake)
    playlist = fake.create_playlist("Mix", fake.user("alice"), ids[:5])
    current = await music.async_get_playlist(playlist.id)
    assert current is not None
    fake.clear_requests()

    wanted = [ids[4], ids[7], ids[1], ids[0], ids[8]]
    result = await music.async_replace_playlist_tracks(current, "Renamed", wanted, "")
    assert playlist.item_ids == wanted
    assert (result.title, playlist.name) == ("Mix", "Mix")  # no rename before 10.9
    calls = _calls(fake)
    items = f"/Playlists/{playlist.id}/Items"
    assert calls[:3] == [f"POST {items}", f"DELETE {items}", f"GET {items}"]
    assert all(call.startswith(f"POST {items}/") for call in calls[3:])
    assert _params(fake.requests[0])["ids"] == f"{ids[7]},{ids[8]}"
    removed = _params(fake.requests[1])["entryids"].split(",")
    assert sorted(removed) == sorted(
        e.entry_id for e in current.entries if e.track_id in (ids[2], ids[3])
    )

    # Only arrivals and departures in order: no moves, no re-read.
    current = await music.async_get_playlist(playlist.id)
    assert current is not None
    fake.clear_requests()
    await music.async_replace_playlist_tracks(current, "Mix", [*wanted[1:], ids[2]], "")
    assert playlist.item_ids == [*wanted[1:], ids[2]]
    assert [r.method for r in fake.requests] == ["POST", "DELETE"]


# -- errors and statistics ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "options", "error"),
    [
        ("status", {"status": 401}, MusicServerAuthError),
        ("status", {"status": 500}, MusicServerConnectionError),
        ("status", {"status": 503}, MusicServerConnectionError),
        ("drop", {}, MusicServerConnectionError),
        ("malformed", {}, MusicServerError),
        ("empty", {}, MusicServerError),
        ("status", {"status": 404}, MusicServerError),
        ("status", {"status": 400}, MusicServerError),
    ],
)
async def test_error_mapping(
    fake: FakeJellyfinServer,
    music: JellyfinMusicServer,
    fault: Any,
    options: dict[str, Any],
    error: type[Exception],
) -> None:
    """Each failure becomes its `music_server` error."""
    fake.inject_fault(fault, path_prefix="/UserViews", **options)
    with pytest.raises(error) as caught:
        await music.async_get_music_libraries()
    if error is MusicServerError:
        assert not isinstance(caught.value, MusicServerConnectionError)
        assert not isinstance(caught.value, MusicServerAuthError)


async def test_unexpected_shapes(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Valid JSON of the wrong shape is a `MusicServerError`."""
    fake.inject_fault("status", status=204, path_prefix="/Playlists", method="POST")
    with pytest.raises(MusicServerError):
        await music.async_create_playlist("Mix", _track_ids(fake)[:1], "")


async def test_timeout(fake: FakeJellyfinServer, music: JellyfinMusicServer) -> None:
    """A reply still trickling in at the deadline is a connection error."""
    fake.inject_fault("trickle", path_prefix="/UserViews", chunk_size=8, interval=0.1)
    with (
        patch.object(jellyfin, "REQUEST_TIMEOUT", aiohttp.ClientTimeout(total=0.3)),
        pytest.raises(MusicServerConnectionError, match=r"within 0\.3 s"),
    ):
        await music.async_get_music_libraries()


async def test_unreachable_and_tls(
    hass: HomeAssistant, fake: FakeJellyfinServer
) -> None:
    """Refused connections and failed TLS handshakes."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = async_get_clientsession(hass)
    with pytest.raises(MusicServerConnectionError):
        await async_login_password(
            session, f"http://127.0.0.1:{port}", "alice", "pw", DEVICE_ID
        )
    with pytest.raises(MusicServerSSLError):
        await async_login_password(
            session, fake.url.replace("http://", "https://"), "alice", "pw", DEVICE_ID
        )


async def test_stats_count_requests_and_bytes(
    fake: FakeJellyfinServer, music: JellyfinMusicServer
) -> None:
    """Requests made and bytes received, as the server saw them."""
    before = music.stats
    await music.async_get_music_libraries()
    await music.async_search_tracks([_library(fake).id], _query(), NOW)
    after = music.stats
    assert after.requests - before.requests == len(fake.requests) == 2
    assert after.bytes_received - before.bytes_received == sum(
        len(r.response) for r in fake.requests
    )


async def test_base_url(hass: HomeAssistant, start: Start) -> None:
    """A server under a base path works, with or without a trailing slash."""
    fake = await start(base_url="/jellyfin")
    login = await async_login_password(
        async_get_clientsession(hass),
        fake.url + "/",
        "alice",
        ALICE_PASSWORD,
        DEVICE_ID,
    )
    music = await _connect_with(hass, fake, login.token)
    assert [lib.title for lib in await music.async_get_music_libraries()] == ["Music"]


def test_client_version_is_the_integrations() -> None:
    """The `Version` sent to Jellyfin is the integration's."""
    manifest = Path(jellyfin.__file__).with_name("manifest.json")
    assert json.loads(manifest.read_text())["version"] == CLIENT_VERSION
