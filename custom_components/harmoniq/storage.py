"""What Harmoniq remembers across restarts: owned playlists and last runs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .engine.selection import RunStatus

STORAGE_VERSION = 1
SAVE_DELAY = 5  # seconds


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

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable form."""
        data = asdict(self)
        data["finished_at"] = self.finished_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlaylistRun:
        """Rebuild a run saved with `as_dict`."""
        return cls(
            status=RunStatus(data["status"]),
            finished_at=datetime.fromisoformat(data["finished_at"]),
            tracks=tuple(TrackSummary(**track) for track in data["tracks"]),
            reason=data["reason"],
            window=data["window"],
            relaxed=tuple(data["relaxed"]),
            missing=tuple(data.get("missing", ())),
        )


@dataclass(slots=True)
class PlaylistState:
    """What Harmoniq keeps about one playlist."""

    playlist_id: str | None = None
    """The ratingKey of the Plex playlist Harmoniq created and owns."""
    last_run: PlaylistRun | None = None


class _StoredPlaylist(TypedDict):
    playlist_id: str | None
    last_run: dict[str, Any] | None


class _Stored(TypedDict):
    playlists: dict[str, _StoredPlaylist]
    adventures: dict[str, str]
    matches: dict[str, str | None]


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
        """Load the entry's store."""
        store: Store[_Stored] = Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")
        stored = await store.async_load() or _Stored(
            playlists={}, adventures={}, matches={}
        )
        return cls(
            store,
            {
                subentry_id: PlaylistState(
                    playlist_id=state["playlist_id"],
                    last_run=PlaylistRun.from_dict(state["last_run"])
                    if state["last_run"]
                    else None,
                )
                for subentry_id, state in stored["playlists"].items()
            },
            dict(stored["adventures"]),
            dict(stored["matches"]),
        )

    @staticmethod
    async def async_remove(hass: HomeAssistant, entry_id: str) -> None:
        """Delete an entry's store."""
        await Store[_Stored](
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}"
        ).async_remove()

    def state(self, subentry_id: str) -> PlaylistState:
        """Return (creating it if needed) the state of one playlist."""
        return self.playlists.setdefault(subentry_id, PlaylistState())

    def async_schedule_save(self) -> None:
        """Save soon, batching changes."""
        self.store.async_delay_save(self._data, SAVE_DELAY)

    def forget(self, subentry_id: str) -> None:
        """Drop a removed playlist (its Plex playlist stays in Plex)."""
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
                }
                for subentry_id, state in self.playlists.items()
            },
            "adventures": self.adventures,
            "matches": self.matches,
        }
