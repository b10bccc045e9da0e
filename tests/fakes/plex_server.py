"""A fake Plex Media Server (music subset) served over real HTTP on 127.0.0.1.

It speaks the XML API the way plexapi uses it (see the Plex API reference): token
check, identity, library sections with a generated filter description ("Meta"), tag
choice lists, filtered/sorted/paged track searches, item details, sonic `/nearest` and
`computePath`, playlists and ratings. Tests can record requests, add latency and
inject faults. Run it by hand with `python -m tests.fakes.plex_server --tracks 3000`.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Iterable, Sequence
import contextlib
from dataclasses import dataclass, field
import datetime
import heapq
from html import escape
from http import HTTPStatus
import math
import operator
import random
import re
import time
from typing import Any
import unicodedata
from urllib.parse import unquote_plus
import uuid

from aiohttp import web

from . import common
from .common import FakeHttpServer, Fault, drop_connection, trickle
from .plex_library import (
    FakeAlbum,
    FakeArtist,
    FakeLibrary,
    FakeTrack,
    generate_library,
)

ARTIST, ALBUM, TRACK = 0, 1, 2
LEVEL_NAMES = ("artist", "album", "track")
TYPE_CODES = {8: ARTIST, 9: ALBUM, 10: TRACK}
LEVEL_TYPE_CODES = (8, 9, 10)
PLAYLIST_KEY_BASE = 10_000_000  # playlist ratingKeys never collide with library keys
SERVER_VERSION = "1.41.3.9314-a0bfb8370"
LIBRARY_ID = "com.plexapp.plugins.library"
XML_HEADERS = {"Content-Type": "text/xml;charset=utf-8", "X-Plex-Protocol": "1.0"}
HTML_HEADERS = {"Content-Type": "text/html", "X-Plex-Protocol": "1.0"}
UNAUTHORIZED_ROOT = (
    "<html><head><script>window.location = window.location.href.match(/(^.+\\/)[^\\/]*$/)[1]"
    " + 'web/index.html';</script><title>Unauthorized</title></head><body>"
    "<h1>401 Unauthorized</h1></body></html>"
)
MALFORMED_XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="1"><Track ratingKey="1" title="Bro'
# Query parameters that are not filters.
PLAIN_PARAMS = frozenset({
    "type", "sort", "limit", "includeGuids", "includeMeta", "includeAdvanced",
    "includeCollections", "includeExternalMedia", "includeDetails", "includeBandwidths",
    "includeChapters", "includeFields", "includeGeolocation", "includeLoudnessRamps",
    "includeMarkers", "checkFiles", "group", "having", "excludeAllLeaves",
    "asyncAugmentMetadata", "includeStations", "includeConcerts", "includeExtras",
    "includeOnDeck", "includePopularLeaves", "includePreferences", "includeReviews",
    "includeRelated",
})  # fmt: skip
_FILTER_RE = re.compile(
    r"^([A-Za-z][A-Za-z.]*?)(!==|==|!=|>>=|<<=|<=|>=|=)(.*)$", re.DOTALL
)
_RELATIVE_RE = re.compile(r"^-(\d+)(mon|[smhdwy])?$")
_UNIT_SECONDS = {
    "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "mon": 2_592_000, "y": 31_536_000,
}  # fmt: skip
_OPERATORS_BY_TYPE = {
    "tag": ("=", "!="),
    "integer": ("=", "!=", ">>=", "<<=", "<=", ">="),
    "string": ("=", "!=", "==", "!==", "<=", ">="),
    "boolean": ("=", "!="),
    "date": ("=", "!=", ">>=", "<<=", "<=", ">="),
}

# ---------------------------------------------------------------------------------------
# The section filter description ("Meta"), as a table.
# ---------------------------------------------------------------------------------------
# (filter, filterType, title) per type; the choice list lives at {section}/{filter}?type=N.
META_FILTERS: dict[int, tuple[tuple[str, str, str], ...]] = {
    ARTIST: (
        ("genre", "string", "Genre"), ("mood", "string", "Mood"), ("style", "string", "Style"),
        ("country", "string", "Country"), ("collection", "string", "Collection"),
        ("unmatched", "boolean", "Unmatched"),
    ),
    ALBUM: (
        ("genre", "string", "Genre"), ("mood", "string", "Mood"), ("style", "string", "Style"),
        ("year", "integer", "Year"), ("decade", "integer", "Decade"),
        ("studio", "string", "Record Label"), ("format", "string", "Format"),
        ("subformat", "string", "Type"), ("collection", "string", "Collection"),
        ("label", "string", "Labels"), ("source", "string", "Source"),
        ("unmatched", "boolean", "Unmatched"),
    ),
    TRACK: (
        ("mood", "string", "Mood"), ("userRating", "string", "Rating"),
        ("source", "string", "Source"),
    ),
}  # fmt: skip
_ALBUM_ARTIST_ALBUMS = (
    "artist.titleSort,album.titleSort,album.index,album.id,album.originallyAvailableAt"
)
_ALBUM_ARTIST_TRACKS = "artist.titleSort,album.titleSort,album.year,track.absoluteIndex,track.index,track.titleSort,track.id"
# (key, title, defaultDirection); the first entry per type is the active/default one.
META_SORTS: dict[int, tuple[tuple[str, str, str], ...]] = {
    ARTIST: (
        ("titleSort", "Title", "asc"), ("userRating", "Rating", "desc"),
        ("addedAt", "Date Added", "desc"), ("lastViewedAt", "Date Played", "desc"),
        ("viewCount", "Plays", "desc"), ("random", "Randomly", "desc"),
    ),
    ALBUM: (
        ("titleSort", "Title", "asc"), (_ALBUM_ARTIST_ALBUMS, "Album Artist", "asc"),
        ("year", "Year", "desc"), ("originallyAvailableAt", "Release Date", "desc"),
        ("rating", "Critic Rating", "desc"), ("userRating", "Rating", "desc"),
        ("addedAt", "Date Added", "desc"), ("lastViewedAt", "Date Played", "desc"),
        ("viewCount", "Plays", "desc"), ("random", "Randomly", "desc"),
    ),
    TRACK: (
        ("titleSort", "Title", "asc"), (_ALBUM_ARTIST_TRACKS, "Album Artist", "asc"),
        ("originalTitle", "Artist", "desc"), ("album.titleSort", "Album", "asc"),
        ("userRating", "Rating", "desc"), ("duration", "Duration", "desc"),
        ("viewCount", "Plays", "desc"), ("addedAt", "Date Added", "desc"),
        ("lastViewedAt", "Date Played", "desc"), ("lastRatedAt", "Date Rated", "desc"),
        ("random", "Randomly", "desc"), ("ratingCount", "Popularity", "desc"),
        ("mediaBitrate", "Bitrate", "desc"),
    ),
}  # fmt: skip
# (field key, title, type, subType) per type.
META_FIELDS: dict[int, tuple[tuple[str, str, str, str | None], ...]] = {
    ARTIST: (
        ("artist.title", "Artist Title", "string", None),
        ("artist.userRating", "Artist Rating", "integer", "rating"),
        ("artist.genre", "Artist Genre", "tag", None),
        ("artist.collection", "Artist Collection", "tag", None),
        ("artist.country", "Artist Country", "tag", None),
        ("artist.mood", "Artist Mood", "tag", None),
        ("artist.style", "Artist Style", "tag", None),
        ("artist.addedAt", "Date Artist Added", "date", None),
        ("artist.lastViewedAt", "Artist Last Played", "date", None),
        ("artist.unmatched", "Unmatched", "boolean", None),
    ),
    ALBUM: (
        ("album.title", "Album Title", "string", None),
        ("album.year", "Year", "integer", "year"),
        ("album.decade", "Album Decade", "integer", "decade"),
        ("album.genre", "Album Genre", "tag", None),
        ("album.viewCount", "Album Plays", "integer", None),
        ("album.lastViewedAt", "Album Last Played", "date", None),
        ("album.userRating", "Album Rating", "integer", "rating"),
        ("album.rating", "Album Critic Rating", "integer", "rating"),
        (
            "album.decade",
            "Album Decade",
            "integer",
            "decade",
        ),  # listed twice by real PMS
        ("album.studio", "Record Label", "string", None),
        ("album.mood", "Album Mood", "tag", None),
        ("album.style", "Album Style", "tag", None),
        ("album.format", "Album Format", "tag", None),
        ("album.subformat", "Album Type", "tag", None),
        ("album.collection", "Album Collection", "tag", None),
        ("album.addedAt", "Date Album Added", "date", None),
        ("album.originallyAvailableAt", "Date Album Released", "date", None),
        ("album.unmatched", "Unmatched", "boolean", None),
        ("album.source", "Album Source", "tag", None),
        ("album.label", "Label", "tag", None),
    ),
    TRACK: (
        ("track.mood", "Track Mood", "tag", None),
        ("track.title", "Track Title", "string", None),
        ("track.viewCount", "Track Plays", "integer", None),
        ("track.lastViewedAt", "Track Last Played", "date", None),
        ("track.skipCount", "Track Skips", "integer", None),
        ("track.lastSkippedAt", "Track Last Skipped", "date", None),
        ("track.userRating", "Track Rating", "integer", "rating"),
        ("track.lastRatedAt", "Track Last Rated", "date", None),
        ("track.addedAt", "Track Added At", "date", None),
        ("track.mediaSize", "File Size", "integer", "fileSize"),
        ("track.mediaBitrate", "Bitrate", "integer", "bitrate"),
        ("track.trash", "Trash", "boolean", None),
        ("track.source", "Track Source", "tag", None),
    ),
}
META_OPERATORS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("tag", (("=", "is"), ("!=", "is not"))),
    ("integer", (("=", "is"), ("!=", "is not"), (">>=", "is greater than"), ("<<=", "is less than"))),
    ("string", (
        ("=", "contains"), ("!=", "does not contain"), ("==", "is"), ("!==", "is not"),
        ("<=", "begins with"), (">=", "ends with"),
    )),
    ("boolean", (("=", "is true"), ("!=", "is false"))),
    ("date", (("<<=", "is before"), (">>=", "is after"))),
    ("subtitleLanguage", (("=", "is"), ("!=", "is not"))),
    ("audioLanguage", (("=", "is"), ("!=", "is not"))),
    ("resolution", (("=", "is"),)),
)  # fmt: skip

# ---------------------------------------------------------------------------------------
# Attribute values per level: (type, getter(library, item)), for filters and sorts.
# ---------------------------------------------------------------------------------------
Getter = Callable[[FakeLibrary, Any], Any]


def _none(_lib: FakeLibrary, _item: Any) -> None:
    return None


def _empty(_lib: FakeLibrary, _item: Any) -> tuple[str, ...]:
    return ()


def _false(_lib: FakeLibrary, _item: Any) -> bool:
    return False


def _title_sort(title: str) -> str:
    lowered = title.lower()
    for article in ("the ", "a ", "an "):
        if lowered.startswith(article):
            return lowered[len(article) :]
    return lowered


def _bitrate(track: FakeTrack) -> int:
    return (320, 920, 1411)[track.rating_key % 3]


def _album_tracks(lib: FakeLibrary, album: FakeAlbum) -> list[FakeTrack]:
    return lib.tracks_of[album.rating_key]


def _artist_tracks(lib: FakeLibrary, artist: FakeArtist) -> list[FakeTrack]:
    return [
        t for a in lib.albums_of[artist.rating_key] for t in lib.tracks_of[a.rating_key]
    ]


def _last_viewed(tracks: Iterable[FakeTrack]) -> int | None:
    return max((t.last_viewed_at for t in tracks if t.last_viewed_at), default=None)


def _year_epoch(year: int) -> int:
    return int(datetime.datetime(year, 1, 1, tzinfo=datetime.UTC).timestamp())


def _guid(kind: str, rating_key: int) -> str:
    return f"plex://{kind}/{rating_key:024x}"


ATTRIBUTES: dict[int, dict[str, tuple[str, Getter]]] = {
    ARTIST: {
        "title": ("string", lambda _l, a: a.title),
        "titleSort": ("string", lambda _l, a: _title_sort(a.title)),
        "userRating": ("integer", _none),
        "genre": ("tag", lambda _l, a: a.genres),
        "collection": ("tag", _empty),
        "country": ("tag", lambda _l, a: a.country),
        "mood": ("tag", lambda _l, a: a.moods),
        "style": ("tag", lambda _l, a: a.styles),
        "addedAt": ("date", lambda _l, a: a.added_at),
        "lastViewedAt": ("date", lambda lib, a: _last_viewed(_artist_tracks(lib, a))),
        "viewCount": (
            "integer",
            lambda lib, a: sum(t.view_count for t in _artist_tracks(lib, a)),
        ),
        "unmatched": ("boolean", _false),
        "id": ("integer", lambda _l, a: a.rating_key),
        "guid": ("string", lambda _l, a: _guid("artist", a.rating_key)),
    },
    ALBUM: {
        "title": ("string", lambda _l, a: a.title),
        "titleSort": ("string", lambda _l, a: _title_sort(a.title)),
        "year": ("integer", lambda _l, a: a.year),
        "decade": ("integer", lambda _l, a: a.year // 10 * 10),
        "genre": ("tag", lambda _l, a: a.genres),
        "viewCount": (
            "integer",
            lambda lib, a: sum(t.view_count for t in _album_tracks(lib, a)),
        ),
        "lastViewedAt": ("date", lambda lib, a: _last_viewed(_album_tracks(lib, a))),
        "userRating": ("integer", _none),
        "rating": ("integer", _none),
        "studio": ("string", _none),
        "mood": ("tag", lambda _l, a: a.moods),
        "style": ("tag", lambda _l, a: a.styles),
        "format": ("tag", _empty),
        "subformat": ("tag", _empty),
        "collection": ("tag", _empty),
        "addedAt": ("date", lambda _l, a: a.added_at),
        "originallyAvailableAt": ("date", lambda _l, a: _year_epoch(a.year)),
        "unmatched": ("boolean", _false),
        "source": ("tag", _empty),
        "label": ("tag", _empty),
        "index": ("integer", lambda _l, _a: 1),
        "id": ("integer", lambda _l, a: a.rating_key),
        "guid": ("string", lambda _l, a: _guid("album", a.rating_key)),
    },
    TRACK: {
        "mood": ("tag", lambda _l, t: t.moods),
        "title": ("string", lambda _l, t: t.title),
        "titleSort": ("string", lambda _l, t: _title_sort(t.title)),
        "originalTitle": ("string", lambda _l, t: t.original_title),
        "viewCount": ("integer", lambda _l, t: t.view_count),
        "lastViewedAt": ("date", lambda _l, t: t.last_viewed_at),
        "skipCount": ("integer", lambda _l, t: t.skip_count),
        "lastSkippedAt": ("date", _none),
        "userRating": ("integer", lambda _l, t: t.user_rating),
        "lastRatedAt": ("date", lambda _l, t: t.last_rated_at),
        "addedAt": ("date", lambda _l, t: t.added_at),
        "updatedAt": ("date", lambda _l, t: t.added_at),
        "mediaSize": ("integer", lambda _l, t: t.duration_ms * _bitrate(t) // 8),
        "mediaBitrate": ("integer", lambda _l, t: _bitrate(t)),
        "trash": ("boolean", _false),
        "source": ("tag", _empty),
        "label": ("tag", _empty),
        "guid": ("string", lambda _l, t: _guid("track", t.rating_key)),
        "id": ("integer", lambda _l, t: t.rating_key),
        "index": ("integer", lambda _l, t: t.index),
        "absoluteIndex": ("integer", lambda _l, t: t.disc * 1000 + t.index),
        "duration": ("integer", lambda _l, t: t.duration_ms),
        "viewOffset": ("integer", lambda _l, _t: 0),
        "ratingCount": ("integer", lambda _l, t: t.rating_count),
    },
}
DEFAULT_SORT = {
    ARTIST: "artist.titleSort",
    ALBUM: _ALBUM_ARTIST_ALBUMS,
    TRACK: _ALBUM_ARTIST_TRACKS,
}


class FakePlexError(Exception):
    """Answer the current request with an HTTP error status."""

    def __init__(self, status: int) -> None:
        """Store the status."""
        super().__init__(status)
        self.status = status


def _error_html(status: int) -> str:
    phrase = HTTPStatus(status).phrase
    return f"<html><head><title>{phrase}</title></head><body><h1>{status} {phrase}</h1></body></html>"


# ---------------------------------------------------------------------------------------
# Recorded requests and playlists.
# ---------------------------------------------------------------------------------------
@dataclass(kw_only=True)
class RecordedRequest(common.RecordedRequest):
    """A recorded request with the paging it asked for (parameter or header)."""

    container_start: int | None = None
    container_size: int | None = None


@dataclass(frozen=True, slots=True)
class PlaylistEntry:
    """One item of a playlist: its playlistItemID and the track's ratingKey."""

    item_id: int
    rating_key: int


@dataclass
class FakePlaylist:
    """Server-side playlist state."""

    rating_key: int
    title: str
    summary: str = ""
    smart: bool = False
    playlist_type: str = "audio"
    entries: list[PlaylistEntry] = field(default_factory=list)
    content: str = ""  # smart playlists: the generator URI
    added_at: int = 0
    updated_at: int = 0
    guid: str = ""
    posters: list[bytes | str] = field(default_factory=list)
    """Every poster uploaded (bytes, or the `url=` given), oldest first."""
    thumb: str | None = None
    """`/library/metadata/{id}/thumb/{time}` once a poster is set, else None
    (only the `composite` Plex draws from the items)."""

    @property
    def items(self) -> list[int]:
        """The ratingKeys of the items, in order (regular playlists)."""
        return [entry.rating_key for entry in self.entries]


# ---------------------------------------------------------------------------------------
# Per-library indexes for fast searches.
# ---------------------------------------------------------------------------------------
class _SectionIndex:
    """Positions, parent/child maps, tag indexes and cached columns of one library."""

    def __init__(self, library: FakeLibrary) -> None:
        self.library = library
        self.version = library.version
        self.items: tuple[list[Any], ...] = (
            library.artists,
            library.albums,
            library.tracks,
        )
        artist_pos = {a.rating_key: i for i, a in enumerate(library.artists)}
        album_pos = {a.rating_key: i for i, a in enumerate(library.albums)}
        al_artist = [artist_pos[a.artist.rating_key] for a in library.albums]
        t_album = [album_pos[t.album.rating_key] for t in library.tracks]
        t_artist = [al_artist[j] for j in t_album]
        al_tracks: list[list[int]] = [[] for _ in library.albums]
        for i, j in enumerate(t_album):
            al_tracks[j].append(i)
        ar_albums: list[list[int]] = [[] for _ in library.artists]
        ar_tracks: list[list[int]] = [[] for _ in library.artists]
        for j, k in enumerate(al_artist):
            ar_albums[k].append(j)
            ar_tracks[k].extend(al_tracks[j])
        self.parents = {
            (TRACK, ALBUM): t_album,
            (TRACK, ARTIST): t_artist,
            (ALBUM, ARTIST): al_artist,
        }
        self.children = {
            (ARTIST, ALBUM): ar_albums,
            (ARTIST, TRACK): ar_tracks,
            (ALBUM, TRACK): al_tracks,
        }
        self._columns: dict[tuple[int, str], list[Any]] = {}
        self._folded: dict[tuple[int, str], list[str]] = {}
        self._ranks: dict[tuple[int, str, bool], list[int]] = {}
        self._tags: dict[tuple[int, str], dict[int, set[int]]] = {}
        self.default_order: dict[int, list[int]] = {}
        self._default_rank: dict[int, list[int]] = {}
        self._sonic: _SonicIndex | None = None

    def column(self, level: int, name: str) -> list[Any]:
        """Values of one attribute for every item of a level (strings lowercased)."""
        key = (level, name)
        if key not in self._columns:
            kind, getter = ATTRIBUTES[level][name]
            lib = self.library
            values = [getter(lib, item) for item in self.items[level]]
            if kind == "string":
                values = [(v or "").lower() for v in values]
            self._columns[key] = values
        return self._columns[key]

    def folded_column(self, level: int, name: str) -> list[str]:
        """A string column lowercased and without diacritics (`fold_diacritics`)."""
        key = (level, name)
        if key not in self._folded:
            self._folded[key] = [
                _strip_diacritics(text) for text in self.column(level, name)
            ]
        return self._folded[key]

    def rank(self, level: int, name: str, nulls_last: bool = False) -> list[int]:
        """Dense sort ranks of a column; missing values rank first unless nulls_last."""
        key = (level, name, nulls_last)
        if key not in self._ranks:
            values = self.column(level, name)
            order = {
                v: r
                for r, v in enumerate(sorted({v for v in values if v is not None}), 1)
            }
            missing = len(order) + 1 if nulls_last else 0
            self._ranks[key] = [missing if v is None else order[v] for v in values]
        return self._ranks[key]

    def tag_index(self, level: int, name: str) -> dict[int, set[int]]:
        """Tag id -> positions of the items of a level carrying that tag."""
        key = (level, name)
        if key not in self._tags:
            ids = self.library.tag_ids.get(name, {})
            index: dict[int, set[int]] = {}
            for i, names in enumerate(self.column(level, name)):
                for tag in names:
                    index.setdefault(ids[tag], set()).add(i)
            self._tags[key] = index
        return self._tags[key]

    def lift(self, positions: set[int], src: int, dst: int) -> set[int]:
        """Map positions of one level to the related items of another level."""
        if src == dst:
            return positions
        if src > dst:
            parent = self.parents[src, dst]
            return {parent[i] for i in positions}
        children = self.children[src, dst]
        out: set[int] = set()
        for i in positions:
            out.update(children[i])
        return out

    def sort_positions(
        self, positions: list[int], level: int, spec: str, rng: random.Random
    ) -> list[int]:
        """Sort positions (stable) by a comma-separated Plex sort spec."""
        for part in reversed([p for p in spec.split(",") if p]):
            name, _, direction = part.partition(":")
            scope, _, attr = name.rpartition(".")
            src = LEVEL_NAMES.index(scope) if scope in LEVEL_NAMES else level
            if attr == "random":
                rng.shuffle(positions)
                continue
            if (
                src > level
                or attr not in ATTRIBUTES[src]
                or direction not in ("", "asc", "desc", "nullsLast")
            ):
                raise FakePlexError(400)
            rank = self.rank(src, attr, nulls_last=direction == "nullsLast")
            if src != level:
                parent = self.parents[level, src]
                rank = [rank[parent[i]] for i in range(len(self.items[level]))]
            positions.sort(key=rank.__getitem__, reverse=direction == "desc")
        return positions

    def ordered(self, level: int, positions: set[int] | None) -> list[int]:
        """Positions in the default ("Album Artist") order; None means all items."""
        if level not in self.default_order:
            everything = list(range(len(self.items[level])))
            order = self.sort_positions(
                everything, level, DEFAULT_SORT[level], random.Random(0)
            )
            rank = [0] * len(order)
            for r, p in enumerate(order):
                rank[p] = r
            self.default_order[level] = order
            self._default_rank[level] = rank
        if positions is None:
            return list(self.default_order[level])
        return sorted(positions, key=self._default_rank[level].__getitem__)

    def sonic(self) -> _SonicIndex:
        """The index of the tracks' sonic vectors, built on first use."""
        if self._sonic is None:
            self._sonic = _SonicIndex(self.library.tracks)
        return self._sonic


class _SonicIndex:
    """A k-d tree of the tracks' sonic vectors, for exact nearest-neighbour searches.

    Leaves hold a few tracks; every node keeps the bounding box of its tracks. A search
    visits nodes closest box first and stops once no box can hold a closer track, so
    it computes the distance of a small part of the library, and answers what a scan
    of every track would (same distances, same tie-breaking).
    """

    LEAF_SIZE = 24

    def __init__(self, tracks: Sequence[FakeTrack]) -> None:
        self.tracks = list(tracks)
        self._points = [track.sonic for track in self.tracks]
        self._low: list[tuple[float, ...]] = []
        self._high: list[tuple[float, ...]] = []
        self._children: list[tuple[int, int] | None] = []
        self._members: list[list[int]] = []
        if self.tracks:
            self._build(list(range(len(self.tracks))))

    def _build(self, positions: list[int]) -> int:
        """Add the node of these track positions (and its subtree); return its number."""
        node = len(self._low)
        columns = list(zip(*(self._points[p] for p in positions), strict=True))
        low, high = tuple(map(min, columns)), tuple(map(max, columns))
        self._low.append(low)
        self._high.append(high)
        self._children.append(None)
        self._members.append(positions)
        dim = max(range(len(low)), key=lambda d: high[d] - low[d])
        if len(positions) <= self.LEAF_SIZE or high[dim] == low[dim]:
            return node
        positions.sort(key=lambda p: self._points[p][dim])
        middle = len(positions) // 2
        left = self._build(positions[:middle])
        right = self._build(positions[middle:])
        self._children[node] = (left, right)
        self._members[node] = []
        return node

    def nearest(
        self,
        point: Sequence[float],
        count: int,
        *,
        scale: float = 1.0,
        within: float = math.inf,
        skip: Callable[[int], bool] = lambda _position: False,
        tie: Callable[[int], int] = lambda position: position,
    ) -> list[tuple[float, int]]:
        """Return the `count` closest tracks within `within`: (distance, position).

        Distances are `math.dist(point, track.sonic) / scale`; ties go to the lower
        `tie(position)`; tracks `skip` accepts are left out. Sorted closest first.
        """
        if count <= 0 or not self.tracks:
            return []
        best: list[tuple[float, int, int]] = []  # (-distance, -tie, position): max-heap
        nodes = [(0.0, 0)]
        while nodes:
            bound, node = heapq.heappop(nodes)
            limit = -best[0][0] if len(best) >= count else within
            if bound > limit * (1 + 1e-9) + 1e-12:
                break  # no box left can hold a closer track
            children = self._children[node]
            if children is not None:
                for child in children:
                    heapq.heappush(
                        nodes, (self._box_distance(point, child, scale), child)
                    )
                continue
            members = self._members[node]
            points = [self._points[position] for position in members]
            for distance, position in zip(
                [math.dist(point, other) / scale for other in points],
                members,
                strict=True,
            ):
                if distance > limit or skip(position):
                    continue  # beyond `within`, or farther than the worst kept
                entry = (-distance, -tie(position), position)
                if len(best) < count:
                    heapq.heappush(best, entry)
                elif entry > best[0]:
                    heapq.heapreplace(best, entry)
        return [
            (-distance, position)
            for distance, _tie, position in sorted(best, reverse=True)
        ]

    def _box_distance(self, point: Sequence[float], node: int, scale: float) -> float:
        """The distance from `point` to a node's bounding box: none of its tracks is closer."""
        total = 0.0
        for value, low, high in zip(
            point, self._low[node], self._high[node], strict=True
        ):
            if value < low:
                total += (low - value) ** 2
            elif value > high:
                total += (value - high) ** 2
        return math.sqrt(total) / scale


# ---------------------------------------------------------------------------------------
# Query strings and the filter language.
# ---------------------------------------------------------------------------------------
def parse_query(raw: str) -> list[tuple[str, str]]:
    """Decode a raw query string into (key, value) pairs, keeping order and repeats."""
    pairs = []
    for part in raw.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


@dataclass(frozen=True, slots=True)
class _Leaf:
    level: int
    name: str
    kind: str
    op: str
    value: str


type _Expr = _Leaf | tuple[str, list[_Expr]]


def _parse_leaf(key: str, value: str, level: int) -> _Leaf:
    match = _FILTER_RE.match(f"{key}={value}")
    if match is None:
        raise FakePlexError(400)
    name, op, text = match.groups()
    scope, _, attr = name.rpartition(".")
    if scope:
        if scope not in LEVEL_NAMES:
            raise FakePlexError(400)
        candidates = [LEVEL_NAMES.index(scope)]
    else:  # resolve like PMS: the requested type first, then the others
        candidates = [level, *(lvl for lvl in (ALBUM, ARTIST, TRACK) if lvl != level)]
    for lvl in candidates:
        if attr in ATTRIBUTES[lvl]:
            kind = ATTRIBUTES[lvl][attr][0]
            if op not in _OPERATORS_BY_TYPE[kind]:
                raise FakePlexError(400)
            return _Leaf(lvl, attr, kind, op, text)
    raise FakePlexError(400)


def parse_filters(params: Sequence[tuple[str, str]], level: int) -> _Expr:
    """Parse filter parameters into an expression; push/or/pop are "(", "OR", ")"."""
    tokens: list[str | _Leaf] = []
    for key, value in params:
        if key in PLAIN_PARAMS or key.startswith("X-Plex-"):
            continue
        tokens.append(
            key if key in ("push", "or", "pop") else _parse_leaf(key, value, level)
        )
    position = 0

    def parse_or() -> _Expr:
        nonlocal position
        terms = [parse_and()]
        while position < len(tokens) and tokens[position] == "or":
            position += 1
            terms.append(parse_and())
        return terms[0] if len(terms) == 1 else ("or", terms)

    def parse_and() -> _Expr:
        nonlocal position
        terms: list[_Expr] = []
        while position < len(tokens) and tokens[position] not in ("or", "pop"):
            token = tokens[position]
            position += 1
            if token == "push":
                terms.append(parse_or())
                if position >= len(tokens) or tokens[position] != "pop":
                    raise FakePlexError(400)
                position += 1
            else:
                assert isinstance(token, _Leaf)
                terms.append(token)
        return ("and", terms)

    expr = parse_or()
    if position != len(tokens):
        raise FakePlexError(400)
    return expr


def _parse_number(text: str, kind: str, now: float) -> float:
    if kind == "date":
        if match := _RELATIVE_RE.match(text):
            return now - int(match[1]) * _UNIT_SECONDS[match[2] or "s"]
        with contextlib.suppress(ValueError):
            day = datetime.date.fromisoformat(text)
            return datetime.datetime(
                day.year, day.month, day.day, tzinfo=datetime.UTC
            ).timestamp()
    try:
        return float(text)
    except ValueError:
        raise FakePlexError(400) from None


_COMPARE = {
    ">>=": operator.gt,
    "<<=": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def _strip_diacritics(text: str) -> str:
    """Text without combining marks ("hoppípolla" -> "hoppipolla"); ø, ß stay."""
    return unicodedata.normalize(
        "NFC",
        "".join(
            char
            for char in unicodedata.normalize("NFD", text)
            if not unicodedata.combining(char)
        ),
    )


_STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "=": operator.contains, "!=": operator.contains, "==": operator.eq, "!==": operator.eq,
    "<=": str.startswith, ">=": str.endswith,
}  # fmt: skip


def _evaluate(
    index: _SectionIndex,
    expr: _Expr,
    level: int,
    now: float,
    lt_matches_missing: bool,
    *,
    fold_diacritics: bool = False,
) -> set[int] | None:
    """Positions (at `level`) matching an expression; None means every item."""
    if isinstance(expr, _Leaf):
        return index.lift(
            _leaf_positions(
                index, expr, now, lt_matches_missing, fold_diacritics=fold_diacritics
            ),
            expr.level,
            level,
        )
    op, terms = expr
    results = [
        _evaluate(
            index, term, level, now, lt_matches_missing, fold_diacritics=fold_diacritics
        )
        for term in terms
    ]
    if op == "or":
        if any(r is None for r in results):
            return None
        return set().union(*(r for r in results if r is not None))
    out: set[int] | None = None
    for result in results:
        if result is not None:
            out = result if out is None else out & result
    return out


def _leaf_positions(
    index: _SectionIndex,
    leaf: _Leaf,
    now: float,
    lt_matches_missing: bool,
    *,
    fold_diacritics: bool = False,
) -> set[int]:
    negate = leaf.op in ("!=", "!==")
    count = len(index.items[leaf.level])
    if (
        leaf.kind == "tag"
    ):  # values are tag ids; a name (no id found by plexapi) matches nothing
        tags = index.tag_index(leaf.level, leaf.name)
        matched = set().union(
            *(tags.get(int(v), ()) for v in leaf.value.split(",") if v.isdigit())
        )
        return set(range(count)) - matched if negate else matched
    column = index.column(leaf.level, leaf.name)
    if leaf.kind == "string":
        test, needle = _STRING_TESTS[leaf.op], leaf.value.lower()
        if fold_diacritics:
            column = index.folded_column(leaf.level, leaf.name)
            needle = _strip_diacritics(needle)
        return {i for i, text in enumerate(column) if test(text, needle) != negate}
    if leaf.kind == "boolean":
        want = (leaf.value not in ("0", "false", "")) != negate
        return {i for i, flag in enumerate(column) if bool(flag) == want}
    numbers = [_parse_number(v, leaf.kind, now) for v in leaf.value.split(",")]
    if leaf.op in ("=", "!="):
        if leaf.kind == "date":  # a date "is" a day
            days = {int(n // 86_400) for n in numbers}
            return {
                i
                for i, v in enumerate(column)
                if v is not None and ((v // 86_400) in days) != negate
            }
        wanted = set(numbers)
        return {
            i for i, v in enumerate(column) if v is not None and (v in wanted) != negate
        }
    compare, bound = _COMPARE[leaf.op], numbers[0]
    missing = (
        leaf.op == "<<=" and lt_matches_missing
    )  # UNCONFIRMED in PMS: configurable
    return {
        i
        for i, v in enumerate(column)
        if (compare(v, bound) if v is not None else missing)
    }


# ---------------------------------------------------------------------------------------
# XML.
# ---------------------------------------------------------------------------------------
def _attrs(pairs: Iterable[tuple[str, Any]]) -> str:
    """Render XML attributes, leaving out None values."""
    return " ".join(
        f'{key}="{escape(value) if isinstance(value, str) else value}"'
        for key, value in pairs
        if value is not None
    )


def _element(tag: str, pairs: Iterable[tuple[str, Any]], children: str = "") -> str:
    return (
        f"<{tag} {_attrs(pairs)}>{children}</{tag}>"
        if children
        else f"<{tag} {_attrs(pairs)} />"
    )


def _tags(kind: str, names: Iterable[str], ids: dict[str, int]) -> str:
    element = kind.capitalize()
    return "".join(
        f'<{element} filter="{kind}={ids[name]}" id="{ids[name]}" tag="{escape(name)}" />'
        for name in names
    )


def _container(
    pairs: Iterable[tuple[str, Any]], children: Sequence[str], extra: str = ""
) -> bytes:
    body = "\n".join(children)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer {_attrs(pairs)}>\n{extra}{body}\n</MediaContainer>\n'
    ).encode()


def _rating(value: float | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def meta_xml(
    section_id: int, library_types: Sequence[int] = (ARTIST, ALBUM, TRACK)
) -> str:
    """The section filter description (`<Meta>`) generated from the tables above."""
    base = f"/library/sections/{section_id}"
    parts = ["<Meta>"]
    for level in library_types:
        code, plural = LEVEL_TYPE_CODES[level], LEVEL_NAMES[level].capitalize() + "s"
        first_char_query = "" if level == ARTIST else f"?type={code}"
        type_attrs = _attrs([
            ("key", f"{base}/all?type={code}"), ("type", LEVEL_NAMES[level]), ("title", plural),
            ("active", "1" if level == ARTIST else "0"),
        ])  # fmt: skip
        parts.append(f"<Type {type_attrs}>")
        parts.extend(
            _element(
                "Filter",
                [
                    ("filter", name),
                    ("filterType", ftype),
                    (
                        "key",
                        f"{base}/{name}"
                        + ("" if ftype == "boolean" else f"?type={code}"),
                    ),
                    ("title", title),
                    ("type", "filter"),
                ],
            )
            for name, ftype, title in META_FILTERS[level]
        )
        for number, (key, title, direction) in enumerate(META_SORTS[level]):
            first, _, rest = key.partition(",")
            parts.append(_element("Sort", [
                ("active", "1" if number == 0 and level == ARTIST else None),
                ("activeDirection", "asc" if number == 0 and level == ARTIST else None),
                ("default", "asc" if number == (0 if level == ARTIST else 1) else None),
                ("defaultDirection", direction),
                ("descKey", f"{first}:desc" + (f",{rest}" if rest else "")),
                ("firstCharacterKey", f"{base}/firstCharacter{first_char_query}" if first in ("titleSort", "artist.titleSort") else None),
                ("key", key), ("title", title),
            ]))  # fmt: skip
        parts.extend(
            _element(
                "Field",
                [("key", key), ("subType", sub), ("title", title), ("type", ftype)],
            )
            for key, title, ftype, sub in META_FIELDS[level]
        )
        parts.append("</Type>")
    if library_types:
        parts.append(
            f'<Type key="{base}/folder" type="folder" title="Folders" active="0"></Type>'
        )
    for ftype, operators in META_OPERATORS:
        parts.append(f'<FieldType type="{ftype}">')
        parts.extend(
            _element("Operator", [("key", key), ("title", title)])
            for key, title in operators
        )
        parts.append("</FieldType>")
    parts.append("</Meta>\n")
    return "\n".join(parts)


def collections_meta_xml(section_id: int) -> str:
    """The collections filter description: one collection Type and the field types."""
    base = f"/library/sections/{section_id}"
    sort = _element("Sort", [
        ("active", "1"), ("activeDirection", "asc"), ("default", "asc"), ("defaultDirection", "asc"),
        ("descKey", "titleSort:desc"), ("firstCharacterKey", f"{base}/firstCharacter?type=18"),
        ("key", "titleSort"), ("title", "Title"),
    ])  # fmt: skip
    types = f'<Meta>\n<Type key="{base}/all?type=18" type="collection" title="Collections" active="1">{sort}</Type>'
    return meta_xml(section_id, ()).replace("<Meta>", types, 1)


# ---------------------------------------------------------------------------------------
# The server.
# ---------------------------------------------------------------------------------------
@dataclass
class _Request:
    method: str
    path: str
    params: list[tuple[str, str]]
    body: bytes
    start: int
    size: int | None
    groups: tuple[str, ...] = ()

    def param(self, name: str, default: str | None = None) -> str | None:
        return next((value for key, value in self.params if key == name), default)


class _MusicSection:
    """A music library section and how its items render."""

    def __init__(
        self, section_id: int, title: str, library: FakeLibrary, sonic: bool
    ) -> None:
        self.id = section_id
        self.title = title
        self.library = library
        self.sonic = sonic
        self.uuid = str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"harmoniq-fake-section-{section_id}")
        )
        self._index: _SectionIndex | None = None

    @property
    def index(self) -> _SectionIndex:
        """The search index, rebuilt when the library changed."""
        if self._index is None or self._index.version != self.library.version:
            self._index = _SectionIndex(self.library)
        return self._index

    def _common(self) -> list[tuple[str, Any]]:
        return [
            ("librarySectionTitle", self.title), ("librarySectionID", self.id),
            ("librarySectionKey", f"/library/sections/{self.id}"),
        ]  # fmt: skip

    def container_attrs(self) -> list[tuple[str, Any]]:
        """Attributes of a MediaContainer listing this section's items."""
        return [
            ("allowSync", "1"), ("identifier", LIBRARY_ID), ("librarySectionID", self.id),
            ("librarySectionTitle", self.title), ("librarySectionUUID", self.uuid),
            ("mediaTagPrefix", "/system/bundle/media/flags/"), ("mediaTagVersion", "1700000000"),
        ]  # fmt: skip

    def track_xml(
        self,
        track: FakeTrack,
        extra: Sequence[tuple[str, Any]] = (),
        detail: bool = False,
    ) -> str:
        """A `<Track>`; details add the Stream, Guid and Mood children."""
        key, album, artist = track.rating_key, track.album, track.artist
        viewed = track.view_count > 0
        pairs = [
            ("ratingKey", key), ("key", f"/library/metadata/{key}"),
            ("parentRatingKey", album.rating_key), ("grandparentRatingKey", artist.rating_key),
            ("guid", _guid("track", key)), ("parentGuid", _guid("album", album.rating_key)),
            ("grandparentGuid", _guid("artist", artist.rating_key)), ("type", "track"),
            ("title", track.title), ("grandparentKey", f"/library/metadata/{artist.rating_key}"),
            ("parentKey", f"/library/metadata/{album.rating_key}"), *self._common(),
            ("grandparentTitle", artist.title), ("parentTitle", album.title),
            ("originalTitle", track.original_title), ("summary", ""), ("index", track.index),
            ("parentIndex", track.disc), ("ratingCount", track.rating_count),
            ("userRating", _rating(track.user_rating)), ("lastRatedAt", track.last_rated_at),
            ("viewCount", track.view_count if viewed else None),
            ("skipCount", track.skip_count or None),
            ("lastViewedAt", track.last_viewed_at if viewed else None),
            ("parentYear", album.year),
            ("thumb", f"/library/metadata/{album.rating_key}/thumb/1700000000"),
            ("parentThumb", f"/library/metadata/{album.rating_key}/thumb/1700000000"),
            ("grandparentThumb", f"/library/metadata/{artist.rating_key}/thumb/1700000000"),
            ("duration", track.duration_ms), ("musicAnalysisVersion", "1" if self.sonic else None),
            ("addedAt", track.added_at), ("updatedAt", track.added_at), *extra,
        ]  # fmt: skip
        bitrate, size = _bitrate(track), track.duration_ms * _bitrate(track) // 8
        folder = f"/music/{artist.title}/{album.title}"
        stream = (
            f'<Stream id="{key + 2_000_000}" streamType="2" selected="1" codec="flac" index="0" '
            f'channels="2" bitrate="{bitrate}" audioChannelLayout="stereo" samplingRate="44100" />'
            if detail
            else ""
        )
        part = _element("Part", [
            ("id", key + 1_000_000), ("key", f"/library/parts/{key + 1_000_000}/1700000000/file.flac"),
            ("duration", track.duration_ms), ("file", f"{folder}/{track.index:02d} {track.title}.flac"),
            ("size", size), ("container", "flac"), ("hasThumbnail", "1"),
        ], stream)  # fmt: skip
        media = _element("Media", [
            ("id", key + 500_000), ("duration", track.duration_ms), ("bitrate", bitrate),
            ("audioChannels", 2), ("audioCodec", "flac"), ("container", "flac"),
        ], part)  # fmt: skip
        children = media
        if detail:
            children += (
                f'<Guid id="mbid://{uuid.uuid5(uuid.NAMESPACE_OID, str(key))}" />'
            )
            children += _tags("mood", track.moods, self.library.tag_ids["mood"])
        return _element("Track", pairs, children)

    def album_xml(self, album: FakeAlbum, detail: bool = False) -> str:
        """An album `<Directory type="album">`; details add Genre/Style/Mood tags."""
        key, artist = album.rating_key, album.artist
        tracks = self.library.tracks_of[key]
        views = sum(t.view_count for t in tracks)
        pairs = [
            ("ratingKey", key), ("key", f"/library/metadata/{key}/children"),
            ("parentRatingKey", artist.rating_key), ("guid", _guid("album", key)),
            ("parentGuid", _guid("artist", artist.rating_key)), ("type", "album"),
            ("title", album.title), ("parentKey", f"/library/metadata/{artist.rating_key}"),
            *self._common(), ("parentTitle", artist.title), ("summary", ""), ("index", 1),
            ("viewCount", views or None), ("lastViewedAt", _last_viewed(tracks)), ("year", album.year),
            ("thumb", f"/library/metadata/{key}/thumb/1700000000"),
            ("parentThumb", f"/library/metadata/{artist.rating_key}/thumb/1700000000"),
            ("originallyAvailableAt", f"{album.year}-01-01"), ("leafCount", len(tracks)),
            ("viewedLeafCount", sum(1 for t in tracks if t.view_count)),
            ("addedAt", album.added_at), ("updatedAt", album.added_at),
        ]  # fmt: skip
        children = ""
        if detail:
            ids = self.library.tag_ids
            children = (
                _tags("genre", album.genres, ids["genre"]) + _tags("style", album.styles, ids["style"])
                + _tags("mood", album.moods, ids["mood"]) + f'<Guid id="mbid://{uuid.uuid5(uuid.NAMESPACE_OID, str(key))}" />'
            )  # fmt: skip
        return _element("Directory", pairs, children)

    def artist_xml(self, artist: FakeArtist, detail: bool = False) -> str:
        """An artist `<Directory type="artist">`; details add Genre/Style/Mood/Country."""
        key = artist.rating_key
        tracks = _artist_tracks(self.library, artist)
        views = sum(t.view_count for t in tracks)
        pairs = [
            ("ratingKey", key), ("key", f"/library/metadata/{key}/children"),
            ("guid", _guid("artist", key)), ("type", "artist"), ("title", artist.title),
            *self._common(), ("summary", ""), ("index", 1), ("viewCount", views or None),
            ("lastViewedAt", _last_viewed(tracks)),
            ("thumb", f"/library/metadata/{key}/thumb/1700000000"),
            ("art", f"/library/metadata/{key}/art/1700000000"),
            ("addedAt", artist.added_at), ("updatedAt", artist.added_at),
        ]  # fmt: skip
        children = ""
        if detail:
            ids = self.library.tag_ids
            children = (
                _tags("genre", artist.genres, ids["genre"]) + _tags("style", artist.styles, ids["style"])
                + _tags("mood", artist.moods, ids["mood"]) + _tags("country", artist.country, ids["country"])
                + f'<Guid id="mbid://{uuid.uuid5(uuid.NAMESPACE_OID, str(key))}" />'
                + f'<Location path="/music/{escape(artist.title)}" />'
            )  # fmt: skip
        return _element("Directory", pairs, children)

    def item_xml(
        self, item: FakeArtist | FakeAlbum | FakeTrack, detail: bool = False
    ) -> str:
        """Render any library item."""
        if isinstance(item, FakeTrack):
            return self.track_xml(item, detail=detail)
        if isinstance(item, FakeAlbum):
            return self.album_xml(item, detail)
        return self.artist_xml(item, detail)


Route = tuple[str, re.Pattern[str], Callable[[_Request], bytes]]


class FakePlexServer(FakeHttpServer[RecordedRequest]):
    """A fake PMS on 127.0.0.1; `await start()`, point plexapi at `url`, `await stop()`.

    Filter semantics follow SQL where PMS is unconfirmed: items lacking a value match no
    comparison (`=`, `!=`, `>>=`), and `<<=` only when `lt_matches_missing` is set.
    String filters ignore case; whether PMS also ignores diacritics ("Ros" finding
    "Rós") is unconfirmed, so by default they do not, as in SQL, and do with
    `fold_diacritics`.
    """

    def __init__(
        self,
        *,
        token: str = "test-token",  # noqa: S107
        machine_identifier: str = "0123456789abcdef0123456789abcdef01234567",
        friendly_name: str = "Fake Plex",
        music_sections: Sequence[tuple[int, str, FakeLibrary]] = (),
        other_sections: Sequence[tuple[int, str, str]] = ((1, "Movies", "movie"),),
        sonic_analysis: bool = True,
        lt_matches_missing: bool = False,
        fold_diacritics: bool = False,
        playlist_items_thumb: bool = True,
    ) -> None:
        """Configure the server; nothing listens until `start()`.

        `playlist_items_thumb`: the items reply of a playlist with a poster carries
        its `thumb` (UNCONFIRMED for real PMS; the playlist's own reply does).
        """
        super().__init__()
        self.token = token
        self.machine_identifier = machine_identifier
        self.friendly_name = friendly_name
        self.sections = {
            sid: _MusicSection(sid, title, lib, sonic_analysis)
            for sid, title, lib in music_sections
        }
        self.other_sections = list(other_sections)
        self.sonic_analysis = sonic_analysis
        self.lt_matches_missing = lt_matches_missing
        self.fold_diacritics = fold_diacritics
        self.playlist_items_thumb = playlist_items_thumb
        self._last_thumb_time = 0
        self.playlists: dict[int, FakePlaylist] = {}
        self._rng = random.Random()
        self._next_playlist_key = PLAYLIST_KEY_BASE
        self._next_item_id = 1
        self._routes: list[Route] = [
            (m, re.compile(f"^{p}$"), h)
            for m, p, h in (
                ("GET", r"/", self._root),
                ("GET", r"/identity", self._identity),
                ("GET", r"/library", self._library),
                ("GET", r"/library/sections", self._sections),
                ("GET", r"/library/sections/(\d+)/all", self._section_all),
                ("GET", r"/library/sections/(\d+)/albums", self._section_albums),
                ("GET", r"/library/sections/(\d+)/collections", self._collections),
                ("GET", r"/library/sections/(\d+)/computePath", self._compute_path),
                ("GET", r"/library/sections/(\d+)/(\w+)", self._filter_choices),
                ("GET", r"/library/metadata/(\d+(?:,\d+)*)", self._metadata),
                ("GET", r"/library/metadata/(\d+)/children", self._children),
                ("GET", r"/library/metadata/(\d+)/allLeaves", self._all_leaves),
                ("GET", r"/library/metadata/(\d+)/nearest", self._nearest),
                ("POST", r"/library/metadata/(\d+)/posters", self._posters),
                ("PUT", r"/:/rate", self._rate),
                ("GET", r"/playlists", self._playlists),
                ("POST", r"/playlists", self._create_playlist),
                ("GET", r"/playlists/(\d+)", self._playlist),
                ("PUT", r"/playlists/(\d+)", self._edit_playlist),
                ("DELETE", r"/playlists/(\d+)", self._delete_playlist),
                ("GET", r"/playlists/(\d+)/items", self._playlist_items),
                ("PUT", r"/playlists/(\d+)/items", self._add_playlist_items),
                ("DELETE", r"/playlists/(\d+)/items", self._clear_playlist),
                ("DELETE", r"/playlists/(\d+)/items/(\d+)", self._remove_playlist_item),
                ("PUT", r"/playlists/(\d+)/items/(\d+)/move", self._move_playlist_item),
            )
        ]

    # -- test controls (more in `FakeHttpServer`) ------------------------------------------
    def replace_library(self, section_id: int, library: FakeLibrary) -> None:
        """Swap a music section's content (e.g. for an emptied library)."""
        section = self.sections[section_id]
        section.library = library
        section._index = None

    def create_playlist(
        self,
        title: str,
        items: Iterable[int] = (),
        *,
        summary: str = "",
        smart_content: str = "",
    ) -> FakePlaylist:
        """Create a playlist directly (not via HTTP); `smart_content` makes it smart."""
        now = int(time.time())
        self._next_playlist_key += 1
        key = self._next_playlist_key
        playlist = FakePlaylist(
            key, title, summary, smart=bool(smart_content), content=smart_content,
            added_at=now, updated_at=now,
            guid=f"com.plexapp.agents.none://{uuid.uuid5(uuid.NAMESPACE_URL, f'{self.machine_identifier}/{key}')}",
        )  # fmt: skip
        self._append(playlist, items)
        self.playlists[key] = playlist
        return playlist

    def playlist_tracks(self, title: str) -> list[FakeTrack]:
        """Return the tracks of the one playlist titled `title`, in order."""
        [playlist] = [p for p in self.playlists.values() if p.title == title]
        tracks = {
            key: track
            for section in self.sections.values()
            for key, track in section.library.track_by_key.items()
        }
        return [tracks[key] for key in playlist.items]

    def search(
        self, section_id: int, params: Sequence[tuple[str, str]]
    ) -> list[FakeArtist | FakeAlbum | FakeTrack]:
        """Run a search like `/library/sections/{id}/all` does (no paging)."""
        section = self.sections[section_id]
        level, positions, _total = self._search(section, params, None)
        items = section.index.items[level]
        return [items[p] for p in positions]

    # -- transport --------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        params = parse_query(request.rel_url.raw_query_string)
        body = await request.read()
        query = dict(params)
        start = query.get("X-Plex-Container-Start") or request.headers.get(
            "X-Plex-Container-Start"
        )
        size = query.get("X-Plex-Container-Size") or request.headers.get(
            "X-Plex-Container-Size"
        )
        record = RecordedRequest(
            request.method, request.path, params, dict(request.headers), body,
            container_start=int(start) if start and start.isdigit() else None,
            container_size=int(size) if size and size.isdigit() else None,
        )  # fmt: skip
        self.requests.append(record)
        await self._wait(request.method, request.path)
        fault = self._take_fault(request.method, request.path)
        if fault is not None and fault.kind != "trickle":
            return self._fault_reply(request, record, fault)
        if self.token not in (
            request.headers.get("X-Plex-Token"),
            query.get("X-Plex-Token"),
        ):
            return self._error(record, 401, request.path)
        path = request.path.rstrip("/") or "/"
        req = _Request(
            request.method,
            path,
            params,
            body,
            record.container_start or 0,
            record.container_size,
        )
        for method, pattern, handler in self._routes:
            if method == request.method and (match := pattern.match(path)):
                req.groups = match.groups()
                try:
                    reply = self._reply(record, 200, handler(req), XML_HEADERS)
                except FakePlexError as err:
                    return self._error(record, err.status, path)
                if fault is not None:  # trickle
                    return await trickle(request, record, fault, XML_HEADERS)
                return reply
        return self._error(record, 404, path)

    @staticmethod
    def _reply(
        record: RecordedRequest, status: int, body: bytes, headers: dict[str, str]
    ) -> web.Response:
        record.status, record.response = status, body
        return web.Response(status=status, body=body, headers=headers)

    def _fault_reply(
        self, request: web.Request, record: RecordedRequest, fault: Fault
    ) -> web.Response:
        """Answer with an injected fault (a trickle is answered by the route)."""
        if fault.kind == "drop":
            drop_connection(request)
        if fault.kind == "malformed":
            return self._reply(record, 200, MALFORMED_XML, XML_HEADERS)
        if fault.kind == "empty":
            return self._reply(record, 200, b"", XML_HEADERS)
        return self._error(record, fault.status, request.path)

    def _error(self, record: RecordedRequest, status: int, path: str) -> web.Response:
        html = (
            UNAUTHORIZED_ROOT if status == 401 and path == "/" else _error_html(status)
        )
        return self._reply(record, status, html.encode(), HTML_HEADERS)

    # -- helpers ------------------------------------------------------------------------------
    def _section(self, section_id: str) -> _MusicSection:
        section = self.sections.get(int(section_id))
        if section is None:
            raise FakePlexError(404)
        return section

    def _find(
        self, rating_key: int
    ) -> tuple[_MusicSection, FakeArtist | FakeAlbum | FakeTrack] | None:
        for section in self.sections.values():
            if (item := section.library.item(rating_key)) is not None:
                return section, item
        return None

    def _find_track(self, rating_key: int) -> tuple[_MusicSection, FakeTrack]:
        found = self._find(rating_key)
        if found is None or not isinstance(found[1], FakeTrack):
            raise FakePlexError(404)
        return found[0], found[1]

    @staticmethod
    def _page(
        req: _Request, children: Sequence[str], total: int | None = None
    ) -> tuple[list[str], list[tuple[str, Any]]]:
        """Apply X-Plex-Container-Start/Size to a list; return the page and size attrs."""
        end = None if req.size is None else req.start + req.size
        page = list(children[req.start : end])
        total = len(children) if total is None else total
        return page, [("size", len(page)), ("totalSize", total), ("offset", req.start)]

    def _search(
        self,
        section: _MusicSection,
        params: Sequence[tuple[str, str]],
        needed: int | None,
    ) -> tuple[int, list[int], int]:
        """Filter, sort and limit; returns level, positions (at least `needed`), total."""
        query = dict(params)
        type_code = query.get("type", "8")
        if not type_code.isdigit() or int(type_code) not in TYPE_CODES:
            raise FakePlexError(400)
        level = TYPE_CODES[int(type_code)]
        index = section.index
        matched = _evaluate(
            index,
            parse_filters(params, level),
            level,
            time.time(),
            self.lt_matches_missing,
            fold_diacritics=self.fold_diacritics,
        )
        limit_text = query.get("limit")
        limit = int(limit_text) if limit_text and limit_text.isdigit() else None
        total = len(index.items[level]) if matched is None else len(matched)
        total = total if limit is None else min(total, limit)
        sort = query.get("sort", "")
        if sort and all(
            part.rpartition(".")[2].partition(":")[0] == "random"
            for part in sort.split(",")
        ):
            pool = range(len(index.items[level])) if matched is None else list(matched)
            return (
                level,
                self._rng.sample(
                    pool, min(total, needed if needed is not None else total)
                ),
                total,
            )
        positions = index.ordered(level, matched)
        if sort:
            index.sort_positions(positions, level, sort, self._rng)
        return level, positions[:total], total

    def _items_reply(
        self,
        section: _MusicSection,
        req: _Request,
        children: Sequence[str],
        total: int | None = None,
        extra: str = "",
    ) -> bytes:
        page, sizes = self._page(req, children, total)
        return _container([*sizes, *section.container_attrs()], page, extra)

    # -- server, library ------------------------------------------------------------------------
    def _root(self, _req: _Request) -> bytes:
        directories = [
            _element("Directory", [("count", 1), ("key", key), ("title", key)])
            for key in ("activities", "butler", "channels", "clients", "devices", "diagnostics", "hubs",
                        "library", "media", "metadata", "playQueues", "player", "playlists",
                        "resources", "search", "server", "servers", "statistics", "system",
                        "transcode", "updater", "user")
        ]  # fmt: skip
        return _container([
            ("size", len(directories)), ("allowCameraUpload", 1), ("allowSharing", 1), ("allowSync", 1),
            ("countryCode", "usa"), ("friendlyName", self.friendly_name), ("hubSearch", 1),
            ("machineIdentifier", self.machine_identifier), ("multiuser", 1), ("myPlex", 1),
            ("myPlexMappingState", "mapped"), ("myPlexSigninState", "ok"), ("myPlexSubscription", 1),
            ("myPlexUsername", "harmoniq@example.com"), ("platform", "Linux"),
            ("platformVersion", "6.1.0"), ("transcoderAudio", 1), ("updatedAt", 1700000000),
            ("version", SERVER_VERSION),
        ], directories)  # fmt: skip

    def _identity(self, _req: _Request) -> bytes:
        return _container(
            [
                ("size", 0),
                ("claimed", 1),
                ("machineIdentifier", self.machine_identifier),
                ("version", SERVER_VERSION),
            ],
            [],
        )

    def _library(self, _req: _Request) -> bytes:
        children = [
            _element("Directory", [("key", "sections"), ("title", "Library Sections")]),
            _element(
                "Directory",
                [("key", "recentlyAdded"), ("title", "Recently Added Content")],
            ),
            _element("Directory", [("key", "onDeck"), ("title", "On Deck Content")]),
        ]
        return _container(
            [
                ("size", 3),
                ("allowSync", 0),
                ("identifier", LIBRARY_ID),
                ("title1", "Plex Library"),
            ],
            children,
        )

    def _sections(self, req: _Request) -> bytes:
        agents = {"movie": ("tv.plex.agents.movie", "Plex Movie"), "show": ("tv.plex.agents.series", "Plex TV Series"),
                  "artist": ("tv.plex.agents.music", "Plex Music"), "photo": ("com.plexapp.agents.none", "Plex Photo Scanner")}  # fmt: skip
        rows = [
            (s.id, s.title, "artist") for s in self.sections.values()
        ] + self.other_sections
        children = []
        for section_id, title, kind in sorted(rows):
            agent, scanner = agents.get(
                kind, ("com.plexapp.agents.none", "Plex Scanner")
            )
            children.append(_element("Directory", [
                ("allowSync", 1), ("art", f"/:/resources/{kind}-fanart.jpg"),
                ("composite", f"/library/sections/{section_id}/composite/1700000000"), ("filters", 1),
                ("refreshing", 0), ("thumb", f"/:/resources/{kind}.png"), ("key", section_id),
                ("type", kind), ("title", title), ("agent", agent), ("scanner", scanner),
                ("language", "en"), ("uuid", str(uuid.uuid5(uuid.NAMESPACE_URL, f"harmoniq-fake-section-{section_id}"))),
                ("updatedAt", 1700000000), ("createdAt", 1600000000), ("scannedAt", 1700000000),
                ("content", 1), ("directory", 1), ("contentChangedAt", 1000), ("hidden", 0),
            ], f'<Location id="{section_id}" path="/data/{escape(title.lower())}" />'))  # fmt: skip
        page, sizes = self._page(req, children)
        return _container(
            [
                *sizes,
                ("allowSync", 0),
                ("identifier", LIBRARY_ID),
                ("title1", "Plex Library"),
            ],
            page,
        )

    def _section_all(self, req: _Request) -> bytes:
        if int(req.groups[0]) not in self.sections:
            if not any(
                sid == int(req.groups[0]) for sid, _t, _k in self.other_sections
            ):
                raise FakePlexError(404)
            meta = (
                meta_xml(int(req.groups[0]), ())
                if req.param("includeMeta") == "1"
                else ""
            )
            return _container(
                [
                    ("size", 0),
                    ("totalSize", 0),
                    ("offset", 0),
                    ("identifier", LIBRARY_ID),
                ],
                [],
                meta,
            )
        section = self._section(req.groups[0])
        needed = None if req.size is None else req.start + req.size
        level, positions, total = self._search(section, req.params, needed)
        items = section.index.items[level]
        end = None if req.size is None else req.start + req.size
        children = [section.item_xml(items[p]) for p in positions[req.start : end]]
        meta = meta_xml(section.id) if req.param("includeMeta") == "1" else ""
        attrs = [("size", len(children)), ("totalSize", total), ("offset", req.start), *section.container_attrs(),
                 ("title1", section.title), ("viewGroup", LEVEL_NAMES[level])]  # fmt: skip
        return _container(attrs, children, meta)

    def _section_albums(self, req: _Request) -> bytes:
        req.params = [(k, v) for k, v in req.params if k != "type"] + [("type", "9")]
        return self._section_all(req)

    def _collections(self, req: _Request) -> bytes:
        section = self._section(req.groups[0])
        meta = (
            collections_meta_xml(section.id) if req.param("includeMeta") == "1" else ""
        )
        return _container(
            [("size", 0), ("totalSize", 0), ("offset", 0), *section.container_attrs()],
            [],
            meta,
        )

    def _filter_choices(self, req: _Request) -> bytes:
        section = self._section(req.groups[0])
        name = req.groups[1]
        type_code = req.param("type", "8") or "8"
        level = TYPE_CODES.get(int(type_code)) if type_code.isdigit() else None
        if level is None or name not in {f[0] for f in META_FILTERS[level]}:
            raise FakePlexError(404)
        base = f"/library/sections/{section.id}/all?type={type_code}"
        choices: list[tuple[str, str]]
        if ATTRIBUTES[level].get(name, ("", _none))[0] == "tag":
            ids = section.library.tag_ids.get(name, {})
            present = section.index.tag_index(level, name)
            choices = sorted(
                ((str(i), t) for t, i in ids.items() if i in present),
                key=lambda c: c[1].lower(),
            )
        elif name in ("year", "decade"):
            values = sorted(set(section.index.column(ALBUM, name)), reverse=True)
            choices = [(str(v), str(v)) for v in values]
        else:
            choices = []
        children = [
            _element(
                "Directory",
                [
                    ("fastKey", f"{base}&{name}={key}"),
                    ("key", key),
                    ("title", title),
                    ("type", name),
                ],
            )
            for key, title in choices
        ]
        page, sizes = self._page(req, children)
        return _container(
            [
                *sizes,
                *section.container_attrs(),
                ("title1", section.title),
                ("title2", f"By {name.capitalize()}"),
            ],
            page,
        )

    # -- metadata -------------------------------------------------------------------------------
    def _metadata(self, req: _Request) -> bytes:
        children = []
        for text in req.groups[0].split(","):
            key = int(text)
            if key in self.playlists:
                children.append(self._playlist_xml(self.playlists[key]))
            elif (found := self._find(key)) is not None:
                children.append(found[0].item_xml(found[1], detail=True))
        if not children:
            raise FakePlexError(404)
        page, sizes = self._page(req, children)
        return _container([*sizes, ("allowSync", 1), ("identifier", LIBRARY_ID)], page)

    def _children(self, req: _Request) -> bytes:
        found = self._find(int(req.groups[0]))
        if found is None:
            raise FakePlexError(404)
        section, item = found
        lib = section.library
        if isinstance(item, FakeArtist):
            children = [section.album_xml(a) for a in lib.albums_of[item.rating_key]]
        elif isinstance(item, FakeAlbum):
            children = [section.track_xml(t) for t in lib.tracks_of[item.rating_key]]
        else:
            children = []
        return self._items_reply(section, req, children)

    def _all_leaves(self, req: _Request) -> bytes:
        found = self._find(int(req.groups[0]))
        if found is None:
            raise FakePlexError(404)
        section, item = found
        if isinstance(item, FakeArtist):
            tracks = _artist_tracks(section.library, item)
        elif isinstance(item, FakeAlbum):
            tracks = section.library.tracks_of[item.rating_key]
        else:
            tracks = [item]
        return self._items_reply(section, req, [section.track_xml(t) for t in tracks])

    def _posters(self, req: _Request) -> bytes:
        key = int(req.groups[0])
        if key in self.playlists:
            self.set_poster(self.playlists[key], req.param("url") or req.body)
        elif self._find(key) is None:
            raise FakePlexError(404)
        return b""

    def set_poster(self, playlist: FakePlaylist, poster: bytes | str) -> None:
        """Give a playlist a poster, as an upload does (tests: the user's own)."""
        playlist.posters.append(poster)
        # PMS names the poster by the upload time; two in one second get two names.
        self._last_thumb_time = max(int(time.time()), self._last_thumb_time + 1)
        playlist.thumb = (
            f"/library/metadata/{playlist.rating_key}/thumb/{self._last_thumb_time}"
        )

    def remove_poster(self, playlist: FakePlaylist) -> None:
        """Go back to the composite, as the user can in Plex Web (tests)."""
        playlist.thumb = None

    def _rate(self, req: _Request) -> bytes:
        key, rating = req.param("key") or "", req.param("rating") or ""
        if not key.isdigit():
            raise FakePlexError(400)
        section, track = self._find_track(int(key))
        try:
            value = float(rating)
        except ValueError:
            raise FakePlexError(400) from None
        if value != -1 and not 0 <= value <= 10:
            raise FakePlexError(400)
        track.user_rating = None if value == -1 else value
        track.last_rated_at = None if value == -1 else int(time.time())
        section.library.touch()
        return b""

    # -- sonic ---------------------------------------------------------------------------------
    def _require_sonic(self) -> None:
        # UNCONFIRMED: the status PMS answers without sonic analysis / Plex Pass.
        # This fake answers 404 (plexapi raises NotFound).
        if not self.sonic_analysis:
            raise FakePlexError(404)

    @staticmethod
    def distance(a: Sequence[float], b: Sequence[float]) -> float:
        """Euclidean distance scaled into 0..1 (vectors live in the unit cube)."""
        return math.dist(a, b) / math.sqrt(len(a))

    def _nearest(self, req: _Request) -> bytes:
        self._require_sonic()
        section, track = self._find_track(int(req.groups[0]))
        try:
            limit = int(req.param("limit") or 50)
            max_distance = float(req.param("maxDistance") or 0.25)
            exclude_parent = int(req.param("excludeParentID") or -1)
        except ValueError:
            raise FakePlexError(400) from None
        # The closest `limit` tracks by (distance, ratingKey) within maxDistance, from
        # the section's sonic index: what a scan of every track would answer.
        index = section.index.sonic()
        tracks = index.tracks
        scored = index.nearest(
            track.sonic,
            limit,
            scale=math.sqrt(len(track.sonic)),  # as `distance`
            within=max_distance,
            skip=lambda p: (
                tracks[p] is track or tracks[p].album.rating_key == exclude_parent
            ),
            tie=lambda p: tracks[p].rating_key,
        )
        children = [
            section.track_xml(tracks[p], [("distance", f"{dist:.4f}")])
            for dist, p in scored
        ]
        return self._items_reply(section, req, children)

    def _compute_path(self, req: _Request) -> bytes:
        self._require_sonic()
        section = self._section(req.groups[0])
        start_id, end_id = req.param("startID") or "", req.param("endID") or ""
        if not (start_id.isdigit() and end_id.isdigit()):
            raise FakePlexError(400)
        first, last = (
            section.library.track_by_key.get(int(start_id)),
            section.library.track_by_key.get(int(end_id)),
        )
        if first is None or last is None:
            raise FakePlexError(404)
        steps = min(18, math.ceil(self.distance(first.sonic, last.sonic) / 0.05))
        path, used = [first], {first.rating_key, last.rating_key}
        index = section.index.sonic()
        tracks = index.tracks
        for step in range(1, steps):  # nearest unused track to evenly spaced waypoints
            point = [
                a + (b - a) * step / steps
                for a, b in zip(first.sonic, last.sonic, strict=True)
            ]
            # The first closest in library order, as a scan would pick it.
            found = index.nearest(point, 1, skip=lambda p: tracks[p].rating_key in used)
            best = tracks[found[0][1]] if found else None
            if best is not None:
                path.append(best)
                used.add(best.rating_key)
        if last is not first:
            path.append(last)
        return self._items_reply(section, req, [section.track_xml(t) for t in path])

    # -- playlists -----------------------------------------------------------------------------
    def _playlist_tracks(
        self, playlist: FakePlaylist
    ) -> list[tuple[int, _MusicSection, FakeTrack]]:
        """(playlistItemID, section, track) of every item; smart ones are searched now."""
        if playlist.smart:
            match = re.match(
                r"^[^/]*//[^/]*/[^/]*/library/sections/(\d+)/all\?(.*)$",
                playlist.content,
            )
            if match is None or int(match[1]) not in self.sections:
                return []
            section = self.sections[int(match[1])]
            level, positions, _total = self._search(
                section, parse_query(match[2]), None
            )
            items = section.index.items[level]
            return [
                (n, section, items[p])
                for n, p in enumerate(positions, 1)
                if level == TRACK
            ]
        out = []
        for entry in playlist.entries:
            found = self._find(entry.rating_key)
            if found is not None and isinstance(found[1], FakeTrack):
                out.append((entry.item_id, found[0], found[1]))
        return out

    def _playlist_xml(self, playlist: FakePlaylist) -> str:
        tracks = self._playlist_tracks(playlist)
        key = playlist.rating_key
        return _element("Playlist", [
            ("ratingKey", key), ("key", f"/playlists/{key}/items"), ("guid", playlist.guid),
            ("type", "playlist"), ("title", playlist.title), ("summary", playlist.summary),
            ("smart", int(playlist.smart)), ("playlistType", playlist.playlist_type),
            ("composite", f"/playlists/{key}/composite/{playlist.updated_at}"),
            ("thumb", playlist.thumb),
            ("icon", "playlist://image.smart" if playlist.smart else None),
            ("content", playlist.content or None),
            ("duration", sum(t.duration_ms for _i, _s, t in tracks)), ("leafCount", len(tracks)),
            ("addedAt", playlist.added_at), ("updatedAt", playlist.updated_at),
        ], " ")  # fmt: skip

    def _get_playlist(self, text: str) -> FakePlaylist:
        playlist = self.playlists.get(int(text))
        if playlist is None:
            raise FakePlexError(404)
        return playlist

    def _uri_keys(self, uri: str) -> list[int]:
        """RatingKeys from `server://{machineId}/com.plexapp.plugins.library/library/metadata/{ids}`."""
        match = re.match(
            r"^server://([^/]+)/com\.plexapp\.plugins\.library/library/metadata/([\d,]+)$",
            uri,
        )
        if match is None or match[1] != self.machine_identifier:
            raise FakePlexError(400)
        return [int(k) for k in match[2].split(",")]

    def _append(self, playlist: FakePlaylist, keys: Iterable[int]) -> None:
        """Append tracks; unknown ratingKeys are skipped (PMS behaviour UNCONFIRMED)."""
        for key in keys:
            found = self._find(key)
            if found is not None and isinstance(found[1], FakeTrack):
                playlist.entries.append(PlaylistEntry(self._next_item_id, key))
                self._next_item_id += 1
        playlist.updated_at = int(time.time())

    def _one_playlist(self, playlist: FakePlaylist) -> bytes:
        return _container([("size", 1)], [self._playlist_xml(playlist)])

    def _playlists(self, req: _Request) -> bytes:
        kind, title, smart = (
            req.param("playlistType"),
            (req.param("title") or "").lower(),
            req.param("smart"),
        )
        children = [
            self._playlist_xml(p)
            for p in self.playlists.values()
            if kind in (None, p.playlist_type)
            and title in p.title.lower()
            and smart in (None, str(int(p.smart)))
        ]
        page, sizes = self._page(req, children)
        return _container(sizes, page)

    def _create_playlist(self, req: _Request) -> bytes:
        title, uri, smart = (
            req.param("title"),
            req.param("uri") or "",
            req.param("smart", "0") == "1",
        )
        if req.param("type") != "audio" or not title or not uri:
            raise FakePlexError(400)
        if smart:
            match = re.match(
                r"^server://([^/]+)/com\.plexapp\.plugins\.library/library/sections/(\d+)/all\?",
                uri,
            )
            if (
                match is None
                or match[1] != self.machine_identifier
                or int(match[2]) not in self.sections
            ):
                raise FakePlexError(400)
            playlist = self.create_playlist(title, smart_content=uri)
        else:
            playlist = self.create_playlist(title, self._uri_keys(uri))
        return self._one_playlist(playlist)

    def _playlist(self, req: _Request) -> bytes:
        return self._one_playlist(self._get_playlist(req.groups[0]))

    def _edit_playlist(self, req: _Request) -> bytes:
        playlist = self._get_playlist(req.groups[0])
        title = req.param("title.value", req.param("title"))
        summary = req.param("summary.value", req.param("summary"))
        if title is not None:
            playlist.title = title
        if summary is not None:
            playlist.summary = summary
        playlist.updated_at = int(time.time())
        return b""

    def _delete_playlist(self, req: _Request) -> bytes:
        del self.playlists[self._get_playlist(req.groups[0]).rating_key]
        return b""

    def _playlist_items(self, req: _Request) -> bytes:
        playlist = self._get_playlist(req.groups[0])
        tracks = self._playlist_tracks(playlist)
        children = [
            section.track_xml(track, [("playlistItemID", item_id)])
            for item_id, section, track in tracks
        ]
        page, sizes = self._page(req, children)
        return _container([
            *sizes, ("composite", f"/playlists/{playlist.rating_key}/composite/{playlist.updated_at}"),
            ("duration", sum(t.duration_ms for _i, _s, t in tracks) // 1000), ("leafCount", len(tracks)),
            ("playlistType", playlist.playlist_type), ("ratingKey", playlist.rating_key),
            ("smart", int(playlist.smart)), ("title", playlist.title),
            ("thumb", playlist.thumb if self.playlist_items_thumb else None),
        ], page)  # fmt: skip

    def _editable(self, text: str) -> FakePlaylist:
        playlist = self._get_playlist(text)
        if playlist.smart:
            raise FakePlexError(400)
        return playlist

    def _add_playlist_items(self, req: _Request) -> bytes:
        playlist = self._editable(req.groups[0])
        self._append(playlist, self._uri_keys(req.param("uri") or ""))
        return self._one_playlist(playlist)

    def _clear_playlist(self, req: _Request) -> bytes:
        playlist = self._editable(req.groups[0])
        playlist.entries.clear()
        playlist.updated_at = int(time.time())
        return self._one_playlist(playlist)

    def _entry_position(self, playlist: FakePlaylist, text: str) -> int:
        position = next(
            (n for n, e in enumerate(playlist.entries) if e.item_id == int(text)), None
        )
        if position is None:
            raise FakePlexError(404)
        return position

    def _remove_playlist_item(self, req: _Request) -> bytes:
        playlist = self._editable(req.groups[0])
        del playlist.entries[self._entry_position(playlist, req.groups[1])]
        playlist.updated_at = int(time.time())
        return self._one_playlist(playlist)

    def _move_playlist_item(self, req: _Request) -> bytes:
        playlist = self._editable(req.groups[0])
        entry = playlist.entries.pop(self._entry_position(playlist, req.groups[1]))
        after = req.param("after") or "0"
        target = 0 if after in ("0", "") else self._entry_position(playlist, after) + 1
        playlist.entries.insert(target, entry)
        playlist.updated_at = int(time.time())
        return self._one_playlist(playlist)


# ---------------------------------------------------------------------------------------
# CLI.
# ---------------------------------------------------------------------------------------
async def _serve(args: argparse.Namespace) -> None:
    library = generate_library(args.tracks, seed=args.seed)
    server = FakePlexServer(
        token=args.token, music_sections=[(args.section, "Music", library)]
    )
    server.latency = args.latency_ms / 1000
    await server.start(port=args.port)
    print(f"url: {server.url}")  # noqa: T201
    print(f"token: {server.token}")  # noqa: T201
    print(f"music sections: {', '.join(str(s) for s in server.sections)}")  # noqa: T201
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the fake server on 127.0.0.1 until Ctrl-C."""
    parser = argparse.ArgumentParser(
        description="Fake Plex Media Server (music) on 127.0.0.1"
    )
    parser.add_argument("--tracks", type=int, default=3000)
    parser.add_argument("--port", type=int, default=32400)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--section", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
