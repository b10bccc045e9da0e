"""Playlist generators: one per playlist kind, built from a subentry's settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol

from homeassistant.const import CONF_USERNAME
from homeassistant.exceptions import TemplateError

from .const import (
    CONF_COUNTRY,
    CONF_EXCLUDE_ARTISTS,
    CONF_EXCLUDE_GENRES,
    CONF_EXCLUDE_MOODS,
    CONF_EXCLUDE_PLAYED_DAYS,
    CONF_EXCLUDE_STYLES,
    CONF_EXCLUDE_TAGS,
    CONF_FAVOUR,
    CONF_INCLUDE_KNOWN_ARTISTS,
    CONF_KIND,
    CONF_LENGTH_MINUTES,
    CONF_LIBRARIES,
    CONF_MAX_SKIPS,
    CONF_MIN_STARS,
    CONF_ORDER,
    CONF_PERIOD,
    CONF_SEASONS,
    CONF_SEED,
    CONF_SEED_ARTISTS,
    CONF_SEED_MODE,
    CONF_SIMILAR_ARTISTS,
    CONF_SIZE,
    CONF_TIME_WINDOWS,
    CONF_TRACKS_PER_ARTIST,
    KIND_DAILY_FLOW,
    KIND_LASTFM_DISCOVERY,
    KIND_LASTFM_TOP_TRACKS,
    KIND_SONIC_FLOW,
    LASTFM_KINDS,
    LOGGER,
)
from .engine.daily_flow import DailyFlowSettings, active_window, select_daily_flow
from .engine.generation import Generation
from .engine.lastfm_playlists import (
    LibraryMatcher,
    SourceTrack,
    async_discovery,
    async_first_found,
)
from .engine.matching import normalize_artist
from .engine.models import Criteria, Exclusions, Refinements
from .engine.seasons import (
    DEFAULT_SEASONS,
    Season,
    SeasonError,
    next_season_change,
    parse_seasons,
)
from .engine.selection import RunStatus
from .engine.shape import Length, accepts, fitted, is_full, with_seasons
from .engine.sonic import (
    NoSeedError,
    SonicFlowSettings,
    async_flow_order,
    async_select_sonic_flow,
)
from .engine.windows import is_template, next_boundary, parse_time_windows
from .lastfm import LastFmClient
from .music_server import MusicServer

# Chart entries asked for per playlist track (many are not in a library), at most.
CHART_TRACKS_PER_TRACK = 3
MAX_CHART_TRACKS = 300
# Discovery: the user's top artists count as known (left out by default); Last.fm
# top tracks asked per track taken from an artist.
KNOWN_ARTISTS = 20
TOP_TRACKS_PER_PICK = 3
DEFAULT_PERIOD = "3month"
DEFAULT_SEED_ARTISTS = 5
DEFAULT_SIMILAR_ARTISTS = 20
DEFAULT_TRACKS_PER_ARTIST = 2
# Kinds whose tracks are checked against excluded tags after choosing them ask
# again for this many times the tracks they need when the check left them short.
TAG_EXCLUSION_OVERFETCH = 2


@dataclass(frozen=True, slots=True)
class PlaylistShape:
    """A playlist's length and what it leaves out, whatever its kind."""

    length: Length
    exclusions: Exclusions
    seasons: tuple[Season, ...] = ()

    def exclusions_on(self, day: date) -> Exclusions:
        """Return the exclusions on `day`: the playlist's, plus tags out of season."""
        return with_seasons(self.exclusions, self.seasons, day)

    def next_change(self, now: datetime) -> datetime | None:
        """Return when a season starts or ends next."""
        return next_season_change(self.seasons, now)


def playlist_shape(
    data: Mapping[str, Any], entry_options: Mapping[str, Any]
) -> PlaylistShape:
    """Read a playlist's length and exclusions, and the entry's seasons."""
    try:
        seasons = parse_seasons(str(entry_options.get(CONF_SEASONS, DEFAULT_SEASONS)))
    except SeasonError as err:  # the options form refuses these
        LOGGER.warning("Seasons ignored: %s", err)
        seasons = ()

    def names(key: str) -> tuple[str, ...]:
        return tuple(
            str(name).strip() for name in data.get(key, ()) if str(name).strip()
        )

    return PlaylistShape(
        length=Length(
            tracks=int(data[CONF_SIZE]),
            minutes=int(data.get(CONF_LENGTH_MINUTES) or 0),
        ),
        exclusions=Exclusions(
            artists=names(CONF_EXCLUDE_ARTISTS),
            genres=names(CONF_EXCLUDE_GENRES),
            moods=names(CONF_EXCLUDE_MOODS),
            styles=names(CONF_EXCLUDE_STYLES),
            tags=names(CONF_EXCLUDE_TAGS),
        ),
        seasons=seasons,
    )


async def async_shaped(
    server: MusicServer,
    shape: PlaylistShape,
    exclusions: Exclusions,
    produce: Callable[[int], Awaitable[Generation]],
) -> Generation:
    """Choose with `produce(tracks)`, leave out excluded tags, fit the length.

    For kinds that do not search (their excluded artists and held tracks are
    turned away while choosing): the server checks the chosen tracks' tags; when
    that leaves the playlist short, the choice is made once more with
    `TAG_EXCLUSION_OVERFETCH` times the tracks.
    """
    tags = replace(exclusions, artists=())

    async def kept(size: int) -> tuple[Generation, bool]:
        generation = await produce(size)
        if not tags or not generation.tracks:
            return generation, False
        tracks = await server.async_drop_excluded(generation.tracks, tags)
        dropped = len(tracks) < len(generation.tracks)
        return replace(generation, tracks=tuple(tracks)), dropped

    wanted = shape.length.tracks_wanted
    generation, dropped = await kept(wanted)
    if dropped and not is_full(generation.tracks, shape.length):
        generation, _ = await kept(wanted * TAG_EXCLUSION_OVERFETCH)
    return fitted(generation, shape.length)


class PlaylistGenerator(Protocol):
    """Chooses a playlist's tracks."""

    kind: str
    needs_sonic_analysis: bool
    """Whether runs ask the server for sonic analysis."""

    async def async_generate(
        self,
        now: datetime,
        recent: frozenset[str] = frozenset(),
        held: frozenset[str] = frozenset(),
    ) -> Generation:
        """Choose the tracks for a run at `now` (local, aware).

        `recent` holds the ids of the tracks the playlist's last runs wrote;
        `held` those that other playlists hold, which are left out.
        """

    def window_name(self, now: datetime) -> str | None:
        """Return the name of the time window in effect, for kinds that have them."""

    def next_change(self, now: datetime) -> datetime | None:
        """Return when the content should change next besides the interval."""


class _IntervalOnly:
    """For kinds without time windows: the content changes on the interval.

    And when a season starts or ends, for the kinds that have a shape.
    """

    needs_sonic_analysis = False
    _shape: PlaylistShape | None = None

    def window_name(self, now: datetime) -> str | None:
        """Return None: no time windows."""
        return None

    def next_change(self, now: datetime) -> datetime | None:
        """Return when a season starts or ends next."""
        return self._shape.next_change(now) if self._shape else None


def refinements(data: Mapping[str, Any]) -> Refinements:
    """Read the rating, recently-played and skip refinements of a subentry."""
    max_skips = data.get(CONF_MAX_SKIPS)
    return Refinements(
        min_stars=float(data.get(CONF_MIN_STARS, 0)),
        exclude_played_days=int(data.get(CONF_EXCLUDE_PLAYED_DAYS, 0)),
        max_skips=None if max_skips is None else int(max_skips),
    )


def library_keys(
    data: Mapping[str, Any], entry_libraries: list[str]
) -> tuple[str, ...]:
    """Return the subentry's libraries the entry still uses; all of them if none."""
    keys = [key for key in data.get(CONF_LIBRARIES, []) if key in entry_libraries]
    return tuple(keys or entry_libraries)


class DailyFlowGenerator:
    """The Daily Flow: what plays follows the time of day."""

    kind = KIND_DAILY_FLOW

    def __init__(
        self,
        server: MusicServer,
        data: Mapping[str, Any],
        entry_libraries: list[str],
        render: Callable[[str], str],
        shape: PlaylistShape,
    ) -> None:
        """Read the settings; `render` renders a template criteria item."""
        self._server = server
        self._render = render
        self._shape = shape
        self.settings = DailyFlowSettings(
            windows=parse_time_windows(data[CONF_TIME_WINDOWS]),
            refinements=refinements(data),
            size=shape.length.tracks_wanted,
            library_keys=library_keys(data, entry_libraries),
            mood_levels=server.capabilities.mood_levels,
            order=data.get(CONF_ORDER, "spread"),
            favour=data.get(CONF_FAVOUR, "none"),
        )
        self.needs_sonic_analysis = self.settings.order == "flow"

    async def async_generate(
        self,
        now: datetime,
        recent: frozenset[str] = frozenset(),
        held: frozenset[str] = frozenset(),
    ) -> Generation:
        """Select for the active window; optionally order the tracks as a flow.

        Criteria written as templates are rendered now; a rendered value may
        name several items, comma separated.
        """
        try:
            settings = replace(
                self.settings,
                windows=tuple(
                    replace(window, criteria=self._rendered(window.criteria))
                    for window in self.settings.windows
                ),
                exclusions=self._shape.exclusions_on(now.date()),
            )
        except TemplateError as err:
            LOGGER.warning("A time window's template failed: %s", err)
            return Generation(
                tracks=(),
                status=RunStatus.FAILED,
                description="",
                failure="template_error",
            )
        generation = fitted(
            await select_daily_flow(self._server, settings, now, recent, held=held),
            self._shape.length,
        )
        if self.settings.order == "flow" and generation.tracks:
            ordered = await async_flow_order(self._server, generation.tracks)
            generation = replace(generation, tracks=tuple(ordered))
        return generation

    def _rendered(self, criteria: Criteria) -> Criteria:
        def items(values: tuple[str, ...]) -> tuple[str, ...]:
            rendered: list[str] = []
            for value in values:
                text = self._render(value) if is_template(value) else value
                rendered += [item.strip() for item in text.split(",") if item.strip()]
            return tuple(dict.fromkeys(rendered))

        return Criteria(
            moods=items(criteria.moods),
            genres=items(criteria.genres),
            styles=items(criteria.styles),
        )

    def window_name(self, now: datetime) -> str | None:
        """Return the active window's name."""
        window = active_window(self.settings.windows, now)
        return window.name if window else None

    def next_change(self, now: datetime) -> datetime | None:
        """Return the next window start, or a season's start or end before it."""
        window_start = next_boundary(self.settings.windows, now)
        season_change = self._shape.next_change(now)
        return min(window_start, season_change) if season_change else window_start


class SonicFlowGenerator(_IntervalOnly):
    """A flow of sonically similar tracks from a seed."""

    kind = KIND_SONIC_FLOW
    _shape: PlaylistShape
    needs_sonic_analysis = True

    def __init__(
        self,
        server: MusicServer,
        data: Mapping[str, Any],
        entry_libraries: list[str],
        shape: PlaylistShape,
    ) -> None:
        """Read the settings."""
        self._server = server
        self._shape = shape
        self.settings = SonicFlowSettings(
            seed_mode=data.get(CONF_SEED_MODE, "recent"),
            seed=str(data.get(CONF_SEED, "")),
            refinements=refinements(data),
            size=shape.length.tracks_wanted,
            library_keys=library_keys(data, entry_libraries),
        )

    async def async_generate(
        self,
        now: datetime,
        recent: frozenset[str] = frozenset(),
        held: frozenset[str] = frozenset(),
    ) -> Generation:
        """Chain similar tracks from the seed."""
        exclusions = self._shape.exclusions_on(now.date())

        async def produce(size: int) -> Generation:
            return await async_select_sonic_flow(
                self._server,
                replace(self.settings, size=size),
                now,
                accepts(exclusions, held),
            )

        try:
            return await async_shaped(self._server, self._shape, exclusions, produce)
        except NoSeedError:
            return Generation(
                tracks=(), status=RunStatus.FAILED, description="", failure="no_seed"
            )


class LastFmTopTracksGenerator(_IntervalOnly):
    """Last.fm's global (or a country's) chart, as far as the libraries have it."""

    kind = KIND_LASTFM_TOP_TRACKS
    _shape: PlaylistShape

    def __init__(
        self,
        server: MusicServer,
        lastfm: LastFmClient,
        overrides: Mapping[str, str | None],
        data: Mapping[str, Any],
        entry_libraries: list[str],
        *,
        shape: PlaylistShape,
    ) -> None:
        """Read the settings."""
        self._server = server
        self._lastfm = lastfm
        self._overrides = overrides
        self._country = str(data.get(CONF_COUNTRY, "")).strip()
        self._shape = shape
        self._library_keys = library_keys(data, entry_libraries)

    async def async_generate(
        self,
        now: datetime,
        recent: frozenset[str] = frozenset(),
        held: frozenset[str] = frozenset(),
    ) -> Generation:
        """Take the chart's first tracks that the libraries have."""
        exclusions = self._shape.exclusions_on(now.date())
        matcher = LibraryMatcher(self._server, self._library_keys, self._overrides)

        async def produce(size: int) -> Generation:
            limit = min(size * CHART_TRACKS_PER_TRACK, MAX_CHART_TRACKS)
            if self._country:
                chart = await self._lastfm.async_geo_top_tracks(self._country, limit)
                description = f"Last.fm top tracks in {self._country}"
            else:
                chart = await self._lastfm.async_chart_top_tracks(limit)
                description = "Last.fm top tracks"
            return await async_first_found(
                matcher,
                [SourceTrack(track.artist, track.title) for track in chart],
                size=size,
                description=description,
                accept=accepts(exclusions, held),
            )

        return await async_shaped(self._server, self._shape, exclusions, produce)


class LastFmDiscoveryGenerator(_IntervalOnly):
    """Artists similar to the user's top artists, and their best-known tracks."""

    kind = KIND_LASTFM_DISCOVERY
    _shape: PlaylistShape

    def __init__(
        self,
        server: MusicServer,
        lastfm: LastFmClient,
        *,
        username: str,
        overrides: Mapping[str, str | None],
        data: Mapping[str, Any],
        entry_libraries: list[str],
        shape: PlaylistShape,
    ) -> None:
        """Read the settings."""
        self._server = server
        self._lastfm = lastfm
        self._username = username
        self._shape = shape
        self._overrides = overrides
        self._period = str(data.get(CONF_PERIOD, DEFAULT_PERIOD))
        self._seed_artists = int(data.get(CONF_SEED_ARTISTS, DEFAULT_SEED_ARTISTS))
        self._similar = int(data.get(CONF_SIMILAR_ARTISTS, DEFAULT_SIMILAR_ARTISTS))
        self._per_artist = int(
            data.get(CONF_TRACKS_PER_ARTIST, DEFAULT_TRACKS_PER_ARTIST)
        )
        self._include_known = bool(data.get(CONF_INCLUDE_KNOWN_ARTISTS, False))
        self._library_keys = library_keys(data, entry_libraries)

    async def async_generate(
        self,
        now: datetime,
        recent: frozenset[str] = frozenset(),
        held: frozenset[str] = frozenset(),
    ) -> Generation:
        """Seed artists -> similar artists -> their top tracks -> the libraries."""
        exclusions = self._shape.exclusions_on(now.date())
        top = await self._lastfm.async_user_top_artists(
            self._username, self._period, max(self._seed_artists, KNOWN_ARTISTS)
        )
        known = {normalize_artist(artist.name) for artist in top}
        similar_lists = [
            await self._lastfm.async_similar_artists(seed.name, self._similar)
            for seed in top[: self._seed_artists]
        ]
        candidates: list[str] = []
        for rank in range(self._similar):  # most similar of every seed first
            for similar in similar_lists:
                if rank < len(similar):
                    name = similar[rank].name
                    normalized = normalize_artist(name)
                    if (self._include_known or normalized not in known) and all(
                        normalize_artist(other) != normalized for other in candidates
                    ):
                        candidates.append(name)

        async def top_tracks(artist: str) -> list[SourceTrack]:
            return [
                SourceTrack(track.artist, track.title)
                for track in await self._lastfm.async_artist_top_tracks(
                    artist, self._per_artist * TOP_TRACKS_PER_PICK
                )
            ]

        matcher = LibraryMatcher(self._server, self._library_keys, self._overrides)

        async def produce(size: int) -> Generation:
            return await async_discovery(
                matcher,
                candidates,
                top_tracks,
                size=size,
                tracks_per_artist=self._per_artist,
                description=f"Last.fm Discovery for {self._username}",
                accept=accepts(exclusions, held),
            )

        return await async_shaped(self._server, self._shape, exclusions, produce)


class LastFmNotConfiguredGenerator(_IntervalOnly):
    """A Last.fm playlist of an entry without a Last.fm key (or username)."""

    def __init__(self, kind: str) -> None:
        """Remember the kind."""
        self.kind = kind

    async def async_generate(
        self,
        now: datetime,
        recent: frozenset[str] = frozenset(),
        held: frozenset[str] = frozenset(),
    ) -> Generation:
        """Fail: there is nothing to ask."""
        return Generation(
            tracks=(),
            status=RunStatus.FAILED,
            description="",
            failure="lastfm_not_configured",
        )


def create_generator(
    server: MusicServer,
    data: Mapping[str, Any],
    entry_data: Mapping[str, Any],
    lastfm: LastFmClient | None,
    *,
    overrides: Mapping[str, str | None],
    render: Callable[[str], str],
    entry_options: Mapping[str, Any],
) -> PlaylistGenerator:
    """Return the generator of a playlist subentry's kind.

    `render` renders a template (Daily Flow criteria may be templates);
    `entry_options` holds the entry's seasons.
    """
    entry_libraries: list[str] = entry_data[CONF_LIBRARIES]
    kind = data[CONF_KIND]
    shape = playlist_shape(data, entry_options)
    if kind == KIND_SONIC_FLOW:
        return SonicFlowGenerator(server, data, entry_libraries, shape)
    if kind in LASTFM_KINDS:
        if lastfm is None or (
            kind == KIND_LASTFM_DISCOVERY and not entry_data.get(CONF_USERNAME)
        ):
            return LastFmNotConfiguredGenerator(kind)
        if kind == KIND_LASTFM_TOP_TRACKS:
            return LastFmTopTracksGenerator(
                server, lastfm, overrides, data, entry_libraries, shape=shape
            )
        return LastFmDiscoveryGenerator(
            server,
            lastfm,
            username=entry_data[CONF_USERNAME],
            overrides=overrides,
            data=data,
            entry_libraries=entry_libraries,
            shape=shape,
        )
    return DailyFlowGenerator(server, data, entry_libraries, render, shape)
