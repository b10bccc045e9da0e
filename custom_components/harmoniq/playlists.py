"""Writing playlists Harmoniq owns, and never one it does not.

Harmoniq knows the playlists it owns by their stored ids and, in case that record is
lost (a restart during a first write, a restored backup), by a mark at the end of the
summary it writes: a short hash of the config entry and the playlist. A playlist of
the same title carrying the mark is Harmoniq's own and is adopted; one without it is
the user's and is never touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from hashlib import sha256

from .const import LOGGER
from .music_server import MusicServer, PlaylistInfo

MARK_PREFIX = "Harmoniq id: "


class PlaylistNameClashError(Exception):
    """A playlist Harmoniq does not own already has the playlist's name."""


def ownership_mark(entry_id: str, owner: str) -> str:
    """Return the mark of one owned playlist (`owner`: a subentry id, or a key)."""
    digest = sha256(f"{entry_id}/{owner}".encode()).hexdigest()[:12]
    return f"{MARK_PREFIX}{digest}"


def marked_summary(summary: str, mark: str) -> str:
    """Return the summary with the ownership mark on its last line."""
    return f"{summary}\n{mark}"


class OwnedPlaylistWriter:
    """Writes the playlists of one config entry, one title at a time.

    Checking that a title is free and creating the playlist happen under a lock per
    title, so two playlists of the entry can never both create the same title.
    """

    def __init__(self, server: MusicServer, entry_id: str) -> None:
        """Write through `server` for the entry `entry_id`."""
        self._server = server
        self._entry_id = entry_id
        self._locks: dict[str, asyncio.Lock] = {}

    async def async_write(
        self,
        owner: str,
        owned_id: str | None,
        title: str,
        track_ids: Sequence[str],
        summary: str,
    ) -> PlaylistInfo:
        """Write tracks to the playlist `owner` owns (`owned_id`), creating it if needed.

        The owned playlist is updated in place and renamed to `title` if needed;
        when it is gone, a playlist of that title carrying the owner's mark is
        adopted, else a new one is created: the caller stores the returned id.
        The playlist returned tells its artwork when the server's reply did.
        A playlist of that title without the mark is never touched:
        `PlaylistNameClashError` is raised instead.
        """
        mark = ownership_mark(self._entry_id, owner)
        full_summary = marked_summary(summary, mark)
        async with self._locks.setdefault(title.casefold(), asyncio.Lock()):
            owned = (
                await self._server.async_get_playlist(owned_id) if owned_id else None
            )
            if owned is None or owned.title.casefold() != title.casefold():
                same_title = [
                    playlist
                    for playlist in await self._server.async_find_playlists(title)
                    if playlist.id != owned_id
                ]
                ours = [p for p in same_title if (p.summary or "").endswith(mark)]
                if len(ours) < len(same_title):
                    raise PlaylistNameClashError(title)
                if owned is None and ours:
                    owned = await self._server.async_get_playlist(ours[0].id)
                    LOGGER.info(
                        "Playlist '%s': recognised Harmoniq's own playlist by its mark",
                        title,
                    )
            # The artwork as read before the write (a new playlist has none).
            if owned is not None:
                written = await self._server.async_replace_playlist_tracks(
                    owned, title, track_ids, full_summary
                )
                return replace(
                    written, artwork=owned.artwork, artwork_known=owned.artwork_known
                )
            created = await self._server.async_create_playlist(
                title, track_ids, full_summary
            )
            return replace(created, artwork=None, artwork_known=True)
