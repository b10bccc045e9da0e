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
    """Explain how to turn on the server's sonic analysis."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        sonic_issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="sonic_unavailable",
        translation_placeholders={"server": entry.title},
    )


def name_clash_issue_id(subentry_id: str) -> str:
    """Return the id of the issue "a playlist Harmoniq does not own has this name"."""
    return f"name_clash_{subentry_id}"


def async_create_name_clash_issue(
    hass: HomeAssistant, entry: ConfigEntry, subentry_id: str, title: str
) -> None:
    """Explain that a playlist stops until the user renames one of the two."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        name_clash_issue_id(subentry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="playlist_name_clash",
        translation_placeholders={"name": title, "server": entry.title},
    )


def async_delete_entry_issues(
    hass: HomeAssistant, entry: ConfigEntry, subentry_ids: set[str] | None = None
) -> None:
    """Delete the issues of an entry's playlists (of `subentry_ids` only, if given).

    Without `subentry_ids`, the entry's own issues go too: the entry is removed.
    """
    ids = {name_clash_issue_id(subentry_id) for subentry_id in subentry_ids or ()}
    if subentry_ids is None:
        ids |= {
            name_clash_issue_id(subentry_id) for subentry_id in entry.subentries
        } | {sonic_issue_id(entry)}
    for issue_id in ids:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
