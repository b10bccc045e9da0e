"""The fake Jellyfin server answers real HTTP requests the way the reference documents.

Every test talks to the fake through aiohttp on 127.0.0.1, with the requests and answers
of /work/shared/reference/jellyfin-api.md (versions 10.10, 10.11 and 12.0).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass
import json
import re
import time
from typing import Any

import aiohttp
import pytest

from tests.fakes.jellyfin_library import (
    JellyfinAlbum,
    JellyfinLibrary,
    JellyfinTrack,
    UserItemData,
    generate_jellyfin_library,
)
from tests.fakes.jellyfin_server import (
    ALICE_PASSWORD,
    BOB_PASSWORD,
    EMPTY_GUID,
    FakeJellyfinServer,
    FakeUser,
    PlaylistShare,
    auth_header,
    format_date,
    parse_authorization,
    seeded_server,
)

NOW = 1_767_000_000.0  # 2025-12-29
DAY = 86_400
HEX32 = re.compile(r"^[0-9a-f]{32}$")
TRACE_ID = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-00$")
VERSIONS = ("10.10", "10.11", "12.0")
DEVICE = "test-device-1"


@dataclass
class Reply:
    """One HTTP answer."""

    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    @property
    def content_type(self) -> str | None:
        """The Content-Type header."""
        return self.headers.get("Content-Type")


class Api:
    """A thin HTTP client for the fake (one token, or none)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        server: FakeJellyfinServer,
        token: str | None = None,
    ) -> None:
        """Remember the session, the server and the token."""
        self.http = http
        self.server = server
        self.token = token

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
        device_id: str = DEVICE,
    ) -> Reply:
        """Send a request with the MediaBrowser header (unless `headers` replace it)."""
        sent = (
            auth_header(token or self.token, device_id=device_id)
            if headers is None
            else headers
        )
        async with self.http.request(
            method,
            self.server.url + path,
            params=params,
            json=json_body,
            data=data,
            headers=sent,
        ) as response:
            return Reply(response.status, await response.read(), response.headers)

    async def get(self, path: str, **kwargs: Any) -> Reply:
        """GET."""
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Reply:
        """POST."""
        return await self.call("POST", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Reply:
        """DELETE."""
        return await self.call("DELETE", path, **kwargs)

    async def login(
        self, name: str, password: str, device_id: str = DEVICE
    ) -> dict[str, Any]:
        """`POST /Users/AuthenticateByName`; returns the AuthenticationResult."""
        reply = await self.post(
            "/Users/AuthenticateByName",
            json_body={"Username": name, "Pw": password},
            token=None,
            device_id=device_id,
            headers=auth_header(device_id=device_id),
        )
        assert reply.status == 200, reply.body
        result: dict[str, Any] = reply.json()
        return result

    async def items(self, **params: Any) -> dict[str, Any]:
        """`GET /Items` expecting 200."""
        reply = await self.get("/Items", params=_params(params))
        assert reply.status == 200, reply.body
        result: dict[str, Any] = reply.json()
        return result


def _params(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    result = []
    for key, value in params.items():
        if isinstance(value, bool):
            result.append((key, "true" if value else "false"))
        elif isinstance(value, list | tuple):
            result += [(key, str(v)) for v in value]
        else:
            result.append((key, str(value)))
    return result


def names(page: dict[str, Any]) -> list[str]:
    """The item names of a QueryResult."""
    return [item["Name"] for item in page["Items"]]


def is_text_error(reply: Reply, status: int) -> bool:
    """Shape B: text/plain "Error processing request."."""
    return (
        reply.status == status
        and reply.content_type is not None
        and reply.content_type.startswith("text/plain")
        and reply.body == b"Error processing request."
    )


def is_empty_error(reply: Reply, status: int) -> bool:
    """Shape A: empty body, no WWW-Authenticate."""
    return (
        reply.status == status
        and reply.body == b""
        and "WWW-Authenticate" not in reply.headers
    )


def is_problem(reply: Reply, status: int) -> bool:
    """Shape C: ProblemDetails."""
    if reply.status != status:
        return False
    body = reply.json()
    return (
        set(body) == {"type", "title", "status", "traceId"}
        and body["status"] == status
        and body["type"].startswith("https://tools.ietf.org/html/rfc9110#section-15.5.")
        and TRACE_ID.match(body["traceId"]) is not None
    )


def validation_errors(reply: Reply) -> dict[str, list[str]]:
    """Shape D: the `errors` of a validation ProblemDetails."""
    assert reply.status == 400, reply.body
    body = reply.json()
    assert list(body) == ["type", "title", "status", "errors", "traceId"]
    assert body["type"] == "https://tools.ietf.org/html/rfc9110#section-15.5.1"
    assert body["title"] == "One or more validation errors occurred."
    assert TRACE_ID.match(body["traceId"])
    errors: dict[str, list[str]] = body["errors"]
    return errors


def is_string(reply: Reply, status: int, message: str) -> bool:
    """Shape E: a bare JSON string."""
    return (
        reply.status == status
        and reply.content_type == "application/json; charset=utf-8"
        and reply.json() == message
    )


def album_of(track: JellyfinTrack) -> JellyfinAlbum:
    """A track's album (every test track has one)."""
    assert track.album is not None
    return track.album


def small_library() -> JellyfinLibrary:
    """Hand-made tracks with known genres, tags, names and alice's play data."""
    lib = JellyfinLibrary(name="Music")
    lib.add_track(
        "Harbour Lights", "The Example Band", "Northern Shore",
        genres=("Indie Rock", "Dream Pop"), moods=("Chill",), year=2019,
        index_number=3, seconds=254, date_created=NOW - 30 * DAY,
        user_data=UserItemData(rating=10.0, play_count=7, played=True,
                               last_played=NOW - 2 * DAY, is_favorite=True),
    )  # fmt: skip
    lib.add_track(
        "Slow Tide", ("Example Singer", "Guest Person"), "Quiet Hours",
        genres=("Jazz",), year=2021, index_number=1, seconds=318,
        date_created=NOW - 20 * DAY,
    )  # fmt: skip
    lib.add_track(
        "Paper Planes (Live)", "The Example Band", "Festival Sessions",
        album_artist="Various Artists", genres=("Indie Rock",), tags=("live",),
        year=2015, disc_number=2, index_number=12, seconds=221,
        date_created=NOW - 10 * DAY,
        user_data=UserItemData(rating=1.0, play_count=2, played=True,
                               last_played=NOW - 100 * DAY),
    )  # fmt: skip
    lib.add_track(
        "Röck Song", "Ünïcode Artist", genres=("Röck",), moods=("Energetic",),
        year=1999, date_created=NOW - 5 * DAY,
        user_data=UserItemData(rating=8.0, play_count=1, played=True,
                               last_played=NOW - 50 * DAY),
    )  # fmt: skip
    lib.add_track(
        "Hip Tune", "MC Test", genres=("Hip-Hop",), moods=("Energetic", "Chill"),
        year=2005, date_created=NOW - 4 * DAY,
        user_data=UserItemData(is_favorite=False),
    )  # fmt: skip
    lib.add_track("Rock", "Rock Band", genres=("Rock",), year=2001, date_created=NOW)
    lib.add_track("Rock Anthem", "Rock Band", genres=("Rock",), year=2002)
    lib.add_track("Rocket Science", "Rock Band", genres=("Rock",), year=2003)
    lib.add_track("Hard Rock Cafe", "Rock Band", genres=("Rock",), year=2004)
    return lib


type Start = Callable[..., Awaitable[FakeJellyfinServer]]


@pytest.fixture(name="http")
async def http_fixture(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """An aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(name="start")
async def start_fixture() -> AsyncGenerator[Start]:
    """Start servers; stop them (and check the fake had no internal errors) afterwards."""
    servers: list[FakeJellyfinServer] = []

    async def start(
        server: FakeJellyfinServer | None = None, **options: Any
    ) -> FakeJellyfinServer:
        if server is None:
            server = FakeJellyfinServer(libraries=[small_library()], **options)
            library = server.libraries[0]
            server.add_user("alice", ALICE_PASSWORD, user_data=library.user_data)
            server.add_user("bob", BOB_PASSWORD)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()
    for server in servers:
        assert not server.internal_errors


async def user_api(
    http: aiohttp.ClientSession, server: FakeJellyfinServer, name: str = "alice"
) -> Api:
    """An Api with a token of that user (issued directly)."""
    return Api(http, server, server.issue_token(server.user(name), device_id=name))


# ---------------------------------------------------------------------------------------
# Authentication.
# ---------------------------------------------------------------------------------------
async def test_anonymous_paths_and_the_401_shape(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """Public paths answer without a token; protected ones give 401 with no body."""
    server = await start()
    api = Api(http, server)
    public = await api.get("/System/Info/Public", headers={})
    assert public.status == 200
    assert public.content_type == "application/json; charset=utf-8"
    assert public.json() == {
        "LocalAddress": server.url,
        "ServerName": "Fake Jellyfin",
        "Version": "12.0.0",
        "ProductName": "Jellyfin Server",
        "OperatingSystem": "",
        "Id": server.server_id,
        "StartupWizardCompleted": True,
    }
    assert "X-Response-Time-ms" in public.headers
    assert (await api.get("/System/Ping", headers={})).json() == "Jellyfin Server"
    assert (await api.post("/System/Ping", headers={})).json() == "Jellyfin Server"
    assert (await api.get("/QuickConnect/Enabled", headers={})).json() is True
    assert (await api.get("/Users/Public", headers={})).json() == []
    for path in ("/System/Info", "/Users/Me", "/Items", "/UserViews", "/Genres"):
        assert is_empty_error(await api.get(path, headers={}), 401), path
        assert is_empty_error(await api.get(path, token="0" * 32), 401), path
    # anonymous paths still answer with a bad token
    assert (await api.get("/System/Info/Public", token="bad")).status == 200


async def test_authorization_header_parsing(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """Keys are case-sensitive, quotes optional, values URL-decoded, scheme any case."""
    server = await start()
    token = server.issue_token(server.user("alice"))
    api = Api(http, server)

    async def status(header: str) -> int:
        return (await api.get("/Users/Me", headers={"Authorization": header})).status

    assert await status(f'MediaBrowser Client="A", Token="{token}"') == 200
    assert await status(f"mediabrowser Token={token}") == 200
    assert await status(f'MediaBrowser Device="a, b", Token="{token}"') == 200
    assert await status(f'MediaBrowser token="{token}"') == 401  # key is case-sensitive
    assert await status(f"Bearer {token}") == 401
    assert await status(f"Emby Token={token}") == 401  # 12.0: no legacy scheme
    parsed = parse_authorization(
        'MediaBrowser Client="HA%20Playlists", Device=Home+Assistant, '
        'DeviceId="x,y", Version="1.0", Unknown="z"',
        allow_emby=False,
    )
    assert parsed == {
        "Client": "HA Playlists",
        "Device": "Home Assistant",
        "DeviceId": "x,y",
        "Version": "1.0",
        "Unknown": "z",
    }
    assert parse_authorization("Emby Token=a", allow_emby=False) is None
    # ?ApiKey= works in every version (case-insensitive key), also for user tokens
    reply = await api.get("/Users/Me", headers={}, params={"apikey": token})
    assert reply.status == 200


@pytest.mark.parametrize("version", VERSIONS)
async def test_legacy_token_sources(
    start: Start, http: aiohttp.ClientSession, version: str
) -> None:
    """X-Emby-Token, api_key, X-Emby-Authorization and the Emby scheme: 12.0 refuses."""
    server = await start(version=version)
    token = server.issue_token(server.user("alice"))
    api = Api(http, server)
    legacy_ok = version != "12.0"
    attempts: list[dict[str, Any]] = [
        {"headers": {"X-Emby-Token": token}},
        {"headers": {"X-MediaBrowser-Token": token}},
        {"headers": {}, "params": {"api_key": token}},
        {"headers": {"X-Emby-Authorization": f'MediaBrowser Token="{token}"'}},
        {"headers": {"Authorization": f'Emby Token="{token}"'}},
    ]
    for attempt in attempts:
        reply = await api.get("/Users/Me", **attempt)
        assert reply.status == (200 if legacy_ok else 401), attempt
        if not legacy_ok:
            assert is_empty_error(reply, 401)
    assert (
        await api.get("/Users/Me", headers={}, params={"ApiKey": token})
    ).status == 200
    # 10.10 reads X-Emby-Authorization before Authorization; 10.11 the other way round
    both = {
        "X-Emby-Authorization": f'MediaBrowser Token="{token}"',
        "Authorization": 'MediaBrowser Token="invalid"',
    }
    assert (await api.get("/Users/Me", headers=both)).status == (
        200 if version == "10.10" else 401
    )


async def test_legacy_switch_on_10_11(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """10.11 with EnableLegacyAuthorization off behaves like 12.0; 12.0 can turn it on."""
    off = await start(version="10.11", legacy_authorization=False)
    on = await start(version="12.0", legacy_authorization=True)
    for server, expected in ((off, 401), (on, 200)):
        token = server.issue_token(server.user("alice"))
        reply = await Api(http, server).get(
            "/Users/Me", headers={"X-Emby-Token": token}
        )
        assert reply.status == expected


async def test_password_login(start: Start, http: aiohttp.ClientSession) -> None:
    """AuthenticateByName: case-insensitive user, the AuthenticationResult shape."""
    server = await start()
    api = Api(http, server)
    result = await api.login("ALICE", ALICE_PASSWORD)
    assert list(result) == ["User", "SessionInfo", "AccessToken", "ServerId"]
    alice = server.user("alice")
    assert HEX32.match(result["AccessToken"])
    assert result["ServerId"] == server.server_id
    assert result["User"]["Id"] == alice.id
    assert result["User"]["Name"] == "alice"
    assert result["User"]["Policy"]["IsAdministrator"] is False
    assert result["User"]["HasPassword"] is True
    session = result["SessionInfo"]
    assert (session["DeviceId"], session["Client"], session["UserId"]) == (
        DEVICE,
        "Harmoniq",
        alice.id,
    )
    me = await api.get("/Users/Me", token=result["AccessToken"])
    assert me.json()["Id"] == alice.id
    # JSON property names are matched case-insensitively
    lower = await api.post(
        "/Users/AuthenticateByName",
        json_body={"username": "bob", "pw": BOB_PASSWORD},
        headers=auth_header(device_id="other"),
    )
    assert lower.status == 200
    assert lower.json()["User"]["Name"] == "bob"


async def test_password_login_failures(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """401/400/403 text/plain, 400 validation and 415 as the server answers them."""
    server = await start()
    api = Api(http, server)
    header = auth_header()

    async def login(body: Any, headers: dict[str, str] = header) -> Reply:
        return await api.post(
            "/Users/AuthenticateByName", json_body=body, headers=headers
        )

    assert is_text_error(await login({"Username": "alice", "Pw": "wrong"}), 401)
    assert is_text_error(await login({"Username": "nobody", "Pw": "x"}), 401)
    assert is_text_error(await login({"Username": "", "Pw": "x"}), 400)
    no_version = auth_header(version="")
    assert is_text_error(
        await login({"Username": "alice", "Pw": ALICE_PASSWORD}, no_version), 400
    )
    assert is_text_error(
        await login({"Username": "alice", "Pw": ALICE_PASSWORD}, {}), 400
    )
    empty = await api.post("/Users/AuthenticateByName", data=b"", headers={
        **header, "Content-Type": "application/json"
    })  # fmt: skip
    assert validation_errors(empty) == {"": ["A non-empty request body is required."]}
    form = await api.post(
        "/Users/AuthenticateByName",
        data=b"Username=alice",
        headers={**header, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert is_problem(form, 415)
    assert form.json()["title"] == "Unsupported Media Type"
    server.user("bob").is_disabled = True
    assert is_text_error(await login({"Username": "bob", "Pw": "wrong"}), 401)
    assert is_text_error(await login({"Username": "bob", "Pw": BOB_PASSWORD}), 403)


async def test_lockout_after_failed_logins(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """InvalidLoginAttemptCount grows; LoginAttemptsBeforeLockout disables the user."""
    server = await start()
    api = Api(http, server)
    alice = server.user("alice")
    alice.login_attempts_before_lockout = 2
    body = {"Username": "alice", "Pw": "wrong"}
    for _ in range(2):
        reply = await api.post(
            "/Users/AuthenticateByName", json_body=body, headers=auth_header()
        )
        assert reply.status == 401
    assert alice.is_disabled
    reply = await api.post(
        "/Users/AuthenticateByName",
        json_body={"Username": "alice", "Pw": ALICE_PASSWORD},
        headers=auth_header(),
    )
    assert is_text_error(reply, 403)


async def test_same_device_login_revokes_older_token(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """A new token for user+DeviceId ends the previous one; other devices keep theirs."""
    server = await start()
    api = Api(http, server)
    first = (await api.login("alice", ALICE_PASSWORD))["AccessToken"]
    other = (await api.login("alice", ALICE_PASSWORD, device_id="other"))["AccessToken"]
    second = (await api.login("alice", ALICE_PASSWORD))["AccessToken"]
    assert first != second
    assert (await api.get("/Users/Me", token=first)).status == 401
    assert (await api.get("/Users/Me", token=second)).status == 200
    assert (await api.get("/Users/Me", token=other)).status == 200
    # logout and the revoke helper end tokens too
    assert (await api.post("/Sessions/Logout", token=second)).status == 204
    assert (await api.get("/Users/Me", token=second)).status == 401
    assert server.revoke_token(other)
    assert not server.revoke_token(other)
    assert (await api.get("/Users/Me", token=other)).status == 401


# ---------------------------------------------------------------------------------------
# Quick Connect.
# ---------------------------------------------------------------------------------------
async def test_quick_connect_flow(start: Start, http: aiohttp.ClientSession) -> None:
    """Initiate, poll by secret, approve (test hook), authenticate with the secret."""
    server = await start()
    api = Api(http, server)
    initiated = await api.post("/QuickConnect/Initiate", headers=auth_header())
    assert initiated.status == 200
    result = initiated.json()
    assert list(result) == [
        "Authenticated", "Secret", "Code", "DeviceId", "DeviceName", "AppName",
        "AppVersion", "DateAdded",
    ]  # fmt: skip
    assert re.fullmatch(r"[0-9A-F]{64}", result["Secret"])
    assert re.fullmatch(r"\d{6}", result["Code"])
    assert (result["Authenticated"], result["DeviceId"], result["AppName"]) == (
        False,
        "harmoniq-test-device",
        "Harmoniq",
    )
    secret = {"Secret": result["Secret"]}
    poll = await api.get(
        "/QuickConnect/Connect", params={"secret": result["Secret"]}, headers={}
    )
    assert poll.json()["Authenticated"] is False
    early = await api.post(
        "/Users/AuthenticateWithQuickConnect", json_body=secret, headers={}
    )
    assert is_text_error(early, 404)
    token = server.approve_quick_connect(result["Code"], server.user("bob"))
    poll = await api.get(
        "/QuickConnect/Connect", params={"secret": result["Secret"]}, headers={}
    )
    assert poll.json()["Authenticated"] is True
    first = await api.post(
        "/Users/AuthenticateWithQuickConnect", json_body=secret, headers={}
    )
    second = await api.post(
        "/Users/AuthenticateWithQuickConnect", json_body=secret, headers={}
    )
    assert first.json()["AccessToken"] == second.json()["AccessToken"] == token
    assert first.json()["User"]["Name"] == "bob"
    me = await api.get("/Users/Me", token=token)
    assert me.json()["Name"] == "bob"
    # the session carries the device of the Initiate call
    assert server.tokens[token].device_id == "harmoniq-test-device"


async def test_quick_connect_authorize_over_http(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """A logged-in user approves with POST /QuickConnect/Authorize?code=."""
    server = await start()
    api = Api(http, server)
    bob = await user_api(http, server, "bob")
    code = (await api.post("/QuickConnect/Initiate", headers=auth_header())).json()
    missing = await bob.post("/QuickConnect/Authorize")
    assert validation_errors(missing) == {"code": ["The code field is required."]}
    unknown = await bob.post("/QuickConnect/Authorize", params={"code": "000000x"})
    assert is_text_error(unknown, 404)
    approved = await bob.post("/QuickConnect/Authorize", params={"code": code["Code"]})
    assert approved.json() is True
    result = await api.post(
        "/Users/AuthenticateWithQuickConnect",
        json_body={"Secret": code["Secret"]},
        headers={},
    )
    assert result.json()["User"]["Name"] == "bob"
    no_secret = await api.post(
        "/Users/AuthenticateWithQuickConnect", json_body={}, headers={}
    )
    assert validation_errors(no_secret) == {
        "$": [
            (
                "JSON deserialization for type 'Jellyfin.Api.Models.UserDtos."
                "QuickConnectDto' was missing required properties, including the "
                "following: Secret"
            )
        ]
    }


async def test_quick_connect_expiry_errors_and_switch(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """Requests expire after 10 minutes; "Unknown secret"; disabled answers."""
    clock = [NOW]
    server = await start(clock=lambda: clock[0])
    api = Api(http, server)
    result = (await api.post("/QuickConnect/Initiate", headers=auth_header())).json()
    assert result["DateAdded"] == format_date(NOW)
    no_device = await api.post("/QuickConnect/Initiate", headers={})
    assert is_text_error(no_device, 400)
    missing = await api.get("/QuickConnect/Connect", headers={})
    assert validation_errors(missing) == {"secret": ["The secret field is required."]}
    clock[0] += 601
    expired = await api.get(
        "/QuickConnect/Connect", params={"secret": result["Secret"]}, headers={}
    )
    assert is_string(expired, 404, "Unknown secret")
    server.quick_connect_enabled = False
    assert (await api.get("/QuickConnect/Enabled", headers={})).json() is False
    disabled = await api.post("/QuickConnect/Initiate", headers=auth_header())
    assert is_string(disabled, 401, "Quick connect is disabled")
    assert is_string(
        await api.get("/QuickConnect/Connect", params={"secret": "x"}, headers={}),
        401,
        "Quick connect is disabled",
    )
    login = await api.post(
        "/Users/AuthenticateWithQuickConnect", json_body={"Secret": "x"}, headers={}
    )
    assert is_text_error(login, 401)


@pytest.mark.parametrize(("version", "status"), [("10.11", 200), ("12.0", 405)])
async def test_quick_connect_get_initiate(
    start: Start, http: aiohttp.ClientSession, version: str, status: int
) -> None:
    """GET /QuickConnect/Initiate exists up to 10.11 and was removed in 12.0."""
    server = await start(version=version)
    reply = await Api(http, server).get("/QuickConnect/Initiate", headers=auth_header())
    assert reply.status == status


# ---------------------------------------------------------------------------------------
# Identity, users, API keys.
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
async def test_system_info_and_users(
    start: Start, http: aiohttp.ClientSession, version: str
) -> None:
    """/System/Info for any token; /Users/Me 400 for an API key; HasPassword in 12.0."""
    server = await start(version=version)
    server.add_user("guest")  # no password
    api = await user_api(http, server)
    key = Api(http, server, server.create_api_key())
    info = (await api.get("/System/Info")).json()
    assert (
        info["Version"]
        == {"10.10": "10.10.7", "10.11": "10.11.11", "12.0": "12.0.0"}[version]
    )
    assert info["Id"] == server.server_id
    assert info["ProductName"] == "Jellyfin Server"
    assert (await key.get("/System/Info")).status == 200
    assert is_problem(await key.get("/Users/Me"), 400)
    users = (await key.get("/Users")).json()
    assert [u["Name"] for u in users] == ["alice", "bob", "guest"]
    guest = next(u for u in users if u["Name"] == "guest")
    assert guest["HasPassword"] is (version == "12.0")
    assert guest["HasConfiguredPassword"] is False
    one = await api.get(f"/Users/{server.user('bob').id}")
    assert one.json()["Name"] == "bob"
    assert is_string(await api.get(f"/Users/{'1' * 32}"), 404, "User not found")
    assert validation_errors(await api.get("/Users/not-a-guid")) == {
        "userId": ["The value 'not-a-guid' is not valid."]
    }


async def test_api_keys_endpoints(start: Start, http: aiohttp.ClientSession) -> None:
    """POST /Auth/Keys (admin) makes a working key; non-admins get 403 empty."""
    server = await start()
    admin = server.add_user("root", "pw", is_admin=True)
    root = Api(http, server, server.issue_token(admin))
    alice = await user_api(http, server)
    assert (await root.post("/Auth/Keys", params={"app": "Harmoniq"})).status == 204
    keys = (await root.get("/Auth/Keys")).json()
    assert keys["TotalRecordCount"] == 1
    key = keys["Items"][0]["AccessToken"]
    assert HEX32.match(key)
    assert (await root.get("/System/Info", token=key)).status == 200
    assert is_empty_error(await alice.post("/Auth/Keys", params={"app": "x"}), 403)
    assert is_empty_error(await alice.get("/Auth/Keys"), 403)
    assert (await root.delete(f"/Auth/Keys/{key}")).status == 204
    assert (await root.get("/System/Info", token=key)).status == 401


# ---------------------------------------------------------------------------------------
# Libraries.
# ---------------------------------------------------------------------------------------
async def test_user_views(start: Start, http: aiohttp.ClientSession) -> None:
    """CollectionFolder + CollectionType music; the playlists UserView when non-empty."""
    server = await start()
    music = server.libraries[0]
    api = await user_api(http, server)
    views = (await api.get("/UserViews")).json()
    assert (views["TotalRecordCount"], views["StartIndex"]) == (2, 0)
    assert [(v["Name"], v["Type"], v["CollectionType"]) for v in views["Items"]] == [
        ("Movies", "CollectionFolder", "movies"),
        ("Music", "CollectionFolder", "music"),
    ]
    folder = views["Items"][1]
    assert folder["Id"] == music.id
    assert (folder["IsFolder"], folder["MediaType"], folder["ChannelId"]) == (
        True,
        "Unknown",
        None,
    )
    assert folder["UserData"]["Key"] == (
        f"{music.id[:8]}-{music.id[8:12]}-{music.id[12:16]}-{music.id[16:20]}-{music.id[20:]}"
    )
    assert {"Path", "Etag", "DateCreated", "ProviderIds", "LockedFields"} <= set(folder)
    server.create_playlist("Mine", server.user("alice"), [music.tracks[0].id])
    views = (await api.get("/UserViews")).json()
    assert [v["CollectionType"] for v in views["Items"]] == [
        "movies",
        "music",
        "playlists",
    ]
    playlists = views["Items"][2]
    assert (playlists["Type"], playlists["LocationType"], playlists["ChildCount"]) == (
        "UserView",
        "Virtual",
        1,
    )
    bob = await user_api(http, server, "bob")  # sees no playlist: no view
    assert len((await bob.get("/UserViews")).json()["Items"]) == 2
    server.playlists_view = "always"
    assert len((await bob.get("/UserViews")).json()["Items"]) == 3
    server.playlists_view = "never"
    assert len((await api.get("/UserViews")).json()["Items"]) == 2
    legacy = await api.get(f"/Users/{server.user('alice').id}/Views")
    assert legacy.status == 200


async def test_user_views_user_resolution(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """API key needs userId (400 text); another user's id: 403 text; unknown: 404."""
    server = await start()
    key = Api(http, server, server.create_api_key())
    alice = await user_api(http, server)
    bob_id = server.user("bob").id
    assert is_text_error(await key.get("/UserViews"), 400)
    assert (await key.get("/UserViews", params={"userId": bob_id})).status == 200
    assert is_text_error(await alice.get("/UserViews", params={"userId": bob_id}), 403)
    assert is_text_error(await key.get("/UserViews", params={"userId": "2" * 32}), 404)
    assert validation_errors(await key.get("/UserViews", params={"userId": "x"})) == {
        "userId": ["The value 'x' is not valid."]
    }


async def test_library_access_restriction(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """A user limited to other libraries does not see Music and may not query it."""
    server = await start()
    music = server.libraries[0]
    movies = server.other_libraries[0]
    carol = server.add_user("carol", "pw", library_ids=[movies.id])
    api = Api(http, server, server.issue_token(carol))
    views = (await api.get("/UserViews")).json()
    assert [v["Name"] for v in views["Items"]] == ["Movies"]
    denied = await api.get(
        "/Items",
        params={"parentId": music.id, "includeItemTypes": "Audio", "recursive": "true"},
    )
    assert is_string(denied, 401, "carol is not permitted to access Library Music.")
    everything = await api.items(includeItemTypes="Audio", recursive=True)
    assert everything["TotalRecordCount"] == 0


async def test_virtual_and_media_folders(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """Admin/API key: bare VirtualFolderInfo array; non-admin: 403 empty."""
    server = await start()
    key = Api(http, server, server.create_api_key())
    alice = await user_api(http, server)
    folders = (await key.get("/Library/VirtualFolders")).json()
    assert isinstance(folders, list)
    music = next(f for f in folders if f["CollectionType"] == "music")
    assert music["ItemId"] == server.libraries[0].id
    assert music["Name"] == "Music"
    assert music["Locations"]
    assert "LibraryOptions" in music
    assert is_empty_error(await alice.get("/Library/VirtualFolders"), 403)
    media = (await key.get("/Library/MediaFolders")).json()
    assert media["TotalRecordCount"] == 2
    assert is_empty_error(await alice.get("/Library/MediaFolders"), 403)


# ---------------------------------------------------------------------------------------
# /Items: shape, recursion, filters, sorting, paging, search.
# ---------------------------------------------------------------------------------------
SORT_NAME_ORDER = [
    "Hard Rock Cafe", "Hip Tune", "Rock", "Rock Anthem", "Rocket Science", "Röck Song",
    "Slow Tide", "Harbour Lights", "Paper Planes (Live)",
]  # fmt: skip
DATABASE_ORDER = [
    "Harbour Lights", "Slow Tide", "Paper Planes (Live)", "Röck Song", "Hip Tune",
    "Rock", "Rock Anthem", "Rocket Science", "Hard Rock Cafe",
]  # fmt: skip


def audio(**params: Any) -> dict[str, Any]:
    """Parameters for all tracks below the user root, plus `params`."""
    return {"includeItemTypes": "Audio", "recursive": True, **params}


async def test_audio_item_shape(start: Start, http: aiohttp.ClientSession) -> None:
    """The Audio BaseItemDto, its user-scoped UserData and the paging envelope."""
    server = await start()
    lib = server.libraries[0]
    api = await user_api(http, server)
    page = await api.items(**audio(parentId=lib.id, limit=2, startIndex=7))
    assert list(page) == ["Items", "TotalRecordCount", "StartIndex"]
    assert (page["TotalRecordCount"], page["StartIndex"]) == (9, 7)
    harbour = page["Items"][0]
    assert harbour["Name"] == "Harbour Lights"
    assert list(harbour)[:3] == ["Name", "ServerId", "Id"]
    track = lib.track("Harbour Lights")
    assert harbour["Id"] == track.id
    assert HEX32.match(harbour["Id"])
    assert harbour["ChannelId"] is None
    assert not {"Genres", "GenreItems", "Tags", "ParentId", "Path"} & set(harbour)
    assert {
        k: harbour[k]
        for k in ("Type", "MediaType", "IsFolder", "RunTimeTicks", "ProductionYear",
                  "IndexNumber", "ParentIndexNumber", "Album", "AlbumArtist", "Artists",
                  "LocationType", "ServerId")
    } == {
        "Type": "Audio", "MediaType": "Audio", "IsFolder": False,
        "RunTimeTicks": 2_540_000_000, "ProductionYear": 2019, "IndexNumber": 3,
        "ParentIndexNumber": 1, "Album": "Northern Shore",
        "AlbumArtist": "The Example Band", "Artists": ["The Example Band"],
        "LocationType": "FileSystem", "ServerId": server.server_id,
    }  # fmt: skip
    assert harbour["ArtistItems"] == [
        {"Name": "The Example Band", "Id": track.artists[0].id}
    ]
    assert harbour["AlbumId"] == album_of(track).id
    assert harbour["PremiereDate"] == "2019-01-01T00:00:00.0000000Z"
    assert harbour["UserData"] == {
        "Rating": 10,
        "PlaybackPositionTicks": 0,
        "PlayCount": 7,
        "IsFavorite": True,
        "Likes": True,
        "LastPlayedDate": format_date(NOW - 2 * DAY),
        "Played": True,
        "Key": "The Example Band-Northern Shore-0001-0003Harbour Lights",
        "ItemId": track.id,
    }
    assert isinstance(harbour["UserData"]["Rating"], int)
    paper = page["Items"][1]
    assert (paper["AlbumArtist"], paper["Artists"]) == (
        "Various Artists",
        ["The Example Band"],
    )
    assert paper["UserData"]["Likes"] is False
    slow = (await api.items(**audio(searchTerm="Slow Tide")))["Items"][0]
    assert slow["UserData"] == {  # unrated and never played: no Rating/Likes/date keys
        "PlaybackPositionTicks": 0,
        "PlayCount": 0,
        "IsFavorite": False,
        "Played": False,
        "Key": "Example Singer-Quiet Hours-0001-0001Slow Tide",
        "ItemId": lib.track("Slow Tide").id,
    }
    full = await api.items(
        **audio(ids=track.id, fields="Genres,Tags,ParentId,Path,bogus")
    )
    item = full["Items"][0]
    assert item["Genres"] == ["Indie Rock", "Dream Pop"]
    assert [g["Name"] for g in item["GenreItems"]] == ["Indie Rock", "Dream Pop"]
    assert item["Tags"] == ["MOOD:Chill"]
    assert item["ParentId"] == album_of(track).id
    assert item["Path"].startswith("/config/root/default/Music/")
    bare = await api.items(**audio(ids=track.id, enableUserData=False))
    assert "UserData" not in bare["Items"][0]
    counted = await api.items(**audio(limit=3, enableTotalRecordCount=False))
    assert counted["TotalRecordCount"] == 3


@pytest.mark.parametrize("version", VERSIONS)
async def test_recursive_default(
    start: Start, http: aiohttp.ClientSession, version: str
) -> None:
    """10.10/10.11 need recursive=true below a library; 12.0 defaults it with types."""
    server = await start(version=version)
    lib = server.libraries[0]
    api = await user_api(http, server)
    plain = await api.items(parentId=lib.id, includeItemTypes="Audio")
    assert plain["TotalRecordCount"] == (9 if version == "12.0" else 0)
    root = await api.items(includeItemTypes="Audio")  # user root children: libraries
    assert root["TotalRecordCount"] == 0
    album = album_of(lib.track("Harbour Lights"))
    assert names(await api.items(parentId=album.id)) == ["Harbour Lights"]
    children = await api.items(parentId=lib.id)
    assert {i["Type"] for i in children["Items"]} == {"MusicAlbum"}
    server.recursive_by_default = True
    assert (await api.items(parentId=lib.id, includeItemTypes="Audio"))[
        "TotalRecordCount"
    ] == 9


@pytest.mark.parametrize("version", ["10.11", "12.0"])
async def test_genre_tag_year_filters(
    start: Start, http: aiohttp.ClientSession, version: str
) -> None:
    """OR inside a list, AND across parameters, exact match on the clean value."""
    server = await start(version=version)
    api = await user_api(http, server)

    async def found(**params: Any) -> set[str]:
        return set(names(await api.items(**audio(**params))))

    assert await found(genres="Indie Rock") == {"Harbour Lights", "Paper Planes (Live)"}
    assert await found(genres="indie rock|Jazz") == {
        "Harbour Lights", "Paper Planes (Live)", "Slow Tide",
    }  # fmt: skip
    assert await found(genres="Indie Rock", tags="MOOD:Chill") == {"Harbour Lights"}
    assert await found(tags="live|mood:energetic") == {
        "Paper Planes (Live)", "Röck Song", "Hip Tune",
    }  # fmt: skip
    assert await found(genres="Indie") == set()  # not a substring match
    assert await found(years="2019,2021,abc") == {"Harbour Lights", "Slow Tide"}
    rock = {"Rock", "Rock Anthem", "Rocket Science", "Hard Rock Cafe", "Röck Song"}
    assert await found(genres="ROCK") == rock  # diacritics folded: Röck = Rock
    assert await found(genres="Hip-Hop") == {"Hip Tune"}
    assert await found(genres="hip hop") == (
        {"Hip Tune"} if version == "12.0" else set()
    )
    server.fold_diacritics = False
    assert await found(genres="rock") == rock - {"Röck Song"}
    genres = await api.get("/Genres", params={"parentId": server.libraries[0].id})
    jazz = next(g for g in genres.json()["Items"] if g["Name"] == "Jazz")
    assert await found(genreIds=jazz["Id"]) == {"Slow Tide"}


async def test_user_scoped_filters(start: Start, http: aiohttp.ClientSession) -> None:
    """isFavorite/isPlayed/filters use the caller's (or userId's) own user data."""
    server = await start()
    alice = await user_api(http, server)
    bob = await user_api(http, server, "bob")
    key = Api(http, server, server.create_api_key())

    async def count(api: Api, **params: Any) -> int:
        total: int = (await api.items(**audio(**params)))["TotalRecordCount"]
        return total

    assert await count(alice, isFavorite=True) == 1
    assert await count(alice, filters="IsFavorite") == 1
    assert await count(bob, isFavorite=True) == 0
    assert await count(alice, filters="IsPlayed") == 3
    assert await count(alice, filters="isunplayed") == 6
    assert await count(alice, isPlayed=False) == 6
    assert await count(alice, filters="Likes") == 2
    assert await count(alice, filters="IsPlayed,Likes") == 2
    assert await count(bob, filters="IsPlayed") == 0
    assert await count(alice, isFavorite=False) == 8
    bob_id = server.user("bob").id
    assert await count(key, isFavorite=True, userId=server.user("alice").id) == 1
    reply = await key.get("/Items", params=_params(audio(isFavorite=True)))
    assert is_text_error(reply, 500)  # user filter without a user
    reply = await key.get("/Items", params=_params(audio(sortBy="DatePlayed")))
    assert is_text_error(reply, 500)
    server.api_key_user_filters_fail = False
    assert await count(key, isFavorite=True) == 9  # switch: ignored instead
    plain = await key.items(**audio(limit=1))
    assert "UserData" not in plain["Items"][0]
    scoped = await key.items(**audio(limit=1, userId=bob_id))
    assert scoped["Items"][0]["UserData"]["ItemId"] == scoped["Items"][0]["Id"]
    assert is_text_error(await alice.get("/Items", params={"userId": bob_id}), 403)
    assert is_text_error(await key.get("/Items", params={"userId": "3" * 32}), 404)
    legacy = await alice.get(
        f"/Users/{server.user('alice').id}/Items",
        params=_params(audio(isFavorite=True)),
    )
    assert names(legacy.json()) == ["Harbour Lights"]


@pytest.mark.parametrize(
    ("version", "dislikes", "favorite_or_likes"),
    [("10.10", 7, 2), ("10.11", 2, 1), ("12.0", 7, 1)],
)
async def test_like_filters_per_version(
    start: Start,
    http: aiohttp.ClientSession,
    version: str,
    dislikes: int,
    favorite_or_likes: int,
) -> None:
    """Dislikes (10.11 returns the liked items), IsFavoriteOrLikes, contradictions."""
    server = await start(version=version)
    api = await user_api(http, server)

    async def count(filters: str) -> int:
        total: int = (await api.items(**audio(filters=filters)))["TotalRecordCount"]
        return total

    assert await count("Dislikes") == dislikes
    assert await count("IsFavoriteOrLikes") == favorite_or_likes
    contradictory = await api.get(
        "/Items", params=_params(audio(filters="Likes,Dislikes"))
    )
    if version == "12.0":
        assert is_text_error(contradictory, 400)
    else:
        assert contradictory.status == 200
    if version == "10.11":
        server.dislikes_bug = False
        assert await count("Dislikes") == 7
        server.favorite_false_needs_row = True  # only items with a user data row
        assert (await api.items(**audio(isFavorite=False)))["TotalRecordCount"] == 3


@pytest.mark.parametrize("version", VERSIONS)
async def test_default_order(
    start: Start, http: aiohttp.ClientSession, version: str
) -> None:
    """No sortBy: SortName (disc/track order) in 10.11/12.0, database order in 10.10."""
    server = await start(version=version)
    api = await user_api(http, server)
    expected = DATABASE_ORDER if version == "10.10" else SORT_NAME_ORDER
    assert names(await api.items(**audio())) == expected
    # ids come back in that order, not in the order asked
    ids = [server.libraries[0].track(n).id for n in reversed(expected[:3])]
    assert names(await api.items(**audio(ids=",".join(ids)))) == expected[:3]


async def test_sorting(start: Start, http: aiohttp.ClientSession) -> None:
    """Sort keys paired with sortOrder by position; SQLite NULL placement."""
    server = await start(version="10.11")
    api = await user_api(http, server)

    async def order(**params: Any) -> list[str]:
        return names(await api.items(**audio(**params)))

    assert await order(sortBy="Name") == sorted(DATABASE_ORDER)
    assert await order(sortBy="Name", sortOrder="Descending") == sorted(
        DATABASE_ORDER, reverse=True
    )
    played = await order(sortBy="DatePlayed")
    assert played[-3:] == ["Paper Planes (Live)", "Röck Song", "Harbour Lights"]
    assert (await order(sortBy="DatePlayed", sortOrder="Descending"))[:3] == [
        "Harbour Lights", "Röck Song", "Paper Planes (Live)",
    ]  # fmt: skip
    assert await order(sortBy="PlayCount,Name", sortOrder="Descending") == [
        "Harbour Lights", "Paper Planes (Live)", "Röck Song", "Hip Tune",
        "Slow Tide", "Rocket Science", "Rock Anthem", "Rock", "Hard Rock Cafe",
    ]  # fmt: skip
    by_year = await order(
        sortBy="ProductionYear,Name", sortOrder="Descending,Ascending"
    )
    assert by_year[:3] == ["Slow Tide", "Harbour Lights", "Paper Planes (Live)"]
    assert await order(sortBy="NoSuchSort") == SORT_NAME_ORDER
    assert (await order(sortBy="Runtime"))[-1] == "Slow Tide"


async def test_random_order(start: Start, http: aiohttp.ClientSession) -> None:
    """Random reshuffles on every request (seeded per server); `stable_random` does not."""
    first = await start(seeded_server(120, seed=4, now=NOW))
    twin = await start(seeded_server(120, seed=4, now=NOW))
    api = await user_api(http, first)
    page = await api.items(**audio(sortBy="Random", limit=15))
    again = await api.items(**audio(sortBy="Random", limit=15))
    assert page["TotalRecordCount"] == again["TotalRecordCount"] == 120
    assert len(page["Items"]) == 15
    assert names(page) != names(again)
    twin_page = await (await user_api(http, twin)).items(
        **audio(sortBy="Random", limit=15)
    )
    assert names(twin_page) == names(page)  # deterministic for a test
    first.stable_random = True
    stable = [
        names(await api.items(**audio(sortBy="Random", limit=15))) for _ in range(2)
    ]
    assert stable[0] == stable[1]


async def test_paging(start: Start, http: aiohttp.ClientSession) -> None:
    """startIndex/limit after filtering and sorting; TotalRecordCount = all matches."""
    server = await start()
    api = await user_api(http, server)
    pages = [await api.items(**audio(startIndex=s, limit=4)) for s in (0, 4, 8)]
    assert [p["StartIndex"] for p in pages] == [0, 4, 8]
    assert {p["TotalRecordCount"] for p in pages} == {9}
    assert [n for p in pages for n in names(p)] == SORT_NAME_ORDER
    beyond = await api.items(**audio(startIndex=20, limit=4))
    assert (beyond["Items"], beyond["TotalRecordCount"]) == ([], 9)
    filtered = await api.items(**audio(genres="Rock", limit=2))
    assert (len(filtered["Items"]), filtered["TotalRecordCount"]) == (2, 5)


async def test_id_and_artist_filters(start: Start, http: aiohttp.ClientSession) -> None:
    """ids/excludeItemIds (bad elements dropped, repeated keys), artist filters."""
    server = await start()
    lib = server.libraries[0]
    api = await user_api(http, server)
    harbour, slow = lib.track("Harbour Lights"), lib.track("Slow Tide")

    async def found(**params: Any) -> set[str]:
        return set(names(await api.items(**audio(**params))))

    assert await found(ids=f"garbage,{harbour.id}") == {"Harbour Lights"}
    assert len(await found(ids="garbage")) == 9  # no usable id: no ids filter
    assert await found(ids=[harbour.id, slow.id]) == {"Harbour Lights", "Slow Tide"}
    dashed = f"{slow.id[:8]}-{slow.id[8:12]}-{slow.id[12:16]}-{slow.id[16:20]}-{slow.id[20:]}"
    assert await found(ids=dashed.upper()) == {"Slow Tide"}
    assert len(await found(excludeItemIds=f"{harbour.id},{slow.id}")) == 7
    band = harbour.artists[0]
    various = album_of(lib.track("Paper Planes (Live)")).album_artists[0]
    rock_band = lib.track("Rock").artists[0]
    assert await found(artistIds=band.id) == {"Harbour Lights", "Paper Planes (Live)"}
    assert await found(albumArtistIds=various.id) == {"Paper Planes (Live)"}
    assert await found(contributingArtistIds=band.id) == {"Paper Planes (Live)"}
    assert len(await found(excludeArtistIds=rock_band.id)) == 5
    assert await found(artists="Guest Person|MC Test") == {"Slow Tide", "Hip Tune"}
    # an unknown raw name creates an artist; the match uses the clean name
    assert await found(artists="the example band") == {
        "Harbour Lights", "Paper Planes (Live)",
    }  # fmt: skip
    assert "the example band" in server.created_artists
    assert await found(albums="Quiet Hours") == {"Slow Tide"}
    assert await found(albumIds=album_of(slow).id) == {"Slow Tide"}
    artists = await api.get("/Artists", params={"searchTerm": "EXAMPLE"})
    assert names(artists.json()) == ["The Example Band", "Example Singer"]
    assert {i["Type"] for i in artists.json()["Items"]} == {"MusicArtist"}
    album_artists = (await api.get("/Artists/AlbumArtists")).json()
    assert "Guest Person" not in names(album_artists)
    assert "Various Artists" in names(album_artists)


async def test_what_exclusions_use(start: Start, http: aiohttp.ClientSession) -> None:
    """What the adapter's exclusions ask the server for.

    `excludeArtistIds` (any track or album artist, comma list, ANDed with the
    other filters), `ids` with `fields=Genres,Tags`, artist lookup by clean name.
    """
    server = await start()
    lib = server.libraries[0]
    api = await user_api(http, server)

    async def found(**params: Any) -> set[str]:
        return set(names(await api.items(**audio(**params))))

    guest = lib.track("Slow Tide").artists[1]
    various = album_of(lib.track("Paper Planes (Live)")).album_artists[0]
    rock_band = lib.track("Rock").artists[0]
    assert guest.name == "Guest Person"
    assert await found(excludeArtistIds=f"{guest.id},{various.id},{rock_band.id}") == {
        "Harbour Lights", "Röck Song", "Hip Tune",
    }  # fmt: skip
    assert await found(excludeArtistIds=various.id, genres="Indie Rock") == {
        "Harbour Lights"
    }
    wanted = [lib.track(t) for t in ("Rock", "Paper Planes (Live)", "Hip Tune")]
    page = await api.items(
        ids=",".join(t.id for t in wanted), fields="Genres,Tags", enableImages=False
    )
    assert {i["Name"]: (i["Genres"], i["Tags"]) for i in page["Items"]} == {
        "Rock": (["Rock"], []),
        "Paper Planes (Live)": (["Indie Rock"], ["live"]),
        "Hip Tune": (["Hip-Hop"], ["MOOD:Energetic", "MOOD:Chill"]),
    }
    unicode = await api.get("/Artists", params={"searchTerm": "unicode artist"})
    assert names(unicode.json()) == ["Ünïcode Artist"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_search(start: Start, http: aiohttp.ClientSession, version: str) -> None:
    """searchTerm: contains on the clean name; the order and candidates per version."""
    server = await start(version=version)
    api = await user_api(http, server)

    async def search(term: str, **params: Any) -> dict[str, Any]:
        return await api.items(**audio(searchTerm=term, **params))

    rock = await search("ROCK", sortBy="Name", sortOrder="Descending")
    if version == "10.10":  # score, then sortBy
        assert names(rock) == [
            "Rock", "Röck Song", "Rock Anthem", "Rocket Science", "Hard Rock Cafe",
        ]  # fmt: skip
    else:  # relevance (exact > word prefix > prefix > contains), then SortName
        assert names(rock) == [
            "Rock", "Rock Anthem", "Röck Song", "Rocket Science", "Hard Rock Cafe",
        ]  # fmt: skip
    one_char = await search("r")
    if version == "10.10":  # a one-character term only matches as a prefix
        assert set(names(one_char)) == {
            "Rock",
            "Rock Anthem",
            "Rocket Science",
            "Röck Song",
        }
    else:
        assert "Harbour Lights" in names(one_char)
    punctuation = await search("paper planes live")
    assert names(punctuation) == (["Paper Planes (Live)"] if version == "12.0" else [])
    capped = await search("rock", limit=1)
    assert len(capped["Items"]) == 1
    # 12.0: at most limit x 3 candidates, TotalRecordCount counts only those
    assert capped["TotalRecordCount"] == (3 if version == "12.0" else 5)
    server.fold_diacritics = False
    assert "Röck Song" not in names(await search("rock song"))


async def test_items_parameter_errors_and_case(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """Typed parameters give validation ProblemDetails; keys and paths ignore case."""
    server = await start()
    api = await user_api(http, server)
    bad_parent = await api.get("/Items", params={"parentId": "xyz"})
    assert validation_errors(bad_parent) == {
        "parentId": ["The value 'xyz' is not valid."]
    }
    assert validation_errors(await api.get("/Items", params={"limit": "ten"})) == {
        "limit": ["The value 'ten' is not valid."]
    }
    assert "recursive" in validation_errors(
        await api.get("/Items", params={"recursive": "maybe"})
    )
    assert is_text_error(await api.get("/Items", params={"parentId": EMPTY_GUID}), 400)
    assert is_text_error(await api.get("/Items", params={"parentId": "4" * 32}), 400)
    shouted = await api.get(
        "/ITEMS",
        params={"INCLUDEITEMTYPES": "audio", "Recursive": "TRUE", "LIMIT": "1"},
    )
    assert shouted.json()["TotalRecordCount"] == 9
    assert is_empty_error(await api.get("/NoSuchPath"), 404)
    assert is_empty_error(await api.call("PUT", "/Items"), 405)


async def test_single_item(start: Start, http: aiohttp.ClientSession) -> None:
    """GET /Items/{id}: every field, userId rules, 400 validation / 404 ProblemDetails."""
    server = await start()
    lib = server.libraries[0]
    track = lib.track("Paper Planes (Live)")
    api = await user_api(http, server)
    key = Api(http, server, server.create_api_key())
    item = (await api.get(f"/Items/{track.id}")).json()
    assert (item["Name"], item["Genres"], item["Tags"]) == (
        "Paper Planes (Live)", ["Indie Rock"], ["live"],
    )  # fmt: skip
    assert {"ParentId", "Path", "DateCreated", "SortName", "Etag"} <= set(item)
    assert item["SortName"] == "0002 - 0012 - Paper Planes (Live)"
    dashed = f"{track.id[:8]}-{track.id[8:12]}-{track.id[12:16]}-{track.id[16:20]}-{track.id[20:]}"
    assert (await api.get(f"/Items/{dashed}")).json()["Id"] == track.id
    assert is_text_error(await key.get(f"/Items/{track.id}"), 400)
    alice_id = server.user("alice").id
    assert (
        await key.get(f"/Items/{track.id}", params={"userId": alice_id})
    ).status == 200
    assert is_problem(
        await key.get(f"/Items/{track.id}", params={"userId": "5" * 32}), 404
    )
    bad = await api.get("/Items/not-a-guid")
    assert validation_errors(bad) == {
        "itemId": ["The value 'not-a-guid' is not valid."]
    }
    missing = await api.get(f"/Items/{'6' * 32}")
    assert is_problem(missing, 404)
    assert missing.json()["title"] == "Not Found"
    assert (
        missing.json()["type"] == "https://tools.ietf.org/html/rfc9110#section-15.5.5"
    )
    root = (await api.get(f"/Items/{EMPTY_GUID}")).json()
    assert root["Type"] == "UserRootFolder"
    album = (await api.get(f"/Items/{album_of(track).id}")).json()
    assert (album["Type"], album["AlbumArtist"], album["ChildCount"]) == (
        "MusicAlbum", "Various Artists", 1,
    )  # fmt: skip


async def test_genres_and_filters(start: Start, http: aiohttp.ClientSession) -> None:
    """/Genres under a music library gives MusicGenre items; /Items/Filters lists tags."""
    server = await start()
    lib = server.libraries[0]
    api = await user_api(http, server)
    genres = (await api.get("/Genres", params={"parentId": lib.id})).json()
    assert names(genres) == ["Dream Pop", "Hip-Hop", "Indie Rock", "Jazz", "Röck"]
    assert {g["Type"] for g in genres["Items"]} == {"MusicGenre"}
    assert all(HEX32.match(g["Id"]) for g in genres["Items"])
    assert "SongCount" not in genres["Items"][0]
    counted = await api.get(
        "/Genres", params={"parentId": lib.id, "includeItemTypes": "Audio", "limit": 2,
                           "startIndex": 2, "sortOrder": "Descending"}
    )  # fmt: skip
    body = counted.json()
    assert (names(body), body["TotalRecordCount"]) == (["Indie Rock", "Hip-Hop"], 5)
    assert (body["Items"][0]["SongCount"], body["Items"][0]["AlbumCount"]) == (2, 0)
    search = await api.get("/Genres", params={"parentId": lib.id, "searchTerm": "ROCK"})
    assert names(search.json()) == ["Indie Rock", "Röck"]
    assert (await api.get("/Genres")).json()["TotalRecordCount"] == 0
    assert (await api.get("/MusicGenres")).json()["TotalRecordCount"] == 5
    filters = await api.get(
        "/Items/Filters", params={"parentId": lib.id, "includeItemTypes": "Audio"}
    )
    assert filters.json()["Tags"] == ["live", "MOOD:Chill", "MOOD:Energetic"]
    assert filters.json()["Years"] == [
        1999,
        2001,
        2002,
        2003,
        2004,
        2005,
        2015,
        2019,
        2021,
    ]
    assert filters.json()["OfficialRatings"] == []
    filters2 = await api.get("/Items/Filters2", params={"parentId": lib.id})
    assert filters2.json()["Tags"] == []
    assert {"Name", "Id"} == set(filters2.json()["Genres"][0])


@pytest.mark.parametrize("version", ["10.11", "12.0"])
async def test_instant_mix_and_similar(
    start: Start, http: aiohttp.ClientSession, version: str
) -> None:
    """Instant mix and similar items.

    Instant mix: the seed first + up to 200 genre-sharing random tracks. Similar:
    genres AND tags, random, without the seed, 12.0 default limit 50.
    """
    server = await start(seeded_server(400, seed=3, now=NOW, version=version))
    lib = server.libraries[0]
    api = await user_api(http, server)
    seed = next(t for t in lib.tracks if t.tags and t.genres)
    mix = (await api.get(f"/Items/{seed.id}/InstantMix")).json()
    sharing = [t for t in lib.tracks if set(t.genres) & set(seed.genres)]
    assert mix["Items"][0]["Id"] == seed.id
    ids = [i["Id"] for i in mix["Items"]]
    assert ids.count(seed.id) == 1
    assert mix["TotalRecordCount"] == len(ids) == min(201, len(sharing))
    by_id = {t.id: t for t in lib.tracks}
    assert all(set(by_id[i].genres) & set(seed.genres) for i in ids)
    cut = (await api.get(f"/Songs/{seed.id}/InstantMix", params={"limit": 5})).json()
    assert (len(cut["Items"]), cut["TotalRecordCount"]) == (5, mix["TotalRecordCount"])
    playlist = server.create_playlist("No genres", server.user("alice"), [seed.id])
    everything = (await api.get(f"/Playlists/{playlist.id}/InstantMix")).json()
    assert everything["TotalRecordCount"] == 200  # no genres: 200 random tracks
    genre = (await api.get(f"/MusicGenres/{seed.genres[0]}/InstantMix")).json()
    assert genre["TotalRecordCount"] > 0
    assert is_problem(await api.get(f"/Items/{'7' * 32}/InstantMix"), 404)
    similar = (await api.get(f"/Items/{seed.id}/Similar")).json()
    expected = [
        t for t in lib.tracks
        if t.id != seed.id and set(t.genres) & set(seed.genres)
        and set(t.tags) & set(seed.tags)
    ]  # fmt: skip
    assert similar["TotalRecordCount"] == len(similar["Items"])
    assert len(similar["Items"]) == (
        min(50, len(expected)) if version == "12.0" else len(expected)
    )
    assert {i["Id"] for i in similar["Items"]} <= {t.id for t in expected}
    limited = (await api.get(f"/Items/{seed.id}/Similar", params={"limit": 3})).json()
    assert len(limited["Items"]) == 3
    assert is_problem(await api.get(f"/Items/{'7' * 32}/Similar"), 404)


# ---------------------------------------------------------------------------------------
# Playlists.
# ---------------------------------------------------------------------------------------
def track_ids(server: FakeJellyfinServer, *titles: str) -> list[str]:
    """Ids of tracks by title."""
    return [server.libraries[0].track(t).id for t in titles]


async def entries(api: Api, playlist_id: str, **params: Any) -> dict[str, Any]:
    """GET /Playlists/{id}/Items expecting 200."""
    reply = await api.get(f"/Playlists/{playlist_id}/Items", params=_params(params))
    assert reply.status == 200, reply.body
    result: dict[str, Any] = reply.json()
    return result


async def test_create_and_read_playlist(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """Create with a body (public by default), read PlaylistDto, items, listing."""
    server = await start()
    api = await user_api(http, server)
    alice = server.user("alice")
    ids = track_ids(server, "Slow Tide", "Harbour Lights", "Rock")
    created = await api.post(
        "/Playlists",
        json_body={
            "Name": "Evening",
            "Ids": ids,
            "UserId": alice.id,
            "MediaType": "Audio",
        },
    )
    assert created.status == 200
    assert list(created.json()) == ["Id"]
    playlist_id = created.json()["Id"]
    assert HEX32.match(playlist_id)
    info = (await api.get(f"/Playlists/{playlist_id}")).json()
    assert info == {"OpenAccess": True, "Shares": [], "ItemIds": ids}
    page = await entries(api, playlist_id)
    assert names(page) == ["Slow Tide", "Harbour Lights", "Rock"]  # playlist order
    assert (page["TotalRecordCount"], page["StartIndex"]) == (3, 0)
    first = page["Items"][0]
    assert list(first)[:4] == ["Name", "ServerId", "Id", "PlaylistItemId"]
    assert all(i["PlaylistItemId"] == i["Id"] for i in page["Items"])
    assert first["UserData"]["ItemId"] == first["Id"]
    paged = await entries(api, playlist_id, startIndex=1, limit=1)
    assert (names(paged), paged["TotalRecordCount"]) == (["Harbour Lights"], 3)
    item = (await api.get(f"/Items/{playlist_id}")).json()
    assert (item["Name"], item["Type"], item["MediaType"], item["ChildCount"]) == (
        "Evening", "Playlist", "Audio", 3,
    )  # fmt: skip
    listing = await api.items(
        includeItemTypes="Playlist", recursive=True, searchTerm="even"
    )
    assert names(listing) == ["Evening"]
    assert server.playlist_tracks(playlist_id)[0].name == "Slow Tide"
    # one comma-separated string works for Ids too; query form wins over the body
    mixed = await api.post(
        "/Playlists",
        params={"name": "From query"},
        json_body={"Name": "From body", "Ids": ",".join(ids[:2]) + ",junk"},
    )
    mixed_info = (await api.get(f"/Items/{mixed.json()['Id']}")).json()
    assert (mixed_info["Name"], mixed_info["ChildCount"]) == ("From query", 2)


async def test_create_playlist_errors(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """Missing Name, legacy query form (private), unknown first id, API keys."""
    server = await start()
    api = await user_api(http, server)
    key = Api(http, server, server.create_api_key())
    alice = server.user("alice")
    no_name = await api.post("/Playlists", json_body={"Ids": []})
    assert validation_errors(no_name) == {
        "$": [
            (
                "JSON deserialization for type 'Jellyfin.Api.Models.PlaylistDtos."
                "CreatePlaylistDto' was missing required properties, including the "
                "following: Name"
            )
        ]
    }
    bad_id = await api.post("/Playlists", json_body={"Name": "x", "Ids": ["nope"]})
    assert "$.Ids[0]" in validation_errors(bad_id)
    legacy = await api.post(
        "/Playlists", params={"name": "Legacy", "ids": track_ids(server, "Rock")[0]}
    )
    assert legacy.status == 200
    assert (await api.get(f"/Playlists/{legacy.json()['Id']}")).json()[
        "OpenAccess"
    ] is False
    unknown_first = await api.post(
        "/Playlists", json_body={"Name": "x", "Ids": ["8" * 32]}
    )
    assert is_text_error(unknown_first, 400)
    typed = await api.post(
        "/Playlists", json_body={"Name": "x", "Ids": ["8" * 32], "MediaType": "Audio"}
    )
    assert typed.status == 200  # unknown ids are just dropped when the type is given
    assert is_text_error(await key.post("/Playlists", json_body={"Name": "k"}), 400)
    by_key = await key.post("/Playlists", json_body={"Name": "k", "UserId": alice.id})
    assert server.playlists[by_key.json()["Id"]].owner_id == alice.id
    for_bob = await api.post(
        "/Playlists", json_body={"Name": "x", "UserId": server.user("bob").id}
    )
    assert is_text_error(for_bob, 403)


@pytest.mark.parametrize("version", ["10.11", "12.0"])
async def test_add_items(
    start: Start, http: aiohttp.ClientSession, version: str
) -> None:
    """Adding items to a playlist.

    Unknown ids dropped, albums expanded; 10.11 dedupes, 12.0 keeps duplicates and
    honours `position`.
    """
    server = await start(version=version)
    api = await user_api(http, server)
    alice = server.user("alice")
    rock, anthem, slow = track_ids(server, "Rock", "Rock Anthem", "Slow Tide")
    playlist = server.create_playlist("P", alice, [rock])
    path = f"/Playlists/{playlist.id}/Items"
    reply = await api.post(
        path, params={"ids": f"{anthem},{rock},{anthem},{'9' * 32},bad"}
    )
    assert (reply.status, reply.body) == (204, b"")
    if version == "12.0":
        assert names(await entries(api, playlist.id)) == [
            "Rock",
            "Rock Anthem",
            "Rock",
            "Rock Anthem",
        ]
        await api.post(path, params={"ids": slow, "position": 1})
        assert names(await entries(api, playlist.id))[:2] == ["Rock", "Slow Tide"]
    else:
        assert names(await entries(api, playlist.id)) == ["Rock", "Rock Anthem"]
        await api.post(path, params={"ids": slow, "position": 0})  # ignored before 12.0
        assert names(await entries(api, playlist.id))[-1] == "Slow Tide"
    album = album_of(server.libraries[0].track("Harbour Lights"))
    await api.post(path, params={"ids": album.id})
    assert names(await entries(api, playlist.id))[-1] == "Harbour Lights"


@pytest.mark.parametrize("version", ["10.11", "12.0"])
async def test_remove_move_and_replace(
    start: Start, http: aiohttp.ClientSession, version: str
) -> None:
    """Bulk delete by entryIds (32-hex compare), move (0-based), update Ids = replace."""
    server = await start(version=version)
    api = await user_api(http, server)
    alice = server.user("alice")
    ids = track_ids(
        server, "Rock", "Rock Anthem", "Rocket Science", "Slow Tide", "Hip Tune"
    )
    playlist = server.create_playlist("P", alice, ids)
    path = f"/Playlists/{playlist.id}/Items"
    upper = await api.delete(path, params={"entryIds": ids[0].upper()})
    assert upper.status == 204  # matches nothing
    assert len(playlist.entries) == 5
    reply = await api.delete(path, params={"entryIds": f"{ids[0]},{ids[2]},{'9' * 32}"})
    assert (reply.status, reply.body) == (204, b"")
    assert names(await entries(api, playlist.id)) == [
        "Rock Anthem",
        "Slow Tide",
        "Hip Tune",
    ]
    moved = await api.post(f"{path}/{ids[4]}/Move/0")
    assert moved.status == 204
    assert names(await entries(api, playlist.id)) == [
        "Hip Tune",
        "Rock Anthem",
        "Slow Tide",
    ]
    await api.post(
        f"{path}/{ids[4].upper()}/Move/2"
    )  # entry id compared case-insensitively
    assert names(await entries(api, playlist.id)) == [
        "Rock Anthem",
        "Slow Tide",
        "Hip Tune",
    ]
    assert (await api.post(f"{path}/{'9' * 32}/Move/1")).status == 204  # silent no-op
    assert is_text_error(await api.post(f"{path}/{ids[1]}/Move/4"), 500)
    assert validation_errors(await api.post(f"{path}/{ids[1]}/Move/x")) == {
        "newIndex": ["The value 'x' is not valid."]
    }
    server.move_past_end_fails = False
    assert (await api.post(f"{path}/{ids[1]}/Move/9")).status == 204
    assert names(await entries(api, playlist.id))[-1] == "Rock Anthem"
    update = await api.post(
        f"/Playlists/{playlist.id}",
        json_body={"Ids": [ids[3], ids[3], ids[0]], "Name": "Renamed"},
    )
    assert (update.status, update.body) == (204, b"")
    expected = (
        ["Slow Tide", "Rock"]
        if version == "10.11"
        else ["Slow Tide", "Slow Tide", "Rock"]
    )
    assert names(await entries(api, playlist.id)) == expected
    assert playlist.name == "Renamed"
    assert playlist.open_access is False  # fields not sent stay
    await api.post(f"/Playlists/{playlist.id}", json_body={"IsPublic": True})
    assert (playlist.open_access, playlist.name, len(playlist.entries)) == (
        True, "Renamed", len(expected),
    )  # fmt: skip
    if version == "12.0":  # one entry id removes every copy of the track
        await api.delete(path, params={"entryIds": ids[3]})
        assert names(await entries(api, playlist.id)) == ["Rock"]


async def test_distinct_entry_ids_switch(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """With separate entry ids (<= 10.10.1) only PlaylistItemId removes an entry."""
    server = await start(version="10.10", distinct_entry_ids=True)
    api = await user_api(http, server)
    ids = track_ids(server, "Rock", "Slow Tide")
    playlist = server.create_playlist("P", server.user("alice"), ids)
    page = await entries(api, playlist.id)
    entry_ids = [i["PlaylistItemId"] for i in page["Items"]]
    assert all(HEX32.match(e) for e in entry_ids)
    assert entry_ids != [i["Id"] for i in page["Items"]]
    path = f"/Playlists/{playlist.id}/Items"
    await api.delete(path, params={"entryIds": ids[0]})  # an item id: nothing removed
    assert len(playlist.entries) == 2
    await api.post(f"{path}/{entry_ids[1]}/Move/0")
    await api.delete(path, params={"entryIds": entry_ids[0]})
    assert names(await entries(api, playlist.id)) == ["Slow Tide"]


async def test_playlist_ownership(start: Start, http: aiohttp.ClientSession) -> None:
    """Ownership and shares.

    Invisible: 404 "Playlist not found"; visible without edit right: 403 empty;
    deleting someone else's: 401 "Unauthorized access"; shares grant editing.
    """
    server = await start()
    alice, bob = server.user("alice"), server.user("bob")
    alice_api = await user_api(http, server)
    bob_api = await user_api(http, server, "bob")
    rock = track_ids(server, "Rock")[0]
    private = server.create_playlist("Private", alice, [rock])
    public = server.create_playlist("Public", alice, [rock], public=True)
    for reply in (
        await bob_api.get(f"/Playlists/{private.id}"),
        await bob_api.get(f"/Playlists/{private.id}/Items"),
        await bob_api.post(f"/Playlists/{private.id}/Items", params={"ids": rock}),
        await bob_api.delete(
            f"/Playlists/{private.id}/Items", params={"entryIds": rock}
        ),
        await bob_api.post(f"/Playlists/{private.id}", json_body={"Name": "x"}),
    ):
        assert is_string(reply, 404, "Playlist not found")
    assert (await bob_api.get(f"/Playlists/{public.id}/Items")).status == 200
    for reply in (
        await bob_api.post(f"/Playlists/{public.id}/Items", params={"ids": rock}),
        await bob_api.delete(
            f"/Playlists/{public.id}/Items", params={"entryIds": rock}
        ),
        await bob_api.post(f"/Playlists/{public.id}/Items/{rock}/Move/0"),
        await bob_api.post(f"/Playlists/{public.id}", json_body={"Name": "x"}),
    ):
        assert is_empty_error(reply, 403)
    assert is_string(
        await bob_api.delete(f"/Items/{public.id}"), 401, "Unauthorized access"
    )
    assert is_problem(await bob_api.delete(f"/Items/{private.id}"), 404)
    own = await alice_api.get(f"/Playlists/{public.id}/Users/{alice.id}")
    assert own.json() == {"UserId": alice.id, "CanEdit": True}
    assert is_empty_error(await bob_api.get(f"/Playlists/{public.id}/Users"), 403)
    share = await alice_api.post(
        f"/Playlists/{private.id}/Users/{bob.id}", json_body={"CanEdit": True}
    )
    assert share.status == 204
    assert (await alice_api.get(f"/Playlists/{private.id}/Users")).json() == [
        {"UserId": bob.id, "CanEdit": True}
    ]
    added = await bob_api.post(
        f"/Playlists/{private.id}/Items",
        params={"ids": track_ids(server, "Slow Tide")[0]},
    )
    assert added.status == 204
    assert (await bob_api.get(f"/Playlists/{private.id}")).json()["Shares"] == [
        {"UserId": bob.id, "CanEdit": True}
    ]
    assert (
        await alice_api.delete(f"/Playlists/{private.id}/Users/{bob.id}")
    ).status == 204
    assert is_string(
        await bob_api.get(f"/Playlists/{private.id}"), 404, "Playlist not found"
    )
    assert (await alice_api.delete(f"/Items/{public.id}")).status == 204
    assert public.id not in server.playlists
    # the user's playlists: own + public; another user's private ones stay hidden
    listing = await bob_api.items(includeItemTypes="Playlist", recursive=True)
    assert names(listing) == []
    server.expose_private_playlists = True  # jellyfin#17022 (switch)
    listing = await bob_api.items(includeItemTypes="Playlist", recursive=True)
    assert names(listing) == ["Private"]


@pytest.mark.parametrize(
    ("version", "delete_status"), [("10.10", 400), ("10.11", 204), ("12.0", 204)]
)
async def test_playlists_with_an_api_key(
    start: Start, http: aiohttp.ClientSession, version: str, delete_status: int
) -> None:
    """The API-key matrix of the reference (section 2.5) and the string-id errors."""
    server = await start(version=version)
    key = Api(http, server, server.create_api_key())
    alice = server.user("alice")
    rock, slow = track_ids(server, "Rock", "Slow Tide")
    playlist = server.create_playlist("P", alice, [rock, slow])
    pid = playlist.id
    assert is_text_error(await key.get(f"/Playlists/{pid}"), 400)
    assert is_text_error(
        await key.post(f"/Playlists/{pid}", json_body={"Name": "x"}), 400
    )
    assert is_text_error(await key.get(f"/Playlists/{pid}/Items"), 400)
    items = await key.get(f"/Playlists/{pid}/Items", params={"userId": alice.id})
    assert items.json()["TotalRecordCount"] == 2
    assert is_text_error(
        await key.post(f"/Playlists/{pid}/Items", params={"ids": rock}), 400
    )
    added = await key.post(
        f"/Playlists/{pid}/Items", params={"ids": rock, "userId": alice.id}
    )
    assert added.status == 204
    assert is_text_error(await key.post(f"/Playlists/{pid}/Items/{rock}/Move/0"), 400)
    removed = await key.delete(f"/Playlists/{pid}/Items", params={"entryIds": slow})
    assert removed.status == delete_status
    if delete_status == 204:
        assert is_problem(
            await key.delete(f"/Playlists/{'a' * 32}/Items", params={"entryIds": slow}),
            404,
        )
        assert is_text_error(await key.delete("/Playlists/xyz/Items"), 500)
    alice_api = await user_api(http, server)
    assert is_text_error(await alice_api.delete("/Playlists/xyz/Items"), 500)
    assert is_text_error(
        await alice_api.post(f"/Playlists/xyz/Items/{rock}/Move/0"), 500
    )
    assert validation_errors(await alice_api.get("/Playlists/xyz")) == {
        "playlistId": ["The value 'xyz' is not valid."]
    }
    assert is_string(
        await alice_api.delete(f"/Playlists/{'a' * 32}/Items"),
        404,
        "Playlist not found",
    )
    assert (await key.delete(f"/Items/{pid}")).status == 204  # no ownership check


async def test_api_key_playlist_delete_switch(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """10.11.3 report: DELETE /Playlists/{id}/Items with an API key still 400 (switch)."""
    server = await start(version="10.11", api_key_playlist_delete=False)
    key = Api(http, server, server.create_api_key())
    playlist = server.create_playlist(
        "P", server.user("alice"), track_ids(server, "Rock")
    )
    reply = await key.delete(
        f"/Playlists/{playlist.id}/Items", params={"entryIds": "x"}
    )
    assert is_text_error(reply, 400)


@pytest.mark.parametrize("version", ["10.11", "12.0"])
async def test_playlists_below_a_library(
    start: Start, http: aiohttp.ClientSession, version: str
) -> None:
    """12.0: parentId=<music library> lists playlists holding its items; 10.11: none."""
    server = await start(version=version)
    api = await user_api(http, server)
    server.create_playlist("Mine", server.user("alice"), track_ids(server, "Rock"))
    page = await api.items(
        includeItemTypes="Playlist", recursive=True, parentId=server.libraries[0].id
    )
    assert names(page) == (["Mine"] if version == "12.0" else [])


async def test_playlist_image(start: Start, http: aiohttp.ClientSession) -> None:
    """POST /Items/{id}/Images/Primary: base64 body, image Content-Type, admin only."""
    server = await start()
    admin = server.add_user("root", "pw", is_admin=True)
    root = Api(http, server, server.issue_token(admin))
    alice_api = await user_api(http, server)
    playlist = server.create_playlist("P", server.user("alice"), [])
    path = f"/Items/{playlist.id}/Images/Primary"
    image = b"\xff\xd8\xff\xe0fake-jpeg"
    headers = {**root_headers(root), "Content-Type": "image/jpeg"}
    reply = await root.post(path, data=base64.b64encode(image), headers=headers)
    assert reply.status == 204
    assert playlist.image == image
    item = (await alice_api.get(f"/Items/{playlist.id}")).json()
    first_tag = item["ImageTags"]["Primary"]
    assert first_tag == playlist.image_tag
    # The same bytes again: a new image file, so a new tag.
    reply = await root.post(path, data=base64.b64encode(image), headers=headers)
    assert reply.status == 204
    item = (await alice_api.get(f"/Items/{playlist.id}")).json()
    assert item["ImageTags"]["Primary"] not in (None, first_tag)
    playlist.set_image(None)  # test hook: the image removed
    item = (await alice_api.get(f"/Items/{playlist.id}")).json()
    assert item["ImageTags"] == {}
    owner = {**root_headers(alice_api), "Content-Type": "image/jpeg"}
    assert is_empty_error(
        await alice_api.post(path, data=base64.b64encode(image), headers=owner), 403
    )
    text = {**root_headers(root), "Content-Type": "text/plain"}
    assert is_string(
        await root.post(path, data=b"abc", headers=text), 400, "Incorrect ContentType."
    )
    assert is_text_error(
        await root.post(path, data=b"!!not base64!!", headers=headers), 500
    )


def root_headers(api: Api) -> dict[str, str]:
    """The auth header of an Api's token."""
    return auth_header(api.token)


# ---------------------------------------------------------------------------------------
# Ratings, favourites, play state.
# ---------------------------------------------------------------------------------------
async def test_user_data_endpoints(start: Start, http: aiohttp.ClientSession) -> None:
    """Like = 10, dislike = 1, omitted likes clears; favourites; played; per user."""
    server = await start()
    api = await user_api(http, server)
    alice, bob = server.user("alice"), server.user("bob")
    slow = server.libraries[0].track("Slow Tide")
    liked = (
        await api.post(f"/UserItems/{slow.id}/Rating", params={"likes": "true"})
    ).json()
    assert (liked["Rating"], liked["Likes"], liked["ItemId"]) == (10, True, slow.id)
    disliked = await api.post(f"/UserItems/{slow.id}/Rating", params={"likes": "false"})
    assert (disliked.json()["Rating"], disliked.json()["Likes"]) == (1, False)
    cleared = (await api.post(f"/UserItems/{slow.id}/Rating")).json()
    assert "Rating" not in cleared
    assert "Likes" not in cleared
    await api.post(f"/UserItems/{slow.id}/Rating", params={"likes": "true"})
    assert "Rating" not in (await api.delete(f"/UserItems/{slow.id}/Rating")).json()
    fav = (await api.post(f"/UserFavoriteItems/{slow.id}")).json()
    assert fav["IsFavorite"] is True
    assert (await api.delete(f"/UserFavoriteItems/{slow.id}")).json()[
        "IsFavorite"
    ] is False
    played = (await api.post(f"/UserPlayedItems/{slow.id}")).json()
    assert (played["Played"], played["PlayCount"]) == (True, 1)
    again = (await api.post(f"/UserPlayedItems/{slow.id}")).json()
    assert again["PlayCount"] == 1  # max(PlayCount, 1) without datePlayed
    dated = await api.post(
        f"/UserPlayedItems/{slow.id}",
        params={"datePlayed": "2026-01-02T03:04:05.1234567Z"},
    )
    assert (dated.json()["PlayCount"], dated.json()["LastPlayedDate"]) == (
        2, "2026-01-02T03:04:05.123456Z",
    )  # fmt: skip
    unplayed = (await api.delete(f"/UserPlayedItems/{slow.id}")).json()
    assert (unplayed["Played"], unplayed["PlayCount"]) == (False, 0)
    written = await api.post(
        f"/UserItems/{slow.id}/UserData",
        json_body={"Rating": 7, "Likes": False, "PlayCount": 4, "Played": True},
    )
    assert (written.json()["Rating"], written.json()["Likes"]) == (
        7,
        True,
    )  # Rating wins
    read = (await api.get(f"/UserItems/{slow.id}/UserData")).json()
    assert read["PlayCount"] == 4
    assert is_text_error(
        await api.post(f"/UserItems/{slow.id}/UserData", json_body={"Rating": 11}), 400
    )
    assert bob.user_data.get(slow.id) is None  # other users untouched
    assert alice.user_data[slow.id].rating == 7
    legacy = await api.post(f"/Users/{alice.id}/FavoriteItems/{slow.id}")
    assert legacy.json()["IsFavorite"] is True
    key = Api(http, server, server.create_api_key())
    assert is_text_error(await key.post(f"/UserFavoriteItems/{slow.id}"), 400)
    by_key = await key.post(f"/UserFavoriteItems/{slow.id}", params={"userId": bob.id})
    assert by_key.json()["IsFavorite"] is True
    assert bob.user_data[slow.id].is_favorite
    assert is_problem(await api.post(f"/UserFavoriteItems/{'b' * 32}"), 404)
    assert is_problem(
        await key.post(f"/UserFavoriteItems/{slow.id}", params={"userId": "c" * 32}),
        404,
    )


# ---------------------------------------------------------------------------------------
# Formats and switches of the transport.
# ---------------------------------------------------------------------------------------
async def test_format_switches_and_base_url(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """ProblemDetails Content-Type, dates without Z, a base URL prefix."""
    server = await start(
        base_url="/jellyfin",
        problem_content_type="application/problem+json; charset=utf-8",
        dates_with_z=False,
    )
    assert server.url.endswith("/jellyfin")
    api = await user_api(http, server)
    missing = await api.get(f"/Items/{'d' * 32}")
    assert missing.content_type == "application/problem+json; charset=utf-8"
    assert is_problem(missing, 404)
    track = (await api.items(**audio(searchTerm="Harbour")))["Items"][0]
    assert track["UserData"]["LastPlayedDate"] == format_date(NOW - 2 * DAY)[:-1]
    outside = await http.get(
        server.url.removesuffix("/jellyfin") + "/System/Info/Public"
    )
    assert outside.status == 404
    outside.release()
    assert format_date(NOW) == "2025-12-29T09:20:00.0000000Z"
    assert format_date(NOW + 0.512) == "2025-12-29T09:20:00.512Z"


# ---------------------------------------------------------------------------------------
# Faults, latency, gates, the request log.
# ---------------------------------------------------------------------------------------
async def test_status_drop_malformed_and_empty_faults(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """Each fault kind answers as configured, for `times` requests or until cleared."""
    server = await start()
    api = await user_api(http, server)
    server.inject_fault("status", status=500, path_prefix="/items", times=1)
    assert is_text_error(await api.get("/Items"), 500)
    assert (await api.get("/Items")).status == 200  # times=1: gone
    server.inject_fault("status", status=503, method="GET", times=1)
    assert is_empty_error(await api.get("/Users/Me"), 503)
    server.clear_requests()
    server.inject_fault("drop", path_prefix="/Users/Me")
    with pytest.raises(aiohttp.ClientConnectionError):
        await api.get("/Users/Me")  # aiohttp retries a GET once on a reused connection
    assert server.requests
    assert all(r.status is None for r in server.requests)
    server.clear_faults()
    server.inject_fault("malformed", path_prefix="/System")
    reply = await api.get("/System/Info")
    assert reply.status == 200
    with pytest.raises(json.JSONDecodeError):
        reply.json()
    assert (await api.get("/System/Info")).body == b'{"Items":[{"Name":"Bro'
    server.clear_faults()
    assert (await api.get("/System/Info")).json()["Id"] == server.server_id
    server.inject_fault("empty", method="POST", times=1)
    empty = await api.post("/Playlists", json_body={"Name": "x"})
    assert (empty.status, empty.body) == (200, b"")
    assert not server.playlists  # the request never reached the handler


async def test_trickle_latency_and_gates(
    start: Start, http: aiohttp.ClientSession
) -> None:
    """A trickled reply arrives whole; latency delays; a gate holds a request."""
    server = await start()
    api = await user_api(http, server)
    normal = await api.get("/System/Info")
    server.inject_fault("trickle", path_prefix="/System/Info", chunk_size=256,
                        interval=0.001, times=1)  # fmt: skip
    trickled = await api.get("/System/Info")
    assert trickled.json() == normal.json()
    assert server.requests[-1].response == trickled.body
    server.latency = 0.05
    started = time.monotonic()
    await api.get("/System/Ping", headers={})
    assert time.monotonic() - started >= 0.05
    server.latency = 0
    gate = server.hold("POST", "/Playlists")
    task = asyncio.create_task(api.post("/Playlists", json_body={"Name": "Held"}))
    await gate.arrived.wait()
    assert not task.done()
    assert not server.playlists  # recorded, not yet handled
    assert server.requests[-1].path == "/Playlists"
    gate.release()
    assert (await task).status == 200
    assert [p.name for p in server.playlists.values()] == ["Held"]


async def test_request_log(start: Start, http: aiohttp.ClientSession) -> None:
    """Method, path, query, headers, body, status and response of every request."""
    server = await start()
    api = await user_api(http, server)
    server.clear_requests()
    await api.post(
        "/Playlists",
        params=[("ids", "a"), ("ids", "b"), ("Name", "Q")],
        json_body={"Name": "Logged"},
    )
    [record] = server.requests
    assert (record.method, record.path, record.status) == ("POST", "/Playlists", 200)
    assert record.query == [("ids", "a"), ("ids", "b"), ("Name", "Q")]
    assert record.param("name") == "Q"
    assert json.loads(record.body) == {"Name": "Logged"}
    assert record.headers["Authorization"].startswith("MediaBrowser ")
    assert HEX32.match(record.json()["Id"])
    await api.get("/Users/Me", headers={})
    assert (server.requests[-1].status, server.requests[-1].response) == (401, b"")
    server.clear_requests()
    assert server.requests == []


async def test_seeded_server_users(start: Start, http: aiohttp.ClientSession) -> None:
    """seeded_server: a generated library, moods as MOOD: tags, alice and bob differ."""
    server = await start(seeded_server(200, seed=9, now=NOW, version="10.11"))
    api = Api(http, server)
    alice = Api(http, server, (await api.login("alice", ALICE_PASSWORD))["AccessToken"])
    bob = Api(
        http,
        server,
        (await api.login("bob", BOB_PASSWORD, device_id="b"))["AccessToken"],
    )
    tags = (
        await alice.get("/Items/Filters", params={"parentId": server.libraries[0].id})
    ).json()["Tags"]
    assert tags
    assert all(t.startswith("MOOD:") for t in tags)
    mood = tags[0]
    with_mood = await alice.items(**audio(tags=mood, fields="Tags"))
    assert with_mood["TotalRecordCount"] > 0
    assert all(mood in i["Tags"] for i in with_mood["Items"])
    favourites = [
        (await a.items(**audio(isFavorite=True)))["TotalRecordCount"]
        for a in (alice, bob)
    ]
    expected = [
        sum(1 for d in user.user_data.values() if d.is_favorite)
        for user in (server.user("alice"), server.user("bob"))
    ]
    assert favourites == expected
    assert expected[0] != expected[1]
    library = generate_jellyfin_library(200, seed=9, now=NOW)
    assert [t.id for t in library.tracks] == [t.id for t in server.libraries[0].tracks]
    assert isinstance(server.user("alice"), FakeUser)
    assert PlaylistShare("x").can_edit is False
