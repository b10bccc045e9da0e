"""Playlist generators: one per playlist kind, built from a subentry's settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from .const import (
    CONF_EXCLUDE_PLAYED_DAYS,
    CONF_KIND,
    CONF_LIBRARIES,
    CONF_MAX_SKIPS,
    CONF_MIN_STARS,
    CONF_ORDER,
    CONF_SEED,
    CONF_SEED_MODE,
    CONF_SIZE,
    CONF_TIME_WINDOWS,
    KIND_DAILY_FLOW,
    KIND_SONIC_FLOW,
)
from .engine.daily_flow import DailyFlowSettings, active_window, select_daily_flow
from .engine.generation import Generation
from .engine.models import Refinements
from .engine.selection import RunStatus
from .engine.sonic import (
    NoSeedError,
    SonicFlowSettings,
    async_flow_order,
    async_select_sonic_flow,
)
from .engine.windows import next_boundary, parse_time_windows
from .plex import PlexMusicServer


class PlaylistGenerator(Protocol):
    """Chooses a playlist's tracks."""

    kind: str

    async def async_generate(self, now: datetime) -> Generation:
        """Choose the tracks for a run at `now` (local, aware)."""

    def window_name(self, now: datetime) -> str | None:
        """Return the name of the time window in effect, for kinds that have them."""

    def next_change(self, now: datetime) -> datetime | None:
        """Return when the content should change next besides the interval."""


def refinements(data: Mapping[str, Any]) -> Refinements:
    """Read the rating, recently-played and skip refinements of a subentry."""
    max_skips = data.get(CONF_MAX_SKIPS)
    return Refinements(
        min_stars=float(data.get(CONF_MIN_STARS, 0)),
        exclude_played_days=int(data.get(CONF_EXCLUDE_PLAYED_DAYS, 0)),
        max_skips=None if max_skips is None else int(max_skips),
    )


def library_keys(data: Mapping[str, Any], entry_libraries: list[str]) -> tuple[str, ...]:
    """Return the subentry's libraries the entry still uses; all of them if none."""
    keys = [key for key in data.get(CONF_LIBRARIES, []) if key in entry_libraries]
    return tuple(keys or entry_libraries)


class DailyFlowGenerator:
    """The Daily Flow: what plays follows the time of day."""

    kind = KIND_DAILY_FLOW

    def __init__(
        self, server: PlexMusicServer, data: Mapping[str, Any], entry_libraries: list[str]
    ) -> None:
        """Read the settings."""
        self._server = server
        self.settings = DailyFlowSettings(
            windows=parse_time_windows(data[CONF_TIME_WINDOWS]),
            refinements=refinements(data),
            size=int(data[CONF_SIZE]),
            library_keys=library_keys(data, entry_libraries),
            order=data.get(CONF_ORDER, "spread"),
        )

    async def async_generate(self, now: datetime) -> Generation:
        """Select for the active window; optionally order the tracks as a flow."""
        generation = await select_daily_flow(self._server, self.settings, now)
        if self.settings.order == "flow" and generation.tracks:
            ordered = await async_flow_order(self._server, generation.tracks)
            generation = replace(generation, tracks=tuple(ordered))
        return generation

    def window_name(self, now: datetime) -> str | None:
        """Return the active window's name."""
        window = active_window(self.settings.windows, now)
        return window.name if window else None

    def next_change(self, now: datetime) -> datetime | None:
        """Return the next window start."""
        return next_boundary(self.settings.windows, now)


class SonicFlowGenerator:
    """A flow of sonically similar tracks from a seed."""

    kind = KIND_SONIC_FLOW

    def __init__(
        self, server: PlexMusicServer, data: Mapping[str, Any], entry_libraries: list[str]
    ) -> None:
        """Read the settings."""
        self._server = server
        self.settings = SonicFlowSettings(
            seed_mode=data.get(CONF_SEED_MODE, "recent"),
            seed=str(data.get(CONF_SEED, "")),
            refinements=refinements(data),
            size=int(data[CONF_SIZE]),
            library_keys=library_keys(data, entry_libraries),
        )

    async def async_generate(self, now: datetime) -> Generation:
        """Chain similar tracks from the seed."""
        try:
            return await async_select_sonic_flow(self._server, self.settings, now)
        except NoSeedError:
            return Generation(
                tracks=(), status=RunStatus.FAILED, description="", failure="no_seed"
            )

    def window_name(self, now: datetime) -> str | None:
        """Sonic flows have no time windows."""
        return None

    def next_change(self, now: datetime) -> datetime | None:
        """Sonic flows change on their interval only."""
        return None


def create_generator(
    server: PlexMusicServer, data: Mapping[str, Any], entry_libraries: list[str]
) -> PlaylistGenerator:
    """Return the generator of a playlist subentry's kind."""
    if data[CONF_KIND] == KIND_SONIC_FLOW:
        return SonicFlowGenerator(server, data, entry_libraries)
    return DailyFlowGenerator(server, data, entry_libraries)
