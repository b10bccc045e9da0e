"""A fake Jellyfin server (music and playlist subset) served over real HTTP on 127.0.0.1.

It answers the calls of /work/shared/reference/jellyfin-api.md the way the server code
does for a chosen `version` ("10.10", "10.11" or "12.0"): the `Authorization:
MediaBrowser ...` header (legacy token sources only where that version accepts them),
password and Quick Connect login, API keys (administrator without a user), `/System/Info`,
`/Users/Me`, `/UserViews`, `/Library/VirtualFolders`, `/Items` with the audio filters,
sorts and paging, per-user `UserData`, genres, tags, artists, instant mix, similar items,
playlists with ownership and shares, ratings, favourites and play state, and the five
error shapes (empty 401/403, `text/plain` "Error processing request.", ProblemDetails,
validation ProblemDetails, bare JSON strings).

Behaviour the reference marks UNCONFIRMED is a constructor switch (see
`FakeJellyfinServer`). Tests record requests, add latency, hold requests at gates and
inject faults like with the fake Plex server. Run it by hand with
`python -m tests.fakes.jellyfin_server --port 8096 --tracks 3000`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
from collections.abc import Callable, Iterable, Sequence
import contextlib
from dataclasses import dataclass, field, replace
import datetime
import hashlib
import json
import random
import re
import secrets
import time
from typing import Any, Literal
import unicodedata
from urllib.parse import quote, unquote_plus
import uuid

from aiohttp import web

from . import common
from .common import FakeHttpServer, Fault, drop_connection, trickle
from .jellyfin_library import (
    MOOD_TAG_PREFIX,
    JellyfinAlbum,
    JellyfinArtist,
    JellyfinLibrary,
    JellyfinTrack,
    UserItemData,
    generate_jellyfin_library,
    jellyfin_id,
    random_user_data,
)

type Version = Literal["10.10", "10.11", "12.0"]
VERSIONS: dict[str, str] = {"10.10": "10.10.7", "10.11": "10.11.11", "12.0": "12.0.0"}
PRODUCT_NAME = "Jellyfin Server"
EMPTY_GUID = "0" * 32
ERROR_TEXT = b"Error processing request."
JSON_TYPE = "application/json; charset=utf-8"
PROBLEM_TYPE = "application/problem+json; charset=utf-8"
MALFORMED_JSON = b'{"Items":[{"Name":"Bro'
_TRICKLE_HEADERS = {"Content-Type": JSON_TYPE, "Server": "Kestrel"}
QUICK_CONNECT_LIFETIME = 600.0  # seconds (10 minutes)
RANDOM_MIX_LIMIT = 200  # InstantMix: random genre-sharing tracks
SIMILAR_LIMIT_12 = 50  # /Items/{id}/Similar default limit in 12.0
SEARCH_CANDIDATES_12 = 100  # 12.0 search providers without a limit
TYPE_AUDIO, TYPE_ALBUM, TYPE_ARTIST, TYPE_PLAYLIST = (
    "Audio",
    "MusicAlbum",
    "MusicArtist",
    "Playlist",
)
TYPE_FOLDER, TYPE_GENRE, TYPE_VIEW = "CollectionFolder", "MusicGenre", "UserView"
ITEM_TYPES = (TYPE_AUDIO, TYPE_ALBUM, TYPE_ARTIST, TYPE_PLAYLIST, TYPE_FOLDER)
# Enum names the server knows (case-insensitive on input); unknown ones are dropped.
BASE_ITEM_KINDS = (
    "AggregateFolder", "Audio", "AudioBook", "BasePluginFolder", "Book", "BoxSet",
    "Channel", "ChannelFolderItem", "CollectionFolder", "Episode", "Folder", "Genre",
    "ManualPlaylistsFolder", "Movie", "LiveTvChannel", "LiveTvProgram", "MusicAlbum",
    "MusicArtist", "MusicGenre", "MusicVideo", "Person", "Photo", "PhotoAlbum",
    "Playlist", "PlaylistsFolder", "Program", "Recording", "Season", "Series", "Studio",
    "Trailer", "TvChannel", "TvProgram", "UserRootFolder", "UserView", "Video", "Year",
)  # fmt: skip
ITEM_FILTERS = (
    "IsFolder", "IsNotFolder", "IsUnplayed", "IsPlayed", "IsFavorite", "IsResumable",
    "Likes", "Dislikes", "IsFavoriteOrLikes",
)  # fmt: skip
SORT_KEYS = (
    "Default", "AiredEpisodeOrder", "Album", "AlbumArtist", "Artist", "DateCreated",
    "OfficialRating", "DatePlayed", "PremiereDate", "StartDate", "SortName", "Name",
    "Random", "Runtime", "CommunityRating", "ProductionYear", "PlayCount",
    "CriticRating", "IsFolder", "IsUnplayed", "IsPlayed", "SeriesSortName",
    "VideoBitRate", "AirTime", "Studio", "IsFavoriteOrLiked", "DateLastContentAdded",
    "SeriesDatePlayed", "ParentIndexNumber", "IndexNumber", "SimilarityScore",
    "SearchScore",
)  # fmt: skip
ITEM_FIELDS = (
    "AirTime", "CanDelete", "CanDownload", "ChannelInfo", "Chapters", "Trickplay",
    "ChildCount", "CumulativeRunTimeTicks", "CustomRating", "DateCreated",
    "DateLastMediaAdded", "DisplayPreferencesId", "Etag", "ExternalUrls", "Genres",
    "ItemCounts", "MediaSourceCount", "MediaSources", "OriginalTitle", "Overview",
    "ParentId", "Path", "People", "PlayAccess", "ProductionLocations", "ProviderIds",
    "PrimaryImageAspectRatio", "RecursiveItemCount", "Settings", "SeriesStudio",
    "SortName", "SpecialEpisodeNumbers", "Studios", "Taglines", "Tags",
    "RemoteTrailers", "MediaStreams", "SeasonUserData", "DateLastRefreshed",
    "DateLastSaved", "RefreshState", "ChannelImage", "EnableMediaSourceDisplay",
    "Width", "Height", "ExtraIds", "LocalTrailerCount", "IsHD", "SpecialFeatureCount",
)  # fmt: skip
ALL_FIELDS = frozenset(ITEM_FIELDS)
_SORT_ARTICLES = ("the ", "a ", "an ")
_SORT_REMOVE_CHARS = (",", "&", "-", "{", "}", "'")
_GUID_RE = re.compile(
    r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}"
    r"|\([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\))$"
)
_HEX32_RE = re.compile(r"^[0-9a-f]{32}$")


# ---------------------------------------------------------------------------------------
# Small helpers: GUIDs, dates, numbers, clean values.
# ---------------------------------------------------------------------------------------
def parse_guid(text: str | None) -> str | None:
    """A GUID in the N, D, B or P form as 32 lower-case hex digits; None if unparseable."""
    if text is None:
        return None
    text = text.strip()
    if not _GUID_RE.match(text):
        return None
    return re.sub(r"[^0-9a-fA-F]", "", text).lower()


def dashed(guid: str) -> str:
    """The dashed (D) form of a 32-hex GUID."""
    return str(uuid.UUID(guid))


def new_id() -> str:
    """A fresh random 32-hex id (like `Guid.NewGuid().ToString("N")`)."""
    return uuid.uuid4().hex


def format_date(epoch: float, *, utc_marker: bool = True) -> str:
    """A .NET date as Jellyfin writes it.

    Whole seconds get 7 zero fraction digits ("...:00.0000000Z"), others the trimmed
    round-trip form ("...:03.512Z"), like `JsonDateTimeConverter`.
    """
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond * 10:07d}".rstrip("0")
    else:
        text += ".0000000"
    return text + ("Z" if utc_marker else "")


def parse_date(text: str) -> float | None:
    """Epoch seconds from an ISO-8601 string (1-7 fraction digits, with or without Z)."""
    text = text.strip()
    match = re.match(r"^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$", text)
    try:
        if match is None:
            moment = datetime.datetime.fromisoformat(text)
        else:
            fraction = (match.group(2) or "0")[:6].ljust(6, "0")
            moment = datetime.datetime.fromisoformat(
                f"{match.group(1)}.{fraction}{match.group(3) or ''}"
            )
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _number(value: float) -> float | int:
    """A double the way System.Text.Json writes it (10.0 as 10)."""
    return int(value) if float(value).is_integer() else value


def strip_diacritics(text: str) -> str:
    """`RemoveDiacritics`: decompose, drop non-spacing marks, recompose."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", kept)


def clean_value(text: str, version: str, *, fold_diacritics: bool = True) -> str:
    """Jellyfin's "clean value" used for genre/tag/name matching and search.

    10.10/10.11: diacritics removed and lower-cased. 12.0 also turns every
    character that is not a letter or digit into a space and collapses spaces.
    """
    value = strip_diacritics(text) if fold_diacritics else text
    value = value.lower()
    if version == "12.0":
        value = " ".join("".join(c if c.isalnum() else " " for c in value).split())
    return value


def item_sort_name(name: str) -> str:
    """`BaseItem.CreateSortName` for non-audio items: lower-case, no leading article."""
    value = name.lower()
    for char in _SORT_REMOVE_CHARS:
        value = value.replace(char, "")
    for article in _SORT_ARTICLES:
        if value.startswith(article):
            value = value[len(article) :]
            break
    return value.strip()


def _etag(*parts: object) -> str:
    return hashlib.md5(  # noqa: S324 (an etag, not security)
        "/".join(str(p) for p in parts).encode()
    ).hexdigest()


def trace_id() -> str:
    """A W3C trace id as ASP.NET puts it in ProblemDetails."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"


def auth_header(
    token: str | None = None,
    *,
    client: str = "Harmoniq",
    device: str = "Home Assistant",
    device_id: str = "harmoniq-test-device",
    version: str = "1.0.0",
    scheme: str = "MediaBrowser",
) -> dict[str, str]:
    """An `Authorization: MediaBrowser ...` header (values percent-encoded)."""
    parts = [
        f'{key}="{quote(value, safe=" ")}"'
        for key, value in (
            ("Client", client),
            ("Device", device),
            ("DeviceId", device_id),
            ("Version", version),
        )
        if value
    ]
    if token:
        parts.append(f'Token="{token}"')
    return {"Authorization": f"{scheme} {', '.join(parts)}"}


def parse_authorization(value: str, *, allow_emby: bool) -> dict[str, str] | None:
    """Parse `MediaBrowser k="v", ...` like `AuthorizationContext.GetAuthorization`.

    The scheme word is matched case-insensitively ("Emby" only with legacy
    authorization); keys are case-sensitive; commas inside quotes are kept; values are
    trimmed, unquoted and URL-decoded (`+` becomes a space).
    """
    scheme, sep, rest = value.strip().partition(" ")
    accepted = {"mediabrowser", "emby"} if allow_emby else {"mediabrowser"}
    if not sep or scheme.lower() not in accepted:
        return None
    parts: list[str] = []
    buffer: list[str] = []
    quoted = False
    for char in rest:
        if char == '"':
            quoted = not quoted
            buffer.append(char)
        elif char == "," and not quoted:
            parts.append("".join(buffer))
            buffer = []
        else:
            buffer.append(char)
    parts.append("".join(buffer))
    result: dict[str, str] = {}
    for part in parts:
        key, eq, raw = part.partition("=")
        if not eq:
            continue
        result[key.strip()] = unquote_plus(raw.strip().strip('"'))
    return result


# ---------------------------------------------------------------------------------------
# Errors: the five shapes of the reference (section 1.1).
# ---------------------------------------------------------------------------------------
ErrorShape = Literal["empty", "text", "problem", "validation", "string"]
_PROBLEM_TITLES = {
    400: ("https://tools.ietf.org/html/rfc9110#section-15.5.1", "Bad Request"),
    401: ("https://tools.ietf.org/html/rfc9110#section-15.5.2", "Unauthorized"),
    403: ("https://tools.ietf.org/html/rfc9110#section-15.5.4", "Forbidden"),
    404: ("https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found"),
    405: ("https://tools.ietf.org/html/rfc9110#section-15.5.6", "Method Not Allowed"),
    415: (
        "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        "Unsupported Media Type",
    ),
}


class JellyfinError(Exception):
    """Answer the current request with one of Jellyfin's error shapes.

    `empty` (A: auth challenge/forbid), `text` (B: exception middleware, text/plain
    "Error processing request."), `problem` (C: `NotFound()`/`BadRequest()`),
    `validation` (D: model binding, with `errors`), `string` (E: a bare JSON string).
    """

    def __init__(
        self,
        status: int,
        shape: ErrorShape,
        payload: str | dict[str, list[str]] | None = None,
    ) -> None:
        """Store status, shape and the string (E) or the errors (D)."""
        super().__init__(status, shape, payload)
        self.status = status
        self.shape = shape
        self.payload = payload


def _empty(status: int) -> JellyfinError:
    return JellyfinError(status, "empty")


def _text(status: int) -> JellyfinError:
    return JellyfinError(status, "text")


def _problem(status: int) -> JellyfinError:
    return JellyfinError(status, "problem")


def _string(status: int, message: str) -> JellyfinError:
    return JellyfinError(status, "string", message)


def _invalid(name: str, value: str) -> JellyfinError:
    return JellyfinError(
        400, "validation", {name: [f"The value '{value}' is not valid."]}
    )


def _body_error(key: str, message: str) -> JellyfinError:
    return JellyfinError(400, "validation", {key: [message]})


PLAYLIST_NOT_FOUND = "Playlist not found"


# ---------------------------------------------------------------------------------------
# Server state: users, tokens, Quick Connect, playlists; recorded requests and faults.
# ---------------------------------------------------------------------------------------
@dataclass
class FakeUser:
    """A Jellyfin user with a password, a policy and their own user data."""

    id: str
    name: str
    password: str = ""
    is_admin: bool = False
    is_disabled: bool = False
    is_hidden: bool = True
    enable_all_folders: bool = True
    enabled_folders: list[str] = field(default_factory=list)
    user_data: dict[str, UserItemData] = field(default_factory=dict)
    """By item id; an entry is a "user data row" (absent = never touched)."""
    login_attempts_before_lockout: int = -1
    invalid_login_attempts: int = 0
    last_login: float | None = None
    last_activity: float | None = None

    def can_see_library(self, library_id: str) -> bool:
        """`EnableAllFolders` or the library is among `EnabledFolders`."""
        return self.enable_all_folders or library_id in self.enabled_folders


@dataclass
class FakeToken:
    """An access token: a user's device session, or an API key (no user)."""

    token: str
    user_id: str | None  # None: an API key
    device_id: str = ""
    client: str = ""
    device_name: str = ""
    app_version: str = ""
    created: float = 0.0

    @property
    def is_api_key(self) -> bool:
        """API keys authenticate as administrator without a user."""
        return self.user_id is None


@dataclass
class QuickConnectRequest:
    """One Quick Connect request (`QuickConnectResult` plus the server's bookkeeping)."""

    secret: str
    code: str
    device_id: str
    device_name: str
    app_name: str
    app_version: str
    created: float
    user_id: str | None = None  # set when a user approves the code
    token: str | None = None  # created when approved

    @property
    def authenticated(self) -> bool:
        """True once a user approved the code."""
        return self.token is not None


@dataclass(slots=True, eq=False)
class PlaylistEntry:
    """One linked child: the item's id and the entry id the server hands out.

    Compared by identity: in 12.0 two entries may carry the same ids.
    """

    item_id: str
    entry_id: str


@dataclass(slots=True)
class PlaylistShare:
    """`PlaylistUserPermissions`."""

    user_id: str
    can_edit: bool = False


@dataclass
class FakePlaylist:
    """Server-side playlist state (`Playlist` with `LinkedChildren`)."""

    id: str
    name: str
    owner_id: str
    open_access: bool = False
    shares: list[PlaylistShare] = field(default_factory=list)
    entries: list[PlaylistEntry] = field(default_factory=list)
    media_type: str = "Audio"
    date_created: float = 0.0
    image: bytes | None = None
    image_type: str | None = None
    image_version: int = 0
    """Counts the images set: a new image gets a new tag, even with the same bytes
    (Jellyfin's tag hashes the file's path and modification time)."""

    def set_image(self, image: bytes | None, image_type: str = "image/jpeg") -> None:
        """Set (None: remove) the primary image, as an upload does (tests: the user's)."""
        self.image, self.image_type = image, image_type if image else None
        self.image_version += 1

    @property
    def image_tag(self) -> str | None:
        """`ImageTags.Primary`, None without an image."""
        return _etag(self.image, self.image_version) if self.image else None

    @property
    def item_ids(self) -> list[str]:
        """The linked item ids, in playlist order (duplicates kept)."""
        return [entry.item_id for entry in self.entries]

    def is_visible(self, user: FakeUser) -> bool:
        """`Playlist.IsVisible`: owner, open access or shared (no admin exception)."""
        return (
            self.owner_id == user.id
            or self.open_access
            or any(share.user_id == user.id for share in self.shares)
        )

    def can_edit(self, user: FakeUser) -> bool:
        """The owner or a share with `CanEdit`."""
        return self.owner_id == user.id or any(
            share.user_id == user.id and share.can_edit for share in self.shares
        )


@dataclass(frozen=True, slots=True)
class OtherLibrary:
    """A non-music library (movies, shows...), only listed."""

    id: str
    name: str
    collection_type: str


@dataclass
class RecordedRequest(common.RecordedRequest):
    """A recorded request; query keys are case-insensitive, as in Jellyfin."""

    def param(self, name: str) -> str | None:
        """The first value of a query parameter (keys are case-insensitive)."""
        lowered = name.lower()
        return next((v for k, v in self.query if k.lower() == lowered), None)

    def json(self) -> Any:
        """The JSON answer (raises on an empty or non-JSON answer)."""
        return json.loads(self.response)


# ---------------------------------------------------------------------------------------
# Requests: case-insensitive query keys, list binders, typed values, JSON bodies.
# ---------------------------------------------------------------------------------------
@dataclass
class _Auth:
    """Who is calling: a user's token, an API key, or nobody."""

    token: FakeToken | None
    user: FakeUser | None
    header: dict[str, str]  # the parsed `Authorization` parameters (maybe empty)

    @property
    def is_api_key(self) -> bool:
        """An API key: administrator role, no user."""
        return self.token is not None and self.token.is_api_key

    @property
    def is_admin(self) -> bool:
        """API keys count as administrators."""
        return self.is_api_key or (self.user is not None and self.user.is_admin)


@dataclass
class _Ctx:
    """One request as the handlers see it."""

    method: str
    path: str
    params: list[tuple[str, str]]
    headers: Any  # the request's CIMultiDictProxy
    body: bytes
    auth: _Auth
    groups: tuple[str, ...] = ()

    def values(self, name: str) -> list[str]:
        """All values of a query key (case-insensitive)."""
        lowered = name.lower()
        return [value for key, value in self.params if key.lower() == lowered]

    def get(self, name: str) -> str | None:
        """The first value of a query key, None when absent or empty."""
        values = self.values(name)
        return values[0] if values and values[0] != "" else None

    def guid(self, name: str) -> str | None:
        """A typed `Guid?` query parameter: unparseable -> 400 validation."""
        value = self.get(name)
        if value is None:
            return None
        parsed = parse_guid(value)
        if parsed is None:
            raise _invalid(name, value)
        return parsed

    def boolean(self, name: str) -> bool | None:
        """A typed `bool?` query parameter."""
        value = self.get(name)
        if value is None:
            return None
        if value.strip().lower() not in ("true", "false"):
            raise _invalid(name, value)
        return value.strip().lower() == "true"

    def integer(self, name: str) -> int | None:
        """A typed `int?` query parameter."""
        value = self.get(name)
        if value is None:
            return None
        try:
            return int(value.strip())
        except ValueError:
            raise _invalid(name, value) from None

    def delimited(self, name: str, separator: str) -> list[str]:
        """`CommaDelimited`/`PipeDelimitedCollectionModelBinder`.

        One value is split on the separator, a repeated key gives one element per
        value; empty elements are dropped.
        """
        values = self.values(name)
        if len(values) == 1:
            values = values[0].split(separator)
        return [value.strip() for value in values if value.strip()]

    def guids(self, name: str) -> list[str]:
        """A comma list of GUIDs; unparseable elements are dropped silently."""
        return [
            guid
            for value in self.delimited(name, ",")
            if (guid := parse_guid(value)) is not None
        ]

    def enums(self, name: str, known: Iterable[str], separator: str = ",") -> list[str]:
        """A list of enum names (case-insensitive); unknown names are dropped."""
        by_lower = {value.lower(): value for value in known}
        return [
            by_lower[value.lower()]
            for value in self.delimited(name, separator)
            if value.lower() in by_lower
        ]

    def json_body(
        self, dto: str, *, required: Sequence[str] = (), allow_empty: bool = False
    ) -> dict[str, Any] | None:
        """A JSON object body with its keys lower-cased (names match case-insensitively).

        No body: None if `allow_empty`, else 415 without a JSON Content-Type or 400.
        Not JSON / missing `required` properties -> 400 validation ProblemDetails.
        """
        if not self.body.strip() and allow_empty:
            return None
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        content_type = content_type.lower()
        if content_type not in ("application/json", "text/json") and not (
            content_type.startswith("application/") and content_type.endswith("+json")
        ):
            raise _problem(415)
        if not self.body.strip():
            raise _body_error("", "A non-empty request body is required.")
        try:
            data = json.loads(self.body)
        except ValueError:
            raise _body_error(
                "$",
                "The input does not contain any JSON tokens or is not valid JSON. "
                "Path: $ | LineNumber: 0 | BytePositionInLine: 0.",
            ) from None
        if not isinstance(data, dict):
            raise _body_error(
                "$",
                f"The JSON value could not be converted to {dto}. "
                "Path: $ | LineNumber: 0 | BytePositionInLine: 0.",
            )
        lowered = {str(key).lower(): value for key, value in data.items()}
        missing = [name for name in required if name.lower() not in lowered]
        if missing:
            raise _body_error(
                "$",
                f"JSON deserialization for type '{dto}' was missing required "
                f"properties, including the following: {', '.join(missing)}",
            )
        return lowered


def _convert_error(prop: str, type_name: str) -> JellyfinError:
    return _body_error(
        f"$.{prop}",
        f"The JSON value could not be converted to {type_name}. "
        f"Path: $.{prop} | LineNumber: 0 | BytePositionInLine: 0.",
    )


def _body_str(data: dict[str, Any], prop: str) -> str | None:
    value = data.get(prop.lower())
    if value is None:
        return None
    if not isinstance(value, str):
        raise _convert_error(prop, "System.String")
    return value


def _body_bool(data: dict[str, Any], prop: str) -> bool | None:
    value = data.get(prop.lower())
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _convert_error(prop, "System.Boolean")
    return value


def _body_number(data: dict[str, Any], prop: str) -> float | None:
    """A number, also read from a string (`AllowReadingFromString`)."""
    value = data.get(prop.lower())
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise _convert_error(prop, "System.Double") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _convert_error(prop, "System.Double")
    return float(value)


def _body_guid(data: dict[str, Any], prop: str) -> str | None:
    value = data.get(prop.lower())
    if value is None:
        return None
    guid = parse_guid(value) if isinstance(value, str) else None
    if guid is None:
        raise _convert_error(prop, "System.Nullable`1[System.Guid]")
    return guid


def _body_guid_list(data: dict[str, Any], prop: str) -> list[str] | None:
    """`JsonCommaDelimitedArrayConverter`.

    An array (a bad element -> 400) or one comma-separated string (bad elements
    dropped).
    """
    value = data.get(prop.lower())
    if value is None:
        return None
    if isinstance(value, str):
        return [g for part in value.split(",") if (g := parse_guid(part)) is not None]
    if not isinstance(value, list):
        raise _convert_error(prop, "System.Guid[]")
    result = []
    for position, element in enumerate(value):
        guid = parse_guid(element) if isinstance(element, str) else None
        if guid is None:
            raise _convert_error(f"{prop}[{position}]", "System.Guid")
        result.append(guid)
    return result


def _body_shares(data: dict[str, Any], prop: str) -> list[PlaylistShare] | None:
    value = data.get(prop.lower())
    if value is None:
        return None
    if not isinstance(value, list):
        raise _convert_error(prop, "PlaylistUserPermissions[]")
    shares = []
    for position, element in enumerate(value):
        if not isinstance(element, dict):
            raise _convert_error(f"{prop}[{position}]", "PlaylistUserPermissions")
        lowered = {str(k).lower(): v for k, v in element.items()}
        user_id = _body_guid(lowered, "UserId")
        if user_id is None:
            raise _convert_error(f"{prop}[{position}].UserId", "System.Guid")
        shares.append(PlaylistShare(user_id, bool(_body_bool(lowered, "CanEdit"))))
    return shares


# ---------------------------------------------------------------------------------------
# The library index: every item by id, parent/child lists, artists and genres.
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MusicGenre:
    """A `MusicGenre` item (one per clean genre value, server-wide)."""

    id: str
    name: str


class _Index:
    """Lookups over the music libraries, rebuilt when a library changes."""

    def __init__(
        self, libraries: Sequence[JellyfinLibrary], clean: Callable[[str], str]
    ) -> None:
        self.items: dict[str, Any] = {}
        self.library_of: dict[str, JellyfinLibrary] = {}  # track/album id -> library
        self.tracks: list[JellyfinTrack] = []  # database order
        self.albums: list[JellyfinAlbum] = []
        self.album_tracks: dict[str, list[JellyfinTrack]] = {}
        self.artists: dict[str, JellyfinArtist] = {}  # by id, first appearance first
        self.artist_libraries: dict[str, set[str]] = {}
        self.album_artist_libraries: dict[str, set[str]] = {}
        self.genres: dict[str, MusicGenre] = {}  # by clean value
        self.genre_libraries: dict[str, set[str]] = {}  # genre id -> library ids
        for library in libraries:
            self.items[library.id] = library
            for album in library.albums:
                self.items[album.id] = album
                self.library_of[album.id] = library
                self.albums.append(album)
                self.album_tracks[album.id] = []
                for artist in album.album_artists:
                    self._add_artist(artist, library, album_artist=True)
                for genre in album.genres:
                    self._add_genre(genre, library, clean)
            for track in library.tracks:
                self.items[track.id] = track
                self.library_of[track.id] = library
                self.tracks.append(track)
                if track.album is not None:
                    self.album_tracks.setdefault(track.album.id, []).append(track)
                    if track.album.id not in self.items:  # album not in the list
                        self.items[track.album.id] = track.album
                        self.library_of[track.album.id] = library
                        self.albums.append(track.album)
                    for artist in track.album_artists:
                        self._add_artist(artist, library, album_artist=True)
                for artist in track.artists:
                    self._add_artist(artist, library, album_artist=False)
                for genre in track.genres:
                    self._add_genre(genre, library, clean)
        for artist in self.artists.values():
            self.items.setdefault(artist.id, artist)
        for music_genre in self.genres.values():
            self.items.setdefault(music_genre.id, music_genre)

    def _add_artist(
        self, artist: JellyfinArtist, library: JellyfinLibrary, *, album_artist: bool
    ) -> None:
        self.artists.setdefault(artist.id, artist)
        self.artist_libraries.setdefault(artist.id, set()).add(library.id)
        if album_artist:
            self.album_artist_libraries.setdefault(artist.id, set()).add(library.id)

    def _add_genre(
        self, name: str, library: JellyfinLibrary, clean: Callable[[str], str]
    ) -> None:
        key = clean(name)
        if key not in self.genres:
            self.genres[key] = MusicGenre(jellyfin_id("MusicGenre", key), name)
        genre_id = self.genres[key].id
        self.genre_libraries.setdefault(genre_id, set()).add(library.id)


def _fingerprint(libraries: Sequence[JellyfinLibrary]) -> tuple[Any, ...]:
    return tuple(
        (id(lib), lib.version, len(lib.tracks), len(lib.albums)) for lib in libraries
    )


def item_type(item: Any) -> str:
    """The `Type` of an item the fake knows."""
    if isinstance(item, JellyfinTrack):
        return TYPE_AUDIO
    if isinstance(item, JellyfinAlbum):
        return TYPE_ALBUM
    if isinstance(item, JellyfinArtist):
        return TYPE_ARTIST
    if isinstance(item, FakePlaylist):
        return TYPE_PLAYLIST
    if isinstance(item, JellyfinLibrary | OtherLibrary):
        return TYPE_FOLDER
    if isinstance(item, MusicGenre):
        return TYPE_GENRE
    return "Folder"


NO_CONTENT = object()  # a handler's answer for 204
type Handler = Callable[[_Ctx], Any]
_ANONYMOUS = True


class FakeJellyfinServer(FakeHttpServer[RecordedRequest]):
    """A fake Jellyfin on 127.0.0.1; `await start()`, use `url`, `await stop()`.

    `version` ("10.10", "10.11", "12.0") selects the documented differences: legacy
    authorization (10.10 always, 10.11 by default, 12.0 never by default), `GET
    /QuickConnect/Initiate` (not in 12.0), default order (10.10: database order),
    search (10.10 score, 10.11 relevance, 12.0 candidate cap and score order),
    normalisation (12.0: punctuation is a space), `recursive` default (12.0: true under
    a library when `includeItemTypes` is given), `filters=Dislikes` (10.11 bug),
    `IsFavoriteOrLikes`, duplicates and `position` in playlists (12.0), `DELETE
    /Playlists/{id}/Items` with an API key (10.10: 400), `HasPassword`, similar-items
    limits and new 12.0 DTO keys.

    Switches for behaviour the reference leaves UNCONFIRMED (defaults in brackets):
    `legacy_authorization` [None = the version's default], `recursive_by_default`
    [None = the version's rule], `dislikes_bug` [None = 10.11 only],
    `fold_diacritics` [True: search and genre/tag matching ignore diacritics],
    `api_key_playlist_delete` [None = allowed from 10.11 as the code says],
    `expose_private_playlists` [False: `/Items?includeItemTypes=Playlist` shows only
    visible playlists], `favorite_false_needs_row` [False: `isFavorite=false` also
    matches items without user data], `api_key_user_filters_fail` [True: user filters
    and sorts with an API key and no `userId` -> 500], `move_past_end_fails` [True:
    `newIndex` > count -> 500], `problem_content_type` [application/json],
    `playlists_view` ["nonempty": the `playlists` UserView only when the user sees a
    playlist], `dates_with_z` [True], `distinct_entry_ids` [False: `PlaylistItemId` =
    item id as since 10.10.2; True: separate entry ids as up to 10.10.1],
    `stable_random` [False: `sortBy=Random` reshuffles on each request, seeded].
    All switches are plain attributes and may be changed while the server runs.

    Other settings: `quick_connect_enabled` [True], `base_url` [""] (e.g.
    "/jellyfin"), `seed` (of the random orders), `clock` (Quick Connect expiry and
    dates; inject one to move time), `other_libraries` (non-music views).

    Test helpers: `add_user`, `issue_token`, `revoke_token`, `create_api_key`,
    `approve_quick_connect`, `create_playlist`, `playlist_tracks`, `user_data_of`,
    `inject_fault`, `hold`, `latency`, `requests`, `clear_requests`, `clear_faults`
    (gates and faults match their path prefix ignoring case, below the base URL);
    `seeded_server()` builds one with a generated library and two users. Deleting a
    track or album with `DELETE /Items/{id}` (admin or API key) removes it from the
    `JellyfinLibrary` object itself.
    """

    fold_path_case = True

    def __init__(
        self,
        *,
        version: Version = "12.0",
        libraries: Sequence[JellyfinLibrary] = (),
        other_libraries: Sequence[tuple[str, str]] = (("Movies", "movies"),),
        server_name: str = "Fake Jellyfin",
        server_id: str | None = None,
        base_url: str = "",
        seed: int = 0,
        legacy_authorization: bool | None = None,
        quick_connect_enabled: bool = True,
        stable_random: bool = False,
        distinct_entry_ids: bool = False,
        recursive_by_default: bool | None = None,
        dislikes_bug: bool | None = None,
        fold_diacritics: bool = True,
        api_key_playlist_delete: bool | None = None,
        expose_private_playlists: bool = False,
        favorite_false_needs_row: bool = False,
        api_key_user_filters_fail: bool = True,
        move_past_end_fails: bool = True,
        problem_content_type: str = JSON_TYPE,
        playlists_view: Literal["nonempty", "always", "never"] = "nonempty",
        dates_with_z: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Configure the server; nothing listens until `start()`."""
        if version not in VERSIONS:
            raise ValueError(f"unknown Jellyfin version {version!r}")
        super().__init__()
        self.version: Version = version
        self.libraries: list[JellyfinLibrary] = list(libraries)
        self.other_libraries = [
            OtherLibrary(jellyfin_id("CollectionFolder", name), name, kind)
            for name, kind in other_libraries
        ]
        self.server_name = server_name
        self.server_id = server_id or jellyfin_id("server", server_name)
        self.base_url = "/" + base_url.strip("/") if base_url.strip("/") else ""
        self.legacy_authorization = (
            version != "12.0" if legacy_authorization is None else legacy_authorization
        )
        self.quick_connect_enabled = quick_connect_enabled
        self.stable_random = stable_random
        self.seed = seed
        self.distinct_entry_ids = distinct_entry_ids
        self.recursive_by_default = recursive_by_default
        self.dislikes_bug = version == "10.11" if dislikes_bug is None else dislikes_bug
        self.fold_diacritics = fold_diacritics
        self.api_key_playlist_delete = (
            version != "10.10"
            if api_key_playlist_delete is None
            else api_key_playlist_delete
        )
        self.expose_private_playlists = expose_private_playlists
        self.favorite_false_needs_row = favorite_false_needs_row
        self.api_key_user_filters_fail = api_key_user_filters_fail
        self.move_past_end_fails = move_past_end_fails
        self.problem_content_type = problem_content_type
        self.playlists_view = playlists_view
        self.dates_with_z = dates_with_z
        self.clock = clock
        self.users: dict[str, FakeUser] = {}
        self.tokens: dict[str, FakeToken] = {}
        self.quick_connect: dict[str, QuickConnectRequest] = {}
        self.playlists: dict[str, FakePlaylist] = {}
        self.created_artists: dict[str, JellyfinArtist] = {}
        """Artists the server created as a side effect of `artists=<unknown name>`."""
        self.internal_errors: list[str] = []
        """Unexpected exceptions in the fake itself (answered 500); tests assert none."""
        self._rng = random.Random(seed)
        self._index_cache: tuple[tuple[Any, ...], _Index] | None = None
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self._add_routes()

    # -- lifecycle and test controls (more in `FakeHttpServer`) ---------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (a random free port by default); `url` has the base URL."""
        await super().start(host, port)
        self.url += self.base_url

    @property
    def version_string(self) -> str:
        """`Version` as `/System/Info` gives it ("10.11.11", "12.0.0"...)."""
        return VERSIONS[self.version]

    def add_library(self, library: JellyfinLibrary) -> JellyfinLibrary:
        """Add a music library (every user with `enable_all_folders` sees it)."""
        self.libraries.append(library)
        return library

    def add_user(
        self,
        name: str,
        password: str = "",
        *,
        is_admin: bool = False,
        user_data: dict[str, UserItemData] | None = None,
        library_ids: Sequence[str] | None = None,
        user_id: str | None = None,
        is_hidden: bool = True,
    ) -> FakeUser:
        """Add a user; `user_data` (by item id) is copied; `library_ids` limits access."""
        user = FakeUser(
            id=user_id or jellyfin_id("User", name),
            name=name,
            password=password,
            is_admin=is_admin,
            is_hidden=is_hidden,
            enable_all_folders=library_ids is None,
            enabled_folders=list(library_ids or ()),
            user_data={key: replace(data) for key, data in (user_data or {}).items()},
        )
        self.users[user.id] = user
        return user

    def user(self, name: str) -> FakeUser:
        """The user with this name (case-insensitive, like `GetUserByName`)."""
        found = self._user_by_name(name)
        if found is None:
            raise KeyError(name)
        return found

    def issue_token(
        self,
        user: FakeUser,
        *,
        device_id: str = "harmoniq-test-device",
        client: str = "Harmoniq",
        device_name: str = "Home Assistant",
        app_version: str = "1.0.0",
    ) -> str:
        """Log a user in directly; like the server, older tokens of user+DeviceId end."""
        for old in [
            t
            for t in self.tokens.values()
            if t.user_id == user.id and t.device_id == device_id
        ]:
            del self.tokens[old.token]
        token = FakeToken(
            new_id(), user.id, device_id, client, device_name, app_version, self.clock()
        )
        self.tokens[token.token] = token
        user.last_login = user.last_activity = self.clock()
        return token.token

    def revoke_token(self, token: str) -> bool:
        """Revoke a user token or API key; True if it existed."""
        return self.tokens.pop(token, None) is not None

    def create_api_key(self, app: str = "Harmoniq") -> str:
        """An API key (administrator, no user), as `POST /Auth/Keys?app=` makes."""
        key = FakeToken(
            new_id(), None, client=app, device_name=app, created=self.clock()
        )
        key.device_id = key.token
        self.tokens[key.token] = key
        return key.token

    def approve_quick_connect(self, code: str, user: FakeUser | None = None) -> str:
        """Approve a pending Quick Connect code as `user` (default: the first user).

        What a logged-in user does with `POST /QuickConnect/Authorize?code=`; returns
        the token that `AuthenticateWithQuickConnect` will hand out.
        """
        user = user or next(iter(self.users.values()))
        return self._authorize_quick_connect(code, user)

    def create_playlist(
        self,
        name: str,
        owner: FakeUser,
        item_ids: Iterable[str] = (),
        *,
        public: bool = False,
        shares: Iterable[PlaylistShare] = (),
        playlist_id: str | None = None,
    ) -> FakePlaylist:
        """Create a playlist directly (no visibility checks, no dedupe)."""
        playlist = FakePlaylist(
            id=playlist_id or new_id(),
            name=name,
            owner_id=owner.id,
            open_access=public,
            shares=list(shares),
            date_created=self.clock(),
        )
        playlist.entries = [self._new_entry(item_id) for item_id in item_ids]
        self.playlists[playlist.id] = playlist
        return playlist

    def playlist_tracks(self, playlist: FakePlaylist | str) -> list[JellyfinTrack]:
        """The tracks of a playlist, in order (entries of removed tracks skipped)."""
        if isinstance(playlist, str):
            playlist = self.playlists[playlist]
        items = self.index.items
        return [
            items[entry.item_id]
            for entry in playlist.entries
            if isinstance(items.get(entry.item_id), JellyfinTrack)
        ]

    def playlist_by_name(self, name: str) -> FakePlaylist:
        """The one playlist with this exact name."""
        [found] = [p for p in self.playlists.values() if p.name == name]
        return found

    def user_data_of(self, user: FakeUser, item_id: str) -> UserItemData | None:
        """The user's data row for an item (None: never touched)."""
        return user.user_data.get(item_id)

    @property
    def index(self) -> _Index:
        """Lookups over the libraries (rebuilt after library changes)."""
        key = (*_fingerprint(self.libraries), self.version, self.fold_diacritics)
        if self._index_cache is None or self._index_cache[0] != key:
            self._index_cache = (key, _Index(self.libraries, self.clean))
        return self._index_cache[1]

    @property
    def all_libraries(self) -> list[JellyfinLibrary | OtherLibrary]:
        """Music libraries first, then the other ones."""
        return [*self.libraries, *self.other_libraries]

    def clean(self, text: str) -> str:
        """The version's clean value of a string."""
        return clean_value(text, self.version, fold_diacritics=self.fold_diacritics)

    # -- transport ----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        params = list(request.rel_url.query.items())
        body = await request.read()
        record = RecordedRequest(
            request.method, request.path, params, dict(request.headers), body
        )
        self.requests.append(record)
        path = self._strip_base_url(request.path)
        if path is None:
            return self._send(record, 404, b"", None, started)
        await self._wait(request.method, path)
        fault = self._take_fault(request.method, path)
        if fault is not None and fault.kind != "trickle":
            return self._fault_reply(request, record, fault, started)
        path = path.rstrip("/") or "/"
        matched = [
            (method, match, handler, anonymous)
            for method, pattern, handler, anonymous in self._routes
            if (match := pattern.match(path))
        ]
        if not matched:
            return self._send(record, 404, b"", None, started)
        route = next((m for m in matched if m[0] == request.method), None)
        if route is None:
            return self._send(record, 405, b"", None, started)
        _method, match, handler, anonymous = route
        ctx = _Ctx(
            request.method,
            path,
            params,
            request.headers,
            body,
            self._authenticate(request),
            match.groups(),
        )
        if not anonymous and ctx.auth.token is None:
            return self._send(record, 401, b"", None, started)
        try:
            result = handler(ctx)
        except JellyfinError as err:
            return self._error_reply(record, err, started)
        except Exception as err:  # noqa: BLE001 (a bug in the fake: answered like the server)
            self.internal_errors.append(f"{request.method} {path}: {err!r}")
            return self._error_reply(record, _text(500), started)
        if result is NO_CONTENT:
            return self._send(record, 204, b"", None, started)
        payload = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        if fault is not None:  # trickle
            record.response = payload.encode()
            return await trickle(request, record, fault, _TRICKLE_HEADERS)
        return self._send(record, 200, payload.encode(), JSON_TYPE, started)

    def _strip_base_url(self, path: str) -> str | None:
        """The path below the base URL; None outside it."""
        if not self.base_url:
            return path
        base = self.base_url.lower()
        if path.lower() != base and not path.lower().startswith(base + "/"):
            return None
        return path[len(self.base_url) :] or "/"

    @staticmethod
    def _send(
        record: RecordedRequest,
        status: int,
        body: bytes,
        content_type: str | None,
        started: float,
    ) -> web.Response:
        record.status, record.response = status, body
        headers = {
            "X-Response-Time-ms": str(int((time.monotonic() - started) * 1000)),
            "Server": "Kestrel",
        }
        if content_type is not None:
            headers["Content-Type"] = content_type
        return web.Response(status=status, body=body, headers=headers)

    def _error_reply(
        self, record: RecordedRequest, err: JellyfinError, started: float
    ) -> web.Response:
        if err.shape == "empty":
            return self._send(record, err.status, b"", None, started)
        if err.shape == "text":
            return self._send(record, err.status, ERROR_TEXT, "text/plain", started)
        if err.shape == "string":
            body = json.dumps(err.payload, ensure_ascii=False).encode()
            return self._send(record, err.status, body, JSON_TYPE, started)
        if err.shape == "validation":
            problem: dict[str, Any] = {
                "type": _PROBLEM_TITLES[400][0],
                "title": "One or more validation errors occurred.",
                "status": 400,
                "errors": err.payload,
            }
        else:
            kind, title = _PROBLEM_TITLES.get(
                err.status, ("https://tools.ietf.org/html/rfc9110", "Error")
            )
            problem = {"type": kind, "title": title, "status": err.status}
        problem["traceId"] = trace_id()
        body = json.dumps(problem, ensure_ascii=False).encode()
        return self._send(record, err.status, body, self.problem_content_type, started)

    def _fault_reply(
        self,
        request: web.Request,
        record: RecordedRequest,
        fault: Fault,
        started: float,
    ) -> web.Response:
        """Answer with an injected fault (a trickle is answered by the route).

        A `status` fault of 400 or 500 has the `text/plain` exception body; others
        (such as a proxy's 502/503) are empty.
        """
        if fault.kind == "drop":
            drop_connection(request)
        if fault.kind == "malformed":
            return self._send(record, 200, MALFORMED_JSON, JSON_TYPE, started)
        if fault.kind == "empty":
            return self._send(record, 200, b"", JSON_TYPE, started)
        if fault.status in (400, 500):  # what the exception middleware answers
            return self._error_reply(record, _text(fault.status), started)
        return self._send(record, fault.status, b"", None, started)

    # -- authentication -------------------------------------------------------------------------
    def _authenticate(self, request: web.Request) -> _Auth:
        """`AuthorizationContext.GetAuthorizationInfo` for the chosen version."""
        headers = request.headers
        legacy = self.legacy_authorization
        if self.version == "10.10" and legacy:
            raw = headers.get("X-Emby-Authorization") or headers.get("Authorization")
        else:
            raw = headers.get("Authorization")
            if not raw and legacy:
                raw = headers.get("X-Emby-Authorization")
        header = (parse_authorization(raw, allow_emby=legacy) if raw else None) or {}
        token = header.get("Token")
        if not token and legacy:
            token = headers.get("X-Emby-Token") or headers.get("X-MediaBrowser-Token")
        query = [(k.lower(), v) for k, v in request.rel_url.query.items()]
        if not token:
            token = next((v for k, v in query if k == "apikey" and v), None)
        if not token and legacy:
            token = next((v for k, v in query if k == "api_key" and v), None)
        found = self.tokens.get(token) if token else None
        user = None
        if found is not None and found.user_id is not None:
            user = self.users.get(found.user_id)
            if user is None or user.is_disabled:
                found, user = None, None
            else:
                user.last_activity = self.clock()
        return _Auth(found, user, header)

    @staticmethod
    def _require_admin(ctx: _Ctx) -> None:
        """Policy `RequiresElevation`: non-administrators get 403, empty."""
        if not ctx.auth.is_admin:
            raise _empty(403)

    def _user_by_name(self, name: str) -> FakeUser | None:
        wanted = name.upper()
        return next((u for u in self.users.values() if u.name.upper() == wanted), None)

    def _requested_user_id(self, ctx: _Ctx) -> str:
        """`RequestHelpers.GetUserId`: the caller unless an administrator names another.

        Returns the empty GUID for an API key without `userId`.
        """
        requested = ctx.guid("userId")
        caller = ctx.auth.user.id if ctx.auth.user is not None else EMPTY_GUID
        if requested is None or requested == EMPTY_GUID:
            return caller
        if requested != caller and not ctx.auth.is_admin:
            raise _text(403)  # SecurityException
        return requested

    def _optional_user(
        self, ctx: _Ctx, unknown: JellyfinError | None = None
    ) -> FakeUser | None:
        """The user a call is about, None for an API key without `userId`."""
        user_id = self._requested_user_id(ctx)
        if user_id == EMPTY_GUID:
            return None
        user = self.users.get(user_id)
        if user is None:
            raise unknown or _text(404)
        return user

    def _required_user(
        self, ctx: _Ctx, unknown: JellyfinError | None = None
    ) -> FakeUser:
        """A user is needed: `GetUserById(Guid.Empty)` -> 400 text/plain."""
        user = self._optional_user(ctx, unknown)
        if user is None:
            raise _text(400)
        return user

    # -- routes -------------------------------------------------------------------------------
    def _add_routes(self) -> None:
        g = r"([^/]+)"
        routes: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/System/Info/Public", self._system_info_public, _ANONYMOUS),
            ("GET", "/System/Info", self._system_info, False),
            ("GET", "/System/Ping", self._ping, _ANONYMOUS),
            ("POST", "/System/Ping", self._ping, _ANONYMOUS),
            ("POST", "/Users/AuthenticateByName", self._authenticate_by_name, _ANONYMOUS),
            ("POST", "/Users/AuthenticateWithQuickConnect", self._authenticate_qc, _ANONYMOUS),
            ("GET", "/Users/Public", self._users_public, _ANONYMOUS),
            ("GET", "/Users/Me", self._users_me, False),
            ("GET", "/Users", self._users, False),
            ("GET", "/QuickConnect/Enabled", self._qc_enabled, _ANONYMOUS),
            ("POST", "/QuickConnect/Initiate", self._qc_initiate, _ANONYMOUS),
            ("GET", "/QuickConnect/Connect", self._qc_connect, _ANONYMOUS),
            ("POST", "/QuickConnect/Authorize", self._qc_authorize, False),
            ("POST", "/Sessions/Logout", self._logout, False),
            ("GET", "/Auth/Keys", self._api_keys, False),
            ("POST", "/Auth/Keys", self._create_api_key, False),
            ("DELETE", f"/Auth/Keys/{g}", self._revoke_api_key, False),
            ("GET", "/UserViews", self._user_views, False),
            ("GET", f"/Users/{g}/Views", self._legacy(self._user_views), False),
            ("GET", "/Library/VirtualFolders", self._virtual_folders, False),
            ("GET", "/Library/MediaFolders", self._media_folders, False),
            ("GET", "/Items", self._items, False),
            ("GET", "/Items/Filters", self._filters, False),
            ("GET", "/Items/Filters2", self._filters2, False),
            ("GET", f"/Users/{g}/Items", self._legacy(self._items), False),
            ("GET", f"/Users/{g}/Items/{g}", self._legacy(self._item), False),
            ("GET", f"/Items/{g}", self._item, False),
            ("DELETE", f"/Items/{g}", self._delete_item, False),
            ("GET", "/MusicGenres/InstantMix", self._query_id(self._instant_mix), False),
            ("GET", "/Artists/InstantMix", self._query_id(self._instant_mix), False),
            ("GET", f"/MusicGenres/{g}/InstantMix", self._genre_instant_mix, False),
            ("POST", f"/Items/{g}/Images/{g}", self._set_image, False),
            ("GET", "/Genres", self._genres, False),
            ("GET", "/MusicGenres", self._music_genres, False),
            ("GET", "/Artists", self._artists, False),
            ("GET", "/Artists/AlbumArtists", self._album_artists, False),
            ("POST", "/Playlists", self._create_playlist, False),
            ("GET", f"/Playlists/{g}", self._get_playlist, False),
            ("POST", f"/Playlists/{g}", self._update_playlist, False),
            ("GET", f"/Playlists/{g}/Items", self._playlist_items, False),
            ("POST", f"/Playlists/{g}/Items", self._add_to_playlist, False),
            ("DELETE", f"/Playlists/{g}/Items", self._remove_from_playlist, False),
            ("POST", f"/Playlists/{g}/Items/{g}/Move/{g}", self._move_playlist_item, False),
            ("GET", f"/Playlists/{g}/Users", self._playlist_users, False),
            ("GET", f"/Playlists/{g}/Users/{g}", self._playlist_user, False),
            ("POST", f"/Playlists/{g}/Users/{g}", self._share_playlist, False),
            ("DELETE", f"/Playlists/{g}/Users/{g}", self._unshare_playlist, False),
            ("POST", f"/UserItems/{g}/Rating", self._rate, False),
            ("DELETE", f"/UserItems/{g}/Rating", self._clear_rating, False),
            ("GET", f"/UserItems/{g}/UserData", self._get_user_data, False),
            ("POST", f"/UserItems/{g}/UserData", self._update_user_data, False),
            ("POST", f"/UserFavoriteItems/{g}", self._favorite, False),
            ("DELETE", f"/UserFavoriteItems/{g}", self._unfavorite, False),
            ("POST", f"/UserPlayedItems/{g}", self._mark_played, False),
            ("DELETE", f"/UserPlayedItems/{g}", self._mark_unplayed, False),
            ("POST", f"/Users/{g}/Items/{g}/Rating", self._legacy(self._rate), False),
            ("DELETE", f"/Users/{g}/Items/{g}/Rating", self._legacy(self._clear_rating), False),
            ("POST", f"/Users/{g}/FavoriteItems/{g}", self._legacy(self._favorite), False),
            ("DELETE", f"/Users/{g}/FavoriteItems/{g}", self._legacy(self._unfavorite), False),
            ("POST", f"/Users/{g}/PlayedItems/{g}", self._legacy(self._mark_played), False),
            ("DELETE", f"/Users/{g}/PlayedItems/{g}", self._legacy(self._mark_unplayed), False),
            ("GET", f"/Users/{g}", self._user_by_id, False),
        ]  # fmt: skip
        routes += [
            ("GET", f"/{prefix}/{g}/InstantMix", self._instant_mix, False)
            for prefix in ("Items", "Songs", "Albums", "Artists", "Playlists")
        ]
        routes += [
            ("GET", f"/{prefix}/{g}/Similar", self._similar, False)
            for prefix in ("Items", "Albums", "Artists")
        ]
        if self.version != "12.0":
            routes.append(("GET", "/QuickConnect/Initiate", self._qc_initiate, True))
        self._routes = [
            (method, re.compile(f"^{pattern}$", re.IGNORECASE), handler, anonymous)
            for method, pattern, handler, anonymous in routes
        ]

    @staticmethod
    def _legacy(handler: Handler) -> Handler:
        """A `/Users/{userId}/...` route: the route's user id becomes `userId`."""

        def wrapped(ctx: _Ctx) -> Any:
            raw, *rest = ctx.groups
            if parse_guid(raw) is None:
                raise _invalid("userId", raw)
            ctx.params = [
                ("userId", raw),
                *((k, v) for k, v in ctx.params if k.lower() != "userid"),
            ]
            ctx.groups = tuple(rest)
            return handler(ctx)

        return wrapped

    @staticmethod
    def _query_id(handler: Handler) -> Handler:
        """An obsolete `...?id=` route for a `.../{id}/...` handler."""

        def wrapped(ctx: _Ctx) -> Any:
            value = ctx.get("id")
            if value is None:
                raise _body_error("id", "The id field is required.")
            ctx.groups = (value,)
            return handler(ctx)

        return wrapped

    # -- system, login, Quick Connect, users ------------------------------------------------------
    def _public_info(self) -> dict[str, Any]:
        return {
            "LocalAddress": self.url or "http://127.0.0.1:8096",
            "ServerName": self.server_name,
            "Version": self.version_string,
            "ProductName": PRODUCT_NAME,
            "OperatingSystem": "",
            "Id": self.server_id,
            "StartupWizardCompleted": True,
        }

    def _system_info_public(self, _ctx: _Ctx) -> Any:
        return self._public_info()

    def _system_info(self, _ctx: _Ctx) -> Any:
        return self._public_info() | {
            "OperatingSystemDisplayName": "",
            "HasPendingRestart": False,
            "IsShuttingDown": False,
            "SupportsLibraryMonitor": True,
            "WebSocketPortNumber": 8096,
            "CompletedInstallations": [],
            "CanSelfRestart": True,
            "CanLaunchWebBrowser": False,
            "ProgramDataPath": "/config",
            "WebPath": "/jellyfin/jellyfin-web",
            "ItemsByNamePath": "/config/metadata",
            "CachePath": "/cache",
            "LogPath": "/config/log",
            "InternalMetadataPath": "/config/metadata",
            "TranscodingTempPath": "/cache/transcodes",
            "CastReceiverApplications": [],
            "HasUpdateAvailable": False,
            "EncoderLocation": "System",
            "SystemArchitecture": "X64",
        }

    def _ping(self, _ctx: _Ctx) -> Any:
        return PRODUCT_NAME

    def _date(self, epoch: float | None) -> str | None:
        if epoch is None:
            return None
        return format_date(epoch, utc_marker=self.dates_with_z)

    def user_dto(self, user: FakeUser) -> dict[str, Any]:
        """`UserDto` (null properties omitted)."""
        dto: dict[str, Any] = {
            "Name": user.name,
            "ServerId": self.server_id,
            "Id": user.id,
            "HasPassword": bool(user.password) or self.version == "12.0",
            "HasConfiguredPassword": bool(user.password),
            "HasConfiguredEasyPassword": False,
            "EnableAutoLogin": False,
            "LastLoginDate": self._date(user.last_login),
            "LastActivityDate": self._date(user.last_activity),
            "Configuration": {
                "PlayDefaultAudioTrack": True,
                "SubtitleLanguagePreference": "",
                "DisplayMissingEpisodes": False,
                "GroupedFolders": [],
                "SubtitleMode": "Default",
                "DisplayCollectionsView": False,
                "EnableLocalPassword": False,
                "OrderedViews": [],
                "LatestItemsExcludes": [],
                "MyMediaExcludes": [],
                "HidePlayedInLatest": True,
                "RememberAudioSelections": True,
                "RememberSubtitleSelections": True,
                "EnableNextEpisodeAutoPlay": True,
            },
            "Policy": {
                "IsAdministrator": user.is_admin,
                "IsHidden": user.is_hidden,
                "EnableCollectionManagement": user.is_admin,
                "EnableSubtitleManagement": user.is_admin,
                "EnableLyricManagement": user.is_admin,
                "IsDisabled": user.is_disabled,
                "BlockedTags": [],
                "AllowedTags": [],
                "EnableUserPreferenceAccess": True,
                "AccessSchedules": [],
                "BlockUnratedItems": [],
                "EnableRemoteControlOfOtherUsers": user.is_admin,
                "EnableSharedDeviceControl": True,
                "EnableRemoteAccess": True,
                "EnableLiveTvManagement": user.is_admin,
                "EnableLiveTvAccess": True,
                "EnableMediaPlayback": True,
                "EnableAudioPlaybackTranscoding": True,
                "EnableVideoPlaybackTranscoding": True,
                "EnablePlaybackRemuxing": True,
                "ForceRemoteSourceTranscoding": False,
                "EnableContentDeletion": user.is_admin,
                "EnableContentDeletionFromFolders": [],
                "EnableContentDownloading": True,
                "EnableSyncTranscoding": True,
                "EnableMediaConversion": True,
                "EnabledDevices": [],
                "EnableAllDevices": True,
                "EnabledChannels": [],
                "EnableAllChannels": True,
                "EnabledFolders": list(user.enabled_folders),
                "EnableAllFolders": user.enable_all_folders,
                "InvalidLoginAttemptCount": user.invalid_login_attempts,
                "LoginAttemptsBeforeLockout": user.login_attempts_before_lockout,
                "MaxActiveSessions": 0,
                "EnablePublicSharing": True,
                "BlockedMediaFolders": [],
                "BlockedChannels": [],
                "RemoteClientBitrateLimit": 0,
                "AuthenticationProviderId": "Jellyfin.Server.Implementations.Users.DefaultAuthenticationProvider",
                "PasswordResetProviderId": "Jellyfin.Server.Implementations.Users.DefaultPasswordResetProvider",
                "SyncPlayAccess": "CreateAndJoinGroups",
            },
        }
        return {key: value for key, value in dto.items() if value is not None}

    def _authentication_result(self, user: FakeUser, token: str) -> dict[str, Any]:
        """`AuthenticationResult`: User, SessionInfo, AccessToken, ServerId."""
        info = self.tokens[token]
        now = self._date(self.clock())
        session: dict[str, Any] = {
            "PlayState": {
                "CanSeek": False,
                "IsPaused": False,
                "IsMuted": False,
                "RepeatMode": "RepeatNone",
                "PlaybackOrder": "Default",
            },
            "AdditionalUsers": [],
            "Capabilities": {
                "PlayableMediaTypes": [],
                "SupportedCommands": [],
                "SupportsMediaControl": False,
                "SupportsPersistentIdentifier": True,
            },
            "RemoteEndPoint": "127.0.0.1",
            "PlayableMediaTypes": [],
            "Id": jellyfin_id("session", token),
            "UserId": user.id,
            "UserName": user.name,
            "Client": info.client,
            "LastActivityDate": now,
            "LastPlaybackCheckIn": "0001-01-01T00:00:00.0000000Z",
            "DeviceName": info.device_name,
            "DeviceId": info.device_id,
            "ApplicationVersion": info.app_version,
            "IsActive": True,
            "SupportsMediaControl": False,
            "SupportsRemoteControl": False,
            "NowPlayingQueue": [],
            "NowPlayingQueueFullItems": [],
            "HasCustomDeviceName": False,
            "ServerId": self.server_id,
            "SupportedCommands": [],
        }
        return {
            "User": self.user_dto(user),
            "SessionInfo": session,
            "AccessToken": token,
            "ServerId": self.server_id,
        }

    @staticmethod
    def _require_device(header: dict[str, str]) -> None:
        """Login needs non-empty Client, Device, DeviceId and Version (else 400)."""
        if not all(
            header.get(key) for key in ("Client", "Device", "DeviceId", "Version")
        ):
            raise _text(400)  # ArgumentException

    def _authenticate_by_name(self, ctx: _Ctx) -> Any:
        self._require_device(ctx.auth.header)
        data = ctx.json_body("Jellyfin.Api.Models.UserDtos.AuthenticateUserByName")
        assert data is not None
        username = _body_str(data, "Username")
        password = _body_str(data, "Pw") or ""
        if not username:
            raise _text(400)
        user = self._user_by_name(username)
        if user is None:
            raise _text(401)  # AuthenticationException
        if password != user.password:
            user.invalid_login_attempts += 1
            limit = user.login_attempts_before_lockout
            if limit > 0 and user.invalid_login_attempts >= limit:
                user.is_disabled = True
            raise _text(401)
        if user.is_disabled:
            raise _text(403)  # SecurityException
        user.invalid_login_attempts = 0
        header = ctx.auth.header
        token = self.issue_token(
            user,
            device_id=header["DeviceId"],
            client=header["Client"],
            device_name=header["Device"],
            app_version=header["Version"],
        )
        return self._authentication_result(user, token)

    def _users_public(self, _ctx: _Ctx) -> Any:
        return [
            self.user_dto(u)
            for u in self.users.values()
            if not u.is_hidden and not u.is_disabled
        ]

    def _users_me(self, ctx: _Ctx) -> Any:
        if ctx.auth.user is None:
            raise _problem(400)  # BadRequest() for an API key
        return self.user_dto(ctx.auth.user)

    def _users(self, _ctx: _Ctx) -> Any:
        return [self.user_dto(u) for u in self.users.values()]

    def _user_by_id(self, ctx: _Ctx) -> Any:
        user_id = parse_guid(ctx.groups[0])
        if user_id is None:
            raise _invalid("userId", ctx.groups[0])
        user = self.users.get(user_id)
        if user is None:
            raise _string(404, "User not found")
        return self.user_dto(user)

    def _logout(self, ctx: _Ctx) -> Any:
        if ctx.auth.token is not None and not ctx.auth.is_api_key:
            self.revoke_token(ctx.auth.token.token)
        return NO_CONTENT

    def _api_keys(self, ctx: _Ctx) -> Any:
        self._require_admin(ctx)
        keys = [
            {
                "Id": index + 1,
                "AccessToken": key.token,
                "DeviceId": key.device_id,
                "AppName": key.client,
                "AppVersion": "",
                "DeviceName": key.device_name,
                "UserId": EMPTY_GUID,
                "IsActive": True,
                "DateCreated": self._date(key.created),
            }
            for index, key in enumerate(t for t in self.tokens.values() if t.is_api_key)
        ]
        return {"Items": keys, "TotalRecordCount": len(keys), "StartIndex": 0}

    def _create_api_key(self, ctx: _Ctx) -> Any:
        self._require_admin(ctx)
        app = ctx.get("app")
        if app is None:
            raise _body_error("app", "The app field is required.")
        self.create_api_key(app)
        return NO_CONTENT

    def _revoke_api_key(self, ctx: _Ctx) -> Any:
        self._require_admin(ctx)
        key = self.tokens.get(ctx.groups[0])
        if key is not None and key.is_api_key:
            del self.tokens[key.token]
        return NO_CONTENT

    # Quick Connect
    def _expire_quick_connect(self) -> None:
        now = self.clock()
        for secret, request in list(self.quick_connect.items()):
            if now - request.created > QUICK_CONNECT_LIFETIME:
                del self.quick_connect[secret]

    def _qc_result(self, request: QuickConnectRequest) -> dict[str, Any]:
        return {
            "Authenticated": request.authenticated,
            "Secret": request.secret,
            "Code": request.code,
            "DeviceId": request.device_id,
            "DeviceName": request.device_name,
            "AppName": request.app_name,
            "AppVersion": request.app_version,
            "DateAdded": self._date(request.created),
        }

    def _qc_enabled(self, _ctx: _Ctx) -> Any:
        return self.quick_connect_enabled

    def _qc_initiate(self, ctx: _Ctx) -> Any:
        if not self.quick_connect_enabled:
            raise _string(401, "Quick connect is disabled")
        header = ctx.auth.header
        self._require_device(header)
        self._expire_quick_connect()
        codes = {r.code for r in self.quick_connect.values()}
        code = f"{secrets.randbelow(1_000_000):06d}"
        while code in codes:
            code = f"{secrets.randbelow(1_000_000):06d}"
        request = QuickConnectRequest(
            secret=secrets.token_hex(32).upper(),
            code=code,
            device_id=header["DeviceId"],
            device_name=header["Device"],
            app_name=header["Client"],
            app_version=header["Version"],
            created=self.clock(),
        )
        self.quick_connect[request.secret] = request
        return self._qc_result(request)

    def _qc_connect(self, ctx: _Ctx) -> Any:
        secret = ctx.get("secret")
        if secret is None:
            raise _body_error("secret", "The secret field is required.")
        if not self.quick_connect_enabled:
            raise _string(401, "Quick connect is disabled")
        self._expire_quick_connect()
        request = self.quick_connect.get(secret)
        if request is None:
            raise _string(404, "Unknown secret")
        return self._qc_result(request)

    def _authorize_quick_connect(self, code: str, user: FakeUser) -> str:
        self._expire_quick_connect()
        request = next((r for r in self.quick_connect.values() if r.code == code), None)
        if request is None:
            raise _text(404)  # ResourceNotFoundException
        if request.token is None:
            request.user_id = user.id
            request.token = self.issue_token(
                user,
                device_id=request.device_id,
                client=request.app_name,
                device_name=request.device_name,
                app_version=request.app_version,
            )
        return request.token

    def _qc_authorize(self, ctx: _Ctx) -> Any:
        code = ctx.get("code")
        if code is None:
            raise _body_error("code", "The code field is required.")
        user = self._required_user(ctx)
        if not self.quick_connect_enabled:
            raise _string(401, "Quick connect is disabled")
        self._authorize_quick_connect(code, user)
        return True

    def _authenticate_qc(self, ctx: _Ctx) -> Any:
        data = ctx.json_body(
            "Jellyfin.Api.Models.UserDtos.QuickConnectDto", required=("Secret",)
        )
        assert data is not None
        secret = _body_str(data, "Secret") or ""
        if not self.quick_connect_enabled:
            raise _text(401)  # AuthenticationException
        self._expire_quick_connect()
        request = self.quick_connect.get(secret)
        if request is None or request.token is None or request.user_id is None:
            raise _text(404)  # ResourceNotFoundException
        user = self.users[request.user_id]
        if (
            request.token not in self.tokens
        ):  # revoked meanwhile: the device gets a new one
            request.token = self.issue_token(
                user,
                device_id=request.device_id,
                client=request.app_name,
                device_name=request.device_name,
                app_version=request.app_version,
            )
        return self._authentication_result(user, request.token)

    # -- visibility -------------------------------------------------------------------------------
    @property
    def root_folder_id(self) -> str:
        """The user root folder (parent of the libraries)."""
        return jellyfin_id(self.server_id, "UserRootFolder")

    @property
    def playlists_folder_id(self) -> str:
        """The server's playlists folder (parent of every playlist)."""
        return jellyfin_id(self.server_id, "PlaylistsFolder")

    def _library_visible(self, user: FakeUser | None, library_id: str) -> bool:
        return user is None or user.can_see_library(library_id)

    def _can_see(self, user: FakeUser | None, item: Any) -> bool:
        """Whether a user (None: an API key) may see an item."""
        index = self.index
        if isinstance(item, FakePlaylist):
            return user is None or item.is_visible(user)
        if isinstance(item, JellyfinLibrary | OtherLibrary):
            return self._library_visible(user, item.id)
        if isinstance(item, JellyfinTrack | JellyfinAlbum):
            library = index.library_of.get(item.id)
            return library is not None and self._library_visible(user, library.id)
        if isinstance(item, JellyfinArtist):
            libraries = index.artist_libraries.get(item.id, set())
            return any(self._library_visible(user, lib) for lib in libraries)
        if isinstance(item, MusicGenre):
            libraries = index.genre_libraries.get(item.id, set())
            return any(self._library_visible(user, lib) for lib in libraries)
        return False

    def _lookup(self, item_id: str) -> Any:
        """Any item by id: library items, playlists, other libraries, created artists."""
        item = self.index.items.get(item_id) or self.playlists.get(item_id)
        if item is None:
            item = next((o for o in self.other_libraries if o.id == item_id), None)
        if item is None:
            item = next(
                (a for a in self.created_artists.values() if a.id == item_id), None
            )
        return item

    # -- DTOs -----------------------------------------------------------------------------------
    def _user_data_key(self, item: Any) -> str:
        if isinstance(item, JellyfinTrack):
            return item.user_data_key
        if isinstance(item, JellyfinAlbum):
            artist = item.album_artists[0].name if item.album_artists else ""
            return f"{artist}-{item.name}"
        if isinstance(item, JellyfinArtist):
            return item.name
        return dashed(item.id)

    def user_data_dto(self, user: FakeUser, item: Any) -> dict[str, Any]:
        """`UserItemDataDto` of a user for an item (unrated: no Rating/Likes keys)."""
        data = user.user_data.get(item.id) or UserItemData()
        dto: dict[str, Any] = {}
        if data.rating is not None:
            dto["Rating"] = _number(data.rating)
        dto["PlaybackPositionTicks"] = data.playback_position_ticks
        dto["PlayCount"] = data.play_count
        dto["IsFavorite"] = data.is_favorite
        if data.likes is not None:
            dto["Likes"] = data.likes
        if data.last_played is not None:
            dto["LastPlayedDate"] = self._date(data.last_played)
        dto["Played"] = data.played
        dto["Key"] = self._user_data_key(item)
        dto["ItemId"] = item.id
        return dto

    def _genre_items(self, names: Iterable[str]) -> list[dict[str, str]]:
        genres = self.index.genres
        result = []
        for name in names:
            genre = genres.get(self.clean(name))
            result.append(
                {
                    "Name": name,
                    "Id": genre.id if genre else jellyfin_id(TYPE_GENRE, name),
                }
            )
        return result

    @staticmethod
    def _artist_items(artists: Iterable[JellyfinArtist]) -> list[dict[str, str]]:
        return [{"Name": a.name, "Id": a.id} for a in artists]

    def _images(self, tags: dict[str, str]) -> dict[str, Any]:
        return {
            "ImageTags": {"Primary": tags["Primary"]} if "Primary" in tags else {},
            "BackdropImageTags": [],
            "ImageBlurHashes": {
                "Primary": {
                    tag: f"U8Fr~yof00ay_3ofM{{fQ00ay?bf{tag[:4]}"
                    for tag in tags.values()
                }
            }
            if tags
            else {},
        }

    def _common(
        self,
        item: Any,
        fields: frozenset[str],
        user: FakeUser | None,
        *,
        date_created: float,
        path: str | None,
        sort_name: str,
    ) -> dict[str, Any]:
        """Keys every item starts with; optional ones only when `fields` asks."""
        dto: dict[str, Any] = {
            "Name": item.name,
            "ServerId": self.server_id,
            "Id": item.id,
        }
        if "Etag" in fields:
            dto["Etag"] = _etag(item.id, getattr(item, "name", ""))
        if "DateCreated" in fields:
            dto["DateCreated"] = self._date(date_created)
        if "CanDelete" in fields:
            dto["CanDelete"] = self._can_delete(user, item)
        if "CanDownload" in fields:
            dto["CanDownload"] = isinstance(item, JellyfinTrack)
        if "SortName" in fields:
            dto["SortName"] = sort_name
        if "Path" in fields and path is not None:
            dto["Path"] = path
        return dto

    def _can_delete(self, user: FakeUser | None, item: Any) -> bool:
        if user is None:
            return True
        if isinstance(item, FakePlaylist):
            return user.is_admin or item.owner_id == user.id
        return user.is_admin and isinstance(item, JellyfinTrack | JellyfinAlbum)

    def _finish(
        self,
        dto: dict[str, Any],
        item: Any,
        fields: frozenset[str],
        user: FakeUser | None,
        *,
        enable_user_data: bool,
        genres: Sequence[str] = (),
        tags: Sequence[str] = (),
        parent_id: str | None = None,
        type_name: str,
    ) -> None:
        """Genres, ParentId, Type, GenreItems, UserData, Tags (in the server's order)."""
        if "ParentId" in fields and parent_id is not None:
            dto["ParentId"] = parent_id
        dto["Type"] = type_name
        if "Genres" in fields:
            dto["GenreItems"] = self._genre_items(genres)
        if user is not None and enable_user_data:
            dto["UserData"] = self.user_data_dto(user, item)
        if "Tags" in fields:
            dto["Tags"] = list(tags)

    def _track_image_tags(self, track: JellyfinTrack) -> dict[str, str]:
        album = track.album
        if album is not None and album.image_tag and int(track.id[-1], 16) % 2 == 0:
            return {"Primary": jellyfin_id("image", track.id)}
        return {}

    def track_path(self, track: JellyfinTrack) -> str:
        """Where the (pretend) file lives."""
        library = self.index.library_of.get(track.id)
        root = library.path if library else "/music"
        artist = track.album_artists[0].name if track.album_artists else "Unknown"
        album = track.album.name if track.album else "Unknown"
        number = f"{track.disc_number or 1:02d}-{track.index_number or 0:02d}"
        return f"{root}/{artist}/{album}/{number} {track.name}.{track.container}"

    def track_dto(
        self,
        track: JellyfinTrack,
        user: FakeUser | None,
        fields: frozenset[str],
        *,
        enable_user_data: bool = True,
        playlist_item_id: str | None = None,
    ) -> dict[str, Any]:
        """An `Audio` BaseItemDto (key order as the server writes it)."""
        dto = self._common(
            track,
            fields,
            user,
            date_created=track.date_created,
            path=self.track_path(track),
            sort_name=track.sort_name,
        )
        if playlist_item_id is not None:
            dto = {
                "Name": dto.pop("Name"),
                "ServerId": dto.pop("ServerId"),
                "Id": dto.pop("Id"),
                "PlaylistItemId": playlist_item_id,
            } | dto
        dto["HasLyrics"] = track.has_lyrics
        dto["Container"] = track.container
        if track.year is not None:
            dto["PremiereDate"] = self._date(
                datetime.datetime(track.year, 1, 1, tzinfo=datetime.UTC).timestamp()
            )
        dto["ChannelId"] = None
        if "Genres" in fields:
            dto["Genres"] = list(track.genres)
        dto["RunTimeTicks"] = track.run_time_ticks
        if track.year is not None:
            dto["ProductionYear"] = track.year
        if track.index_number is not None:
            dto["IndexNumber"] = track.index_number
        if track.disc_number is not None:
            dto["ParentIndexNumber"] = track.disc_number
        dto["IsFolder"] = False
        self._finish(
            dto, track, fields, user,
            enable_user_data=enable_user_data, genres=track.genres, tags=track.tags,
            parent_id=track.album.id if track.album else None, type_name=TYPE_AUDIO,
        )  # fmt: skip
        if "ProviderIds" in fields:
            dto["ProviderIds"] = {}
        dto["Artists"] = [a.name for a in track.artists]
        dto["ArtistItems"] = self._artist_items(track.artists)
        album = track.album
        if album is not None:
            dto |= self._album_keys(album)
        tags = self._track_image_tags(track)
        blur_tags = dict(tags)
        if album is not None and album.image_tag:
            blur_tags["Album"] = album.image_tag
        dto |= self._images(tags) | {
            "ImageBlurHashes": self._images(blur_tags)["ImageBlurHashes"]
        }
        dto["LocationType"] = "FileSystem"
        dto["MediaType"] = "Audio"
        if track.normalization_gain is not None:
            dto["NormalizationGain"] = track.normalization_gain
        if (
            self.version == "12.0"
            and album is not None
            and album.normalization_gain is not None
        ):
            dto["AlbumNormalizationGain"] = album.normalization_gain
        return dto

    def _album_keys(self, album: JellyfinAlbum) -> dict[str, Any]:
        """Album, AlbumId, AlbumPrimaryImageTag, AlbumArtist, AlbumArtists of a track."""
        keys: dict[str, Any] = {"Album": album.name, "AlbumId": album.id}
        if album.image_tag:
            keys["AlbumPrimaryImageTag"] = album.image_tag
        if album.album_artists:
            keys["AlbumArtist"] = album.album_artists[0].name
        keys["AlbumArtists"] = self._artist_items(album.album_artists)
        return keys

    def album_dto(
        self,
        album: JellyfinAlbum,
        user: FakeUser | None,
        fields: frozenset[str],
        *,
        enable_user_data: bool = True,
    ) -> dict[str, Any]:
        """A `MusicAlbum` BaseItemDto."""
        library = self.index.library_of.get(album.id)
        artist = album.album_artists[0].name if album.album_artists else "Unknown"
        root = library.path if library else "/music"
        dto = self._common(
            album,
            fields,
            user,
            date_created=album.date_created,
            path=f"{root}/{artist}/{album.name}",
            sort_name=item_sort_name(album.name),
        )
        tracks = self.index.album_tracks.get(album.id, [])
        if album.year is not None:
            dto["PremiereDate"] = self._date(
                datetime.datetime(album.year, 1, 1, tzinfo=datetime.UTC).timestamp()
            )
        dto["ChannelId"] = None
        if "Genres" in fields:
            dto["Genres"] = list(album.genres)
        dto["RunTimeTicks"] = sum(t.run_time_ticks for t in tracks)
        if album.year is not None:
            dto["ProductionYear"] = album.year
        dto["IsFolder"] = True
        self._finish(
            dto, album, fields, user,
            enable_user_data=enable_user_data, genres=album.genres,
            parent_id=library.id if library else None, type_name=TYPE_ALBUM,
        )  # fmt: skip
        if "ChildCount" in fields:
            dto["ChildCount"] = len(tracks)
        dto["Artists"] = [a.name for a in album.album_artists]
        dto["ArtistItems"] = self._artist_items(album.album_artists)
        if album.album_artists:
            dto["AlbumArtist"] = album.album_artists[0].name
        dto["AlbumArtists"] = self._artist_items(album.album_artists)
        dto |= self._images({"Primary": album.image_tag} if album.image_tag else {})
        dto["LocationType"] = "FileSystem"
        dto["MediaType"] = "Unknown"
        if album.normalization_gain is not None:
            dto["NormalizationGain"] = album.normalization_gain
        return dto

    def artist_dto(
        self,
        artist: JellyfinArtist,
        user: FakeUser | None,
        fields: frozenset[str],
        *,
        enable_user_data: bool = True,
    ) -> dict[str, Any]:
        """A `MusicArtist` BaseItemDto."""
        dto = self._common(
            artist,
            fields,
            user,
            date_created=0.0,
            path=f"/config/metadata/artists/{artist.name}",
            sort_name=item_sort_name(artist.name),
        )
        dto["ChannelId"] = None
        genres = self._artist_genres(artist)
        if "Genres" in fields:
            dto["Genres"] = genres
        dto["IsFolder"] = True
        self._finish(
            dto, artist, fields, user,
            enable_user_data=enable_user_data, genres=genres, type_name=TYPE_ARTIST,
        )  # fmt: skip
        dto |= self._images({})
        dto["LocationType"] = "FileSystem"
        dto["MediaType"] = "Unknown"
        return dto

    def _artist_genres(self, artist: JellyfinArtist) -> list[str]:
        """An artist's genres: those of its albums (as the artist metadata collects)."""
        names: dict[str, str] = {}
        for album in self.index.albums:
            if artist in album.album_artists:
                for genre in album.genres:
                    names.setdefault(self.clean(genre), genre)
        return list(names.values())

    def playlist_dto(
        self,
        playlist: FakePlaylist,
        user: FakeUser | None,
        fields: frozenset[str],
        *,
        enable_user_data: bool = True,
    ) -> dict[str, Any]:
        """A `Playlist` BaseItemDto (ChildCount counts the visible entries)."""
        dto = self._common(
            playlist,
            fields,
            user,
            date_created=playlist.date_created,
            path=f"/config/data/playlists/{playlist.name}/playlist.xml",
            sort_name=item_sort_name(playlist.name),
        )
        visible = self._visible_entries(playlist, user)
        dto["ChannelId"] = None
        if "Genres" in fields:
            dto["Genres"] = []
        dto["RunTimeTicks"] = sum(
            t.run_time_ticks for _e, t in visible if isinstance(t, JellyfinTrack)
        )
        dto["IsFolder"] = True
        self._finish(
            dto, playlist, fields, user,
            enable_user_data=enable_user_data,
            parent_id=self.playlists_folder_id, type_name=TYPE_PLAYLIST,
        )  # fmt: skip
        dto["ChildCount"] = len(visible)
        image = {"Primary": playlist.image_tag} if playlist.image_tag else {}
        dto |= self._images(image)
        dto["LocationType"] = "FileSystem"
        dto["MediaType"] = playlist.media_type
        return dto

    def genre_dto(
        self,
        genre: MusicGenre,
        user: FakeUser | None,
        counts: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        """A `MusicGenre` BaseItemDto; `counts` adds SongCount/AlbumCount/ChildCount."""
        dto: dict[str, Any] = {
            "Name": genre.name,
            "ServerId": self.server_id,
            "Id": genre.id,
            "ChannelId": None,
            "IsFolder": True,
            "Type": TYPE_GENRE,
        }
        if user is not None:
            dto["UserData"] = self.user_data_dto(user, genre)
        if counts is not None:
            dto["ChildCount"] = counts["total"]
            dto["SongCount"] = counts[TYPE_AUDIO]
            dto["AlbumCount"] = counts[TYPE_ALBUM]
        dto |= self._images({})
        dto["LocationType"] = "FileSystem"
        dto["MediaType"] = "Unknown"
        return dto

    def folder_dto(
        self, library: JellyfinLibrary | OtherLibrary, user: FakeUser | None
    ) -> dict[str, Any]:
        """A `CollectionFolder` as `/UserViews` writes it (every field)."""
        if isinstance(library, JellyfinLibrary):
            path, created, kind = library.path, library.date_created, "music"
        else:
            path = f"/config/root/default/{library.name}"
            created, kind = 1.7e9, library.collection_type
        dto: dict[str, Any] = {
            "Name": library.name,
            "ServerId": self.server_id,
            "Id": library.id,
            "Etag": _etag(library.id, library.name),
            "DateCreated": self._date(created),
            "CanDelete": False,
            "CanDownload": False,
            "SortName": library.name.lower(),
            "ExternalUrls": [],
            "Path": path,
            "EnableMediaSourceDisplay": True,
            "ChannelId": None,
            "Taglines": [],
            "Genres": [],
            "PlayAccess": "Full",
            "RemoteTrailers": [],
            "ProviderIds": {},
            "IsFolder": True,
            "ParentId": self.root_folder_id,
            "Type": TYPE_FOLDER,
            "People": [],
            "Studios": [],
            "GenreItems": [],
            "LocalTrailerCount": 0,
        }
        if user is not None:
            dto["UserData"] = self.user_data_dto(user, library)
        dto["ChildCount"] = (
            len(library.albums) if isinstance(library, JellyfinLibrary) else 0
        )
        dto |= {
            "SpecialFeatureCount": 0,
            "DisplayPreferencesId": library.id,
            "Tags": [],
            "CollectionType": kind,
            "ImageTags": {},
            "BackdropImageTags": [],
            "ImageBlurHashes": {},
            "LocationType": "FileSystem",
            "MediaType": "Unknown",
            "LockedFields": [],
            "LockData": False,
        }
        return dto

    def _playlists_view_dto(self, user: FakeUser, count: int) -> dict[str, Any]:
        view_id = jellyfin_id(self.server_id, "UserView", "playlists", user.id)
        return {
            "Name": "Playlists",
            "ServerId": self.server_id,
            "Id": view_id,
            "Etag": _etag(view_id),
            "DateCreated": self._date(1.7e9),
            "CanDelete": False,
            "CanDownload": False,
            "SortName": "playlists",
            "ChannelId": None,
            "IsFolder": True,
            "ParentId": self.root_folder_id,
            "Type": TYPE_VIEW,
            "UserData": {
                "PlaybackPositionTicks": 0,
                "PlayCount": 0,
                "IsFavorite": False,
                "Played": False,
                "Key": dashed(view_id),
                "ItemId": view_id,
            },
            "ChildCount": count,
            "DisplayPreferencesId": view_id,
            "CollectionType": "playlists",
            "ImageTags": {},
            "BackdropImageTags": [],
            "ImageBlurHashes": {},
            "LocationType": "Virtual",
            "MediaType": "Unknown",
        }

    def item_dto(
        self,
        item: Any,
        user: FakeUser | None,
        fields: frozenset[str],
        *,
        enable_user_data: bool = True,
    ) -> dict[str, Any]:
        """Any item's BaseItemDto."""
        if isinstance(item, JellyfinTrack):
            return self.track_dto(item, user, fields, enable_user_data=enable_user_data)
        if isinstance(item, JellyfinAlbum):
            return self.album_dto(item, user, fields, enable_user_data=enable_user_data)
        if isinstance(item, JellyfinArtist):
            return self.artist_dto(
                item, user, fields, enable_user_data=enable_user_data
            )
        if isinstance(item, FakePlaylist):
            return self.playlist_dto(
                item, user, fields, enable_user_data=enable_user_data
            )
        if isinstance(item, MusicGenre):
            return self.genre_dto(item, user if enable_user_data else None)
        return self.folder_dto(item, user if enable_user_data else None)

    @staticmethod
    def _page(items: Sequence[Any], total: int, start: int) -> dict[str, Any]:
        return {"Items": list(items), "TotalRecordCount": total, "StartIndex": start}

    # -- views and libraries --------------------------------------------------------------------
    def _user_views(self, ctx: _Ctx) -> Any:
        user = self._required_user(ctx)
        views: list[tuple[str, dict[str, Any]]] = [
            (lib.name.lower(), self.folder_dto(lib, user))
            for lib in self.all_libraries
            if user.can_see_library(lib.id)
        ]
        visible = [p for p in self.playlists.values() if p.is_visible(user)]
        if self.playlists_view == "always" or (
            self.playlists_view == "nonempty" and visible
        ):
            views.append(("playlists", self._playlists_view_dto(user, len(visible))))
        views.sort(key=lambda pair: pair[0])
        return self._page([dto for _key, dto in views], len(views), 0)

    def _library_options(self, path: str) -> dict[str, Any]:
        return {
            "Enabled": True,
            "EnablePhotos": True,
            "EnableRealtimeMonitor": True,
            "EnableLUFSScan": True,
            "EnableChapterImageExtraction": False,
            "ExtractChapterImagesDuringLibraryScan": False,
            "EnableTrickplayImageExtraction": False,
            "ExtractTrickplayImagesDuringLibraryScan": False,
            "PathInfos": [{"Path": path}],
            "SaveLocalMetadata": False,
            "EnableAutomaticSeriesGrouping": False,
            "EnableEmbeddedTitles": False,
            "EnableEmbeddedExtrasTitles": False,
            "EnableEmbeddedEpisodeInfos": False,
            "AutomaticRefreshIntervalDays": 0,
            "PreferredMetadataLanguage": "",
            "MetadataCountryCode": "",
            "SeasonZeroDisplayName": "Specials",
            "MetadataSavers": [],
            "DisabledLocalMetadataReaders": [],
            "LocalMetadataReaderOrder": ["Nfo"],
            "SaveSubtitlesWithMedia": True,
            "SaveLyricsWithMedia": False,
            "AutomaticallyAddToCollection": False,
            "AllowEmbeddedSubtitles": "AllowAll",
            "PreferNonstandardArtistsTag": False,
            "UseCustomTagDelimiters": False,
            "CustomTagDelimiters": ["/", "|", ";", "\\"],
            "DelimiterWhitelist": [],
            "TypeOptions": [],
        }

    def _virtual_folders(self, ctx: _Ctx) -> Any:
        self._require_admin(ctx)
        result = []
        for lib in self.all_libraries:
            path = f"/media/{lib.name.lower()}"
            kind = "music" if isinstance(lib, JellyfinLibrary) else lib.collection_type
            result.append(
                {
                    "Name": lib.name,
                    "Locations": [path],
                    "CollectionType": kind,
                    "LibraryOptions": self._library_options(path),
                    "ItemId": lib.id,
                    "PrimaryImageItemId": lib.id,
                    "RefreshStatus": "Idle",
                }
            )
        return result

    def _media_folders(self, ctx: _Ctx) -> Any:
        self._require_admin(ctx)
        folders = [self.folder_dto(lib, None) for lib in self.all_libraries]
        return self._page(folders, len(folders), 0)

    # -- /Items ---------------------------------------------------------------------------------
    def _all_items(self, user: FakeUser | None, *, listing: bool = False) -> list[Any]:
        """Every item below the user root, in database order.

        Libraries, albums, tracks, artists, playlists; `listing`: apply the
        `expose_private_playlists` switch (`/Items` listings only).
        """
        index = self.index
        items: list[Any] = [
            lib for lib in self.all_libraries
            if self._library_visible(user, lib.id)
        ]  # fmt: skip
        if user is None or user.enable_all_folders:
            items += index.albums
            items += index.tracks
        else:
            seen = {lib.id for lib in self.libraries if user.can_see_library(lib.id)}
            items += [a for a in index.albums if index.library_of[a.id].id in seen]
            items += [t for t in index.tracks if index.library_of[t.id].id in seen]
        items += [a for a in index.artists.values() if self._can_see(user, a)]
        items += [
            p
            for p in self.playlists.values()
            if self._can_see(user, p) or (listing and self.expose_private_playlists)
        ]
        return items

    def _children(self, parent: Any, user: FakeUser | None) -> list[Any]:
        """Direct children (`recursive=false`)."""
        index = self.index
        if parent is None:  # the user root: the libraries
            return [
                lib for lib in self.all_libraries if self._library_visible(user, lib.id)
            ]
        if isinstance(parent, JellyfinLibrary):
            return [a for a in index.albums if index.library_of[a.id] is parent]
        if isinstance(parent, JellyfinAlbum):
            return list(index.album_tracks.get(parent.id, []))
        if isinstance(parent, FakePlaylist):
            return [item for _entry, item in self._visible_entries(parent, user)]
        return []

    def _descendants(self, parent: Any, user: FakeUser | None) -> list[Any]:
        """Everything below `parent` (`recursive=true`)."""
        index = self.index
        if parent is None:
            return self._all_items(user, listing=True)
        if isinstance(parent, JellyfinLibrary):
            items: list[Any] = [
                a for a in index.albums if index.library_of[a.id] is parent
            ]
            items += [t for t in index.tracks if index.library_of[t.id] is parent]
            items += [
                a
                for a in index.artists.values()
                if parent.id in index.artist_libraries.get(a.id, set())
            ]
            if (
                self.version == "12.0"
            ):  # LinkedChildAncestorIds: playlists with its items
                items += [
                    p
                    for p in self.playlists.values()
                    if any(index.library_of.get(i) is parent for i in p.item_ids)
                ]
            return items
        return self._children(parent, user)

    def _user_filter_guard(self, user: FakeUser | None) -> bool:
        """User-dependent filters/sorts without a user: 500 (switch) or ignored."""
        if user is not None:
            return True
        if self.api_key_user_filters_fail:
            raise _text(500)  # NullReferenceException
        return False

    @staticmethod
    def _genres_of(item: Any, server: FakeJellyfinServer) -> Sequence[str]:
        if isinstance(item, JellyfinTrack | JellyfinAlbum):
            return item.genres
        if isinstance(item, JellyfinArtist):
            return server._artist_genres(item)
        return ()

    def _artist_ids_of(self, item: Any, *, track: bool, album: bool) -> set[str]:
        result: set[str] = set()
        if isinstance(item, JellyfinTrack):
            if track:
                result |= {a.id for a in item.artists}
            if album:
                result |= {a.id for a in item.album_artists}
        elif isinstance(item, JellyfinAlbum) and album:
            result |= {a.id for a in item.album_artists}
        return result

    def _artist_names_of(self, item: Any) -> set[str]:
        if isinstance(item, JellyfinTrack):
            return {self.clean(a.name) for a in (*item.artists, *item.album_artists)}
        if isinstance(item, JellyfinAlbum):
            return {self.clean(a.name) for a in item.album_artists}
        return set()

    def _resolve_artist(self, name: str) -> JellyfinArtist:
        """`LibraryManager.GetArtist`: exact raw name, else a new artist item."""
        for artist in self.index.artists.values():
            if artist.name == name:
                return artist
        if name not in self.created_artists:
            self.created_artists[name] = JellyfinArtist(
                jellyfin_id("MusicArtist", name), name
            )
        return self.created_artists[name]

    def _search_rank(self, name: str, term: str) -> int | None:
        """Relevance of a match (lower is better), None when the name does not match."""
        value = self.clean(name)
        if self.version == "10.10" and len(term) == 1:
            return 0 if value == term else 2 if value.startswith(term) else None
        if term not in value:
            return None
        if value == term:
            return 0
        if value.startswith(term + " "):
            return 1
        if value.startswith(term):
            return 2
        return 3

    def _filter_predicates(
        self, ctx: _Ctx, user: FakeUser | None
    ) -> list[Callable[[Any], bool]]:
        """The `/Items` filters: OR inside one list, AND across parameters."""
        checks: list[Callable[[Any], bool]] = []
        if types := set(ctx.enums("includeItemTypes", BASE_ITEM_KINDS)):
            checks.append(lambda i: item_type(i) in types)
        if excluded_types := set(ctx.enums("excludeItemTypes", BASE_ITEM_KINDS)):
            checks.append(lambda i: item_type(i) not in excluded_types)
        if media_types := {m.lower() for m in ctx.delimited("mediaTypes", ",")}:
            checks.append(lambda i: self._media_type(i).lower() in media_types)
        if excluded := set(ctx.guids("excludeItemIds")):
            checks.append(lambda i: i.id not in excluded)
        return [
            *checks,
            *self._value_predicates(ctx),
            *self._artist_predicates(ctx),
            *self._name_predicates(ctx),
            *self._user_predicates(ctx, user),
        ]

    @staticmethod
    def _media_type(item: Any) -> str:
        if isinstance(item, JellyfinTrack):
            return "Audio"
        if isinstance(item, FakePlaylist):
            return item.media_type
        return "Unknown"

    def _value_predicates(self, ctx: _Ctx) -> list[Callable[[Any], bool]]:
        """genres/genreIds, tags/excludeTags (clean values), years."""
        checks: list[Callable[[Any], bool]] = []
        clean = self.clean
        genre_values = {clean(g) for g in ctx.delimited("genres", "|")}
        if genre_ids := set(ctx.guids("genreIds")):
            genre_values |= {
                key for key, g in self.index.genres.items() if g.id in genre_ids
            }
        if ctx.delimited("genres", "|") or genre_ids:
            checks.append(
                lambda i: any(
                    clean(g) in genre_values for g in self._genres_of(i, self)
                )
            )
        if tag_values := {clean(t) for t in ctx.delimited("tags", "|")}:
            checks.append(
                lambda i: (
                    isinstance(i, JellyfinTrack)
                    and any(clean(t) in tag_values for t in i.tags)
                )
            )
        if excluded_tags := {clean(t) for t in ctx.delimited("excludeTags", "|")}:
            checks.append(
                lambda i: (
                    not (
                        isinstance(i, JellyfinTrack)
                        and any(clean(t) in excluded_tags for t in i.tags)
                    )
                )
            )
        years = set()
        for value in ctx.delimited("years", ","):
            with contextlib.suppress(ValueError):
                years.add(int(value))
        if years:
            checks.append(lambda i: getattr(i, "year", None) in years)
        return checks

    def _artist_predicates(self, ctx: _Ctx) -> list[Callable[[Any], bool]]:
        """Artist and album filters.

        artistIds, albumArtistIds, contributingArtistIds, excludeArtistIds, artists
        (names), albums (names), albumIds.
        """
        checks: list[Callable[[Any], bool]] = []
        ids_of = self._artist_ids_of
        if artist_ids := set(ctx.guids("artistIds")):
            checks.append(
                lambda i: bool(ids_of(i, track=True, album=True) & artist_ids)
            )
        if album_artist_ids := set(ctx.guids("albumArtistIds")):
            checks.append(
                lambda i: bool(ids_of(i, track=False, album=True) & album_artist_ids)
            )
        if contributing := set(ctx.guids("contributingArtistIds")):
            checks.append(
                lambda i: bool(
                    (
                        ids_of(i, track=True, album=False)
                        - ids_of(i, track=False, album=True)
                    )
                    & contributing
                )
            )
        if exclude_artists := set(ctx.guids("excludeArtistIds")):
            checks.append(
                lambda i: not (ids_of(i, track=True, album=True) & exclude_artists)
            )
        if names := ctx.delimited("artists", "|"):
            wanted = {self.clean(self._resolve_artist(name).name) for name in names}
            checks.append(lambda i: bool(self._artist_names_of(i) & wanted))
        if albums := {self.clean(a) for a in ctx.delimited("albums", "|")}:
            checks.append(
                lambda i: (
                    isinstance(i, JellyfinTrack)
                    and i.album is not None
                    and self.clean(i.album.name) in albums
                )
            )
        if album_ids := set(ctx.guids("albumIds")):
            checks.append(
                lambda i: (
                    isinstance(i, JellyfinTrack)
                    and i.album is not None
                    and i.album.id in album_ids
                )
            )
        return checks

    def _name_predicates(self, ctx: _Ctx) -> list[Callable[[Any], bool]]:
        """The name range filters.

        nameStartsWith / nameStartsWithOrGreater / nameLessThan compare the
        lower-cased input with SortName (for tracks "0001 - 0003 - Title").
        """
        checks: list[Callable[[Any], bool]] = []
        if (prefix := ctx.get("nameStartsWith")) is not None:
            lowered = prefix.lower()
            checks.append(lambda i: self._sort_name(i).startswith(lowered))
        if (floor := ctx.get("nameStartsWithOrGreater")) is not None:
            lowered_floor = floor.lower()
            checks.append(lambda i: self._sort_name(i) >= lowered_floor)
        if (ceiling := ctx.get("nameLessThan")) is not None:
            lowered_ceiling = ceiling.lower()
            checks.append(lambda i: self._sort_name(i) < lowered_ceiling)
        return checks

    def _filter_check(
        self, name: str, row: Callable[[Any], UserItemData]
    ) -> Callable[[Any], bool]:
        """One `filters=` value that needs user data."""

        def likes(item: Any) -> bool:
            return bool(row(item).likes)

        checks: dict[str, Callable[[Any], bool]] = {
            "IsFavorite": lambda i: row(i).is_favorite,
            "IsPlayed": lambda i: row(i).played,
            "IsUnplayed": lambda i: not row(i).played,
            "IsResumable": lambda i: row(i).playback_position_ticks > 0,
            "Likes": likes,
            # 10.11 ignores the value and returns the liked items (a bug)
            "Dislikes": likes if self.dislikes_bug else lambda i: not likes(i),
            # 10.11/12.0 check only the favourite flag
            "IsFavoriteOrLikes": (lambda i: row(i).is_favorite or likes(i))
            if self.version == "10.10"
            else (lambda i: row(i).is_favorite),
        }
        return checks[name]

    def _user_predicates(
        self, ctx: _Ctx, user: FakeUser | None
    ) -> list[Callable[[Any], bool]]:
        """isFavorite, isPlayed and `filters=` (all but IsFolder/IsNotFolder need a user)."""
        filters = ctx.enums("filters", ITEM_FILTERS)
        is_favorite = ctx.boolean("isFavorite")
        is_played = ctx.boolean("isPlayed")
        if self.version == "12.0":
            for pair in (
                {"Likes", "Dislikes"},
                {"IsPlayed", "IsUnplayed"},
                {"IsFolder", "IsNotFolder"},
            ):
                if pair <= set(filters):
                    raise _text(400)  # ArgumentException in ApplyFilters
        checks: list[Callable[[Any], bool]] = []
        if "IsFolder" in filters:
            checks.append(lambda i: item_type(i) != TYPE_AUDIO)
        if "IsNotFolder" in filters:
            checks.append(lambda i: item_type(i) == TYPE_AUDIO)
        user_filters = [f for f in filters if f not in ("IsFolder", "IsNotFolder")]
        if not (user_filters or is_favorite is not None or is_played is not None):
            return checks
        if not self._user_filter_guard(user):
            return checks
        assert user is not None
        rows = user.user_data

        def row(item: Any) -> UserItemData:
            return rows.get(item.id) or UserItemData()

        checks += [self._filter_check(name, row) for name in user_filters]
        if is_favorite is not None:
            needs_row = (
                not is_favorite
                and self.version == "10.11"
                and self.favorite_false_needs_row
            )
            checks.append(
                lambda i: (
                    row(i).is_favorite == is_favorite
                    and (not needs_row or i.id in rows)
                )
            )
        if is_played is not None:
            checks.append(lambda i: row(i).played == is_played)
        return checks

    def _sort_name(self, item: Any) -> str:
        if isinstance(item, JellyfinTrack):
            return item.sort_name
        if isinstance(item, JellyfinLibrary | OtherLibrary):
            return item.name.lower()
        return item_sort_name(item.name)

    def _sort_value(self, key: str, item: Any, user: FakeUser | None) -> Any:
        """One sort column (None sorts first ascending, last descending, as SQLite)."""
        track = item if isinstance(item, JellyfinTrack) else None
        album = (
            item if isinstance(item, JellyfinAlbum) else getattr(track, "album", None)
        )
        album_artist = (
            album.album_artists[0].name
            if album is not None and album.album_artists
            else None
        )
        row = user.user_data.get(item.id) if user is not None else None
        columns: dict[str, Callable[[], Any]] = {
            "SortName": lambda: self._sort_name(item),
            "Name": lambda: item.name,
            "Album": lambda: album.name if album is not None else None,
            "AlbumArtist": lambda: album_artist,
            "Artist": lambda: (
                (track.artists[0].name if track.artists else None)
                if track is not None
                else album_artist
            ),
            "DateCreated": lambda: getattr(item, "date_created", None),
            "PremiereDate": lambda: getattr(item, "year", None),
            "ProductionYear": lambda: getattr(item, "year", None),
            "Runtime": lambda: track.run_time_ticks if track else None,
            "IndexNumber": lambda: track.index_number if track else None,
            "ParentIndexNumber": lambda: track.disc_number if track else None,
            "IsFolder": lambda: item_type(item) != TYPE_AUDIO,
            "PlayCount": lambda: row.play_count if row is not None else None,
            "DatePlayed": lambda: row.last_played if row is not None else None,
            "IsPlayed": lambda: bool(row and row.played),
            "IsUnplayed": lambda: not (row and row.played),
            "IsFavoriteOrLiked": lambda: bool(row and (row.is_favorite or row.likes)),
        }
        column = columns.get(key)
        return column() if column is not None else None  # others keep the order

    def _sorted(
        self,
        items: list[Any],
        order: Sequence[tuple[str, bool]],
        user: FakeUser | None,
        rng: random.Random,
    ) -> list[Any]:
        """Stable multi-key sort; `order` is (key, descending) pairs, first key first."""
        result = list(items)
        for key, descending in reversed(order):
            if key == "Random":
                draws = {id(item): rng.random() for item in result}
                result.sort(key=lambda i: draws[id(i)], reverse=descending)
                continue
            values = {id(i): self._sort_value(key, i, user) for i in result}
            # (False, ...) for NULL: first ascending, last descending
            result.sort(
                key=lambda i: (
                    (False, 0) if values[id(i)] is None else (True, values[id(i)])
                ),
                reverse=descending,
            )
        return result

    def _random(self) -> random.Random:
        return random.Random(self.seed) if self.stable_random else self._rng

    def _order(self, ctx: _Ctx, user: FakeUser | None) -> list[tuple[str, bool]]:
        """`RequestHelpers.GetOrderBy`.

        sortBy paired with sortOrder by position; missing orders reuse the first
        (default Ascending).
        """
        sort_by = ctx.enums("sortBy", SORT_KEYS)
        orders = [
            o == "Descending"
            for o in ctx.enums("sortOrder", ("Ascending", "Descending"))
        ]
        default = orders[0] if orders else False
        pairs = [
            (key, orders[n] if n < len(orders) else default)
            for n, key in enumerate(sort_by)
        ]
        user_keys = {"PlayCount", "DatePlayed", "IsPlayed", "IsUnplayed"}
        if any(key in user_keys | {"IsFavoriteOrLiked"} for key, _ in pairs):
            self._user_filter_guard(user)
        return pairs

    def _parent(self, ctx: _Ctx, user: FakeUser | None) -> Any:
        """The `parentId` item.

        Empty GUID or unknown -> 400 text; a library the user cannot see -> 401 with
        a JSON string.
        """
        parent_id = ctx.guid("parentId")
        if parent_id is None:
            return None
        if parent_id == EMPTY_GUID:
            raise _text(400)
        parent = self._lookup(parent_id)
        if parent is None:
            raise _text(400)  # ArgumentException: unknown parent
        if isinstance(parent, JellyfinLibrary | OtherLibrary):
            if user is not None and not self._library_visible(user, parent.id):
                raise _string(
                    401,
                    f"{user.name} is not permitted to access Library {parent.name}.",
                )
        elif not self._can_see(user, parent):
            raise _text(400)
        return parent

    def _candidates(self, ctx: _Ctx, user: FakeUser | None) -> list[Any]:
        """The items `parentId`, `recursive` and `ids` select, in database order."""
        parent = self._parent(ctx, user)
        recursive = ctx.boolean("recursive")
        if recursive is None and self.recursive_by_default is not None:
            recursive = self.recursive_by_default
        elif recursive is None:  # 12.0: true under a library when types are given
            recursive = (
                self.version == "12.0"
                and isinstance(parent, JellyfinLibrary)
                and bool(ctx.enums("includeItemTypes", BASE_ITEM_KINDS))
            )
        if ids := set(ctx.guids("ids")):
            return [i for i in self._descendants(parent, user) if i.id in ids]
        if recursive:
            return self._descendants(parent, user)
        return self._children(parent, user)

    def _query(self, ctx: _Ctx, user: FakeUser | None) -> tuple[list[Any], int]:
        """Filter and sort like `ItemsController.GetItems`; returns (all matches, total)."""
        candidates = self._candidates(ctx, user)
        checks = self._filter_predicates(ctx, user)
        order = self._order(ctx, user)
        rng = self._random()
        term = ctx.get("searchTerm")
        matches = [i for i in candidates if all(check(i) for check in checks)]
        if term is None:
            if not order:
                if self.version == "10.10":  # no ORDER BY: database order
                    return matches, len(matches)
                order = [("SortName", False)]
            elif self.version == "12.0":
                order = [*order, ("SortName", False)]
            return self._sorted(matches, order, user, rng), len(matches)
        clean_term = self.clean(term)
        if self.version == "12.0":
            return self._search_12(ctx, user, clean_term, matches)
        ranks = {id(i): self._search_rank(i.name, clean_term) for i in matches}
        found = [i for i in matches if ranks[id(i)] is not None]
        if self.version == "10.11":  # relevance, SortName, then sortBy
            order = [("SortName", False), *order]
        found = self._sorted(found, order, user, rng)
        found.sort(key=lambda i: ranks[id(i)] or 0)
        return found, len(found)

    def _search_12(
        self, ctx: _Ctx, user: FakeUser | None, term: str, matches: list[Any]
    ) -> tuple[list[Any], int]:
        """12.0 search: candidates from the search providers.

        At most limit x 3 (100 without a limit) candidates by score, then filtered by
        the other parameters, ordered by score and SortName; `sortBy` is ignored.
        """
        limit = ctx.integer("limit")
        cap = limit * 3 if limit else SEARCH_CANDIDATES_12
        types = set(ctx.enums("includeItemTypes", BASE_ITEM_KINDS))
        pool = [
            (rank, self._sort_name(i), n, i)
            for n, i in enumerate(self._all_items(user, listing=True))
            if (not types or item_type(i) in types)
            and (rank := self._search_rank(i.name, term)) is not None
        ]
        pool.sort(key=lambda entry: entry[:3])
        allowed = {id(i) for i in matches}
        found = [entry[3] for entry in pool[:cap] if id(entry[3]) in allowed]
        return found, len(found)

    def _items(self, ctx: _Ctx) -> Any:
        user = self._optional_user(ctx)
        fields = frozenset(ctx.enums("fields", ITEM_FIELDS))
        enable_user_data = ctx.boolean("enableUserData") is not False
        start = max(ctx.integer("startIndex") or 0, 0)
        limit = ctx.integer("limit")
        matches, total = self._query(ctx, user)
        page = matches[
            start : start + limit if limit is not None and limit >= 0 else None
        ]
        if ctx.boolean("enableTotalRecordCount") is False:
            total = len(page)
        dtos = [
            self.item_dto(item, user, fields, enable_user_data=enable_user_data)
            for item in page
        ]
        return self._page(dtos, total, start)

    # -- one item, deletion, images -------------------------------------------------------------
    def _route_guid(self, ctx: _Ctx, position: int, name: str) -> str:
        """A typed `Guid` route value: unparseable -> 400 validation ProblemDetails."""
        raw = ctx.groups[position]
        parsed = parse_guid(raw)
        if parsed is None:
            raise _invalid(name, raw)
        return parsed

    def _root_dto(self, user: FakeUser | None) -> dict[str, Any]:
        dto: dict[str, Any] = {
            "Name": "Media Folders",
            "ServerId": self.server_id,
            "Id": self.root_folder_id,
            "ChannelId": None,
            "IsFolder": True,
            "Type": "UserRootFolder",
        }
        if user is not None:
            dto["UserData"] = {
                "PlaybackPositionTicks": 0,
                "PlayCount": 0,
                "IsFavorite": False,
                "Played": False,
                "Key": dashed(self.root_folder_id),
                "ItemId": self.root_folder_id,
            }
        dto["ChildCount"] = len(self._children(None, user))
        return (
            dto
            | self._images({})
            | {"LocationType": "FileSystem", "MediaType": "Unknown"}
        )

    def _item(self, ctx: _Ctx) -> Any:
        item_id = self._route_guid(ctx, 0, "itemId")
        user = self._required_user(ctx, unknown=_problem(404))
        if item_id == EMPTY_GUID:
            return self._root_dto(user)
        item = self._lookup(item_id)
        if item is None or not self._can_see(user, item):
            raise _problem(404)
        return self.item_dto(item, user, ALL_FIELDS)

    def _delete_item(self, ctx: _Ctx) -> Any:
        item_id = self._route_guid(ctx, 0, "itemId")
        if item_id == EMPTY_GUID:
            raise _text(400)
        item = self._lookup(item_id)
        user = ctx.auth.user
        if item is None or (user is not None and not self._can_see(user, item)):
            raise _problem(404)
        if isinstance(item, JellyfinLibrary | OtherLibrary | MusicGenre):
            raise _string(401, "Unauthorized access")
        if user is not None and not self._can_delete(user, item):
            raise _string(401, "Unauthorized access")
        if isinstance(item, FakePlaylist):
            del self.playlists[item.id]
        elif isinstance(item, JellyfinTrack):
            self.index.library_of[item.id].remove_track(item.id)
        elif isinstance(item, JellyfinAlbum):
            library = self.index.library_of[item.id]
            for track in list(self.index.album_tracks.get(item.id, [])):
                library.remove_track(track.id)
            library.albums.remove(item)
            library.version += 1
        else:
            raise _string(401, "Unauthorized access")
        return NO_CONTENT

    def _set_image(self, ctx: _Ctx) -> Any:
        self._require_admin(ctx)
        item_id = self._route_guid(ctx, 0, "itemId")
        item = self._lookup(item_id)
        if item is None:
            raise _problem(404)
        content_type = ctx.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not content_type.startswith("image/"):
            raise _string(400, "Incorrect ContentType.")
        try:
            image = base64.b64decode(ctx.body, validate=True)
        except (binascii.Error, ValueError):
            raise _text(500) from None  # FormatException in FromBase64Transform
        if isinstance(item, FakePlaylist):
            item.set_image(image, content_type)
        return NO_CONTENT

    # -- genres, filters, artists ---------------------------------------------------------------
    def _scope(self, ctx: _Ctx, user: FakeUser | None) -> tuple[Any, list[Any]]:
        """(parent, visible items below it) for the ByName-style listings."""
        parent = None
        parent_id = ctx.guid("parentId")
        if parent_id is not None:
            parent = self._lookup(parent_id)
            if parent is None or not self._can_see(user, parent):
                return parent, []
        items = [i for i in self._descendants(parent, user) if self._can_see(user, i)]
        if types := set(ctx.enums("includeItemTypes", BASE_ITEM_KINDS)):
            items = [i for i in items if item_type(i) in types]
        return parent, items

    def _genre_listing(self, ctx: _Ctx, *, music_only_parent: bool) -> Any:
        user = self._optional_user(ctx)
        parent, items = self._scope(ctx, user)
        if music_only_parent and not isinstance(parent, JellyfinLibrary):
            items = []  # /Genres lists music genres only under a music library
        with_counts = bool(ctx.enums("includeItemTypes", BASE_ITEM_KINDS))
        found: dict[str, tuple[MusicGenre, dict[str, int]]] = {}
        for item in items:
            seen = set()
            for name in self._genres_of(item, self):
                genre = self.index.genres.get(self.clean(name))
                if genre is None or genre.id in seen:
                    continue
                seen.add(genre.id)
                counts = found.setdefault(
                    genre.id, (genre, {"total": 0, TYPE_AUDIO: 0, TYPE_ALBUM: 0})
                )[1]
                counts["total"] += 1
                if item_type(item) in counts:
                    counts[item_type(item)] += 1
        genres = list(found.values())
        if (term := ctx.get("searchTerm")) is not None:
            clean_term = self.clean(term)
            genres = [g for g in genres if clean_term in self.clean(g[0].name)]
        descending = ctx.enums("sortOrder", ("Ascending", "Descending"))[:1] == [
            "Descending"
        ]
        genres.sort(key=lambda g: item_sort_name(g[0].name), reverse=descending)
        start = max(ctx.integer("startIndex") or 0, 0)
        limit = ctx.integer("limit")
        page = genres[start : start + limit if limit is not None else None]
        dtos = [
            self.genre_dto(genre, user, counts if with_counts else None)
            for genre, counts in page
        ]
        return self._page(dtos, len(genres), start)

    def _genres(self, ctx: _Ctx) -> Any:
        return self._genre_listing(ctx, music_only_parent=True)

    def _music_genres(self, ctx: _Ctx) -> Any:
        return self._genre_listing(ctx, music_only_parent=False)

    def _filter_values(self, ctx: _Ctx) -> tuple[list[str], list[str], list[int]]:
        user = self._optional_user(ctx)
        _parent, items = self._scope(ctx, user)
        genres: dict[str, str] = {}
        tags: dict[str, str] = {}
        years: set[int] = set()
        for item in items:
            for name in self._genres_of(item, self):
                genres.setdefault(name.lower(), name)
            if isinstance(item, JellyfinTrack):
                for tag in item.tags:
                    tags.setdefault(tag.lower(), tag)
            if (year := getattr(item, "year", None)) is not None:
                years.add(year)
        return (
            sorted(genres.values(), key=str.lower),
            sorted(tags.values(), key=str.lower),
            sorted(years),
        )

    def _filters(self, ctx: _Ctx) -> Any:
        genres, tags, years = self._filter_values(ctx)
        return {"Genres": genres, "Tags": tags, "OfficialRatings": [], "Years": years}

    def _filters2(self, ctx: _Ctx) -> Any:
        genres, _tags, _years = self._filter_values(ctx)
        return {"Genres": self._genre_items(genres), "Tags": []}

    def _artist_listing(self, ctx: _Ctx, *, album_artists_only: bool) -> Any:
        user = self._optional_user(ctx)
        fields = frozenset(ctx.enums("fields", ITEM_FIELDS))
        ctx.params = [(k, v) for k, v in ctx.params if k.lower() != "includeitemtypes"]
        _parent, items = self._scope(ctx, user)
        artists: dict[str, JellyfinArtist] = {}
        for item in items:
            if isinstance(item, JellyfinTrack):
                credited = (
                    item.album_artists
                    if album_artists_only
                    else (*item.artists, *item.album_artists)
                )
                for artist in credited:
                    artists.setdefault(artist.id, artist)
        found = list(artists.values())
        if (term := ctx.get("searchTerm")) is not None:
            clean_term = self.clean(term)
            found = [a for a in found if clean_term in self.clean(a.name)]
        found.sort(key=lambda a: item_sort_name(a.name))
        start = max(ctx.integer("startIndex") or 0, 0)
        limit = ctx.integer("limit")
        page = found[start : start + limit if limit is not None else None]
        return self._page(
            [self.artist_dto(a, user, fields) for a in page], len(found), start
        )

    def _artists(self, ctx: _Ctx) -> Any:
        return self._artist_listing(ctx, album_artists_only=False)

    def _album_artists(self, ctx: _Ctx) -> Any:
        return self._artist_listing(ctx, album_artists_only=True)

    # -- instant mix and similar items ----------------------------------------------------------
    def _visible_tracks(self, user: FakeUser | None) -> list[JellyfinTrack]:
        index = self.index
        if user is None or user.enable_all_folders:
            return list(index.tracks)
        return [t for t in index.tracks if self._can_see(user, t)]

    def _mix_reply(
        self, ctx: _Ctx, user: FakeUser | None, items: list[JellyfinTrack]
    ) -> Any:
        fields = frozenset(ctx.enums("fields", ITEM_FIELDS))
        enable_user_data = ctx.boolean("enableUserData") is not False
        limit = ctx.integer("limit")
        page = items[: limit if limit is not None and limit >= 0 else None]
        dtos = [
            self.track_dto(t, user, fields, enable_user_data=enable_user_data)
            for t in page
        ]
        return self._page(dtos, len(items), 0)

    def _genre_mix(
        self,
        user: FakeUser | None,
        genre_names: Iterable[str],
        seed: JellyfinTrack | None,
    ) -> list[JellyfinTrack]:
        """`MusicManager`: Audio sharing any genre (all when none), random, 200."""
        wanted = {self.clean(g) for g in genre_names}
        pool = [
            t
            for t in self._visible_tracks(user)
            if not wanted or any(self.clean(g) in wanted for g in t.genres)
        ]
        if seed is not None and self.version != "10.10":
            pool = [t for t in pool if t.id != seed.id]
        rng = self._random()
        mix = rng.sample(pool, min(RANDOM_MIX_LIMIT, len(pool)))
        return [seed, *mix] if seed is not None else mix

    def _instant_mix(self, ctx: _Ctx) -> Any:
        item_id = self._route_guid(ctx, 0, "itemId")
        user = self._optional_user(ctx, unknown=_problem(404))
        item = self._lookup(item_id)
        if item is None or not self._can_see(user, item):
            raise _problem(404)
        seed = item if isinstance(item, JellyfinTrack) else None
        if isinstance(item, JellyfinLibrary):
            genres: list[str] = [
                g for t in self.index.tracks
                if self.index.library_of[t.id] is item for g in t.genres
            ]  # fmt: skip
        elif isinstance(item, MusicGenre):
            genres = [item.name]
        else:
            genres = list(self._genres_of(item, self))
        return self._mix_reply(ctx, user, self._genre_mix(user, genres, seed))

    def _genre_instant_mix(self, ctx: _Ctx) -> Any:
        user = self._optional_user(ctx, unknown=_problem(404))
        genre = self.index.genres.get(self.clean(ctx.groups[0]))
        if genre is None:  # GetMusicGenre creates an empty genre: nothing shares it
            return self._page([], 0, 0)
        return self._mix_reply(ctx, user, self._genre_mix(user, [genre.name], None))

    def _similar(self, ctx: _Ctx) -> Any:
        item_id = self._route_guid(ctx, 0, "itemId")
        user = self._optional_user(ctx, unknown=_problem(404))
        item = self._lookup(item_id)
        if item is None or not self._can_see(user, item):
            raise _problem(404)
        kind = item_type(item)
        excluded_artists = set(ctx.guids("excludeArtistIds"))
        genres = {self.clean(g) for g in self._genres_of(item, self)}
        tags = {self.clean(t) for t in getattr(item, "tags", ())}
        pool = [
            i
            for i in self._all_items(user)
            if item_type(i) == kind
            and i.id != item.id
            and not (self._artist_ids_of(i, track=True, album=True) & excluded_artists)
        ]
        rng = self._random()

        def shared(other: Any) -> tuple[int, int]:
            other_genres = {self.clean(g) for g in self._genres_of(other, self)}
            other_tags = {self.clean(t) for t in getattr(other, "tags", ())}
            return len(genres & other_genres), len(tags & other_tags)

        if self.version == "10.10":
            scored = [(sum(shared(i)), rng.random(), i) for i in pool]
            found = [
                i
                for score, _r, i in sorted(scored, key=lambda s: (-s[0], s[1]))
                if score
            ]
        else:
            found = [
                i
                for i in pool
                if (not genres or shared(i)[0]) and (not tags or shared(i)[1])
            ]
            rng.shuffle(found)
        limit = ctx.integer("limit")
        if limit is None and self.version == "12.0":
            limit = SIMILAR_LIMIT_12
        found = found[: limit if limit is not None and limit >= 0 else None]
        fields = frozenset(ctx.enums("fields", ITEM_FIELDS))
        dtos = [self.item_dto(i, user, fields) for i in found]
        return self._page(dtos, len(found), 0)

    # -- playlists ------------------------------------------------------------------------------
    def _new_entry(self, item_id: str) -> PlaylistEntry:
        """A linked child; its `PlaylistItemId` is the item id unless switched."""
        return PlaylistEntry(item_id, new_id() if self.distinct_entry_ids else item_id)

    def _visible_entries(
        self, playlist: FakePlaylist, user: FakeUser | None
    ) -> list[tuple[PlaylistEntry, Any]]:
        """Entries whose item exists and the user may see, in order."""
        result = []
        for entry in playlist.entries:
            item = self._lookup(entry.item_id)
            if item is not None and self._can_see(user, item):
                result.append((entry, item))
        return result

    def _expand(self, item_ids: Iterable[str], user: FakeUser) -> list[str]:
        """`Playlist.GetPlaylistItems`: the tracks an id stands for.

        Tracks as they are; albums, artists, genres and libraries expanded into their
        tracks; unknown and invisible ids dropped.
        """
        index = self.index
        result: list[str] = []
        for item_id in item_ids:
            item = self._lookup(item_id)
            if item is None or not self._can_see(user, item):
                continue
            if isinstance(item, JellyfinTrack):
                result.append(item.id)
            elif isinstance(item, JellyfinAlbum):
                tracks = sorted(
                    index.album_tracks.get(item.id, []), key=lambda t: t.sort_name
                )
                result += [t.id for t in tracks if self._can_see(user, t)]
            elif isinstance(item, JellyfinArtist | MusicGenre | JellyfinLibrary):
                for track in index.tracks:
                    if not self._can_see(user, track):
                        continue
                    if (
                        (isinstance(item, JellyfinArtist)
                         and item in (*track.artists, *track.album_artists))
                        or (isinstance(item, MusicGenre)
                            and any(self.clean(g) == self.clean(item.name) for g in track.genres))
                        or (isinstance(item, JellyfinLibrary)
                            and index.library_of[track.id] is item)
                    ):  # fmt: skip
                        result.append(track.id)
        return result

    def _add_items(
        self,
        playlist: FakePlaylist,
        item_ids: Iterable[str],
        user: FakeUser,
        position: int | None = None,
    ) -> None:
        """`AddToPlaylistInternal`.

        Up to 10.11 existing items and repeats are skipped; 12.0 keeps duplicates and
        honours `position` (<=0 front, >=count end).
        """
        new = self._expand(item_ids, user)
        if self.version != "12.0":
            present = set(playlist.item_ids)
            kept = []
            for item_id in new:
                if item_id not in present:
                    present.add(item_id)
                    kept.append(item_id)
            new = kept
        entries = [self._new_entry(item_id) for item_id in new]
        if position is None or position >= len(playlist.entries):
            playlist.entries += entries
        else:
            at = max(position, 0)
            playlist.entries[at:at] = entries

    def _caller(self, ctx: _Ctx) -> FakeUser:
        """The token's user; an API key has none (`GetUserById(Guid.Empty)` -> 400)."""
        if ctx.auth.user is None:
            raise _text(400)
        return ctx.auth.user

    def _visible_playlist(self, playlist_id: str, user: FakeUser) -> FakePlaylist:
        playlist = self.playlists.get(playlist_id)
        if playlist is None or not playlist.is_visible(user):
            raise _string(404, PLAYLIST_NOT_FOUND)
        return playlist

    def _editable_playlist(self, playlist_id: str, user: FakeUser) -> FakePlaylist:
        playlist = self._visible_playlist(playlist_id, user)
        if not playlist.can_edit(user):
            raise _empty(403)  # Forbid()
        return playlist

    def _check_user_id(self, ctx: _Ctx, requested: str | None) -> str:
        """`GetUserId` for an id from the body or the query."""
        caller = ctx.auth.user.id if ctx.auth.user is not None else EMPTY_GUID
        if requested is None or requested == EMPTY_GUID:
            return caller
        if requested != caller and not ctx.auth.is_admin:
            raise _text(403)
        return requested

    def _infer_media_type(self, item_ids: Sequence[str]) -> str:
        """The first id whose item has a media type decides; unknown id -> 400."""
        for item_id in item_ids:
            item = self._lookup(item_id)
            if item is None:
                raise _text(
                    400
                )  # ArgumentException("No item exists with the supplied Id")
            if isinstance(item, FakePlaylist):
                return item.media_type
            if isinstance(
                item,
                JellyfinTrack
                | JellyfinAlbum
                | JellyfinArtist
                | MusicGenre
                | JellyfinLibrary,
            ):
                return "Audio"
        return "Audio"

    def _create_playlist(self, ctx: _Ctx) -> Any:
        data = ctx.json_body(
            "Jellyfin.Api.Models.PlaylistDtos.CreatePlaylistDto",
            required=("Name",),
            allow_empty=True,
        )
        body = data or {}
        body_name = _body_str(body, "Name") if data is not None else None
        body_ids = _body_guid_list(body, "Ids") if data is not None else None
        body_user = _body_guid(body, "UserId") if data is not None else None
        body_media = _body_str(body, "MediaType") if data is not None else None
        shares = (_body_shares(body, "Users") if data is not None else None) or []
        is_public = _body_bool(body, "IsPublic") if data is not None else None
        if data is not None and is_public is None:
            is_public = True  # CreatePlaylistDto.IsPublic defaults to true
        media_types = ("Unknown", "Video", "Audio", "Photo", "Book")
        query_media = ctx.get("mediaType")
        for value, key in ((query_media, "mediaType"), (body_media, "$.MediaType")):
            if value is not None and value.lower() not in {
                m.lower() for m in media_types
            }:
                if key == "mediaType":
                    raise _invalid(key, value)
                raise _convert_error(
                    "MediaType", "System.Nullable`1[Jellyfin.Data.Enums.MediaType]"
                )
        ids = ctx.guids("ids") or body_ids or []
        user_id = self._check_user_id(ctx, ctx.guid("userId") or body_user)
        if user_id == EMPTY_GUID:
            raise _text(400)
        user = self.users.get(user_id)
        if user is None:
            raise _text(404)
        name = ctx.get("name") or body_name
        if name is None:
            raise _text(400)
        media = query_media or body_media
        media = (
            next(m for m in media_types if m.lower() == media.lower())
            if media
            else None
        )
        if media in (None, "Unknown"):
            media = self._infer_media_type(ids)
        playlist = FakePlaylist(
            id=new_id(),
            name=name,
            owner_id=user.id,
            open_access=bool(is_public),
            shares=shares,
            media_type=media,
            date_created=self.clock(),
        )
        self.playlists[playlist.id] = playlist
        self._add_items(playlist, ids, user)
        return {"Id": playlist.id}

    def _get_playlist(self, ctx: _Ctx) -> Any:
        playlist_id = self._route_guid(ctx, 0, "playlistId")
        playlist = self._visible_playlist(playlist_id, self._caller(ctx))
        return {
            "OpenAccess": playlist.open_access,
            "Shares": [
                {"UserId": s.user_id, "CanEdit": s.can_edit} for s in playlist.shares
            ],
            "ItemIds": [
                e.item_id
                for e in playlist.entries
                if self._lookup(e.item_id) is not None
            ],
        }

    def _update_playlist(self, ctx: _Ctx) -> Any:
        playlist_id = self._route_guid(ctx, 0, "playlistId")
        data = ctx.json_body("Jellyfin.Api.Models.PlaylistDtos.UpdatePlaylistDto")
        assert data is not None
        name = _body_str(data, "Name")
        ids = _body_guid_list(data, "Ids")
        shares = _body_shares(data, "Users")
        is_public = _body_bool(data, "IsPublic")
        user = self._caller(ctx)
        playlist = self._editable_playlist(playlist_id, user)
        if name is not None:
            playlist.name = name
        if ids is not None:  # a full replace through the normal add path
            playlist.entries = []
            self._add_items(playlist, ids, user)
        if shares is not None:
            playlist.shares = shares
        if is_public is not None:
            playlist.open_access = is_public
        return NO_CONTENT

    def _playlist_items(self, ctx: _Ctx) -> Any:
        playlist_id = self._route_guid(ctx, 0, "playlistId")
        user_id = ctx.guid("userId") or (
            ctx.auth.user.id if ctx.auth.user is not None else None
        )  # no admin check here
        if user_id is None or user_id == EMPTY_GUID:
            raise _text(400)
        user = self.users.get(user_id)
        if user is None:
            raise _string(404, PLAYLIST_NOT_FOUND)
        playlist = self._visible_playlist(playlist_id, user)
        fields = frozenset(ctx.enums("fields", ITEM_FIELDS))
        enable_user_data = ctx.boolean("enableUserData") is not False
        entries = self._visible_entries(playlist, user)
        start = max(ctx.integer("startIndex") or 0, 0)
        limit = ctx.integer("limit")
        page = entries[
            start : start + limit if limit is not None and limit >= 0 else None
        ]
        dtos = []
        for entry, item in page:
            if isinstance(item, JellyfinTrack):
                dtos.append(
                    self.track_dto(
                        item,
                        user,
                        fields,
                        enable_user_data=enable_user_data,
                        playlist_item_id=entry.entry_id,
                    )
                )
            else:
                dto = self.item_dto(
                    item, user, fields, enable_user_data=enable_user_data
                )
                dtos.append({"PlaylistItemId": entry.entry_id} | dto)
        return self._page(dtos, len(entries), start)

    def _add_to_playlist(self, ctx: _Ctx) -> Any:
        playlist_id = self._route_guid(ctx, 0, "playlistId")
        user = self._required_user(ctx, unknown=_string(404, PLAYLIST_NOT_FOUND))
        playlist = self._editable_playlist(playlist_id, user)
        position = ctx.integer("position") if self.version == "12.0" else None
        self._add_items(playlist, ctx.guids("ids"), user, position)
        return NO_CONTENT

    def _remove_from_playlist(self, ctx: _Ctx) -> Any:
        playlist_id = parse_guid(ctx.groups[0])  # a string route value, parsed in code
        entry_ids = set(ctx.delimited("entryIds", ","))
        if ctx.auth.is_api_key:
            if not self.api_key_playlist_delete:
                raise _text(400)
            if playlist_id is None:
                raise _text(500)  # FormatException
            playlist = self.playlists.get(playlist_id)
            if playlist is None:
                raise _problem(404)
        else:
            if playlist_id is None:
                raise _text(500)
            playlist = self._editable_playlist(playlist_id, self._caller(ctx))
        playlist.entries = [e for e in playlist.entries if e.entry_id not in entry_ids]
        return NO_CONTENT

    def _move_playlist_item(self, ctx: _Ctx) -> Any:
        raw_playlist, raw_entry, raw_index = ctx.groups
        try:
            new_index = int(raw_index)
        except ValueError:
            raise _invalid("newIndex", raw_index) from None
        playlist_id = parse_guid(raw_playlist)
        if playlist_id is None:
            raise _text(500)  # FormatException
        user = self._caller(ctx)
        playlist = self._editable_playlist(playlist_id, user)
        visible = [entry for entry, _item in self._visible_entries(playlist, user)]
        if not 0 <= new_index <= len(visible):
            if self.move_past_end_fails:
                raise _text(500)
            new_index = min(max(new_index, 0), len(visible))
        wanted = raw_entry.lower()
        moving = next((e for e in visible if e.entry_id == wanted), None)
        if moving is None:
            return NO_CONTENT  # not found: a silent no-op
        slots = [n for n, e in enumerate(playlist.entries) if e in visible]
        reordered = [e for e in visible if e is not moving]
        reordered.insert(min(new_index, len(reordered)), moving)
        for slot, entry in zip(slots, reordered, strict=True):
            playlist.entries[slot] = entry
        return NO_CONTENT

    def _playlist_users(self, ctx: _Ctx) -> Any:
        playlist_id = self._route_guid(ctx, 0, "playlistId")
        user = self._caller(ctx)
        playlist = self._visible_playlist(playlist_id, user)
        if playlist.owner_id != user.id:
            raise _empty(403)
        return [{"UserId": s.user_id, "CanEdit": s.can_edit} for s in playlist.shares]

    def _playlist_user(self, ctx: _Ctx) -> Any:
        playlist_id = self._route_guid(ctx, 0, "playlistId")
        user_id = self._route_guid(ctx, 1, "userId")
        caller = self._caller(ctx)
        playlist = self._visible_playlist(playlist_id, caller)
        if playlist.owner_id == user_id:
            return {"UserId": user_id, "CanEdit": True}
        if not (playlist.can_edit(caller) or user_id == caller.id):
            raise _empty(403)
        share = next((s for s in playlist.shares if s.user_id == user_id), None)
        if share is None:
            raise _string(404, "User permissions not found")
        return {"UserId": share.user_id, "CanEdit": share.can_edit}

    def _share_playlist(self, ctx: _Ctx) -> Any:
        playlist_id = self._route_guid(ctx, 0, "playlistId")
        user_id = self._route_guid(ctx, 1, "userId")
        data = ctx.json_body("Jellyfin.Api.Models.PlaylistDtos.UpdatePlaylistUserDto")
        assert data is not None
        can_edit = bool(_body_bool(data, "CanEdit"))
        playlist = self._editable_playlist(playlist_id, self._caller(ctx))
        playlist.shares = [s for s in playlist.shares if s.user_id != user_id]
        playlist.shares.append(PlaylistShare(user_id, can_edit))
        return NO_CONTENT

    def _unshare_playlist(self, ctx: _Ctx) -> Any:
        playlist_id = self._route_guid(ctx, 0, "playlistId")
        user_id = self._route_guid(ctx, 1, "userId")
        playlist = self._editable_playlist(playlist_id, self._caller(ctx))
        if not any(s.user_id == user_id for s in playlist.shares):
            raise _string(404, "User permissions not found")
        playlist.shares = [s for s in playlist.shares if s.user_id != user_id]
        return NO_CONTENT

    # -- ratings, favourites, play state --------------------------------------------------------
    def _user_item(self, ctx: _Ctx) -> tuple[FakeUser, Any]:
        """(user, item) for the `/UserItems/...` family; unknown ones -> 404."""
        item_id = self._route_guid(ctx, 0, "itemId")
        user = self._required_user(ctx, unknown=_problem(404))
        item = self._lookup(item_id)
        if item is None or not self._can_see(user, item):
            raise _problem(404)
        return user, item

    @staticmethod
    def _row(user: FakeUser, item: Any) -> UserItemData:
        return user.user_data.setdefault(item.id, UserItemData())

    def _rate(self, ctx: _Ctx) -> Any:
        user, item = self._user_item(ctx)
        likes = ctx.boolean("likes")
        row = self._row(user, item)
        row.rating = None if likes is None else 10.0 if likes else 1.0
        return self.user_data_dto(user, item)

    def _clear_rating(self, ctx: _Ctx) -> Any:
        user, item = self._user_item(ctx)
        self._row(user, item).rating = None
        return self.user_data_dto(user, item)

    def _favorite(self, ctx: _Ctx) -> Any:
        user, item = self._user_item(ctx)
        self._row(user, item).is_favorite = True
        return self.user_data_dto(user, item)

    def _unfavorite(self, ctx: _Ctx) -> Any:
        user, item = self._user_item(ctx)
        self._row(user, item).is_favorite = False
        return self.user_data_dto(user, item)

    def _get_user_data(self, ctx: _Ctx) -> Any:
        user, item = self._user_item(ctx)
        return self.user_data_dto(user, item)

    def _update_user_data(self, ctx: _Ctx) -> Any:
        data = ctx.json_body("MediaBrowser.Model.Dto.UpdateUserItemDataDto")
        assert data is not None
        rating = _body_number(data, "Rating")
        likes = _body_bool(data, "Likes")
        play_count = _body_number(data, "PlayCount")
        is_favorite = _body_bool(data, "IsFavorite")
        played = _body_bool(data, "Played")
        position = _body_number(data, "PlaybackPositionTicks")
        last_played_text = _body_str(data, "LastPlayedDate")
        last_played = None
        if last_played_text is not None:
            last_played = parse_date(last_played_text)
            if last_played is None:
                raise _convert_error(
                    "LastPlayedDate", "System.Nullable`1[System.DateTime]"
                )
        user, item = self._user_item(ctx)
        if rating is not None and not 0 <= rating <= 10:
            raise _text(400)  # ArgumentOutOfRangeException from the Rating setter
        row = self._row(user, item)
        if rating is not None:
            row.rating = rating
        elif likes is not None:
            row.rating = 10.0 if likes else 1.0
        if play_count is not None:
            row.play_count = int(play_count)
        if is_favorite is not None:
            row.is_favorite = is_favorite
        if played is not None:
            row.played = played
        if position is not None:
            row.playback_position_ticks = int(position)
        if last_played is not None:
            row.last_played = last_played
        return self.user_data_dto(user, item)

    def _mark_played(self, ctx: _Ctx) -> Any:
        user, item = self._user_item(ctx)
        date_text = ctx.get("datePlayed")
        date_played = None
        if date_text is not None:
            date_played = parse_date(date_text)
            if date_played is None:
                raise _invalid("datePlayed", date_text)
        row = self._row(user, item)
        if date_played is not None:
            row.play_count += 1
            row.last_played = date_played
        else:
            row.play_count = max(row.play_count, 1)
            if row.last_played is None:
                row.last_played = self.clock()
        row.played = True
        row.playback_position_ticks = 0
        return self.user_data_dto(user, item)

    def _mark_unplayed(self, ctx: _Ctx) -> Any:
        user, item = self._user_item(ctx)
        row = self._row(user, item)
        row.played = False
        row.play_count = 0
        row.playback_position_ticks = 0
        row.last_played = None
        return self.user_data_dto(user, item)


# ---------------------------------------------------------------------------------------
# Seeding and CLI.
# ---------------------------------------------------------------------------------------
ALICE_PASSWORD = "alice-password"
BOB_PASSWORD = "bob-password"


def seeded_server(
    track_count: int = 300,
    *,
    seed: int = 1,
    now: float | None = None,
    mood_prefix: str = MOOD_TAG_PREFIX,
    **options: Any,
) -> FakeJellyfinServer:
    """A server with one generated music library and two users.

    "alice" (password `ALICE_PASSWORD`) has the library's play data (ratings,
    favourites = rated 10, plays); "bob" (`BOB_PASSWORD`) has different seeded data.
    Moods are tags `<mood_prefix><mood>`. `options` go to `FakeJellyfinServer`.
    """
    library = generate_jellyfin_library(
        track_count, seed=seed, now=now, mood_prefix=mood_prefix
    )
    server = FakeJellyfinServer(libraries=[library], **options)
    server.add_user("alice", ALICE_PASSWORD, user_data=library.user_data)
    server.add_user(
        "bob",
        BOB_PASSWORD,
        user_data=random_user_data(library, seed=seed + 1, now=now),
    )
    return server


async def _serve(args: argparse.Namespace) -> None:
    server = seeded_server(
        args.tracks, seed=args.seed, version=args.version, base_url=args.base_url
    )
    server.latency = args.latency_ms / 1000
    admin = server.add_user("admin", args.admin_password, is_admin=True)
    api_key = server.create_api_key("Harmoniq CLI")
    await server.start(port=args.port)
    print(f"url: {server.url}")  # noqa: T201
    print(f"version: {server.version_string}")  # noqa: T201
    print(f"server id: {server.server_id}")  # noqa: T201
    users = f"alice/{ALICE_PASSWORD}, bob/{BOB_PASSWORD}, admin/{args.admin_password}"
    print(f"users: {users}")  # noqa: T201
    print(f"admin token: {server.issue_token(admin, device_id='cli')}")  # noqa: T201
    print(f"api key: {api_key}")  # noqa: T201
    print(f"music library: {server.libraries[0].id}")  # noqa: T201
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the fake server on 127.0.0.1 until Ctrl-C."""
    parser = argparse.ArgumentParser(
        description="Fake Jellyfin server (music) on 127.0.0.1"
    )
    parser.add_argument("--tracks", type=int, default=3000)
    parser.add_argument("--port", type=int, default=8096)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--version", choices=sorted(VERSIONS), default="12.0")
    parser.add_argument("--base-url", default="")
    parser.add_argument("--admin-password", default="admin-password")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
