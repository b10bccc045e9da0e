"""Generator coordinators: one per playlist, scheduled with Home Assistant's time helpers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import (
    CONF_REFRESH_INTERVAL,
    DOMAIN,
    EVENT_PLAYLIST_UPDATED,
    LASTFM_KINDS,
    LOGGER,
)
from .data import HarmoniqConfigEntry
from .engine.selection import RunStatus
from .generators import create_generator
from .issues import async_create_lastfm_key_issue, async_create_sonic_issue
from .lastfm import (
    LastFmAuthError,
    LastFmClient,
    LastFmError,
    LastFmNotFoundError,
)
from .music_server import (
    MusicServerAuthError,
    MusicServerConnectionError,
    MusicServerError,
    SonicAnalysisUnavailableError,
)
from .playlists import PlaylistNameClashError, async_write_owned_playlist
from .plex import PlexMusicServer
from .storage import HarmoniqStore, PlaylistRun, TrackSummary


class PlaylistCoordinator(DataUpdateCoordinator[PlaylistRun | None]):
    """Generates one playlist and writes it to Plex, on its own schedule.

    It runs when its refresh interval has passed since the last run and, for a
    Daily Flow, whenever a time window starts. Its data is the last run, which
    persists across restarts, so a restart only runs a playlist that is due.
    """

    config_entry: HarmoniqConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: HarmoniqConfigEntry,
        subentry: ConfigSubentry,
        *,
        store: HarmoniqStore,
        server: PlexMusicServer,
        lastfm: LastFmClient | None,
    ) -> None:
        """Set up the coordinator of one playlist subentry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {subentry.title}",
            update_interval=None,
        )
        self.subentry = subentry
        self.generator = create_generator(
            server, subentry.data, entry.data, lastfm, store.matches
        )
        self.refresh_interval = timedelta(
            minutes=int(subentry.data[CONF_REFRESH_INTERVAL])
        )
        self._store = store
        self._state = store.state(subentry.subentry_id)
        self.data = self._state.last_run
        self._run_lock = asyncio.Lock()
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._stopped = False
        self._failing = False

    @property
    def title(self) -> str:
        """Return the playlist's name (the Plex playlist's title)."""
        return self.subentry.title

    @callback
    def async_start(self) -> None:
        """Run now if due (no run yet, interval passed, window changed), else schedule."""
        if self._is_due(dt_util.now()):
            self._start_run()
        else:
            self._schedule_next()

    async def async_shutdown(self) -> None:
        """Cancel the schedule for good (unload, Home Assistant stopping)."""
        self._stopped = True
        self._cancel_timer()
        await super().async_shutdown()

    async def async_run(self) -> PlaylistRun | None:
        """Run now (button, service); return the outcome, None if the run crashed."""
        await self.async_refresh()
        return self.data if self.last_update_success else None

    def _is_due(self, now: datetime) -> bool:
        last = self.data
        return (
            last is None
            or now - last.finished_at >= self.refresh_interval
            or self.generator.window_name(now) != last.window
        )

    @callback
    def _start_run(self) -> None:
        self.config_entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{DOMAIN} run {self.title}"
        )

    @callback
    def _schedule_next(self) -> None:
        """Schedule the next run: the interval's end or the next window start."""
        self._cancel_timer()
        if self._stopped:
            return
        now = dt_util.now()
        last_run_at = self.data.finished_at if self.data else now
        when = max(last_run_at + self.refresh_interval, now + timedelta(seconds=1))
        if (change := self.generator.next_change(now)) is not None:
            when = min(when, change)
        self._unsub_timer = async_track_point_in_utc_time(
            self.hass, self._handle_timer, dt_util.as_utc(when)
        )

    @callback
    def _handle_timer(self, _now: datetime) -> None:
        self._unsub_timer = None
        self._start_run()

    @callback
    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    async def _async_update_data(self) -> PlaylistRun:
        """Generate and write the playlist; a failure is a run with status failed."""
        async with self._run_lock:
            try:
                run = await self._async_generate()
            finally:
                self._schedule_next()
        self._state.last_run = run
        self._store.async_schedule_save()
        self.hass.bus.async_fire(
            EVENT_PLAYLIST_UPDATED,
            {
                "playlist": self.title,
                "subentry_id": self.subentry.subentry_id,
                "status": run.status,
                "reason": run.reason,
                "track_count": len(run.tracks),
                "window": run.window,
            },
        )
        return run

    async def _async_generate(self) -> PlaylistRun:
        now = dt_util.now()
        runtime = self.config_entry.runtime_data
        if self.generator.kind in LASTFM_KINDS and runtime.lastfm_key_rejected:
            return self._failed("lastfm_invalid_key", "Last.fm rejected the API key")
        try:
            generation = await self.generator.async_generate(now)
            if not generation.tracks:
                return self._failed(
                    generation.failure or "no_tracks",
                    "no track fits, even with every filter relaxed",
                    generation.window,
                    generation.missing,
                )
            summary = (
                f"Generated by Harmoniq ({generation.description}) on "
                f"{now.strftime('%Y-%m-%d %H:%M')}. Harmoniq replaces these tracks "
                "on its schedule: duplicate the playlist to keep this version."
            )
            await self._async_write([track.id for track in generation.tracks], summary)
        except MusicServerAuthError:
            self.config_entry.async_start_reauth(self.hass)
            return self._failed("invalid_auth", "Plex rejected the token")
        except SonicAnalysisUnavailableError as err:
            async_create_sonic_issue(self.hass, self.config_entry)
            return self._failed("sonic_unavailable", str(err))
        except MusicServerConnectionError as err:
            return self._failed("cannot_connect", str(err))
        except MusicServerError as err:
            return self._failed("server_error", str(err))
        except LastFmAuthError as err:
            runtime.lastfm_key_rejected = True
            async_create_lastfm_key_issue(self.hass, self.config_entry)
            return self._failed("lastfm_invalid_key", f"Last.fm: {err}")
        except LastFmNotFoundError as err:
            return self._failed("lastfm_user_not_found", f"Last.fm: {err}")
        except LastFmError as err:
            return self._failed("lastfm_unavailable", f"Last.fm: {err}")
        except PlaylistNameClashError:
            self._create_name_clash_issue()
            return self._failed(
                "name_clash", "a Plex playlist Harmoniq does not own has this name"
            )
        if self._failing:
            LOGGER.info("Playlist '%s' is working again", self.title)
            self._failing = False
        ir.async_delete_issue(self.hass, DOMAIN, self._name_clash_issue_id)
        run = PlaylistRun(
            status=generation.status,
            finished_at=dt_util.utcnow(),
            tracks=tuple(
                TrackSummary(artist=track.artist, title=track.title, album=track.album)
                for track in generation.tracks
            ),
            reason=", ".join(generation.relaxed) or None,
            window=generation.window,
            relaxed=generation.relaxed,
            missing=generation.missing,
        )
        LOGGER.info(
            "Playlist '%s': wrote %d tracks (%s, %s%s)",
            self.title,
            len(run.tracks),
            generation.description,
            run.status,
            f", relaxed: {run.reason}" if run.reason else "",
        )
        return run

    async def _async_write(self, track_ids: list[str], summary: str) -> None:
        """Write the tracks to the playlist Harmoniq owns, remembering a new one."""
        info = await async_write_owned_playlist(
            self.config_entry.runtime_data.server,
            self._state.playlist_id,
            self.title,
            track_ids,
            summary,
        )
        if info.id != self._state.playlist_id:
            self._state.playlist_id = info.id
            self._store.async_schedule_save()

    def _failed(
        self,
        reason: str,
        detail: str,
        window: str | None = None,
        missing: tuple[str, ...] = (),
    ) -> PlaylistRun:
        """Record a failed run; the Plex playlist keeps its tracks."""
        log = LOGGER.debug if self._failing else LOGGER.warning
        log("Playlist '%s' was not updated: %s", self.title, detail)
        self._failing = True
        previous = self.data
        return PlaylistRun(
            status=RunStatus.FAILED,
            finished_at=dt_util.utcnow(),
            tracks=previous.tracks if previous else (),
            reason=reason,
            window=window or (previous.window if previous else None),
            missing=missing or (previous.missing if previous else ()),
        )

    @property
    def _name_clash_issue_id(self) -> str:
        return f"name_clash_{self.subentry.subentry_id}"

    def _create_name_clash_issue(self) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._name_clash_issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="playlist_name_clash",
            translation_placeholders={
                "name": self.title,
                "server": self.config_entry.title,
            },
        )
