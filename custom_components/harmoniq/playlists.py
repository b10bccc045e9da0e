"""Writing playlists Harmoniq owns, and never one it does not."""

from __future__ import annotations

from collections.abc import Sequence

from .const import LOGGER
from .music_server import PlaylistInfo
from .plex import PlexMusicServer


class PlaylistNameClashError(Exception):
    """A playlist Harmoniq does not own already has the playlist's name."""


async def async_write_owned_playlist(
    server: PlexMusicServer,
    owned_id: str | None,
    title: str,
    track_ids: Sequence[str],
    summary: str,
) -> PlaylistInfo:
    """Write tracks to the playlist Harmoniq owns (`owned_id`), creating it if needed.

    The owned playlist is updated in place and renamed to `title` if needed; when
    it is gone, a new one is created: the caller stores the returned id as owned.
    A playlist of that title which Harmoniq did not create is never touched:
    `PlaylistNameClashError` is raised instead.
    """
    owned = await server.async_get_playlist(owned_id) if owned_id else None
    if owned is None or owned.title.casefold() != title.casefold():
        others = [
            playlist
            for playlist in await server.async_find_playlists(title)
            if playlist.id != owned_id
        ]
        if others:
            raise PlaylistNameClashError(title)
    if owned is not None:
        info = await server.async_replace_playlist_tracks(
            owned.id, title, track_ids, summary
        )
    else:
        info = await server.async_create_playlist(title, track_ids, summary)
    if info.summary != summary:
        LOGGER.warning("Plex did not keep the summary of playlist '%s'", title)
    return info
