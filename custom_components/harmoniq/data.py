"""Runtime data of a Harmoniq config entry."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .lastfm import LastFmClient
from .music_server import MusicServer
from .playlists import OwnedPlaylistWriter
from .storage import HarmoniqStore

if TYPE_CHECKING:
    from .coordinator import PlaylistCoordinator

type HarmoniqConfigEntry = ConfigEntry[HarmoniqData]


@dataclass(slots=True)
class HarmoniqData:
    """What a loaded entry holds: its server, Last.fm client and playlists."""

    server: MusicServer
    lastfm: LastFmClient | None
    store: HarmoniqStore
    writer: OwnedPlaylistWriter
    """Writes the playlists Harmoniq owns on the server."""
    coordinators: dict[str, PlaylistCoordinator] = field(default_factory=dict)
    """Playlist coordinators by subentry id."""
    no_repeats_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held by the playlist without repeats that is choosing and writing."""
    lastfm_key_rejected: bool = False
    """Last.fm rejected the API key (error 10/26): Last.fm playlists stop until it is fixed."""
