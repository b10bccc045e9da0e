"""Base entity of a Harmoniq playlist: one device per playlist."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, KIND_LABELS
from .coordinator import PlaylistCoordinator


class HarmoniqPlaylistEntity(CoordinatorEntity[PlaylistCoordinator]):
    """An entity of one playlist's device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: PlaylistCoordinator, description: EntityDescription
    ) -> None:
        """Attach the entity to its playlist's device."""
        super().__init__(coordinator)
        self.entity_description = description
        subentry_id = coordinator.subentry.subentry_id
        self._attr_unique_id = f"{subentry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, subentry_id)},
            name=coordinator.title,
            manufacturer="Harmoniq",
            model=KIND_LABELS[coordinator.generator.kind],
            entry_type=DeviceEntryType.SERVICE,
        )
