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


def lastfm_key_issue_id(entry: ConfigEntry) -> str:
    """Return the id of the "Last.fm rejected the key" issue of an entry."""
    return f"lastfm_invalid_key_{entry.entry_id}"


def async_create_lastfm_key_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Explain that Last.fm playlists stop until the key is fixed by reconfiguring."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        lastfm_key_issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="lastfm_invalid_key",
        translation_placeholders={"entry": entry.title},
    )
