"""What Harmoniq remembers across restarts: owned playlists and last runs.

One `HarmoniqStore` serves a config entry for as long as Home Assistant runs: reloads
of the entry reuse it (`async_get_store`), so a late save of an old reload can never
overwrite a newer one. The stored shape is versioned; older shapes are migrated and
an unreadable file is logged and replaced, never a reason for setup to fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER
from .engine.selection import RunStatus

STORAGE_VERSION = 1
# 1.1: playlists (id, last run), adventures, matches; keys added over time.
# 1.2: every key present; runs carry their settings' fingerprint; playlists their
#      consecutive failures.
# 1.3: runs count their new tracks; playlists keep the track ids of their last runs.
# 1.4: playlists keep their cover's key and artwork ids (`cover_key`, `artwork`,
#      `user_artwork`).
STORAGE_MINOR_VERSION = 4
RECENT_RUNS = 2  # runs whose tracks a Daily Flow avoids picking again
SAVE_DELAY = 5  # seconds

DATA_STORES: HassKey[dict[str, HarmoniqStore]] = HassKey(f"{DOMAIN}_stores")


@dataclass(frozen=True, slots=True)
class TrackSummary:
    """A written track, as reported to the user."""

    artist: str
    title: str
    album: str


@dataclass(frozen=True, slots=True)
class PlaylistRun:
    """The outcome of one playlist run."""

    status: RunStatus
    finished_at: datetime
    tracks: tuple[TrackSummary, ...] = ()
    reason: str | None = None
    """Why the run failed, or which filters were relaxed; None when all went well."""
    window: str | None = None
    """Daily Flow: the name of the window the tracks were chosen for."""
    relaxed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    """Source tracks ("Artist - Title") the libraries do not have (Last.fm kinds)."""
    settings: str | None = None
    """Fingerprint of the settings the run was made with; None if unknown."""
    new_tracks: int | None = None
    """How many tracks were not in the playlist's last runs; None if unknown."""

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form."""
        data = asdict(self)
        data["finished_at"] = self.finished_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlaylistRun:
        """Rebuild a run saved with `as_dict`."""
        return cls(
            status=RunStatus(data["status"]),
            finished_at=datetime.fromisoformat(data["finished_at"]),
            tracks=tuple(TrackSummary(**track) for track in data["tracks"]),
            reason=data["reason"],
            window=data["window"],
            relaxed=tuple(data["relaxed"]),
            missing=tuple(data["missing"]),
            settings=data["settings"],
            new_tracks=data["new_tracks"],
        )


@dataclass(slots=True)
class PlaylistState:
    """What Harmoniq keeps about one playlist."""

    playlist_id: str | None = None
    """The id of the server playlist Harmoniq created and owns."""
    last_run: PlaylistRun | None = None
    failures: int = 0
    """Failed runs in a row, for the retry back-off."""
    recent: list[list[str]] = field(default_factory=list)
    """Track ids written by the last `RECENT_RUNS` successful runs, newest first."""
    cover_key: str | None = None
    """Key (`cover_art.cover_key`) of the cover last uploaded, or last left out
    for the user's own artwork; None before the first."""
    artwork: str | None = None
    """The server's id of the cover Harmoniq uploaded; None until read after the
    upload, "" when the server showed none after it."""
    user_artwork: str | None = None
    """The id of artwork the user set themselves, which Harmoniq leaves alone."""

    @property
    def recent_ids(self) -> frozenset[str]:
        """Return the ids of every track the last runs wrote."""
        return frozenset(track_id for run in self.recent for track_id in run)

    def remember(self, track_ids: list[str]) -> None:
        """Record the tracks a successful run wrote."""
        self.recent = [track_ids, *self.recent][:RECENT_RUNS]


class _StoredPlaylist(TypedDict):
    playlist_id: str | None
    last_run: dict[str, Any] | None
    failures: int
    recent: list[list[str]]
    cover_key: str | None
    artwork: str | None
    user_artwork: str | None


class _Stored(TypedDict):
    playlists: dict[str, _StoredPlaylist]
    adventures: dict[str, str]
    matches: dict[str, str | None]


class _HarmoniqStorage(Store[_Stored]):
    """The entry's storage file, migrated from every earlier shape."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: Any
    ) -> _Stored:
        """Bring a 1.1 to 1.3 file to 1.4: fill in every key it lacks."""
        if old_major_version > STORAGE_VERSION:
            raise NotImplementedError  # a newer Harmoniq wrote it: don't guess
        return migrate_stored(old_data)


def migrate_stored(old: Any) -> _Stored:
    """Return a 1.1 to 1.3 store's data in the 1.4 shape.

    Parts that are not what any version wrote are dropped with a warning; the rest
    is kept.
    """
    old = old if isinstance(old, dict) else {}
    playlists: dict[str, _StoredPlaylist] = {}
    for subentry_id, state in _mapping(old.get("playlists")).items():
        if not isinstance(state, dict):
            LOGGER.warning(
                "Harmoniq's stored state of playlist %s is unreadable; it starts afresh",
                subentry_id,
            )
            continue
        run = state.get("last_run")
        if isinstance(run, dict):
            run = {
                "tracks": [],
                "reason": None,
                "window": None,
                "relaxed": [],
                "missing": [],
                "settings": None,
                "new_tracks": None,
            } | run
        playlists[subentry_id] = {
            "playlist_id": state.get("playlist_id"),
            "last_run": run if isinstance(run, dict) else None,
            "failures": state.get("failures", 0),
            "recent": state.get("recent", []),
            "cover_key": state.get("cover_key"),
            "artwork": state.get("artwork"),
            "user_artwork": state.get("user_artwork"),
        }
    return {
        "playlists": playlists,
        "adventures": dict(_mapping(old.get("adventures"))),
        "matches": dict(_mapping(old.get("matches"))),
    }


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(slots=True)
class HarmoniqStore:
    """One store per config entry: each playlist's state, and owned one-off playlists."""

    store: Store[_Stored]
    playlists: dict[str, PlaylistState] = field(default_factory=dict)
    """Playlist states by subentry id."""
    adventures: dict[str, str] = field(default_factory=dict)
    """Sonic Adventure playlists Harmoniq created: casefolded title -> playlist id."""
    matches: dict[str, str | None] = field(default_factory=dict)
    """Manual matches of Last.fm tracks: track key -> track id, or None to ignore."""

    @classmethod
    async def async_load(cls, hass: HomeAssistant, entry_id: str) -> HarmoniqStore:
        """Load the entry's store from disk, migrating or replacing what it finds."""
        store = _storage(hass, entry_id)
        harmoniq_store = cls(store)
        try:
            stored = await store.async_load()
        except (NotImplementedError, HomeAssistantError):
            # Our migration refuses a newer major version; Home Assistant 2026 and
            # later refuse it themselves (UnsupportedStorageVersionError).
            LOGGER.warning(
                "Harmoniq's stored playlists were written by a newer version; "
                "starting afresh"
            )
            return harmoniq_store
        if stored is None:
            return harmoniq_store
        for subentry_id, state in _mapping(stored.get("playlists")).items():
            try:
                harmoniq_store.playlists[subentry_id] = PlaylistState(
                    playlist_id=state["playlist_id"],
                    last_run=PlaylistRun.from_dict(state["last_run"])
                    if state["last_run"]
                    else None,
                    failures=int(state["failures"]),
                    recent=[
                        [str(track_id) for track_id in run] for run in state["recent"]
                    ][:RECENT_RUNS],
                    cover_key=_optional_text(state.get("cover_key")),
                    artwork=_optional_text(state.get("artwork")),
                    user_artwork=_optional_text(state.get("user_artwork")),
                )
            except (KeyError, TypeError, ValueError) as err:
                LOGGER.warning(
                    "Harmoniq's stored state of playlist %s is unreadable (%s: %s); "
                    "it starts afresh",
                    subentry_id,
                    type(err).__name__,
                    err,
                )
        harmoniq_store.adventures = {
            str(title): str(playlist_id)
            for title, playlist_id in _mapping(stored.get("adventures")).items()
        }
        harmoniq_store.matches = {
            str(key): None if track_id is None else str(track_id)
            for key, track_id in _mapping(stored.get("matches")).items()
        }
        return harmoniq_store

    @staticmethod
    async def async_remove(hass: HomeAssistant, entry_id: str) -> None:
        """Delete an entry's store, in memory and on disk."""
        hass.data.get(DATA_STORES, {}).pop(entry_id, None)
        await _storage(hass, entry_id).async_remove()

    def state(self, subentry_id: str) -> PlaylistState:
        """Return (creating it if needed) the state of one playlist."""
        return self.playlists.setdefault(subentry_id, PlaylistState())

    def async_schedule_save(self) -> None:
        """Save soon, batching changes."""
        self.store.async_delay_save(self._data, SAVE_DELAY)

    def forget(self, subentry_id: str) -> None:
        """Drop a removed playlist (its server playlist stays on the server)."""
        if self.playlists.pop(subentry_id, None) is not None:
            self.async_schedule_save()

    async def async_save(self) -> None:
        """Save now (on unload), replacing any pending delayed save."""
        await self.store.async_save(self._data())

    def _data(self) -> _Stored:
        return {
            "playlists": {
                subentry_id: {
                    "playlist_id": state.playlist_id,
                    "last_run": state.last_run.as_dict() if state.last_run else None,
                    "failures": state.failures,
                    "recent": state.recent,
                    "cover_key": state.cover_key,
                    "artwork": state.artwork,
                    "user_artwork": state.user_artwork,
                }
                for subentry_id, state in self.playlists.items()
            },
            "adventures": self.adventures,
            "matches": self.matches,
        }


def _storage(hass: HomeAssistant, entry_id: str) -> _HarmoniqStorage:
    return _HarmoniqStorage(
        hass,
        STORAGE_VERSION,
        f"{DOMAIN}.{entry_id}",
        minor_version=STORAGE_MINOR_VERSION,
    )


async def async_get_store(hass: HomeAssistant, entry_id: str) -> HarmoniqStore:
    """Return the entry's store, loading it on the entry's first setup only."""
    stores = hass.data.setdefault(DATA_STORES, {})
    if (store := stores.get(entry_id)) is None:
        store = stores[entry_id] = await HarmoniqStore.async_load(hass, entry_id)
    return store
