"""Tests for the Last.fm client (parsing, errors, retries, cache, politeness) and its fake."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import itertools
import json
from typing import Any
from unittest.mock import patch

from aiohttp import web
import pytest

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from custom_components.harmoniq.lastfm import (
    CACHE_TTL,
    LastFmArtist,
    LastFmAuthError,
    LastFmCache,
    LastFmClient,
    LastFmConnectionError,
    LastFmError,
    LastFmNotFoundError,
    LastFmRateLimitError,
    LastFmTrack,
    _artists,
    _RateLimiter,
    _tracks,
    cache_key,
)
from tests.conftest import LASTFM_API_KEY
from tests.fakes.lastfm_server import FakeLastFmServer
from tests.fakes.plex_library import FakeLibrary

FAST_RETRIES = (0.01, 0.02, 0.04)
DAY = 24 * 3600


@pytest.fixture
def make_client(
    hass: HomeAssistant, lastfm_server: FakeLastFmServer
) -> Callable[..., LastFmClient]:
    """Build clients for the fake server: tiny retry delays, no rate limit by default."""

    def make(**kwargs: Any) -> LastFmClient:
        options: dict[str, Any] = {
            "retry_delays": FAST_RETRIES,
            "max_calls_per_second": 1000,
        }
        return LastFmClient(
            async_get_clientsession(hass), LASTFM_API_KEY, **(options | kwargs)
        )

    return make


@pytest.fixture
async def client(make_client: Callable[..., LastFmClient]) -> LastFmClient:
    """A client without cache."""
    return make_client()


class FakeClock:
    """A settable wall clock for the cache."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        """Start at `now`."""
        self.now = now

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.now


class FakeMonotonic:
    """A monotonic clock that moves only when the code under test sleeps on it."""

    def __init__(self) -> None:
        """Start at 0 with no wait taken."""
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        """Return the current fake time."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Record the wait and move the clock on instead of waiting."""
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def clock(lastfm_server: FakeLastFmServer) -> FakeMonotonic:
    """A fake monotonic clock, also stamping the fake server's requests."""
    fake = FakeMonotonic()
    lastfm_server.clock = fake
    return fake


# ------------------------------------------------------------------ parsing


async def test_chart_top_tracks(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """Chart tracks: string numbers become ints, empty mbids None, names as returned."""
    lastfm_server.charts["global"] = [
        ("Alpha", "One"),
        ("Beta", "Two"),
        ("Gamma", "Three"),
    ]
    tracks = await client.async_chart_top_tracks(3)
    assert [(t.artist, t.title) for t in tracks] == [
        ("Alpha", "One"),
        ("Beta", "Two"),
        ("Gamma", "Three"),
    ]
    assert all(isinstance(t, LastFmTrack) for t in tracks)
    assert tracks[0].playcount > 0
    assert isinstance(tracks[0].playcount, int)
    assert tracks[0].listeners > 0
    assert tracks[0].mbid is None  # "" in the reply
    assert tracks[2].mbid is not None
    call = lastfm_server.calls("chart.getTopTracks")[0]
    assert call["format"] == "json"
    assert call["limit"] == "3"
    assert call["page"] == "1"


async def test_chart_paging(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """Large limits page (100 per page) and stop at the last page."""
    lastfm_server.charts["global"] = [(f"Artist {i}", f"Song {i}") for i in range(250)]
    tracks = await client.async_chart_top_tracks(230)
    assert [t.title for t in tracks] == [f"Song {i}" for i in range(230)]
    assert [c["page"] for c in lastfm_server.calls()] == ["1", "2", "3"]

    lastfm_server.requests.clear()
    tracks = await client.async_chart_top_tracks(1000)
    assert len(tracks) == 250
    assert [c["page"] for c in lastfm_server.calls()] == ["1", "2", "3"]


async def test_geo_top_tracks(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """Country charts: case-insensitive country names; unknown country is not found."""
    lastfm_server.charts["Germany"] = [("Kraftwerk", "Autobahn"), ("Can", "Vitamin C")]
    tracks = await client.async_geo_top_tracks("germany", 10)
    assert [(t.artist, t.title) for t in tracks] == [
        ("Kraftwerk", "Autobahn"),
        ("Can", "Vitamin C"),
    ]
    assert tracks[0].playcount == 0  # geo items carry no playcount
    assert tracks[0].listeners > 0
    assert lastfm_server.calls()[0]["country"] == "germany"
    with pytest.raises(LastFmNotFoundError):
        await client.async_geo_top_tracks("Atlantis", 10)
    with pytest.raises(ValueError, match="country"):
        await client.async_geo_top_tracks("  ", 10)


async def test_user_top_artists(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """Top artists per period, with the user's play counts; bad input checked locally."""
    lastfm_server.top_artists["rj"] = [("Queen", 1511), ("Bowie", 800), ("Abba", 40)]
    artists = await client.async_user_top_artists("RJ", "overall", 10)
    assert artists == [
        LastFmArtist("Queen", 1511, 0.0, artists[0].mbid),
        LastFmArtist("Bowie", 800, 0.0, artists[1].mbid),
        LastFmArtist("Abba", 40, 0.0, artists[2].mbid),
    ]
    week = await client.async_user_top_artists("rj", "7day", 10)
    assert [(a.name, a.playcount) for a in week] == [("Queen", 22), ("Bowie", 12)]

    lastfm_server.top_artists["rj:1month"] = [("Abba", 9)]
    month = await client.async_user_top_artists("rj", "1month", 10)
    assert [(a.name, a.playcount) for a in month] == [("Abba", 9)]

    calls = len(lastfm_server.requests)
    with pytest.raises(ValueError, match="period"):
        await client.async_user_top_artists("rj", "weekly", 10)
    with pytest.raises(ValueError, match="limit"):
        await client.async_user_top_artists("rj", "overall", 0)
    assert len(lastfm_server.requests) == calls


async def test_user_top_artists_unknown_user(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """An unknown user is LastFmNotFoundError (HTTP 404 + error 6), not retried."""
    with pytest.raises(LastFmNotFoundError):
        await client.async_user_top_artists("nobody", "overall", 10)
    assert client.calls_made == 1


async def test_user_top_artists_paging(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """Top artists page too, in rank order."""
    lastfm_server.top_artists["rj"] = [(f"A{i}", 1000 - i) for i in range(150)]
    artists = await client.async_user_top_artists("rj", "overall", 120)
    assert [a.name for a in artists] == [f"A{i}" for i in range(120)]
    assert len(lastfm_server.calls("user.getTopArtists")) == 2


async def test_similar_artists(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """Similar artists: string matches become floats, canonical names are used."""
    lastfm_server.similar["U2"] = [
        ("INXS", 0.511468),
        ("Passengers", 1.0),
        ("Bono", 0.3),
    ]
    artists = await client.async_similar_artists("u2", 2)
    assert [(a.name, a.match) for a in artists] == [
        ("Passengers", 1.0),
        ("INXS", 0.511468),
    ]
    assert artists[0].mbid is None  # "" in the reply
    assert artists[0].playcount == 0
    call = lastfm_server.calls("artist.getSimilar")[0]
    assert call["limit"] == "2"
    assert call["autocorrect"] == "1"


async def test_name_corrections(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """With autocorrect the names Last.fm returns are the corrected ones."""
    lastfm_server.top_tracks["The Beatles"] = ["Let It Be"]
    lastfm_server.corrections["beatles"] = "The Beatles"
    tracks = await client.async_artist_top_tracks("Beatles", 5)
    assert [(t.artist, t.title) for t in tracks] == [("The Beatles", "Let It Be")]


async def test_unknown_artist_is_empty(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """An unknown artist (HTTP 200 + error 6) is an empty answer, not an error."""
    assert await client.async_similar_artists("No Such Band", 10) == []
    assert await client.async_artist_top_tracks("No Such Band", 10) == []
    assert client.calls_made == 2
    lastfm_server.similar["Loner"] = []
    assert await client.async_similar_artists("Loner", 10) == []


async def test_artist_not_found_with_http_400(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """Error 6 with HTTP 400 is a broken request: raised, not taken as empty."""
    lastfm_server.inject_error(6, status=400, method="artist.getSimilar", times=1)
    with pytest.raises(LastFmNotFoundError):
        await client.async_similar_artists("U2", 10)
    assert client.calls_made == 1


async def test_artist_top_tracks(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """Top tracks: tracks without an mbid key get None; paging up to the limit."""
    titles = [f"Song {i}" for i in range(130)]
    lastfm_server.top_tracks["Kraftwerk"] = titles
    tracks = await client.async_artist_top_tracks("kraftwerk", 110)
    assert [t.title for t in tracks] == titles[:110]
    assert {t.artist for t in tracks} == {"Kraftwerk"}
    assert tracks[2].mbid is None  # rank 3: no mbid key at all
    assert tracks[0].mbid is not None
    assert tracks[0].playcount > tracks[0].listeners > 0
    assert [c["page"] for c in lastfm_server.calls()] == ["1", "2"]


async def test_single_item_as_object(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """A one-item list sent as an object is read as a one-item list."""
    lastfm_server.single_item_as_object = True
    lastfm_server.charts["global"] = [("Solo", "Only")]
    lastfm_server.similar["Solo"] = [("Duo", 0.5)]
    lastfm_server.top_tracks["Solo"] = ["Only"]
    lastfm_server.top_artists["rj"] = [("Solo", 5)]
    async with client._session.get(
        lastfm_server.url,
        params={
            "method": "artist.getSimilar",
            "artist": "Solo",
            "api_key": LASTFM_API_KEY,
        },
    ) as response:
        body = await response.json()
    assert isinstance(body["similarartists"]["artist"], dict)  # the fake collapses

    assert [t.title for t in await client.async_chart_top_tracks(5)] == ["Only"]
    assert [a.name for a in await client.async_similar_artists("Solo", 5)] == ["Duo"]
    assert [t.title for t in await client.async_artist_top_tracks("Solo", 5)] == [
        "Only"
    ]
    assert [
        a.name for a in await client.async_user_top_artists("rj", "overall", 5)
    ] == ["Solo"]


async def test_drop_mbids(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """Replies without any mbid key parse, with mbid None."""
    lastfm_server.drop_mbids = True
    lastfm_server.top_tracks["Solo"] = ["A", "B"]
    lastfm_server.similar["Solo"] = [("Duo", 0.5), ("Trio", 0.4), ("Quartet", 0.3)]
    tracks = await client.async_artist_top_tracks("Solo", 5)
    artists = await client.async_similar_artists("Solo", 5)
    assert {t.mbid for t in tracks} == {None}
    assert {a.mbid for a in artists} == {None}
    async with client._session.get(
        lastfm_server.url,
        params={
            "method": "artist.getTopTracks",
            "artist": "Solo",
            "api_key": LASTFM_API_KEY,
        },
    ) as response:
        assert "mbid" not in json.dumps(await response.json())


def test_parse_odd_shapes() -> None:
    """`#text` objects, numbers as numbers, missing keys and nameless items."""
    tracks = _tracks(
        [
            {
                "name": "A",
                "artist": {"#text": "X", "mbid": ""},
                "playcount": 12,
                "mbid": " ",
            },
            {"name": "B", "artist": "Y", "listeners": "1,234"},
            {"name": "", "artist": "Z"},
            {"artist": {"name": "Z"}},
            {"name": "C", "artist": {"name": "W"}, "playcount": "n/a", "mbid": None},
        ]
    )
    assert tracks == [
        {
            "artist": "X",
            "title": "A",
            "playcount": 12,
            "listeners": 0,
            "mbid": None,
        },
        {
            "artist": "Y",
            "title": "B",
            "playcount": 0,
            "listeners": 1234,
            "mbid": None,
        },
        {
            "artist": "W",
            "title": "C",
            "playcount": 0,
            "listeners": 0,
            "mbid": None,
        },
    ]
    assert _artists(
        [
            {"name": "Q", "match": 1, "@attr": {"rank": "1"}},
            {"mbid": "x"},
            {"name": "R", "match": "n/a"},
        ]
    ) == [
        {"name": "Q", "playcount": 0, "match": 1.0, "mbid": None},
        {"name": "R", "playcount": 0, "match": 0.0, "mbid": None},
    ]


async def test_missing_list_key(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """An empty chart (no items at all) is an empty list."""
    lastfm_server.charts["global"] = []
    assert await client.async_chart_top_tracks(10) == []


async def test_lists_of_odd_shapes(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """A list that is a string, or a reply without its list object, is empty."""
    lastfm_server.inject_status(
        200, body='{"similarartists": {"artist": ""}}', method="artist.getSimilar"
    )
    assert await client.async_similar_artists("U2", 10) == []
    lastfm_server.inject_status(200, body='{"tracks": ""}', method="chart.getTopTracks")
    assert await client.async_chart_top_tracks(10) == []
    assert client.calls_made == 2


async def test_error_on_a_later_page_keeps_the_first(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """An error 6 answer to page 2 ends the paging with page 1's items."""
    lastfm_server.charts["global"] = [(f"Artist {i}", f"Song {i}") for i in range(150)]
    answer = lastfm_server._chart_get_top_tracks

    def page_two_gone(params: dict[str, str]) -> web.Response:
        if params.get("page") == "2":
            return web.json_response({"error": 6, "message": "Invalid page"})
        return answer(params)

    with patch.object(lastfm_server, "_chart_get_top_tracks", page_two_gone):
        tracks = await client.async_chart_top_tracks(150)
    assert [t.title for t in tracks] == [f"Song {i}" for i in range(100)]
    assert [c["page"] for c in lastfm_server.calls()] == ["1", "2"]


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("chart.getTopTracks", lambda client: client.async_chart_top_tracks(10)),
        (
            "user.getTopArtists",
            lambda client: client.async_user_top_artists("rj", "overall", 10),
        ),
        ("user.getInfo", lambda client: client.async_get_user("rj")),
    ],
)
async def test_error_6_with_http_200_is_not_found(
    client: LastFmClient,
    lastfm_server: FakeLastFmServer,
    method: str,
    call: Callable[[LastFmClient], Any],
) -> None:
    """Error 6 answered with HTTP 200 to a chart, top artists or user: not found."""
    lastfm_server.inject_error(6, status=200, method=method)
    with pytest.raises(LastFmNotFoundError) as err:
        await call(client)
    assert err.value.code == 6
    assert client.calls_made == 1


async def test_user_without_a_name(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """A user.getInfo answer without the user's name is not Last.fm's API."""
    lastfm_server.inject_status(200, body='{"user": {"playcount": "3"}}')
    with pytest.raises(LastFmConnectionError):
        await client.async_get_user("rj")
    assert client.calls_made == 1


async def test_blank_names_checked_locally(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """A blank user or artist raises ValueError without asking Last.fm."""
    with pytest.raises(ValueError, match="user"):
        await client.async_user_top_artists(" ", "overall", 10)
    with pytest.raises(ValueError, match="artist"):
        await client.async_similar_artists(" ", 10)
    with pytest.raises(ValueError, match="artist"):
        await client.async_artist_top_tracks("", 10)
    assert lastfm_server.requests == []


# ------------------------------------------------------------------ errors and retries


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, "<html><body>Not Found</body></html>"),
        (200, "<html><body>Maintenance</body></html>"),
        (200, "[]"),
    ],
)
async def test_reply_that_is_not_the_api(
    client: LastFmClient, lastfm_server: FakeLastFmServer, status: int, body: str
) -> None:
    """A reply without the API's JSON object is LastFmConnectionError, not retried."""
    lastfm_server.inject_status(status, body=body)
    with pytest.raises(LastFmConnectionError, match=f"HTTP {status}"):
        await client.async_chart_top_tracks(10)
    assert client.calls_made == 1


async def test_error_that_is_not_a_number(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """An error field that is not a code is raised as it is, without retries."""
    lastfm_server.inject_status(200, body='{"error": "oops", "message": "Broken"}')
    with pytest.raises(LastFmError, match="Broken") as err:
        await client.async_similar_artists("U2", 10)
    assert err.value.code == -1
    assert type(err.value) is LastFmError
    assert client.calls_made == 1


async def test_bad_limits_refused(hass: HomeAssistant) -> None:
    """A client or cache with limits below one is refused at construction."""
    with pytest.raises(ValueError, match="max_calls_per_second"):
        LastFmClient(
            async_get_clientsession(hass), LASTFM_API_KEY, max_calls_per_second=0
        )
    with pytest.raises(ValueError, match="max_concurrent"):
        LastFmClient(async_get_clientsession(hass), LASTFM_API_KEY, max_concurrent=0)
    with pytest.raises(ValueError, match="max_entries"):
        LastFmCache(max_entries=0)


@pytest.mark.parametrize(
    ("code", "status"), [(10, 403), (26, 200), (26, 403), (10, 200)]
)
async def test_auth_errors_not_retried(
    client: LastFmClient, lastfm_server: FakeLastFmServer, code: int, status: int
) -> None:
    """Errors 10 and 26 raise LastFmAuthError at once."""
    lastfm_server.inject_error(code, status=status)
    with pytest.raises(LastFmAuthError) as err:
        await client.async_similar_artists("U2", 10)
    assert err.value.code == code
    assert client.calls_made == 1


async def test_invalid_key(
    make_client: Callable[..., LastFmClient], hass: HomeAssistant
) -> None:
    """A key the server does not know is LastFmAuthError (HTTP 403 + error 10)."""
    client = LastFmClient(
        async_get_clientsession(hass), "b" * 32, retry_delays=FAST_RETRIES
    )
    with pytest.raises(LastFmAuthError):
        await client.async_chart_top_tracks(10)
    assert client.calls_made == 1


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        (29, 429, LastFmRateLimitError),
        (29, 200, LastFmRateLimitError),
        (8, 200, LastFmError),
        (8, 503, LastFmError),
        (11, 200, LastFmError),
        (11, 503, LastFmError),
        (16, 200, LastFmError),
        (16, 500, LastFmError),
    ],
)
async def test_transient_errors_retried_then_raised(
    client: LastFmClient,
    lastfm_server: FakeLastFmServer,
    code: int,
    status: int,
    error: type[LastFmError],
) -> None:
    """Errors 29, 8, 11, 16 are retried after each delay, then raised."""
    lastfm_server.inject_error(code, status=status)
    with pytest.raises(error) as err:
        await client.async_artist_top_tracks("U2", 10)
    assert err.value.code == code
    assert not isinstance(err.value, (LastFmAuthError, LastFmNotFoundError))
    assert client.calls_made == 1 + len(FAST_RETRIES)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_http_5xx_without_json_retried(
    client: LastFmClient, lastfm_server: FakeLastFmServer, status: int
) -> None:
    """An HTML error page with HTTP 5xx is retried, then LastFmConnectionError."""
    lastfm_server.inject_status(status)
    with pytest.raises(LastFmConnectionError):
        await client.async_chart_top_tracks(10)
    assert client.calls_made == 4


async def test_http_429_without_json(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """HTTP 429 without an error body counts as the rate limit."""
    lastfm_server.inject_status(429, body="Too Many Requests")
    with pytest.raises(LastFmRateLimitError):
        await client.async_chart_top_tracks(10)
    assert client.calls_made == 4


async def test_retry_then_success(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """A transient error that goes away is invisible to the caller."""
    lastfm_server.similar["U2"] = [("INXS", 0.5)]
    lastfm_server.inject_error(29, status=429, times=1)
    lastfm_server.inject_error(16, status=503, times=1)
    lastfm_server.inject_status(502, times=1)
    artists = await client.async_similar_artists("U2", 10)
    assert [a.name for a in artists] == ["INXS"]
    assert client.calls_made == 4


async def test_backoff_delays(
    make_client: Callable[..., LastFmClient],
    lastfm_server: FakeLastFmServer,
    clock: FakeMonotonic,
) -> None:
    """Retries wait the configured (exponential) delays."""
    client = make_client(
        retry_delays=(0.05, 0.1, 0.2), monotonic=clock, sleep=clock.sleep
    )
    lastfm_server.inject_error(8, status=200)
    with pytest.raises(LastFmError):
        await client.async_chart_top_tracks(10)
    assert clock.sleeps == [0.05, 0.1, 0.2]
    times = lastfm_server.timestamps()
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert gaps == pytest.approx([0.05, 0.1, 0.2])


async def test_timeout_retried(
    make_client: Callable[..., LastFmClient], lastfm_server: FakeLastFmServer
) -> None:
    """A reply slower than the timeout is retried, then LastFmConnectionError."""
    client = make_client(request_timeout=0.05, retry_delays=(0.01,))
    lastfm_server.latency = 0.3
    with pytest.raises(LastFmConnectionError):
        await client.async_chart_top_tracks(10)
    assert client.calls_made == 2


async def test_unreachable(make_client: Callable[..., LastFmClient]) -> None:
    """A closed port is retried, then LastFmConnectionError."""
    with patch("custom_components.harmoniq.lastfm.API_URL", "http://127.0.0.1:9/2.0/"):
        client = make_client()
    with pytest.raises(LastFmConnectionError):
        await client.async_chart_top_tracks(10)
    assert client.calls_made == 4


async def test_validation_calls_not_retried(
    client: LastFmClient, lastfm_server: FakeLastFmServer
) -> None:
    """async_get_user / async_validate_key fail fast (a user waits on the form)."""
    lastfm_server.inject_error(29, status=429)
    with pytest.raises(LastFmRateLimitError):
        await client.async_validate_key()
    with pytest.raises(LastFmRateLimitError):
        await client.async_get_user("rj")
    assert client.calls_made == 2
    lastfm_server.clear_faults()
    user = await client.async_get_user("rj")
    assert user.name == "RJ"
    with pytest.raises(LastFmNotFoundError):
        await client.async_get_user("nobody")


# ------------------------------------------------------------------ cache


async def test_cache_hit_makes_no_call(
    make_client: Callable[..., LastFmClient], lastfm_server: FakeLastFmServer
) -> None:
    """A second identical (normalised) question is answered from the cache."""
    cache = LastFmCache()
    client = make_client(cache=cache)
    lastfm_server.similar["U2"] = [("INXS", 0.5)]
    first = await client.async_similar_artists("U2", 10)
    second = await client.async_similar_artists("  u2 ", 10)
    assert first == second
    assert client.calls_made == 1
    assert len(lastfm_server.requests) == 1
    assert cache.hits == 1
    await client.async_similar_artists("U2", 20)  # another limit is another question
    assert client.calls_made == 2

    for method in (
        client.async_chart_top_tracks(5),
        client.async_geo_top_tracks("Germany", 5),
        client.async_user_top_artists("rj", "overall", 5),
        client.async_artist_top_tracks("U2", 5),
    ):
        await method
    made = client.calls_made
    await client.async_chart_top_tracks(5)
    await client.async_geo_top_tracks("GERMANY", 5)
    await client.async_user_top_artists("RJ", "overall", 5)
    await client.async_artist_top_tracks("u2", 5)
    assert client.calls_made == made


async def test_cache_ttl(
    make_client: Callable[..., LastFmClient], lastfm_server: FakeLastFmServer
) -> None:
    """Entries expire after their method's TTL (injected clock)."""
    clock = FakeClock()
    client = make_client(cache=LastFmCache(clock=clock))
    await client.async_similar_artists("U2", 10)
    await client.async_user_top_artists("rj", "overall", 10)
    await client.async_chart_top_tracks(10)
    assert client.calls_made == 3

    clock.now += 3 * 3600 - 1
    await client.async_chart_top_tracks(10)
    assert client.calls_made == 3
    clock.now += 2  # charts: 3 hours
    await client.async_chart_top_tracks(10)
    assert client.calls_made == 4

    clock.now += DAY - 3 * 3600  # user top artists: 1 day
    await client.async_user_top_artists("rj", "overall", 10)
    await client.async_similar_artists("U2", 10)
    assert client.calls_made == 5

    clock.now += 6 * DAY  # similar artists: 7 days
    await client.async_similar_artists("U2", 10)
    assert client.calls_made == 6


async def test_cache_export_round_trip(
    make_client: Callable[..., LastFmClient], lastfm_server: FakeLastFmServer
) -> None:
    """export() is JSON; from_export() restores it and prunes what expired."""
    clock = FakeClock()
    cache = LastFmCache(clock=clock)
    client = make_client(cache=cache)
    similar = await client.async_similar_artists("U2", 10)
    chart = await client.async_chart_top_tracks(10)
    empty = await client.async_artist_top_tracks("Nobody Knows", 10)
    assert empty == []
    saved = json.loads(json.dumps(cache.export()))

    restored = LastFmCache.from_export(saved, clock.now + 60, clock=clock)
    assert len(restored) == 3
    client2 = make_client(cache=restored)
    assert await client2.async_similar_artists("U2", 10) == similar
    assert await client2.async_chart_top_tracks(10) == chart
    assert await client2.async_artist_top_tracks("nobody knows", 10) == []
    assert client2.calls_made == 0

    later = LastFmCache.from_export(saved, clock.now + DAY, clock=clock)
    assert len(later) == 2  # the chart (3 hours) was pruned on load
    assert (
        LastFmCache.from_export({"version": 99, "entries": {}}).export()["entries"]
        == {}
    )
    assert len(LastFmCache.from_export(None)) == 0
    assert len(LastFmCache.from_export({"version": 1, "entries": {"k": {"x": 1}}})) == 0
    assert len(LastFmCache.from_export({"version": 1, "entries": ["k"]})) == 0


async def test_errors_not_cached(
    make_client: Callable[..., LastFmClient], lastfm_server: FakeLastFmServer
) -> None:
    """A failed call leaves nothing in the cache; the next call asks again."""
    cache = LastFmCache()
    client = make_client(cache=cache, retry_delays=())
    lastfm_server.inject_error(8, status=200, times=1)
    with pytest.raises(LastFmError):
        await client.async_similar_artists("U2", 10)
    with pytest.raises(LastFmNotFoundError):
        await client.async_user_top_artists("nobody", "overall", 10)
    assert len(cache) == 0
    await client.async_similar_artists("U2", 10)
    assert client.calls_made == 3
    assert len(cache) == 1


def test_cache_bound_and_keys() -> None:
    """The oldest entries are evicted beyond max_entries; api_key is not in keys."""
    clock = FakeClock()
    cache = LastFmCache(clock=clock, max_entries=3)
    changes: list[int] = []
    cache.on_change = lambda: changes.append(1)
    for index in range(5):
        clock.now += 1
        cache.set("artist.getSimilar", {"artist": f"A{index}", "limit": 10}, [index])
    assert len(cache) == 3
    assert cache.get("artist.getSimilar", {"artist": "A0", "limit": 10}) is None
    assert cache.get("artist.getSimilar", {"artist": "a4", "limit": 10}) == [4]
    assert len(changes) == 5
    assert cache_key(
        "artist.getSimilar", {"artist": "The  Beatles", "api_key": "x"}
    ) == ("artist.getsimilar|artist=the beatles")
    assert cache.ttl("artist.getSimilar") == CACHE_TTL["artist.getsimilar"] == 7 * DAY
    restored = LastFmCache.from_export(cache.export(), clock=clock, max_entries=2)
    assert len(restored) == 2
    assert restored.get("artist.getSimilar", {"artist": "A4", "limit": 10}) == [4]
    assert restored.get("artist.getSimilar", {"artist": "A2", "limit": 10}) is None


def test_cache_prune() -> None:
    """prune() drops only the expired entries and reports a change only if any."""
    clock = FakeClock()
    cache = LastFmCache(clock=clock)
    changes: list[int] = []
    cache.on_change = lambda: changes.append(1)
    cache.set("chart.getTopTracks", {"limit": 10}, [1])
    cache.set("artist.getSimilar", {"artist": "U2", "limit": 10}, [2])
    assert cache.prune() == 0
    assert len(changes) == 2

    clock.now += CACHE_TTL["chart.gettoptracks"]
    assert cache.prune() == 1
    assert len(changes) == 3
    assert len(cache) == 1
    assert cache.get("artist.getSimilar", {"artist": "U2", "limit": 10}) == [2]


# ------------------------------------------------------------------ politeness


async def test_rate_limit(
    make_client: Callable[..., LastFmClient],
    lastfm_server: FakeLastFmServer,
    clock: FakeMonotonic,
) -> None:
    """12 concurrent calls: 5 at once, then a wait of one window before each 5 more.

    The limiter runs on a fake clock that only its waits move: the requests are
    stamped with it, so the test measures what the limiter decided, not how fast
    the machine was. One request in flight at a time keeps each stamp equal to its
    start (with two, a wait could move the clock before the other one arrives).
    """
    client = make_client(
        max_calls_per_second=5, max_concurrent=1, monotonic=clock, sleep=clock.sleep
    )
    await asyncio.gather(
        *(client.async_similar_artists(f"Artist {i}", 5) for i in range(12))
    )
    assert clock.sleeps == pytest.approx([1.05, 1.05])  # the window, widened a bit
    assert sorted(lastfm_server.timestamps()) == pytest.approx(
        [0.0] * 5 + [1.05] * 5 + [2.1] * 2
    )
    assert lastfm_server.max_in_window(1.0) <= 5
    assert client.calls_made == 12


async def test_rate_limit_waits_only_as_needed(clock: FakeMonotonic) -> None:
    """A start frees its slot one window later: the limiter waits for that, no more."""
    limiter = _RateLimiter(2, 1.0, monotonic=clock, sleep=clock.sleep)
    await limiter.acquire()
    clock.now = 0.25
    await limiter.acquire()
    clock.now = 0.5
    await limiter.acquire()  # the first start frees its slot at 1.0
    assert clock.sleeps == [0.5]
    clock.now = 1.25  # the second one's slot is free now: no wait
    await limiter.acquire()
    await limiter.acquire()  # the third one's (1.0) frees at 2.0
    assert clock.sleeps == [0.5, 0.75]


async def test_rate_limit_counts_retries(
    make_client: Callable[..., LastFmClient],
    lastfm_server: FakeLastFmServer,
    clock: FakeMonotonic,
) -> None:
    """Retries go through the same limiter."""
    client = make_client(
        max_calls_per_second=5,
        retry_delays=(0.0,) * 6,
        monotonic=clock,
        sleep=clock.sleep,
    )
    lastfm_server.inject_error(11, status=503, times=6)
    await client.async_chart_top_tracks(5)
    assert client.calls_made == 7
    # Five calls, a retry delay (0) after each failure, one window before the 6th.
    assert clock.sleeps == pytest.approx([0.0] * 5 + [1.05, 0.0])
    assert lastfm_server.timestamps() == pytest.approx([0.0] * 5 + [1.05] * 2)
    assert lastfm_server.max_in_window(1.0) <= 5


@pytest.mark.parametrize("max_concurrent", [1, 2, 3])
async def test_bounded_concurrency(
    make_client: Callable[..., LastFmClient],
    lastfm_server: FakeLastFmServer,
    max_concurrent: int,
) -> None:
    """No more than max_concurrent requests are in flight at once."""
    client = make_client(max_concurrent=max_concurrent)
    lastfm_server.latency = 0.05
    await asyncio.gather(
        *(client.async_artist_top_tracks(f"Artist {i}", 5) for i in range(8))
    )
    assert lastfm_server.max_in_flight == max_concurrent


# ------------------------------------------------------------------ the fake itself


async def test_fake_protocol(
    hass: HomeAssistant, lastfm_server: FakeLastFmServer
) -> None:
    """The fake's shapes: string @attr, errors with Last.fm's statuses."""
    session = async_get_clientsession(hass)

    async def get(**params: str) -> tuple[int, dict[str, Any]]:
        async with session.get(lastfm_server.url, params=params) as response:
            return response.status, await response.json()

    key = {"api_key": LASTFM_API_KEY, "format": "json"}
    status, body = await get(method="chart.gettoptracks", limit="7", page="2", **key)
    assert status == 200
    assert body["tracks"]["@attr"] == {
        "page": "2",
        "perPage": "7",
        "totalPages": "15",
        "total": "100",
    }
    assert isinstance(body["tracks"]["track"][0]["playcount"], str)

    status, body = await get(method="user.getTopArtists", user="rj", limit="2", **key)
    assert body["topartists"]["@attr"]["user"] == "RJ"
    assert body["topartists"]["artist"][1]["@attr"] == {"rank": "2"}

    status, body = await get(method="geo.getTopTracks", **key)
    assert (status, body["error"]) == (400, 6)
    status, body = await get(method="artist.getSimilar", artist="Nobody", **key)
    assert (status, body["error"]) == (200, 6)
    assert body["message"] == "The artist you supplied could not be found"
    status, body = await get(method="artist.getTopTracks", artist="Nobody", **key)
    assert (status, body["error"]) == (200, 6)
    status, body = await get(
        method="track.getSimilar", artist="Nobody", track="X", **key
    )
    assert (status, body["similartracks"]["track"]) == (200, [])
    status, body = await get(method="user.getTopArtists", user="nobody", **key)
    assert (status, body) == (404, {"error": 6, "message": "User not found"})
    status, body = await get(method="artist.nothing", **key)
    assert (status, body["error"]) == (400, 3)
    status, body = await get(method="chart.getTopTracks")
    assert (status, body["error"]) == (400, 6)

    artist = next(iter(lastfm_server.top_tracks))
    title = lastfm_server.top_tracks[artist][0]
    status, body = await get(
        method="track.getSimilar", artist=artist, track=title, **key
    )
    first = body["similartracks"]["track"][0]
    assert isinstance(first["playcount"], int)
    assert isinstance(first["match"], float)
    assert len(lastfm_server.calls()) == 10
    assert lastfm_server.timestamps() == sorted(lastfm_server.timestamps())


def test_fake_generated_data_is_deterministic() -> None:
    """The same seed gives the same data; defaults cover every method."""
    one, two = FakeLastFmServer(), FakeLastFmServer()
    assert one.charts == two.charts
    assert one.similar == two.similar
    assert len(one.charts["global"]) == 100
    assert set(one.charts) >= {"global", "Germany"}
    assert one.top_artists["rj"]
    assert FakeLastFmServer(seed=1).charts != one.charts


async def test_populate_from_library(
    client: LastFmClient, lastfm_server: FakeLastFmServer, plex_library: FakeLibrary
) -> None:
    """Data built from a library names its artists and tracks, plus missing ones."""
    lastfm_server.populate_from_library(plex_library)
    library_artists = {a.title for a in plex_library.artists}
    library_tracks = {(t.track_artist, t.title) for t in plex_library.tracks}
    chart = await client.async_chart_top_tracks(100)
    pairs = {(t.artist, t.title) for t in chart}
    assert pairs & library_tracks
    assert pairs - library_tracks  # some chart tracks are not in the library
    artist = next(
        a for a in lastfm_server.top_artists["rj"] if a[0] in library_artists
    )[0]
    top = await client.async_artist_top_tracks(artist, 100)
    titles = {(t.artist, t.title) for t in top}
    assert titles & library_tracks
    similar = await client.async_similar_artists(artist, 20)
    assert any(a.name in library_artists for a in similar)
    assert lastfm_server.in_library <= library_tracks
    names = {name for name, _count in lastfm_server.top_artists["rj"]}
    assert names - library_artists or any(
        name not in library_artists for name in lastfm_server.similar
    )
