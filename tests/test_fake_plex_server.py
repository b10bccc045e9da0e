"""The fake Plex Media Server answers real plexapi the way PMS does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
import heapq
import math
import random
import time
from typing import Any
from urllib.parse import urlencode
from xml.etree.ElementTree import ParseError

from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.server import PlexServer
import pytest
import requests

from tests.fakes.plex_library import FakeLibrary, FakeTrack, generate_library
from tests.fakes.plex_server import FakePlexServer

TOKEN = "fake-plex-token"
SECTION = 3
NOW = time.time()


async def run[T](func: Callable[..., T], *args: Any) -> T:
    """Run blocking plexapi code in a worker thread while the loop serves the fake."""
    return await asyncio.get_running_loop().run_in_executor(None, func, *args)


@pytest.fixture(name="library", scope="module")
def library_fixture() -> FakeLibrary:
    """A small generated library (tests that write to it use their own)."""
    return generate_library(400, seed=11, now=NOW)


@pytest.fixture(name="fake")
async def fake_fixture(
    library: FakeLibrary, socket_enabled: None
) -> AsyncGenerator[FakePlexServer]:
    """A started fake server with one music section."""
    server = FakePlexServer(token=TOKEN, music_sections=[(SECTION, "Music", library)])
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(name="session")
def session_fixture() -> Generator[requests.Session]:
    """A requests session for plexapi, closed after the test."""
    with requests.Session() as session:
        yield session


async def connect(
    fake: FakePlexServer, session: requests.Session, token: str = TOKEN
) -> PlexServer:
    """Connect plexapi to the fake."""
    return await run(
        lambda: PlexServer(fake.url, token, session=session, timeout=5)  # type: ignore[no-untyped-call]
    )


def keys(items: list[Any]) -> set[int]:
    """RatingKeys read from the listing (no auto-reload)."""
    return {int(item.ratingKey) for item in items}


async def test_connect_identity_sections(
    fake: FakePlexServer, session: requests.Session
) -> None:
    """Root, identity and sections look like a PMS with a music library."""
    plex = await connect(fake, session)
    assert plex.friendlyName == "Fake Plex"
    assert plex.machineIdentifier == fake.machine_identifier
    identity = await run(plex.identity)
    assert identity.machineIdentifier == fake.machine_identifier
    sections = await run(lambda: plex.library.sections())  # noqa: PLW0108 (`.library` queries)
    assert [(s.key, s.type, s.title) for s in sections] == [
        (1, "movie", "Movies"),
        (SECTION, "artist", "Music"),
    ]
    music = await run(lambda: plex.library.sectionByID(SECTION))
    assert music.TYPE == "artist"
    assert {"track.mood", "track.userRating", "track.skipCount"} <= {
        f.key for f in await run(music.listFields, "track")
    }
    assert fake.requests[0].path == "/"
    assert all(r.headers["X-Plex-Token"] == TOKEN for r in fake.requests)


async def test_token_checked(fake: FakePlexServer, session: requests.Session) -> None:
    """A wrong or revoked token is refused with 401 (plexapi Unauthorized)."""
    with pytest.raises(Unauthorized):
        await connect(fake, session, token="wrong")
    assert fake.requests[-1].status == 401
    assert b"window.location" in fake.requests[-1].response
    plex = await connect(fake, session)
    fake.token = "rotated"
    with pytest.raises(Unauthorized):
        await run(plex.query, "/library/sections")
    assert (
        fake.requests[-1].response
        == b"<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
    )


def _rock(t: FakeTrack) -> bool:
    return "Rock" in t.album.genres


@pytest.mark.parametrize(
    ("filters", "predicate", "wire_key"),
    [
        ({"mood": "Chill"}, lambda t: "Chill" in t.moods, "track.mood"),
        ({"genre": "Rock"}, _rock, "album.genre"),
        (
            {"artist.style": "Shoegaze"},
            lambda t: "Shoegaze" in t.artist.styles,
            "artist.style",
        ),
        (
            {"userRating>>": 6},
            lambda t: t.user_rating is not None and t.user_rating > 6,
            "track.userRating>>",
        ),
        (
            {"lastViewedAt<<": "30d"},
            lambda t: (
                t.last_viewed_at is not None and t.last_viewed_at < NOW - 30 * 86400
            ),
            "track.lastViewedAt<<",
        ),
        (
            {"skipCount<<": 2, "viewCount>>": 1},
            lambda t: t.skip_count < 2 and t.view_count > 1,
            "track.skipCount<<",
        ),
        (
            {"mood!": "Chill", "viewCount": 0},
            lambda t: "Chill" not in t.moods and t.view_count == 0,
            "track.mood!",
        ),
        (
            {"or": [{"mood": "Chill", "userRating>>": 4}, {"artist.genre": "Jazz"}]},
            lambda t: (
                ("Chill" in t.moods and (t.user_rating or 0) > 4)
                or "Jazz" in t.artist.genres
            ),
            "push",
        ),
        (
            {"mood": ["Chill", "Energetic"]},
            lambda t: {"Chill", "Energetic"} & set(t.moods),
            "track.mood",
        ),
        (
            {"mood&": ["Chill", "Energetic"]},
            lambda t: {"Chill", "Energetic"} <= set(t.moods),
            "track.mood",
        ),
        ({"mood": "NoSuchMood"}, lambda t: False, "track.mood"),
        (
            {"title<": "Chasing"},
            lambda t: t.title.lower().startswith("chasing"),
            "track.title<",
        ),
    ],
)
async def test_search_filters(
    fake: FakePlexServer,
    session: requests.Session,
    library: FakeLibrary,
    filters: dict[str, Any],
    predicate: Callable[[FakeTrack], bool],
    wire_key: str,
) -> None:
    """Filtered track searches return exactly what the in-memory predicate selects."""
    plex = await connect(fake, session)
    music = await run(lambda: plex.library.sectionByID(SECTION))
    fake.clear_requests()
    found = await run(lambda: music.search(libtype="track", filters=filters))
    expected = {t.rating_key for t in library.tracks if predicate(t)}
    assert keys(found) == expected
    search = [
        r for r in fake.requests if r.path.endswith("/all") and r.param("type") == "10"
    ]
    assert any(key == wire_key for key, _value in search[0].query)
    assert all(r.status == 200 for r in fake.requests)


async def test_paging_and_sort(
    fake: FakePlexServer, session: requests.Session, library: FakeLibrary
) -> None:
    """Paging with maxresults uses the container headers; sort direction holds."""
    plex = await connect(fake, session)
    music = await run(lambda: plex.library.sectionByID(SECTION))
    fake.clear_requests()
    found = await run(
        lambda: music.searchTracks(
            sort="viewCount:desc", container_size=3, maxresults=7
        )
    )
    assert len(found) == 7
    assert [t.viewCount for t in found] == sorted(
        (t.view_count for t in library.tracks), reverse=True
    )[:7]
    pages = [
        (r.container_start, r.container_size)
        for r in fake.requests
        if r.path.endswith("/all") and r.param("type")
    ]
    assert pages == [(0, 3), (3, 3), (6, 1)]
    assert b'totalSize="400"' in fake.requests[-1].response
    everything = await run(lambda: music.searchTracks(container_size=150))
    assert keys(everything) == set(library.track_by_key)


async def test_random_sort_with_limit(
    fake: FakePlexServer, session: requests.Session
) -> None:
    """sort=random with a limit returns that many tracks, reshuffled per request."""
    plex = await connect(fake, session)
    music = await run(lambda: plex.library.sectionByID(SECTION))
    draws = [
        [
            t.ratingKey
            for t in await run(
                lambda: music.search(libtype="track", sort="random", limit=20)
            )
        ]
        for _ in range(2)
    ]
    assert [len(d) for d in draws] == [20, 20]
    assert draws[0] != draws[1]
    assert fake.requests[-1].param("sort") == "track.random"


async def test_fetch_items_and_tags(
    fake: FakePlexServer, session: requests.Session, library: FakeLibrary
) -> None:
    """Details carry Mood/Genre/Style/Country tags; unknown ids are 404."""
    plex = await connect(fake, session)
    track = next(t for t in library.tracks if len(t.moods) >= 2)
    item = await run(plex.fetchItem, track.rating_key)
    assert (item.title, item.grandparentTitle, item.parentTitle) == (
        track.title,
        track.artist.title,
        track.album.title,
    )
    assert [m.tag for m in item.moods] == list(track.moods)
    assert item.hasSonicAnalysis
    pair = await run(plex.fetchItems, [track.rating_key, track.album.rating_key])
    assert [type(p).__name__ for p in pair] == ["Track", "Album"]
    artist = await run(plex.fetchItem, track.artist.rating_key)
    assert [g.tag for g in artist.genres] == list(track.artist.genres)
    assert [c.tag for c in artist.countries] == list(track.artist.country)
    albums = await run(artist.albums)
    assert keys(albums) == {
        a.rating_key for a in library.albums_of[track.artist.rating_key]
    }
    tracks = await run(pair[1].tracks)
    assert keys(tracks) == {
        t.rating_key for t in library.tracks_of[track.album.rating_key]
    }
    with pytest.raises(NotFound):
        await run(plex.fetchItem, 999_999)


async def test_negated_filters_at_every_level(
    fake: FakePlexServer, session: requests.Session, library: FakeLibrary
) -> None:
    """`!=` on tag ids at track, album and artist level; repeated keys AND; `!==`."""
    plex = await connect(fake, session)
    ids = library.tag_ids
    compilation = next(t for t in library.tracks if t.album.is_compilation)
    artist = compilation.original_title
    assert artist is not None
    params = [
        ("type", "10"),
        ("track.mood!", str(ids["mood"]["Chill"])),
        ("album.genre!", str(ids["genre"]["Rock"])),
        ("artist.genre!", str(ids["genre"]["Rock"])),
        ("album.style!", str(ids["style"]["House"])),
        ("album.style!", str(ids["style"]["Bebop"])),
        ("artist.mood!", str(ids["mood"]["Aggressive"])),
        ("artist.title!=", artist.upper()),
    ]
    found = await run(
        plex.query, f"/library/sections/{SECTION}/all?{urlencode(params)}"
    )
    expected = {
        t.rating_key
        for t in library.tracks
        if "Chill" not in t.moods
        and "Rock" not in (*t.album.genres, *t.artist.genres)
        and not {"House", "Bebop"} & set(t.album.styles)
        and "Aggressive" not in t.artist.moods
        and t.artist.title != artist
    }
    assert {int(e.attrib["ratingKey"]) for e in found} == expected
    assert 0 < len(expected) < len(library.tracks)
    assert compilation.rating_key in expected  # a track artist is not `artist.title`
    record = fake.requests[-1]
    assert [k for k, _v in record.query].count("album.style!") == 2


async def test_details_carry_tag_children(
    fake: FakePlexServer, session: requests.Session, library: FakeLibrary
) -> None:
    """One details request for tracks, albums and artists: their tags as children."""
    plex = await connect(fake, session)
    track = next(t for t in library.tracks if t.moods)
    keys = [track.rating_key, track.album.rating_key, track.artist.rating_key]
    found = await run(plex.query, f"/library/metadata/{','.join(map(str, keys))}")
    by_key = {int(e.attrib["ratingKey"]): e for e in found}

    def tags(key: int, element: str) -> list[str]:
        return [c.attrib["tag"] for c in by_key[key] if c.tag == element]

    assert by_key[track.rating_key].attrib["parentRatingKey"] == str(keys[1])
    assert by_key[track.rating_key].attrib["grandparentRatingKey"] == str(keys[2])
    assert tags(keys[0], "Mood") == list(track.moods)
    assert tags(keys[1], "Genre") == list(track.album.genres)
    assert tags(keys[1], "Style") == list(track.album.styles)
    assert tags(keys[2], "Genre") == list(track.artist.genres)
    assert tags(keys[2], "Style") == list(track.artist.styles)
    with pytest.raises(NotFound):
        await run(plex.query, "/library/metadata/999998,999999")


async def test_playlists(socket_enabled: None, session: requests.Session) -> None:
    """Playlists are created, edited and deleted in the server's state."""
    library = generate_library(60, seed=3)
    fake = FakePlexServer(token=TOKEN, music_sections=[(SECTION, "Music", library)])
    await fake.start()
    try:
        plex = await connect(fake, session)
        tracks = await run(plex.fetchItems, [t.rating_key for t in library.tracks[:4]])
        playlist = await run(
            lambda: plex.createPlaylist("Evening Mix", items=tracks[:3])  # type: ignore[no-untyped-call]
        )
        state = fake.playlists[playlist.ratingKey]
        assert state.items == [t.ratingKey for t in tracks[:3]]
        await run(playlist.addItems, [tracks[3]])
        await run(playlist.reload)
        await run(playlist.removeItems, [tracks[0]])
        assert state.items == [t.ratingKey for t in tracks[1:]]
        await run(playlist.reload)
        await run(playlist.editSummary, "Made by Harmoniq")
        await run(playlist.editTitle, "Night Mix")
        assert (state.title, state.summary) == ("Night Mix", "Made by Harmoniq")
        items = await run(playlist.items)
        assert [i.ratingKey for i in items] == state.items
        listed = await run(
            lambda: plex.playlists(playlistType="audio")  # type: ignore[no-untyped-call]
        )
        assert [p.title for p in listed] == ["Night Mix"]
        await run(playlist.delete)
        assert fake.playlists == {}

        smart = fake.create_playlist(
            "Smart",
            smart_content=f"server://{fake.machine_identifier}/com.plexapp.plugins.library/library/sections/{SECTION}/all?type=10&track.viewCount=0",
        )
        found = await run(plex.playlist, "Smart")
        assert found.smart
        assert keys(await run(found.items)) == {
            t.rating_key for t in library.tracks if t.view_count == 0
        }
        with pytest.raises(BadRequest):
            await run(
                lambda: plex.query(  # type: ignore[no-untyped-call]
                    f"/playlists/{smart.rating_key}/items", method=session.delete
                )
            )
    finally:
        await fake.stop()


async def test_playlist_poster(socket_enabled: None, session: requests.Session) -> None:
    """An uploaded poster (raw bytes) becomes the playlist's `thumb`, new each time."""
    library = generate_library(20, seed=3)
    fake = FakePlexServer(token=TOKEN, music_sections=[(SECTION, "Music", library)])
    await fake.start()
    try:
        plex = await connect(fake, session)
        state = fake.create_playlist("Mix", [library.tracks[0].rating_key])
        key = state.rating_key

        async def attrib(path: str) -> dict[str, str]:
            container = await run(plex.query, path)
            if path.endswith("/items"):
                return dict(container.attrib)
            [playlist] = list(container)
            return dict(playlist.attrib)

        assert "thumb" not in await attrib(f"/playlists/{key}")  # composite only
        assert (await attrib(f"/playlists/{key}"))["composite"].startswith(
            f"/playlists/{key}/composite/"
        )
        image = b"\xff\xd8\xff\xe0poster"
        for _ in range(2):
            await run(
                lambda: plex.query(  # type: ignore[no-untyped-call]
                    f"/library/metadata/{key}/posters", method=session.post, data=image
                )
            )
        assert state.posters == [image, image]
        thumb = state.thumb
        assert thumb is not None
        assert thumb.startswith(f"/library/metadata/{key}/thumb/")
        assert (await attrib(f"/playlists/{key}"))["thumb"] == thumb
        assert (await attrib(f"/playlists/{key}/items"))["thumb"] == thumb
        fake.set_poster(state, b"the user's own")  # a later upload: a new name
        assert state.thumb not in (None, thumb)
        assert (await attrib(f"/playlists/{key}"))["thumb"] == state.thumb
        fake.playlist_items_thumb = False
        assert "thumb" not in await attrib(f"/playlists/{key}/items")
        fake.remove_poster(state)
        assert "thumb" not in await attrib(f"/playlists/{key}")
        with pytest.raises(NotFound):
            await run(
                lambda: plex.query(  # type: ignore[no-untyped-call]
                    "/library/metadata/999999/posters", method=session.post, data=image
                )
            )
    finally:
        await fake.stop()


async def test_rate(socket_enabled: None, session: requests.Session) -> None:
    """PUT /:/rate writes the rating that later searches see."""
    library = generate_library(30, seed=5)
    fake = FakePlexServer(token=TOKEN, music_sections=[(SECTION, "Music", library)])
    await fake.start()
    try:
        plex = await connect(fake, session)
        target = library.add_track("Exact Title", "Exact Artist", user_rating=None)
        item = await run(plex.fetchItem, target.rating_key)
        await run(item.rate, 9)
        assert target.user_rating == 9.0
        music = await run(lambda: plex.library.sectionByID(SECTION))
        found = await run(
            lambda: music.search(
                libtype="track", filters={"userRating": 9, "title==": "Exact Title"}
            )
        )
        assert keys(found) == {target.rating_key}
    finally:
        await fake.stop()


async def test_lt_matches_missing(
    socket_enabled: None, session: requests.Session, library: FakeLibrary
) -> None:
    """With lt_matches_missing, `<<` also selects items lacking the value."""
    fake = FakePlexServer(
        token=TOKEN,
        music_sections=[(SECTION, "Music", library)],
        lt_matches_missing=True,
    )
    await fake.start()
    try:
        plex = await connect(fake, session)
        music = await run(lambda: plex.library.sectionByID(SECTION))
        found = await run(
            lambda: music.search(libtype="track", filters={"userRating<<": 4})
        )
        assert keys(found) == {
            t.rating_key
            for t in library.tracks
            if t.user_rating is None or t.user_rating < 4
        }
    finally:
        await fake.stop()


@pytest.mark.parametrize("fold_diacritics", [False, True], ids=["literal", "folding"])
async def test_fold_diacritics(
    socket_enabled: None, session: requests.Session, fold_diacritics: bool
) -> None:
    """String filters ignore case; diacritics only with fold_diacritics."""
    library = generate_library(20, seed=5)
    target = library.add_track("Hoppípolla", "Sigur Rós")
    fake = FakePlexServer(
        token=TOKEN,
        music_sections=[(SECTION, "Music", library)],
        fold_diacritics=fold_diacritics,
    )
    await fake.start()
    try:
        plex = await connect(fake, session)
        music = await run(lambda: plex.library.sectionByID(SECTION))

        async def found(filters: dict[str, str]) -> set[int]:
            return keys(
                await run(lambda: music.search(libtype="track", filters=filters))
            )

        expected = {target.rating_key}
        assert await found({"title": "HOPPÍPOLLA"}) == expected
        assert await found({"artist.title": "sigur rós"}) == expected
        assert await found({"title==": "hoppípolla"}) == expected
        folded = expected if fold_diacritics else set()
        assert await found({"title": "Hoppipolla"}) == folded
        assert await found({"artist.title": "Sigur Ros"}) == folded
        assert await found({"title==": "hoppipolla"}) == folded
        not_containing = await found({"title!": "Hoppipolla"})
        assert (target.rating_key in not_containing) is not fold_diacritics
    finally:
        await fake.stop()


async def test_sonic(
    fake: FakePlexServer, session: requests.Session, library: FakeLibrary
) -> None:
    """/nearest honours limit and maxDistance; computePath goes from start to end."""
    plex = await connect(fake, session)
    first, last = library.tracks[0], library.tracks[-1]
    item = await run(plex.fetchItem, first.rating_key)
    similar = await run(lambda: item.sonicallySimilar(limit=10, maxDistance=0.3))
    assert 0 < len(similar) <= 10
    distances = [s.distance for s in similar]
    assert distances == sorted(distances)
    assert all(d <= 0.3 for d in distances)
    music = await run(lambda: plex.library.sectionByID(SECTION))
    path = await run(music.sonicAdventure, first.rating_key, last.rating_key)
    assert path[0].ratingKey == first.rating_key
    assert path[-1].ratingKey == last.rating_key
    assert len(path) <= 20
    fake.sections[SECTION].sonic = fake.sonic_analysis = False
    with pytest.raises(NotFound):
        await run(item.sonicallySimilar)


def scan_nearest(
    library: FakeLibrary, track: FakeTrack, limit: int, max_distance: float, parent: int
) -> list[tuple[int, str]]:
    """/nearest by a scan of every track: (ratingKey, distance as sent), closest first."""
    scored = heapq.nsmallest(
        limit,
        (
            (FakePlexServer.distance(track.sonic, other.sonic), other.rating_key)
            for other in library.tracks
            if other is not track and other.album.rating_key != parent
        ),
    )
    return [(key, f"{dist:.4f}") for dist, key in scored if dist <= max_distance]


def scan_path(library: FakeLibrary, first: FakeTrack, last: FakeTrack) -> list[int]:
    """The computePath of a scan of every track per waypoint: the ratingKeys."""
    steps = min(18, math.ceil(FakePlexServer.distance(first.sonic, last.sonic) / 0.05))
    path, used = [first], {first.rating_key, last.rating_key}
    for step in range(1, steps):
        point = [
            a + (b - a) * step / steps
            for a, b in zip(first.sonic, last.sonic, strict=True)
        ]
        best = min(
            (t for t in library.tracks if t.rating_key not in used),
            key=lambda t: math.dist(point, t.sonic),
            default=None,
        )
        if best is not None:
            path.append(best)
            used.add(best.rating_key)
    return [t.rating_key for t in [*path, last]]


async def test_sonic_index_answers_as_a_scan(
    session: requests.Session, socket_enabled: None
) -> None:
    """/nearest and computePath from the sonic index equal a scan of every track.

    Same tracks, order, distances and ties (twins with one vector), with
    excludeParentID, and after the library changed.
    """
    library = generate_library(3000, seed=5, now=NOW)
    twin_of = library.tracks[10]
    for number in range(6):
        library.add_track(f"Twin {number}", "Twins", sonic=twin_of.sonic)
    fake = FakePlexServer(token=TOKEN, music_sections=[(SECTION, "Music", library)])
    await fake.start()
    try:
        plex = await connect(fake, session)

        async def nearest(track: FakeTrack, query: str) -> list[tuple[int, str]]:
            reply = await run(
                plex.query, f"/library/metadata/{track.rating_key}/nearest?{query}"
            )
            return [(int(e.attrib["ratingKey"]), e.attrib["distance"]) for e in reply]

        rng = random.Random(2)
        probes = [*rng.sample(library.tracks, 12), twin_of, library.tracks[-1]]
        for track in probes:
            for limit, max_distance, parent in (
                (30, 0.6, -1), (300, 0.6, -1), (100, 1.0, -1), (8, 0.05, -1),
                (20, 0.6, track.album.rating_key), (5, 0.0, -1),
            ):  # fmt: skip
                query = f"limit={limit}&maxDistance={max_distance}"
                if parent != -1:
                    query += f"&excludeParentID={parent}"
                expected = scan_nearest(library, track, limit, max_distance, parent)
                assert await nearest(track, query) == expected, (track, query)
        twins = await nearest(twin_of, "limit=6&maxDistance=0.5")
        assert [distance for _key, distance in twins] == ["0.0000"] * 6

        for first, last in [rng.sample(library.tracks, 2) for _ in range(6)]:
            reply = await run(
                plex.query,
                f"/library/sections/{SECTION}/computePath"
                f"?startID={first.rating_key}&endID={last.rating_key}",
            )
            path = [int(e.attrib["ratingKey"]) for e in reply]
            assert path == scan_path(library, first, last)

        index = fake.sections[SECTION].index.sonic()
        for _ in range(200):  # exact floats, random points, ties by position
            point = [rng.random() for _ in twin_of.sonic]
            scan = sorted(
                (math.dist(point, t.sonic), position)
                for position, t in enumerate(library.tracks)
            )
            assert index.nearest(point, 3) == scan[:3]

        newcomer = library.add_track("Newcomer", "New Artist", sonic=probes[0].sonic)
        assert (await nearest(probes[0], "limit=1&maxDistance=0.5")) == [
            (newcomer.rating_key, "0.0000")
        ]
    finally:
        await fake.stop()


async def test_faults_and_latency(
    fake: FakePlexServer, session: requests.Session
) -> None:
    """Injected statuses, dropped connections, malformed XML and latency reach plexapi."""
    plex = await connect(fake, session)
    fake.inject_fault("status", status=500, path_prefix="/library", times=1)
    with pytest.raises(BadRequest, match=r"\(500\)"):
        await run(plex.query, "/library/sections")
    await run(plex.query, "/library/sections")  # times=1: gone again
    fake.inject_fault("drop", method="GET", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        await run(plex.query, "/identity")
    assert fake.requests[-1].status is None
    fake.inject_fault("malformed")
    with pytest.raises(ParseError):
        await run(plex.query, "/identity")
    fake.clear_faults()
    fake.latency = 0.2
    started = time.monotonic()
    await run(plex.query, "/identity")
    assert time.monotonic() - started >= 0.2
    fake.latency = 0
    with pytest.raises(BadRequest, match=r"\(400\)"):
        await run(
            plex.query, f"/library/sections/{SECTION}/all?type=10&track.noSuchField=1"
        )
    with pytest.raises(NotFound):
        await run(plex.query, "/no/such/path")


async def test_empty_and_trickled_replies(
    fake: FakePlexServer, session: requests.Session
) -> None:
    """An empty 200 reply parses as None; a trickled reply arrives whole, slowly."""
    plex = await connect(fake, session)
    fake.inject_fault("empty", path_prefix="/library/sections", times=1)
    assert await run(plex.query, f"/library/sections/{SECTION}/mood?type=10") is None
    assert (fake.requests[-1].status, fake.requests[-1].response) == (200, b"")

    fake.inject_fault(
        "trickle", path_prefix="/identity", chunk_size=16, interval=0.001, times=1
    )
    trickled = await run(plex.query, "/identity")
    assert trickled.attrib["machineIdentifier"] == fake.machine_identifier
    sent = fake.requests[-1].response
    await run(plex.query, "/identity")
    assert len(sent) > 16
    assert sent == fake.requests[-1].response


async def test_large_library(socket_enabled: None, session: requests.Session) -> None:
    """A 100,000-track library generates and answers filtered pages (timings: scripts/bench)."""
    library = await run(lambda: generate_library(100_000, seed=2))
    fake = FakePlexServer(token=TOKEN, music_sections=[(SECTION, "Music", library)])
    await fake.start()
    try:
        plex = await connect(fake, session)
        music = await run(lambda: plex.library.sectionByID(SECTION))
        filters = {"mood": "Chill", "userRating>>": 4, "genre": "Jazz"}
        await run(
            lambda: music.search(libtype="track", filters=filters, maxresults=100)
        )  # builds indexes
        found = await run(
            lambda: music.search(
                libtype="track", filters=filters, sort="random", maxresults=100
            )
        )
        expected = {
            t.rating_key
            for t in library.tracks
            if "Chill" in t.moods
            and (t.user_rating or 0) > 4
            and "Jazz" in t.album.genres
        }
        assert keys(found) <= expected
        assert len(found) == min(100, len(expected))
    finally:
        await fake.stop()
