"""Generator coordinators: one per playlist, scheduled with Home Assistant's time helpers.

A playlist runs when it is due: never run, last run failed, settings changed since the
last run, refresh interval passed, or (Daily Flow) a new time window started. Each due
time makes exactly one run; the next one is scheduled from the run that just finished.
A failed run is retried after 5, 15 and 60 minutes, then hourly, never later than the
interval. Runs never overlap: a request during a run gets at most one follow-up run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, Sequence
from datetime import datetime, timedelta
from hashlib import sha256
import json
from typing import Any, Final

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_API_KEY, CONF_USERNAME
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.template import Template, result_as_boolean
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from .const import (
    CONF_ACTIVE_WHEN,
    CONF_COVER_ART,
    CONF_LIBRARIES,
    CONF_NO_REPEATS,
    CONF_REFRESH_INTERVAL,
    CONF_SEASONS,
    DOMAIN,
    EVENT_PLAYLIST_UPDATED,
    LASTFM_KINDS,
    LOGGER,
    REAUTH_LASTFM,
)
from .covers import CoverUpdater
from .data import HarmoniqConfigEntry
from .engine.selection import RunStatus
from .generators import create_generator
from .issues import (
    async_create_name_clash_issue,
    async_create_sonic_issue,
    name_clash_issue_id,
    sonic_issue_id,
)
from .lastfm import (
    LastFmAuthError,
    LastFmClient,
    LastFmError,
    LastFmNotFoundError,
)
from .music_server import (
    MusicServer,
    MusicServerAuthError,
    MusicServerConnectionError,
    MusicServerError,
    PlaylistInfo,
    SonicAnalysisUnavailableError,
)
from .playlists import PlaylistNameClashError
from .storage import HarmoniqStore, PlaylistRun, TrackSummary

# Waits before retrying a failed run; the last one repeats (never beyond the interval).
RETRY_DELAYS: Final = (
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=60),
)
# Longest a run may take, in seconds, before it fails with reason "timeout".
RUN_TIMEOUT: Final = 300
# Track ids an event carries at most.
EVENT_TRACK_IDS: Final = 100
# Longest an unload waits for a run in progress to finish its write, in seconds.
SHUTDOWN_WAIT: Final = 30


def settings_fingerprint(
    entry_data: Mapping[str, Any],
    subentry: ConfigSubentry,
    entry_options: Mapping[str, Any],
) -> str:
    """Return a short fingerprint of everything a playlist's content depends on."""
    settings = {
        "title": subentry.title,
        "playlist": dict(subentry.data),
        "libraries": entry_data.get(CONF_LIBRARIES),
        "lastfm": CONF_API_KEY in entry_data,
        "lastfm_user": entry_data.get(CONF_USERNAME),
    }
    if CONF_SEASONS in entry_options:  # absent: the default seasons
        settings["seasons"] = entry_options[CONF_SEASONS]
    encoded = json.dumps(settings, sort_keys=True, default=str).encode()
    return sha256(encoded).hexdigest()[:16]


def retry_delay(failures: int) -> timedelta:
    """Return the wait before retrying after `failures` failed runs in a row."""
    return RETRY_DELAYS[min(max(failures, 1), len(RETRY_DELAYS)) - 1]


class PlaylistCoordinator(DataUpdateCoordinator[PlaylistRun | None]):
    """Generates one playlist and writes it to the server, on its own schedule.

    Its data is the last run, which persists across restarts, so a restart only
    runs a playlist that is due.
    """

    config_entry: HarmoniqConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: HarmoniqConfigEntry,
        subentry: ConfigSubentry,
        *,
        store: HarmoniqStore,
        server: MusicServer,
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
            server,
            subentry.data,
            entry.data,
            lastfm,
            overrides=store.matches,
            render=self._render,
            entry_options=entry.options,
        )
        self.refresh_interval = timedelta(
            minutes=int(subentry.data[CONF_REFRESH_INTERVAL])
        )
        self.settings = settings_fingerprint(entry.data, subentry, entry.options)
        self._store = store
        self._state = store.state(subentry.subentry_id)
        self.data = self._state.last_run
        self._current: asyncio.Task[PlaylistRun | None] | None = None
        self._follow_up: asyncio.Task[PlaylistRun | None] | None = None
        self._unsub_timer: CALLBACK_TYPE | None = None
        self._stopped = False
        self._writing = False

    def _render(self, text: str) -> str:
        """Render a template of the playlist's settings (raises TemplateError)."""
        return str(Template(text, self.hass).async_render(parse_result=False))

    @property
    def title(self) -> str:
        """Return the playlist's name (the server playlist's title)."""
        return self.subentry.title

    @property
    def failing(self) -> bool:
        """Return whether the last run failed."""
        return self.data is not None and self.data.status is RunStatus.FAILED

    def is_due(self, now: datetime) -> bool:
        """Return whether a run is due at `now` (a failed last run is due)."""
        return self.failing or self._next_due(now) <= now

    def _next_due(self, now: datetime) -> datetime:
        """Return when the next run is due, judged from the last run."""
        last = self.data
        if last is None or last.settings not in (None, self.settings):
            return now
        if last.status is RunStatus.FAILED:
            delay = min(retry_delay(self._state.failures), self.refresh_interval)
            when = last.finished_at + delay
        elif self.generator.window_name(now) != last.window:
            return now
        else:
            when = last.finished_at + self.refresh_interval
        if (change := self.generator.next_change(now)) is not None:
            when = min(when, change)
        return when

    @callback
    def async_start(self, delay: timedelta = timedelta(0)) -> None:
        """Run if due (after `delay`), else schedule the next run."""
        now = dt_util.now()
        if not self.is_due(now):
            self._schedule(self._next_due(now))
        elif delay:
            self._schedule(now + delay)
        else:
            self._trigger()

    async def async_shutdown(self) -> None:
        """Stop for good (unload, Home Assistant stopping).

        A run that is writing may finish, for at most `SHUTDOWN_WAIT` seconds, so
        that a playlist it creates is recorded as Harmoniq's; a run still choosing
        its tracks and a follow-up that has not started are cancelled.
        """
        self._stopped = True
        self._cancel_timer()
        runs = [task for task in (self._current, self._follow_up) if task]
        for task in runs:
            if task is not self._current or not self._writing:
                task.cancel()
        if runs:
            _, pending = await asyncio.wait(runs, timeout=SHUTDOWN_WAIT)
            for task in pending:
                LOGGER.warning(
                    "Playlist '%s': stopped a write that did not finish within %d s",
                    self.title,
                    SHUTDOWN_WAIT,
                )
                task.cancel()
        await super().async_shutdown()

    async def async_run(self) -> PlaylistRun | None:
        """Run now (button, action) and return the outcome; None once stopped.

        During a run, the caller gets one follow-up run, shared with every other
        caller until it starts.
        """
        if self._stopped:
            return None
        task = self._trigger()
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and not (current and current.cancelling()):
                return None  # the run was stopped by an unload
            raise

    async def _async_update_data(self) -> PlaylistRun | None:
        """Run when an entity asks for an update."""
        return await self.async_run()

    @callback
    def _trigger(self) -> asyncio.Task[PlaylistRun | None]:
        """Start a run, or return the run that will answer this request."""
        if self._follow_up is not None:
            return self._follow_up
        if self._current is not None:
            self._follow_up = self._create_task(self._async_execute(self._current))
            return self._follow_up
        self._current = self._create_task(self._async_execute())
        return self._current

    def _create_task(
        self, coro: Coroutine[Any, Any, PlaylistRun | None]
    ) -> asyncio.Task[PlaylistRun | None]:
        """Start a run task that the entry stops when it unloads."""
        return self.config_entry.async_create_background_task(
            self.hass, coro, f"{DOMAIN} run {self.title}"
        )

    async def _async_execute(
        self, after: asyncio.Task[PlaylistRun | None] | None = None
    ) -> PlaylistRun | None:
        """Run once (after the run `after`, if given) and record the outcome."""
        if after is not None:
            await asyncio.wait([after])
            self._follow_up = None
            if self._stopped:
                return None
            self._current = asyncio.current_task()  # type: ignore[assignment,unused-ignore]
        self._cancel_timer()
        try:
            try:
                async with asyncio.timeout(RUN_TIMEOUT):
                    run = self._paused_run() or await self._async_generate()
            except TimeoutError:
                run = self._failed("timeout", f"the run took over {RUN_TIMEOUT} s")
            except Exception:  # noqa: BLE001 - a bug must not stop the schedule
                LOGGER.exception("Playlist '%s' failed unexpectedly", self.title)
                run = self._failed("unexpected_error", "unexpected error")
        finally:
            self._current = None
        self._record(run)
        return run

    @callback
    def _record(self, run: PlaylistRun) -> None:
        """Keep the run, tell Home Assistant, and schedule the next one."""
        self._state.last_run = run
        self._state.failures = (
            self._state.failures + 1 if run.status is RunStatus.FAILED else 0
        )
        self._store.async_schedule_save()
        self.async_set_updated_data(run)
        self.hass.bus.async_fire(
            EVENT_PLAYLIST_UPDATED,
            {
                "playlist": self.title,
                "subentry_id": self.subentry.subentry_id,
                "status": run.status,
                "reason": run.reason,
                "track_count": len(run.tracks),
                "new_tracks": run.new_tracks,
                "window": run.window,
                "track_ids": self._state.recent[0][:EVENT_TRACK_IDS]
                if run.status is not RunStatus.FAILED and self._state.recent
                else [],
            },
        )
        if self._stopped:
            return
        # Due again already (the window changed during the run): the timer starts
        # that run from the event loop, not from inside this one.
        now = dt_util.now()
        self._schedule(max(self._next_due(now), now))

    @callback
    def _schedule(self, when: datetime) -> None:
        self._cancel_timer()
        if not self._stopped:
            self._unsub_timer = async_track_point_in_utc_time(
                self.hass, self._handle_timer, dt_util.as_utc(when)
            )

    @callback
    def _handle_timer(self, _now: datetime) -> None:
        self._unsub_timer = None
        self._trigger()

    @callback
    def _cancel_timer(self) -> None:
        if self._unsub_timer is not None:
            self._unsub_timer()
            self._unsub_timer = None

    def _paused_run(self) -> PlaylistRun | None:
        """Return a paused run while the playlist's condition (a template) is false."""
        condition: str | None = self.subentry.data.get(CONF_ACTIVE_WHEN)
        if not condition:
            return None
        try:
            if result_as_boolean(self._render(condition)):
                return None
        except TemplateError as err:
            return self._failed("template_error", f"its condition failed: {err}")
        return PlaylistRun(
            status=RunStatus.PAUSED,
            finished_at=dt_util.utcnow(),
            tracks=self.data.tracks if self.data else (),
            reason="paused",
            window=self.generator.window_name(dt_util.now()),
            settings=self.settings,
        )

    async def _async_generate(self) -> PlaylistRun:
        now = dt_util.now()
        runtime = self.config_entry.runtime_data
        if self.generator.kind in LASTFM_KINDS and runtime.lastfm_key_rejected:
            return self._failed("lastfm_invalid_key", "Last.fm rejected the API key")
        if not self.subentry.data.get(CONF_NO_REPEATS):
            return await self._async_generate_and_write(now)
        # One playlist without repeats at a time chooses and writes, so that each
        # sees what the others hold.
        async with runtime.no_repeats_lock:
            return await self._async_generate_and_write(now, self._held_elsewhere())

    def _held_elsewhere(self) -> frozenset[str]:
        """Return the ids of the tracks the entry's other playlists hold."""
        return frozenset(
            track_id
            for subentry_id in self.config_entry.subentries
            if subentry_id != self.subentry.subentry_id
            and (recent := self._store.state(subentry_id).recent)
            for track_id in recent[0]
        )

    async def _async_generate_and_write(
        self, now: datetime, held: frozenset[str] = frozenset()
    ) -> PlaylistRun:
        """Choose the tracks (none of `held`) and write them."""
        runtime = self.config_entry.runtime_data
        try:
            recent = self._state.recent_ids
            generation = await self.generator.async_generate(now, recent, held)
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
            await self._async_write(
                [track.id for track in generation.tracks], summary, generation.window
            )
        except MusicServerAuthError:
            self.config_entry.async_start_reauth(self.hass)
            return self._failed("invalid_auth", "the server rejected the credentials")
        except SonicAnalysisUnavailableError as err:
            async_create_sonic_issue(self.hass, self.config_entry)
            return self._failed("sonic_unavailable", str(err))
        except MusicServerConnectionError as err:
            return self._failed("cannot_connect", str(err))
        except MusicServerError as err:
            return self._failed("server_error", str(err))
        except LastFmAuthError as err:
            runtime.lastfm_key_rejected = True
            self.config_entry.async_start_reauth(self.hass, data={REAUTH_LASTFM: True})
            return self._failed("lastfm_invalid_key", f"Last.fm: {err}")
        except LastFmNotFoundError as err:
            return self._failed("lastfm_user_not_found", f"Last.fm: {err}")
        except LastFmError as err:
            return self._failed("lastfm_unavailable", f"Last.fm: {err}")
        except PlaylistNameClashError:
            async_create_name_clash_issue(
                self.hass, self.config_entry, self.subentry.subentry_id, self.title
            )
            return self._failed(
                "name_clash", "a playlist Harmoniq does not own has this name"
            )
        if self.failing:
            LOGGER.info("Playlist '%s' is working again", self.title)
        ir.async_delete_issue(
            self.hass, DOMAIN, name_clash_issue_id(self.subentry.subentry_id)
        )
        if self.generator.needs_sonic_analysis:
            ir.async_delete_issue(self.hass, DOMAIN, sonic_issue_id(self.config_entry))
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
            settings=self.settings,
            new_tracks=sum(track.id not in recent for track in generation.tracks),
        )
        self._state.remember([track.id for track in generation.tracks])
        LOGGER.info(
            "Playlist '%s': wrote %d tracks, %d new (%s, %s%s)",
            self.title,
            len(run.tracks),
            run.new_tracks,
            generation.description,
            run.status,
            f", relaxed: {run.reason}" if run.reason else "",
        )
        return run

    async def _async_write(
        self, track_ids: list[str], summary: str, window: str | None = None
    ) -> None:
        """Write the tracks to the playlist Harmoniq owns, remembering a new one.

        Then update its cover (for the Daily Flow window `window`).
        """
        self._writing = True
        try:
            info = await self.config_entry.runtime_data.writer.async_write(
                self.subentry.subentry_id,
                self._state.playlist_id,
                self.title,
                track_ids,
                summary,
            )
        finally:
            self._writing = False
        new_playlist = info.id != self._state.playlist_id
        if new_playlist:
            self._state.playlist_id = info.id
            self._store.async_schedule_save()
        await self._async_update_cover(info, window, new_playlist)

    async def _async_update_cover(
        self, info: PlaylistInfo, window: str | None, new_playlist: bool
    ) -> None:
        """Upload a new cover when it changed, unless turned off (never fails)."""
        if self._stopped:
            return
        updater = CoverUpdater(
            self.hass, self.config_entry.runtime_data.server, self._state, self.title
        )
        if await updater.async_update(
            info,
            window,
            new_playlist=new_playlist,
            enabled=self.subentry.data.get(CONF_COVER_ART, True),
        ):
            self._store.async_schedule_save()

    def _failed(
        self,
        reason: str,
        detail: str,
        window: str | None = None,
        missing: tuple[str, ...] = (),
    ) -> PlaylistRun:
        """Record a failed run; the server playlist keeps its tracks."""
        log = LOGGER.debug if self.failing else LOGGER.warning
        log("Playlist '%s' was not updated: %s", self.title, detail)
        previous = self.data
        return PlaylistRun(
            status=RunStatus.FAILED,
            finished_at=dt_util.utcnow(),
            tracks=previous.tracks if previous else (),
            reason=reason,
            window=window or (previous.window if previous else None),
            missing=missing or (previous.missing if previous else ()),
            settings=self.settings,
        )


def run_failed_error(
    failed: Sequence[tuple[PlaylistCoordinator, PlaylistRun | None]],
) -> HomeAssistantError:
    """Return the error telling that these playlist runs failed, with their reasons."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="playlist_not_updated",
        translation_placeholders={
            "playlists": ", ".join(
                f"{coordinator.title} ({run.reason if run else 'unloaded'})"
                for coordinator, run in failed
            )
        },
    )
