"""Repair issues Harmoniq raises: problems only the user can fix."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


def sonic_issue_id(entry: ConfigEntry) -> str:
    """Return the id of the "no sonic analysis" issue of an entry."""
    return f"sonic_unavailable_{entry.entry_id}"


def async_create_sonic_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Explain how to turn on Plex's sonic analysis."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        sonic_issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="sonic_unavailable",
        translation_placeholders={"server": entry.title},
    )
