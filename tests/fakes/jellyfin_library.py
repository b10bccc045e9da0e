"""Jellyfin-shaped music libraries for the fake Jellyfin server.

`generate_jellyfin_library()` converts a generated Plex library
(`tests.fakes.plex_library.generate_library`) into Jellyfin items: `Audio` tracks,
`MusicAlbum`s and `MusicArtist`s with deterministic 32-hex ids, genres (the album's
genres and styles, as a file's GENRE tag would carry them), moods as tags with a prefix
(`MOOD:Chill`), run time in ticks, and the listener's play data as Jellyfin user data
(rating 0-10 kept, favourites = tracks rated 10, play count, last played; there is no
skip count in Jellyfin). Tests add hand-made tracks with `JellyfinLibrary.add_track()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import random
import time
import uuid

from .plex_library import FakeLibrary, generate_library

MOOD_TAG_PREFIX = "MOOD:"
TICKS_PER_SECOND = 10_000_000
LIKED_RATING = 6.5  # UserItemData: Rating >= 6.5 is "Likes"
_NAMESPACE = uuid.UUID("5a0c8d4e-2f1b-4c67-9e3a-7d1b6f0e8c24")
_CONTAINERS = ("flac", "mp3", "flac", "m4a", "opus")


def jellyfin_id(*parts: object) -> str:
    """A deterministic Jellyfin id (32 lower-case hex digits) for a made-up item."""
    return uuid.uuid5(_NAMESPACE, "/".join(str(part) for part in parts)).hex


@dataclass(frozen=True, slots=True)
class JellyfinArtist:
    """A `MusicArtist` (Jellyfin keeps one artist item per name, server-wide)."""

    id: str
    name: str


@dataclass(slots=True)
class JellyfinAlbum:
    """A `MusicAlbum`."""

    id: str
    name: str
    album_artists: tuple[JellyfinArtist, ...]
    year: int | None = None
    genres: tuple[str, ...] = ()
    date_created: float = 0.0
    image_tag: str | None = None
    normalization_gain: float | None = None


@dataclass(slots=True)
class JellyfinTrack:
    """An `Audio` item."""

    id: str
    name: str
    album: JellyfinAlbum | None
    artists: tuple[JellyfinArtist, ...]
    genres: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    run_time_ticks: int = 200 * TICKS_PER_SECOND
    index_number: int | None = None
    disc_number: int | None = None
    year: int | None = None
    date_created: float = 0.0
    container: str = "flac"
    normalization_gain: float | None = None
    has_lyrics: bool = False
    plex_key: int | None = None  # ratingKey of the Plex track it was made from

    @property
    def album_artists(self) -> tuple[JellyfinArtist, ...]:
        """The album's artists (none for a track without album)."""
        return self.album.album_artists if self.album else ()

    @property
    def sort_name(self) -> str:
        """`Audio.CreateSortName`: "<disc:0000> - <track:0000> - <Name>"."""
        prefix = ""
        if self.disc_number is not None:
            prefix += f"{self.disc_number:04d} - "
        if self.index_number is not None:
            prefix += f"{self.index_number:04d} - "
        return prefix + self.name

    @property
    def user_data_key(self) -> str:
        """`Audio.GetUserDataKeys`: "<AlbumArtist>-<Album>-<disc:0000>-<track:0000><Name>"."""
        song = ""
        if self.disc_number is not None:
            song += f"{self.disc_number:04d}-"
        if self.index_number is not None:
            song += f"{self.index_number:04d}"
        artist = self.album_artists[0].name if self.album_artists else ""
        album = self.album.name if self.album else ""
        return f"{artist}-{album}-{song}{self.name}"


@dataclass(slots=True)
class UserItemData:
    """One user's data about one item (`UserItemData`)."""

    rating: float | None = None
    play_count: int = 0
    played: bool = False
    last_played: float | None = None  # epoch seconds
    is_favorite: bool = False
    playback_position_ticks: int = 0

    @property
    def likes(self) -> bool | None:
        """Derived from the rating, like Jellyfin does (None while unrated)."""
        return None if self.rating is None else self.rating >= LIKED_RATING


@dataclass
class JellyfinLibrary:
    """One music library (`CollectionFolder`, CollectionType music) and its items."""

    name: str = "Music"
    id: str = ""
    tracks: list[JellyfinTrack] = field(default_factory=list)
    albums: list[JellyfinAlbum] = field(default_factory=list)
    artists: dict[str, JellyfinArtist] = field(default_factory=dict)  # by name
    user_data: dict[str, UserItemData] = field(default_factory=dict)
    """Play data of the library's listener, by item id (the server gives it to a user)."""
    date_created: float = 1_700_000_000.0
    version: int = 0  # bumped on every change

    def __post_init__(self) -> None:
        """Derive the library id from its name unless given."""
        if not self.id:
            self.id = jellyfin_id("CollectionFolder", self.name)

    @property
    def path(self) -> str:
        """The library folder on the (pretend) server."""
        return f"/config/root/default/{self.name}"

    def artist(self, name: str) -> JellyfinArtist:
        """Return the artist with this name, creating it."""
        if name not in self.artists:
            self.artists[name] = JellyfinArtist(jellyfin_id("MusicArtist", name), name)
        return self.artists[name]

    def add_album(
        self,
        name: str,
        album_artist: str | JellyfinArtist,
        *,
        year: int | None = 2000,
        genres: tuple[str, ...] = (),
        date_created: float | None = None,
    ) -> JellyfinAlbum:
        """Add an album."""
        artist = (
            self.artist(album_artist) if isinstance(album_artist, str) else album_artist
        )
        album = JellyfinAlbum(
            id=jellyfin_id(self.id, "MusicAlbum", len(self.albums), name),
            name=name,
            album_artists=(artist,),
            year=year,
            genres=genres,
            date_created=time.time() if date_created is None else date_created,
        )
        self.albums.append(album)
        self.version += 1
        return album

    def add_track(
        self,
        name: str,
        artist: str | tuple[str, ...] = "Test Artist",
        album: str | JellyfinAlbum | None = None,
        *,
        album_artist: str | None = None,
        genres: tuple[str, ...] = (),
        tags: tuple[str, ...] = (),
        moods: tuple[str, ...] = (),
        mood_prefix: str = MOOD_TAG_PREFIX,
        seconds: int = 200,
        index_number: int | None = None,
        disc_number: int | None = 1,
        year: int | None = 2000,
        date_created: float | None = None,
        container: str = "flac",
        user_data: UserItemData | None = None,
    ) -> JellyfinTrack:
        """Add a hand-made track; its album is found by name or created.

        `moods` become tags `<mood_prefix><mood>` after `tags`. `user_data` is the
        listener's data (see `user_data`).
        """
        names = (artist,) if isinstance(artist, str) else artist
        if album is None:
            album = f"{name} (Single)"
        if isinstance(album, str):
            owner = album_artist or names[0]
            album = next(
                (
                    a
                    for a in self.albums
                    if a.name == album and a.album_artists[0].name == owner
                ),
                None,
            ) or self.add_album(album, owner, year=year, genres=genres)
        siblings = [t for t in self.tracks if t.album is album]
        track = JellyfinTrack(
            id=jellyfin_id(self.id, "Audio", len(self.tracks), name),
            name=name,
            album=album,
            artists=tuple(self.artist(n) for n in names),
            genres=genres,
            tags=(*tags, *(f"{mood_prefix}{m}" for m in moods)),
            run_time_ticks=seconds * TICKS_PER_SECOND,
            index_number=len(siblings) + 1 if index_number is None else index_number,
            disc_number=disc_number,
            year=year,
            date_created=time.time() if date_created is None else date_created,
            container=container,
        )
        self.tracks.append(track)
        if user_data is not None:
            self.user_data[track.id] = user_data
        self.version += 1
        return track

    def remove_track(self, track_id: str) -> JellyfinTrack:
        """Remove a track (as if its file was deleted and the library rescanned)."""
        track = next(t for t in self.tracks if t.id == track_id)
        self.tracks.remove(track)
        self.version += 1
        return track

    def track(self, name: str) -> JellyfinTrack:
        """Return the one track with this name."""
        [found] = [t for t in self.tracks if t.name == name]
        return found


def _split_artists(credit: str) -> tuple[str, ...]:
    """A track artist credit split like Jellyfin's audio prober would read it."""
    main, sep, featured = credit.partition(" feat. ")
    return (main, featured) if sep else (credit,)


def from_plex_library(
    plex: FakeLibrary,
    *,
    name: str = "Music",
    mood_prefix: str = MOOD_TAG_PREFIX,
) -> JellyfinLibrary:
    """Convert a generated Plex library into a Jellyfin music library.

    Ids derive from the library name and the Plex ratingKeys, so the same library
    converts to the same ids. The Plex listener's ratings, plays and last-played times
    become `user_data` (favourite = rated 10; skips are dropped: Jellyfin has none).
    """
    library = JellyfinLibrary(name=name)
    albums: dict[int, JellyfinAlbum] = {}
    for plex_album in plex.albums:
        album = JellyfinAlbum(
            id=jellyfin_id(library.id, "MusicAlbum", plex_album.rating_key),
            name=plex_album.title,
            album_artists=(library.artist(plex_album.artist.title),),
            year=plex_album.year,
            genres=(*plex_album.genres, *plex_album.styles),
            date_created=float(plex_album.added_at),
            image_tag=jellyfin_id("image", plex_album.rating_key)
            if plex_album.rating_key % 4
            else None,
            normalization_gain=-(plex_album.rating_key % 90) / 10 or None,
        )
        albums[plex_album.rating_key] = album
        library.albums.append(album)
    for plex_track in plex.tracks:
        album = albums[plex_track.album.rating_key]
        credit = plex_track.original_title or plex_track.artist.title
        track = JellyfinTrack(
            id=jellyfin_id(library.id, "Audio", plex_track.rating_key),
            name=plex_track.title,
            album=album,
            artists=tuple(library.artist(n) for n in _split_artists(credit)),
            genres=album.genres,
            tags=tuple(f"{mood_prefix}{mood}" for mood in plex_track.moods),
            run_time_ticks=plex_track.duration_ms * (TICKS_PER_SECOND // 1000),
            index_number=plex_track.index,
            disc_number=plex_track.disc,
            year=album.year,
            date_created=float(plex_track.added_at),
            container=_CONTAINERS[plex_track.rating_key % len(_CONTAINERS)],
            normalization_gain=-(plex_track.rating_key % 120) / 10 or None,
            has_lyrics=plex_track.rating_key % 7 == 0,
            plex_key=plex_track.rating_key,
        )
        library.tracks.append(track)
        if plex_track.user_rating is not None or plex_track.view_count:
            library.user_data[track.id] = UserItemData(
                rating=plex_track.user_rating,
                play_count=plex_track.view_count,
                played=plex_track.view_count > 0,
                last_played=plex_track.last_viewed_at,
                is_favorite=plex_track.user_rating == 10,
            )
    return library


def generate_jellyfin_library(
    track_count: int,
    *,
    seed: int = 1,
    now: float | None = None,
    name: str = "Music",
    mood_prefix: str = MOOD_TAG_PREFIX,
) -> JellyfinLibrary:
    """Generate a Jellyfin library of `track_count` tracks; same seed, same library."""
    return from_plex_library(
        generate_library(track_count, seed=seed, now=now),
        name=name,
        mood_prefix=mood_prefix,
    )


def random_user_data(
    library: JellyfinLibrary,
    *,
    seed: int,
    share: float = 0.3,
    now: float | None = None,
) -> dict[str, UserItemData]:
    """Different, seeded play data for another listener of the same library."""
    rng = random.Random(seed)
    now_s = time.time() if now is None else now
    data: dict[str, UserItemData] = {}
    for track in library.tracks:
        if rng.random() >= share:
            continue
        plays = rng.choice((0, 0, 1, 2, 5, 12))
        rating = rng.choice((None, None, None, 1.0, 10.0, 4.0, 8.0))
        data[track.id] = UserItemData(
            rating=rating,
            play_count=plays,
            played=plays > 0,
            last_played=now_s - rng.randint(0, 400 * 86_400) if plays else None,
            is_favorite=rng.random() < 0.1,
        )
    return data
