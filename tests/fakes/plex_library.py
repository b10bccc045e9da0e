"""A seeded, deterministic, made-up music library for the fake Plex Media Server.

`generate_library()` builds artists, albums and tracks with Plex-like data: genres and
styles on artists and albums, moods on all three levels, play/skip counts, ratings
(most tracks unrated), timestamps and sonic vectors clustered by genre. Tests add
hand-made items with `FakeLibrary.add_track()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
import random
import time

SONIC_DIMENSIONS = 8
TAG_KINDS = ("genre", "style", "mood", "country")
# Tag ids are unique across kinds, like real PMS tag ids.
_TAG_ID_BASE = {"genre": 100, "style": 300, "mood": 600, "country": 900}

GENRE_STYLES: dict[str, tuple[str, ...]] = {
    "Rock": ("Alternative Rock", "Indie Rock", "Shoegaze", "Post-Punk", "Garage Rock"),
    "Electronic": ("House", "Techno", "IDM", "Synthpop", "Downtempo"),
    "Jazz": ("Bebop", "Cool Jazz", "Jazz Fusion", "Modal Jazz", "Vocal Jazz"),
    "Hip-Hop": ("Boom Bap", "Trap", "Conscious Hip-Hop", "Trip Hop"),
    "Folk": ("Singer-Songwriter", "Indie Folk", "Americana", "Folk Rock"),
    "Classical": ("Baroque", "Romantic Era", "Minimalism", "Chamber Music"),
    "Pop": ("Dance Pop", "Dream Pop", "Art Pop", "Electropop"),
    "Ambient": ("Dark Ambient", "Drone", "New Age", "Space Ambient"),
    "Metal": ("Doom Metal", "Thrash Metal", "Black Metal", "Progressive Metal"),
    "Soul": ("Neo-Soul", "Funk", "Motown", "Contemporary R&B"),
}
GENRE_MOODS: dict[str, tuple[str, ...]] = {
    "Rock": ("Energetic", "Aggressive", "Rebellious", "Confident", "Melancholy"),
    "Electronic": ("Energetic", "Hypnotic", "Upbeat", "Atmospheric", "Dreamy"),
    "Jazz": ("Relaxed", "Sophisticated", "Romantic", "Chill", "Smooth"),
    "Hip-Hop": ("Confident", "Aggressive", "Gritty", "Upbeat", "Chill"),
    "Folk": ("Melancholy", "Warm", "Relaxed", "Reflective", "Romantic"),
    "Classical": ("Atmospheric", "Reflective", "Dramatic", "Romantic", "Relaxed"),
    "Pop": ("Happy", "Upbeat", "Romantic", "Energetic", "Dreamy"),
    "Ambient": ("Atmospheric", "Chill", "Dreamy", "Relaxed", "Hypnotic"),
    "Metal": ("Aggressive", "Energetic", "Dramatic", "Rebellious", "Gritty"),
    "Soul": ("Romantic", "Warm", "Happy", "Smooth", "Melancholy"),
}
GENRES = tuple(GENRE_STYLES)
STYLES = tuple(dict.fromkeys(s for styles in GENRE_STYLES.values() for s in styles))
MOODS = tuple(dict.fromkeys(m for moods in GENRE_MOODS.values() for m in moods))
COUNTRIES = (
    "United States", "United Kingdom", "Germany", "France", "Sweden", "Japan",
    "Canada", "Australia", "Iceland", "Brazil", "Nigeria", "Ireland",
)  # fmt: skip
VARIOUS_ARTISTS = "Various Artists"

_ADJECTIVES = (
    "Silver", "Hollow", "Electric", "Velvet", "Broken", "Golden", "Midnight", "Paper",
    "Crimson", "Quiet", "Wild", "Neon", "Frozen", "Distant", "Gentle", "Burning",
    "Hidden", "Lonely", "Violet", "Restless", "Amber", "Static", "Wandering", "Lucid",
)  # fmt: skip
_NOUNS = (
    "Harbor", "Owl", "Engine", "River", "Lantern", "Garden", "Signal", "Tide",
    "Mirror", "Canyon", "Comet", "Meadow", "Tower", "Ember", "Orchard", "Horizon",
    "Fox", "Satellite", "Island", "Cathedral", "Wave", "Thunder", "Feather", "Machine",
)  # fmt: skip
_FIRST = (
    "Ada", "Milo", "Nina", "Oscar", "Lena", "Theo", "Iris", "Felix", "Maya", "Jonas",
    "Clara", "Hugo", "Zoe", "Elias", "Rosa", "Victor", "Leah", "Anton", "Sofia", "Max",
)  # fmt: skip
_LAST = (
    "Marlowe", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Reyes", "Novak", "Byrne",
    "Kowalski", "Haddad", "Fischer", "Delgado", "Sato", "Winter", "Alvarez", "Quinn",
)  # fmt: skip
_VERBS = (
    "Chasing", "Falling", "Waiting", "Dancing", "Burning", "Drifting", "Running",
    "Dreaming", "Holding", "Leaving", "Finding", "Calling",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FakeArtist:
    """An album artist (a Plex `artist`)."""

    rating_key: int
    title: str
    genres: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    added_at: int = 0


@dataclass(frozen=True, slots=True)
class FakeAlbum:
    """An album (a Plex `album`); compilations belong to "Various Artists"."""

    rating_key: int
    title: str
    artist: FakeArtist
    year: int
    genres: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    is_compilation: bool = False
    added_at: int = 0


@dataclass(slots=True)
class FakeTrack:
    """A track; play data is mutable (the fake's `/:/rate` writes `user_rating`)."""

    rating_key: int
    title: str
    album: FakeAlbum
    artist: FakeArtist  # the album artist (grandparent)
    original_title: str | None  # track artist when it differs (compilations, features)
    index: int
    disc: int
    duration_ms: int
    user_rating: float | None
    view_count: int
    skip_count: int
    last_viewed_at: int | None
    added_at: int
    last_rated_at: int | None
    moods: tuple[str, ...]
    sonic: tuple[float, ...]
    rating_count: int

    @property
    def track_artist(self) -> str:
        """The artist of the track itself: `original_title`, else the album artist."""
        return self.original_title or self.artist.title


@dataclass
class FakeLibrary:
    """Artists, albums and tracks of one music section, with lookups and tag ids."""

    artists: list[FakeArtist] = field(default_factory=list)
    albums: list[FakeAlbum] = field(default_factory=list)
    tracks: list[FakeTrack] = field(default_factory=list)
    artist_by_key: dict[int, FakeArtist] = field(default_factory=dict)
    album_by_key: dict[int, FakeAlbum] = field(default_factory=dict)
    track_by_key: dict[int, FakeTrack] = field(default_factory=dict)
    albums_of: dict[int, list[FakeAlbum]] = field(default_factory=dict)
    tracks_of: dict[int, list[FakeTrack]] = field(default_factory=dict)
    tag_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    next_rating_key: int = 1000
    version: int = 0  # bumped on every change, so indexes built on it can refresh

    def __post_init__(self) -> None:
        """Give every known tag a stable id (independent of the seed)."""
        for kind, names in zip(
            TAG_KINDS, (GENRES, STYLES, MOODS, COUNTRIES), strict=True
        ):
            for name in names:
                self.tag_id(kind, name)

    def tag_id(self, kind: str, name: str) -> int:
        """Return the id of a tag, assigning the next free one for a new name."""
        table = self.tag_ids.setdefault(kind, {})
        if name not in table:
            table[name] = _TAG_ID_BASE[kind] + len(table) + 1
        return table[name]

    def item(self, rating_key: int) -> FakeArtist | FakeAlbum | FakeTrack | None:
        """Return the artist, album or track with this ratingKey."""
        return (
            self.track_by_key.get(rating_key)
            or self.album_by_key.get(rating_key)
            or self.artist_by_key.get(rating_key)
        )

    def touch(self) -> None:
        """Record a change made to existing items (e.g. a new rating)."""
        self.version += 1

    def _new_key(self) -> int:
        key = self.next_rating_key
        self.next_rating_key += 1
        return key

    def _register_tags(self, kind: str, names: Iterable[str]) -> None:
        for name in names:
            self.tag_id(kind, name)

    def add_artist(
        self,
        title: str,
        *,
        genres: tuple[str, ...] = (),
        styles: tuple[str, ...] = (),
        moods: tuple[str, ...] = (),
        country: tuple[str, ...] = (),
        added_at: int = 0,
    ) -> FakeArtist:
        """Add an artist."""
        artist = FakeArtist(
            self._new_key(), title, genres, styles, moods, country, added_at
        )
        for kind, names in (
            ("genre", genres), ("style", styles), ("mood", moods), ("country", country)
        ):  # fmt: skip
            self._register_tags(kind, names)
        self.artists.append(artist)
        self.artist_by_key[artist.rating_key] = artist
        self.albums_of[artist.rating_key] = []
        self.version += 1
        return artist

    def add_album(
        self,
        title: str,
        artist: FakeArtist,
        *,
        year: int = 2000,
        genres: tuple[str, ...] = (),
        styles: tuple[str, ...] = (),
        moods: tuple[str, ...] = (),
        is_compilation: bool = False,
        added_at: int = 0,
    ) -> FakeAlbum:
        """Add an album by an artist already in the library."""
        album = FakeAlbum(
            self._new_key(), title, artist, year, genres, styles, moods,
            is_compilation, added_at,
        )  # fmt: skip
        for kind, names in (("genre", genres), ("style", styles), ("mood", moods)):
            self._register_tags(kind, names)
        self.albums.append(album)
        self.album_by_key[album.rating_key] = album
        self.albums_of[artist.rating_key].append(album)
        self.tracks_of[album.rating_key] = []
        self.version += 1
        return album

    def add_track(
        self,
        title: str,
        artist: str | FakeArtist,
        album: str | FakeAlbum | None = None,
        *,
        original_title: str | None = None,
        index: int | None = None,
        disc: int = 1,
        duration_ms: int = 200_000,
        user_rating: float | None = None,
        view_count: int = 0,
        skip_count: int = 0,
        last_viewed_at: int | None = None,
        added_at: int | None = None,
        last_rated_at: int | None = None,
        moods: tuple[str, ...] = (),
        sonic: tuple[float, ...] = (0.5,) * SONIC_DIMENSIONS,
        rating_count: int = 0,
    ) -> FakeTrack:
        """Add a hand-made track; artist and album are found by title or created."""
        if isinstance(artist, str):
            artist = next(
                (a for a in self.artists if a.title == artist), None
            ) or self.add_artist(artist)
        if not isinstance(album, FakeAlbum):
            album_title = album or f"{title} (Single)"
            album = next(
                (
                    a
                    for a in self.albums_of[artist.rating_key]
                    if a.title == album_title
                ),
                None,
            ) or self.add_album(album_title, artist)
        siblings = self.tracks_of[album.rating_key]
        track = FakeTrack(
            rating_key=self._new_key(),
            title=title,
            album=album,
            artist=album.artist,
            original_title=original_title,
            index=index if index is not None else len(siblings) + 1,
            disc=disc,
            duration_ms=duration_ms,
            user_rating=user_rating,
            view_count=view_count,
            skip_count=skip_count,
            last_viewed_at=last_viewed_at,
            added_at=added_at if added_at is not None else int(time.time()),
            last_rated_at=last_rated_at,
            moods=moods,
            sonic=sonic,
            rating_count=rating_count,
        )
        self._register_tags("mood", moods)
        self._append_track(track)
        self.version += 1
        return track

    def _append_track(self, track: FakeTrack) -> None:
        self.tracks.append(track)
        self.track_by_key[track.rating_key] = track
        self.tracks_of[track.album.rating_key].append(track)


def _pick(
    rng: random.Random, pool: tuple[str, ...], low: int, high: int
) -> tuple[str, ...]:
    return tuple(rng.sample(pool, rng.randint(low, min(high, len(pool)))))


# Sonic values sit on a 0.001 grid and share these float objects: 100,000 tracks
# then cost tuples of references instead of 800,000 separate floats.
_SONIC_GRID = tuple(step / 1000 for step in range(1001))


def _clip(value: float) -> float:
    return _SONIC_GRID[round(min(1.0, max(0.0, value)) * 1000)]


class _Names:
    """Readable, mostly unique made-up names."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def _unique(self, make: str) -> str:
        name = make
        counter = 2
        while name in self._used:
            name = f"{make} {counter}"
            counter += 1
        self._used.add(name)
        return name

    def artist(self) -> str:
        rng = self._rng
        form = rng.randrange(3)
        if form == 0:
            name = f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}s"
        elif form == 1:
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        else:
            name = f"{rng.choice(_NOUNS)} {rng.choice(_NOUNS)}"
        return self._unique(name)

    def album(self) -> str:
        rng = self._rng
        if rng.random() < 0.5:
            return f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        return f"{rng.choice(_NOUNS)}s of {rng.choice(_NOUNS)}"

    def track(self) -> str:
        rng = self._rng
        form = rng.randrange(3)
        if form == 0:
            return f"{rng.choice(_VERBS)} the {rng.choice(_NOUNS)}"
        if form == 1:
            return f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        return f"{rng.choice(_NOUNS)} in {rng.choice(_ADJECTIVES)}"


def generate_library(
    track_count: int,
    *,
    seed: int = 1,
    now: float | None = None,
    first_rating_key: int = 1000,
) -> FakeLibrary:
    """Generate a library of exactly `track_count` tracks; same seed, same library."""
    rng = random.Random(seed)
    now_s = int(time.time() if now is None else now)
    day = 86_400
    names = _Names(rng)
    library = FakeLibrary(next_rating_key=first_rating_key)
    centroids = {
        genre: tuple(rng.uniform(0.15, 0.85) for _ in range(SONIC_DIMENSIONS))
        for genre in GENRES
    }
    various = library.add_artist(VARIOUS_ARTISTS, added_at=now_s - 5 * 365 * day)
    track_artist_names: list[str] = []

    album_number = 0
    while len(library.tracks) < track_count:
        genres = _pick(rng, GENRES, 1, 2)
        artist_added = now_s - rng.randint(60, 5 * 365) * day
        artist = library.add_artist(
            names.artist(),
            genres=genres,
            styles=_pick(rng, GENRE_STYLES[genres[0]], 1, 3),
            moods=_pick(rng, GENRE_MOODS[genres[0]], 2, 4),
            country=(rng.choice(COUNTRIES),),
            added_at=artist_added,
        )
        track_artist_names.append(artist.title)
        for _ in range(rng.randint(1, 6)):
            if len(library.tracks) >= track_count:
                break
            album_number += 1
            compilation = album_number % 12 == 0 and len(track_artist_names) > 3
            owner = various if compilation else artist
            genre = rng.choice(genres)
            album = library.add_album(
                f"{names.album()} Vol. {album_number // 12}"
                if compilation
                else names.album(),
                owner,
                year=rng.randint(1965, 2025),
                genres=(genre,),
                styles=_pick(rng, GENRE_STYLES[genre], 1, 2),
                moods=_pick(rng, GENRE_MOODS[genre], 2, 3),
                is_compilation=compilation,
                added_at=max(artist_added, now_s - rng.randint(30, 5 * 365) * day),
            )
            _fill_album(rng, library, album, names, centroids[genre], track_artist_names,
                        track_count, now_s)  # fmt: skip
    return library


def _fill_album(
    rng: random.Random,
    library: FakeLibrary,
    album: FakeAlbum,
    names: _Names,
    centroid: tuple[float, ...],
    track_artist_names: list[str],
    track_count: int,
    now_s: int,
) -> None:
    """Add ~10 generated tracks to an album."""
    album_centre = [c + rng.gauss(0, 0.04) for c in centroid]
    size = rng.randint(7, 14)
    discs = 2 if size > 12 else 1
    for number in range(size):
        if len(library.tracks) >= track_count:
            return
        if album.is_compilation:
            original_title: str | None = rng.choice(track_artist_names)
        elif rng.random() < 0.04:
            original_title = (
                f"{album.artist.title} feat. {rng.choice(track_artist_names)}"
            )
        else:
            original_title = None
        rated = rng.random() < 0.4
        view_count = 0 if rng.random() < 0.45 else int(rng.paretovariate(1.2))
        last_viewed = now_s - rng.randint(0, 730 * 86_400) if view_count else None
        added_at = album.added_at
        last_rated = now_s - rng.randint(0, 1000 * 86_400) if rated else None
        moods = tuple(m for m in album.moods if rng.random() < 0.5)
        if rng.random() < 0.15:
            moods = (*moods, rng.choice(MOODS))
        track = FakeTrack(
            rating_key=library._new_key(),
            title=names.track(),
            album=album,
            artist=album.artist,
            original_title=original_title,
            index=number % 12 + 1,
            disc=number // 12 + 1 if discs > 1 else 1,
            duration_ms=rng.randint(120, 420) * 1000 + rng.randint(0, 999),
            user_rating=float(rng.choice((2, 4, 6, 6, 8, 8, 8, 10, 10, 3, 5, 7, 9)))
            if rated
            else None,
            view_count=view_count,
            skip_count=0 if rng.random() < 0.7 else rng.randint(1, 6),
            last_viewed_at=last_viewed,
            added_at=added_at,
            last_rated_at=last_rated,
            moods=tuple(dict.fromkeys(moods)),
            sonic=tuple(_clip(c + rng.gauss(0, 0.04)) for c in album_centre),
            rating_count=int(rng.lognormvariate(9, 2)),
        )
        library._register_tags("mood", track.moods)
        library._append_track(track)
    library.version += 1
