"""Button of a Harmoniq playlist: regenerate now."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import run_failed_error
from .data import HarmoniqConfigEntry
from .engine.selection import RunStatus
from .entity import HarmoniqPlaylistEntity

# One run at a time per playlist is enforced by its coordinator.
PARALLEL_UPDATES = 0

REGENERATE = ButtonEntityDescription(key="regenerate", translation_key="regenerate")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: HarmoniqConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each playlist's button to its subentry."""
    for subentry_id, coordinator in entry.runtime_data.coordinators.items():
        async_add_entities(
            [HarmoniqRegenerateButton(coordinator, REGENERATE)],
            config_subentry_id=subentry_id,
        )


class HarmoniqRegenerateButton(HarmoniqPlaylistEntity, ButtonEntity):
    """Regenerate the playlist now."""

    async def async_press(self) -> None:
        """Run the playlist's generator; raise when the run failed."""
        run = await self.coordinator.async_run()
        if run is None or run.status is RunStatus.FAILED:
            raise run_failed_error([(self.coordinator, run)])
