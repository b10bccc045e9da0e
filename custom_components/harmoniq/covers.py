"""Keeping a generated playlist's cover up to date, without touching the user's own.

After each successful write, `async_update_cover` uploads Harmoniq's cover
(`cover_art`) when it would look different from the last one uploaded (the playlist
was renamed, or a Daily Flow's window changed) and the playlist shows no artwork or
Harmoniq's own. Any other artwork is the user's: it is left alone and remembered, and
Harmoniq's cover returns when the user removes theirs.

Cost: nothing while the cover is unchanged (the artwork is read from the reply the
write already asked for, where the server gives it there); when it changed, one
upload and one read of the new artwork's id, plus one read of the current artwork
where the write's reply did not tell it (Plex, if its items reply lacks `thumb`).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from .const import LOGGER
from .cover_art import cover_key, render_cover
from .music_server import (
    ArtworkNotAllowedError,
    MusicServer,
    MusicServerError,
    PlaylistInfo,
)
from .storage import PlaylistState


class CoverUpdater:
    """Uploads one playlist's covers; knows what its stored state means."""

    def __init__(
        self,
        hass: HomeAssistant,
        server: MusicServer,
        state: PlaylistState,
        title: str,
    ) -> None:
        """Update the covers of the playlist `title`, recorded in `state`."""
        self._hass = hass
        self._server = server
        self._state = state
        self._title = title
        self._current: str | None = None
        self._known = False

    async def async_update(
        self,
        info: PlaylistInfo,
        window: str | None,
        *,
        new_playlist: bool,
        enabled: bool = True,
    ) -> bool:
        """Upload a new cover if needed; return whether the state changed.

        `info` is the playlist just written, `window` the Daily Flow window it was
        written for (the cover's subtitle); `enabled` is the playlist's setting.
        Never raises: the run that wrote the tracks stays a success.
        """
        state = self._state
        if new_playlist:  # the cover state was about another playlist
            state.cover_key = state.artwork = state.user_artwork = None
        if not enabled or not self._server.artwork_allowed:
            return new_playlist
        self._current, self._known = info.artwork, info.artwork_known
        try:
            return await self._async_update(info.id, window) or new_playlist
        except ArtworkNotAllowedError:
            LOGGER.info(
                "The music server does not let this user set playlist artwork "
                "(Jellyfin: administrators only); Harmoniq leaves the covers as "
                "they are"
            )
        except MusicServerError as err:
            LOGGER.warning(
                "Playlist '%s': the cover was not updated: %s", self._title, err
            )
        except Exception:  # noqa: BLE001 - a cover must never fail the run
            LOGGER.exception("Playlist '%s': the cover was not updated", self._title)
        return True

    async def _async_current(self, playlist_id: str) -> str | None:
        """Return the playlist's artwork: from the write's reply, else one request."""
        if not self._known:
            self._current = await self._server.async_get_playlist_artwork(playlist_id)
            self._known = True
        return self._current

    async def _async_update(self, playlist_id: str, window: str | None) -> bool:
        state = self._state
        changed = False
        if (
            state.cover_key is not None
            and state.artwork is None
            and state.user_artwork is None
        ):
            # The id of Harmoniq's last upload was never read.
            state.artwork = await self._async_current(playlist_id) or ""
            changed = True
        key = cover_key(self._title, window)
        if key == state.cover_key and not self._known:
            return changed  # same cover; the artwork is not worth a request
        current = await self._async_current(playlist_id)
        if current is not None and current != state.artwork:
            if current != state.user_artwork:
                LOGGER.info(
                    "Playlist '%s' has artwork of its own: Harmoniq leaves it",
                    self._title,
                )
                state.user_artwork = current
                changed = True
            if state.cover_key != key:
                state.cover_key = key
                changed = True
            return changed
        if key == state.cover_key and state.user_artwork is None:
            return changed  # Harmoniq's cover is up to date (or was removed)
        image = await self._hass.async_add_executor_job(
            render_cover, self._title, window
        )
        uploaded = await self._server.async_set_playlist_artwork(playlist_id, image)
        state.cover_key, state.user_artwork = key, None
        state.artwork = None
        LOGGER.debug("Playlist '%s': uploaded a new cover", self._title)
        if uploaded is None:
            # Read the new artwork's id now, so that artwork the user sets later
            # is never taken for Harmoniq's.
            self._known = False
            uploaded = await self._async_current(playlist_id)
        state.artwork = uploaded or ""
        return True
