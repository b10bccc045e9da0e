"""Sensors of a Harmoniq playlist: status, last run, track count, Daily Flow window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import KIND_DAILY_FLOW, LASTFM_KINDS
from .data import HarmoniqConfigEntry
from .engine.selection import RunStatus
from .entity import HarmoniqPlaylistEntity
from .storage import PlaylistRun

# Coordinator-driven: no entity polls.
PARALLEL_UPDATES = 0
# Missing tracks listed in the sensor's attributes; the action's response has all.
MISSING_TRACKS_SHOWN = 20


@dataclass(frozen=True, kw_only=True)
class HarmoniqSensorEntityDescription(SensorEntityDescription):
    """How a sensor reads its value from the last run."""

    value_fn: Callable[[PlaylistRun], str | int | datetime | None]
    attributes_fn: Callable[[PlaylistRun], dict[str, Any]] | None = None
    kinds: frozenset[str] | None = None
    """The playlist kinds that have this sensor; None for all."""


SENSORS: tuple[HarmoniqSensorEntityDescription, ...] = (
    HarmoniqSensorEntityDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in RunStatus],
        value_fn=lambda run: run.status.value,
        attributes_fn=lambda run: {"reason": run.reason, "new_tracks": run.new_tracks},
    ),
    HarmoniqSensorEntityDescription(
        key="last_run",
        translation_key="last_run",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda run: run.finished_at,
    ),
    HarmoniqSensorEntityDescription(
        key="track_count",
        translation_key="track_count",
        value_fn=lambda run: len(run.tracks),
    ),
    HarmoniqSensorEntityDescription(
        key="window",
        translation_key="window",
        value_fn=lambda run: run.window,
        kinds=frozenset({KIND_DAILY_FLOW}),
    ),
    HarmoniqSensorEntityDescription(
        key="missing_tracks",
        translation_key="missing_tracks",
        value_fn=lambda run: len(run.missing),
        attributes_fn=lambda run: {"tracks": list(run.missing[:MISSING_TRACKS_SHOWN])},
        kinds=LASTFM_KINDS,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarmoniqConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each playlist's sensors to its subentry."""
    for subentry_id, coordinator in entry.runtime_data.coordinators.items():
        async_add_entities(
            [
                HarmoniqSensor(coordinator, description)
                for description in SENSORS
                if description.kinds is None
                or coordinator.generator.kind in description.kinds
            ],
            config_subentry_id=subentry_id,
        )


class HarmoniqSensor(HarmoniqPlaylistEntity, SensorEntity):
    """A value of the playlist's last run."""

    entity_description: HarmoniqSensorEntityDescription
    # The missing tracks' list changes every run and is long: not for the recorder.
    _unrecorded_attributes = frozenset({"tracks"})

    @property
    def native_value(self) -> str | int | datetime | None:
        """Return the value from the last run, None before the first."""
        run = self.coordinator.data
        return self.entity_description.value_fn(run) if run else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the few attributes this sensor has."""
        run = self.coordinator.data
        if run is None or self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(run)
