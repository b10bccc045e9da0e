"""Config flow for Harmoniq: Plex server, music libraries, optional Last.fm account."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from contextlib import suppress
import itertools
from typing import Any
from uuid import uuid4

import aiohttp
import voluptuous as vol

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryData,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import callback
from homeassistant.data_entry_flow import AbortFlow, section
from homeassistant.exceptions import TemplateError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TemplateSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.template import Template

from .const import (
    CONF_ACTIVE_WHEN,
    CONF_COUNTRY,
    CONF_COVER_ART,
    CONF_DEVICE_ID,
    CONF_EXCLUDE_ARTISTS,
    CONF_EXCLUDE_GENRES,
    CONF_EXCLUDE_MOODS,
    CONF_EXCLUDE_PLAYED_DAYS,
    CONF_EXCLUDE_STYLES,
    CONF_EXCLUDE_TAGS,
    CONF_FAVOUR,
    CONF_INCLUDE_KNOWN_ARTISTS,
    CONF_KIND,
    CONF_LENGTH_MINUTES,
    CONF_LIBRARIES,
    CONF_MAX_SKIPS,
    CONF_MIN_STARS,
    CONF_NO_REPEATS,
    CONF_ORDER,
    CONF_PERIOD,
    CONF_REFRESH_INTERVAL,
    CONF_SEASONS,
    CONF_SEED,
    CONF_SEED_ARTISTS,
    CONF_SEED_MODE,
    CONF_SERVER_TYPE,
    CONF_SIMILAR_ARTISTS,
    CONF_SIZE,
    CONF_TIME_WINDOWS,
    CONF_TRACKS_PER_ARTIST,
    CONF_USER_ID,
    DEFAULT_DAILY_FLOW_NAME,
    DEFAULT_REFRESH_INTERVAL,
    DEFAULT_SIZE,
    DEFAULT_VERIFY_SSL,
    DOMAIN,
    KIND_DAILY_FLOW,
    KIND_LABELS,
    KIND_LASTFM_DISCOVERY,
    KIND_LASTFM_TOP_TRACKS,
    KIND_SONIC_FLOW,
    LOGGER,
    REAUTH_LASTFM,
    SERVER_JELLYFIN,
    SERVER_PLEX,
    SUBENTRY_TYPE_PLAYLIST,
)
from .data import HarmoniqConfigEntry
from .engine.models import Criteria
from .engine.seasons import (
    DEFAULT_SEASONS,
    SeasonError,
    format_seasons,
    parse_seasons,
)
from .engine.windows import (
    DEFAULT_TIME_WINDOWS,
    TimeWindow,
    TimeWindowError,
    format_time_windows,
    is_template,
    parse_time_windows,
)
from .generators import (
    DEFAULT_PERIOD,
    DEFAULT_SEED_ARTISTS,
    DEFAULT_SIMILAR_ARTISTS,
    DEFAULT_TRACKS_PER_ARTIST,
)
from .jellyfin import (
    JellyfinLogin,
    QuickConnectCode,
    async_login_password,
    async_logout,
    async_quick_connect_initiate,
    async_quick_connect_login,
    async_quick_connect_poll,
)
from .lastfm import (
    PERIODS,
    LastFmAuthError,
    LastFmClient,
    LastFmError,
    LastFmNotFoundError,
)
from .music_server import (
    MusicLibrary,
    MusicServerAuthError,
    MusicServerConnectionError,
    MusicServerError,
    MusicServerSSLError,
    ServerCapabilities,
    ServerInfo,
    TagChoices,
)
from .servers import async_connect_server

PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

STEP_SERVER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        ),
        vol.Required(CONF_TOKEN): PASSWORD_SELECTOR,
        vol.Required(CONF_VERIFY_SSL, default=DEFAULT_VERIFY_SSL): bool,
    }
)
STEP_REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_TOKEN): PASSWORD_SELECTOR})
CONF_SIGN_IN = "sign_in"
SIGN_IN_PASSWORD = "password"  # noqa: S105 - a sign-in method, not a secret
SIGN_IN_QUICK_CONNECT = "quick_connect"
STEP_JELLYFIN_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL)
        ),
        vol.Required(CONF_VERIFY_SSL, default=DEFAULT_VERIFY_SSL): bool,
        vol.Required(CONF_SIGN_IN, default=SIGN_IN_PASSWORD): SelectSelector(
            SelectSelectorConfig(
                options=[SIGN_IN_PASSWORD, SIGN_IN_QUICK_CONNECT],
                translation_key=CONF_SIGN_IN,
            )
        ),
    }
)
STEP_JELLYFIN_PASSWORD_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_USERNAME): TextSelector(),
        vol.Optional(CONF_PASSWORD, default=""): PASSWORD_SELECTOR,
    }
)
# Seconds between two questions whether a Quick Connect code was approved.
QUICK_CONNECT_POLL_INTERVAL = 2
STEP_LASTFM_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_API_KEY): PASSWORD_SELECTOR,
        vol.Optional(CONF_USERNAME): TextSelector(),
    }
)

# Home Assistant's own Plex integration, whose servers Harmoniq offers to reuse. Its
# entries keep the server's name and {url, token, verify_ssl} (verify_ssl only for
# https URLs), as homeassistant/components/plex/config_flow.py writes them.
CORE_PLEX_DOMAIN = "plex"
CORE_PLEX_SERVER_NAME = "server"
CORE_PLEX_SERVER_CONFIG = "server_config"
CONF_PLEX_ENTRY = "plex_entry"
STEP_PLEX_HOME_ASSISTANT = "plex_home_assistant"
STEP_OPTIONS_SCHEMA = vol.Schema(
    {vol.Optional(CONF_SEASONS): TextSelector(TextSelectorConfig(multiline=True))}
)


def _clean_url(url: str) -> str:
    """Return a typed URL without surrounding blanks and trailing slashes."""
    return url.strip().rstrip("/")


def _has_scheme(url: str) -> bool:
    """Return whether the URL starts with http:// or https://."""
    return url.casefold().startswith(("http://", "https://"))


def _error_key(err: MusicServerError) -> str:
    """Return the form error key of a server failure."""
    if isinstance(err, MusicServerAuthError):
        return "invalid_auth"
    if isinstance(err, MusicServerSSLError):
        return "ssl_error"
    if isinstance(err, MusicServerConnectionError):
        return "cannot_connect"
    return "unknown"


class FormError(Exception):
    """A failure to show on the form, by its translation key."""

    def __init__(self, key: str, field: str = "base") -> None:
        """Keep the error's translation key and the form field it belongs to."""
        super().__init__(key)
        self.key = key
        self.field = field


class HarmoniqConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up Harmoniq against one Plex server."""

    VERSION = 1
    MINOR_VERSION = 2

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Seasons are the entry's options."""
        return HarmoniqOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Playlists are subentries."""
        return {SUBENTRY_TYPE_PLAYLIST: PlaylistSubentryFlow}

    def __init__(self) -> None:
        """Start with nothing known about the server."""
        self._data: dict[str, Any] = {}
        self._quick_connect: QuickConnectCode | None = None
        self._quick_connect_task: asyncio.Task[JellyfinLogin | None] | None = None
        self._server_info: ServerInfo | None = None
        self._libraries: list[MusicLibrary] = []

    async def _async_probe_server(
        self, url: str, token: str, verify_ssl: bool
    ) -> ServerInfo:
        """Connect to a Plex server and read its identity and music libraries."""
        if not _has_scheme(url):
            raise FormError("url_missing_scheme", CONF_URL)
        return await self._async_probe(
            {
                CONF_SERVER_TYPE: SERVER_PLEX,
                CONF_URL: url,
                CONF_TOKEN: token,
                CONF_VERIFY_SSL: verify_ssl,
            }
        )

    async def _async_probe(self, data: Mapping[str, Any]) -> ServerInfo:
        """Connect and read the server's identity and music libraries.

        Raises `FormError` with the key of the error to show on the form.
        """
        try:
            server = await async_connect_server(self.hass, data)
            try:
                self._libraries = await server.async_get_music_libraries()
            finally:
                await server.async_close()
        except MusicServerError as err:
            raise FormError(_error_key(err)) from err
        except Exception as err:
            LOGGER.exception("Unexpected error connecting to %s", data[CONF_URL])
            raise FormError("unknown") from err
        self._server_info = server.info
        return server.info

    async def _async_probe_form(
        self, user_input: dict[str, Any]
    ) -> tuple[ServerInfo, dict[str, Any]]:
        """Probe the Plex server a form names; return it and the form, URL cleaned.

        Raises `FormError`.
        """
        url = _clean_url(user_input[CONF_URL])
        info = await self._async_probe_server(
            url, user_input[CONF_TOKEN], user_input[CONF_VERIFY_SSL]
        )
        return info, {**user_input, CONF_URL: url}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask which kind of music server to connect.

        Plex servers that Home Assistant's Plex integration runs are offered first.
        """
        menu = [SERVER_PLEX, SERVER_JELLYFIN]
        if self._core_plex_entries():
            menu.insert(0, STEP_PLEX_HOME_ASSISTANT)
        return self.async_show_menu(step_id="user", menu_options=menu)

    def _core_plex_entries(self) -> dict[str, ConfigEntry]:
        """Return the loaded Plex integration entries of servers Harmoniq lacks."""
        configured = self._async_current_ids(include_ignore=False)
        return {
            entry.entry_id: entry
            for entry in self.hass.config_entries.async_loaded_entries(CORE_PLEX_DOMAIN)
            if entry.unique_id not in configured
            and (config := entry.data.get(CORE_PLEX_SERVER_CONFIG))
            and config.get(CONF_URL)
            and config.get(CONF_TOKEN)
        }

    async def async_step_plex_home_assistant(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reuse the URL and token of a server Home Assistant's Plex integration runs."""
        entries = self._core_plex_entries()
        if not entries:  # removed or unloaded since the menu showed it
            return await self.async_step_plex()
        errors: dict[str, str] = {}
        if user_input is not None and (
            entry := entries.get(user_input[CONF_PLEX_ENTRY])
        ):
            config = entry.data[CORE_PLEX_SERVER_CONFIG]
            server = {
                CONF_URL: _clean_url(config[CONF_URL]),
                CONF_TOKEN: config[CONF_TOKEN],
                CONF_VERIFY_SSL: config.get(CONF_VERIFY_SSL, DEFAULT_VERIFY_SSL),
            }
            try:
                info = await self._async_probe_server(
                    server[CONF_URL], server[CONF_TOKEN], server[CONF_VERIFY_SSL]
                )
            except FormError as err:
                errors["base"] = err.key
            else:
                return await self._async_plex_found(info, server)
        schema = vol.Schema(
            {
                vol.Required(CONF_PLEX_ENTRY, default=next(iter(entries))): (
                    SelectSelector(
                        SelectSelectorConfig(
                            options=[
                                SelectOptionDict(
                                    value=entry_id,
                                    label=str(
                                        entry.data.get(CORE_PLEX_SERVER_NAME)
                                        or entry.title
                                    ),
                                )
                                for entry_id, entry in entries.items()
                            ]
                        )
                    )
                )
            }
        )
        return self.async_show_form(
            step_id=STEP_PLEX_HOME_ASSISTANT,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    async def _async_plex_found(
        self, info: ServerInfo, server: dict[str, Any]
    ) -> ConfigFlowResult:
        """Keep a new Plex server's connection and go on to its libraries."""
        await self.async_set_unique_id(info.unique_id)
        self._abort_if_unique_id_configured()
        self._data = {**server, CONF_SERVER_TYPE: SERVER_PLEX}
        return await self.async_step_libraries()

    async def async_step_plex(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Plex server's URL and token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                info, server = await self._async_probe_form(user_input)
            except FormError as err:
                errors[err.field] = err.key
            else:
                return await self._async_plex_found(info, server)
        return self.async_show_form(
            step_id="plex",
            data_schema=self.add_suggested_values_to_schema(
                STEP_SERVER_SCHEMA, user_input
            ),
            errors=errors,
        )

    async def async_step_jellyfin(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Jellyfin server's URL and how to sign in."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url = _clean_url(user_input[CONF_URL])
            if not _has_scheme(url):
                errors[CONF_URL] = "url_missing_scheme"
            else:
                self._data = {
                    CONF_SERVER_TYPE: SERVER_JELLYFIN,
                    CONF_URL: url,
                    CONF_VERIFY_SSL: user_input[CONF_VERIFY_SSL],
                    CONF_DEVICE_ID: self._data.get(CONF_DEVICE_ID) or uuid4().hex,
                }
                if user_input[CONF_SIGN_IN] == SIGN_IN_QUICK_CONNECT:
                    return await self.async_step_jellyfin_quick_connect()
                return await self.async_step_jellyfin_password()
        return self.async_show_form(
            step_id="jellyfin",
            data_schema=self.add_suggested_values_to_schema(
                STEP_JELLYFIN_SCHEMA, user_input or self._data
            ),
            errors=errors,
        )

    async def async_step_jellyfin_password(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in with a Jellyfin user name and password (the password is not kept)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                login = await async_login_password(
                    self._jellyfin_session,
                    self._data[CONF_URL],
                    user_input[CONF_USERNAME],
                    user_input[CONF_PASSWORD],
                    self._data[CONF_DEVICE_ID],
                    verify_ssl=self._data[CONF_VERIFY_SSL],
                )
            except MusicServerError as err:
                errors["base"] = _error_key(err)
            else:
                return await self._async_jellyfin_signed_in(login)
        return self.async_show_form(
            step_id="jellyfin_password",
            data_schema=self.add_suggested_values_to_schema(
                STEP_JELLYFIN_PASSWORD_SCHEMA,
                {CONF_USERNAME: (user_input or {}).get(CONF_USERNAME, "")},
            ),
            errors=errors,
            description_placeholders={CONF_URL: self._data[CONF_URL]},
        )

    async def async_step_jellyfin_quick_connect(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show a Quick Connect code until the user approves it in a Jellyfin app."""
        if self._quick_connect is None:
            try:
                code = await async_quick_connect_initiate(
                    self._jellyfin_session,
                    self._data[CONF_URL],
                    self._data[CONF_DEVICE_ID],
                    verify_ssl=self._data[CONF_VERIFY_SSL],
                )
            except MusicServerError as err:
                return self.async_abort(reason=f"quick_connect_{_error_key(err)}")
            self._quick_connect = code
            self._quick_connect_task = self.hass.async_create_task(
                self._async_wait_for_approval(code.secret), eager_start=False
            )
        task = self._quick_connect_task
        if task is not None and not task.done():
            return self.async_show_progress(
                step_id="jellyfin_quick_connect",
                progress_action="quick_connect",
                description_placeholders={"code": self._quick_connect.code},
                progress_task=task,
            )
        return self.async_show_progress_done(next_step_id="jellyfin_approved")

    async def _async_wait_for_approval(self, secret: str) -> JellyfinLogin | None:
        """Poll until the request is approved, then sign in; None if it expired."""
        session, url = self._jellyfin_session, self._data[CONF_URL]
        device_id, verify_ssl = self._data[CONF_DEVICE_ID], self._data[CONF_VERIFY_SSL]
        try:
            while True:
                if await async_quick_connect_poll(
                    session, url, device_id, secret, verify_ssl=verify_ssl
                ):
                    break
                await asyncio.sleep(QUICK_CONNECT_POLL_INTERVAL)
            return await async_quick_connect_login(
                session, url, device_id, secret, verify_ssl=verify_ssl
            )
        except MusicServerError as err:
            LOGGER.warning("Jellyfin Quick Connect did not complete: %s", err)
            return None

    async def async_step_jellyfin_approved(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Continue with the approved Quick Connect sign-in."""
        task, self._quick_connect_task = self._quick_connect_task, None
        self._quick_connect = None
        login = task.result() if task is not None else None
        if login is None:
            return self.async_abort(reason="quick_connect_failed")
        return await self._async_jellyfin_signed_in(login)

    async def _async_jellyfin_signed_in(self, login: JellyfinLogin) -> ConfigFlowResult:
        """Keep the token (never the password) and go on to the libraries.

        A sign-in the flow refuses (another user, already set up, a failing
        server) is logged out again, so no unused session stays valid.
        """
        self._data |= {CONF_TOKEN: login.token, CONF_USER_ID: login.user_id}
        try:
            return await self._async_jellyfin_accept(login)
        except AbortFlow:
            try:
                await async_logout(
                    self._jellyfin_session,
                    self._data[CONF_URL],
                    self._data[CONF_DEVICE_ID],
                    login.token,
                    verify_ssl=self._data[CONF_VERIFY_SSL],
                )
            except MusicServerError as err:
                LOGGER.debug("Could not end the refused Jellyfin session: %s", err)
            raise

    async def _async_jellyfin_accept(self, login: JellyfinLogin) -> ConfigFlowResult:
        """Check the signed-in user against the flow's purpose; raise AbortFlow."""
        try:
            info = await self._async_probe(self._data)
        except FormError as err:
            raise AbortFlow(err.key) from err
        await self.async_set_unique_id(info.unique_id)
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="wrong_user")
            entry = self._get_reauth_entry()
            return self._async_update_and_reload(
                entry,
                {**entry.data, CONF_TOKEN: login.token, CONF_USER_ID: login.user_id},
            )
        if self.source == SOURCE_RECONFIGURE:
            self._abort_if_unique_id_mismatch(reason="wrong_user")
            self._data = {**self._get_reconfigure_entry().data, **self._data}
        else:
            self._abort_if_unique_id_configured()
        return await self.async_step_libraries()

    @property
    def _jellyfin_session(self) -> aiohttp.ClientSession:
        return async_get_clientsession(self.hass, self._data[CONF_VERIFY_SSL])

    async def async_step_libraries(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick the music libraries playlists draw from."""
        if not self._libraries:
            return self.async_abort(reason="no_music_libraries")
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input.get(CONF_LIBRARIES):
                self._data[CONF_LIBRARIES] = user_input[CONF_LIBRARIES]
                return await self.async_step_lastfm()
            errors[CONF_LIBRARIES] = "no_library_selected"
        available = {library.key for library in self._libraries}
        selected = [
            key for key in self._data.get(CONF_LIBRARIES, []) if key in available
        ] or sorted(available)
        schema = vol.Schema(
            {
                vol.Required(CONF_LIBRARIES, default=selected): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=library.key, label=library.title)
                            for library in self._libraries
                        ],
                        multiple=True,
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="libraries",
            data_schema=schema,
            errors=errors,
            description_placeholders={"server": self._server_name},
        )

    async def async_step_lastfm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Optionally connect a Last.fm API key and username."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                data = await self._async_with_lastfm(self._data, user_input)
            except FormError as err:
                errors[err.field] = err.key
            else:
                if self.source == SOURCE_RECONFIGURE:
                    return self._async_update_and_reload(
                        self._get_reconfigure_entry(), data, self._server_name
                    )
                return self.async_create_entry(
                    title=self._server_name,
                    data=data,
                    options={CONF_SEASONS: DEFAULT_SEASONS},
                    subentries=starter_playlists(data),
                )
        suggested = user_input or {
            key: self._data[key]
            for key in (CONF_API_KEY, CONF_USERNAME)
            if key in self._data
        }
        return self.async_show_form(
            step_id="lastfm",
            data_schema=self.add_suggested_values_to_schema(
                STEP_LASTFM_SCHEMA, suggested
            ),
            errors=errors,
        )

    async def _async_with_lastfm(
        self,
        data: Mapping[str, Any],
        user_input: Mapping[str, Any],
        *,
        required: bool = False,
    ) -> dict[str, Any]:
        """Return `data` with the Last.fm account of the form, checked with Last.fm.

        Both fields empty: no Last.fm, unless `required`. Raises `FormError` for
        the field to mark.
        """
        api_key = user_input.get(CONF_API_KEY, "").strip()
        username = user_input.get(CONF_USERNAME, "").strip()
        kept = {
            key: value
            for key, value in data.items()
            if key not in (CONF_API_KEY, CONF_USERNAME)
        }
        if not api_key:
            if username or required:
                raise FormError("api_key_required", CONF_API_KEY)
            return kept
        client = LastFmClient(async_get_clientsession(self.hass), api_key)
        try:
            if username:
                username = (await client.async_get_user(username)).name
            else:
                await client.async_validate_key()
        except LastFmAuthError as err:
            raise FormError("invalid_api_key", CONF_API_KEY) from err
        except LastFmNotFoundError as err:
            raise FormError("invalid_user", CONF_USERNAME) from err
        except LastFmError as err:
            LOGGER.warning("Cannot validate the Last.fm account: %s", err)
            raise FormError("lastfm_cannot_connect") from err
        return (
            kept
            | {CONF_API_KEY: api_key}
            | ({CONF_USERNAME: username} if username else {})
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Ask for what was rejected: the server token, or the Last.fm API key."""
        if entry_data.get(REAUTH_LASTFM):
            return await self.async_step_reauth_lastfm()
        if entry_data.get(CONF_SERVER_TYPE) == SERVER_JELLYFIN:
            self._data = dict(entry_data)
            return await self.async_step_jellyfin()
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_lastfm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a Last.fm API key (and username) that Last.fm accepts."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                data = await self._async_with_lastfm(
                    entry.data, user_input, required=True
                )
            except FormError as err:
                errors[err.field] = err.key
            else:
                return self._async_update_and_reload(entry, data)
        return self.async_show_form(
            step_id="reauth_lastfm",
            data_schema=self.add_suggested_values_to_schema(
                STEP_LASTFM_SCHEMA,
                user_input or {CONF_USERNAME: entry.data.get(CONF_USERNAME, "")},
            ),
            errors=errors,
            description_placeholders={"server": entry.title},
        )

    def _async_update_and_reload(
        self, entry: ConfigEntry, data: Mapping[str, Any], title: str | None = None
    ) -> ConfigFlowResult:
        """Save the entry's new data and finish; the entry reloads to apply it.

        A loaded entry's update listener reloads it, as Home Assistant asks; an
        entry that is not loaded (setup failed on the old token) has no listener.
        The reason is passed explicitly so that Harmoniq's own message shows (left
        out, Home Assistant 2025.11+ shows its generic one).
        """
        reason = (
            "reauth_successful"
            if self.source == SOURCE_REAUTH
            else "reconfigure_successful"
        )
        if not entry.update_listeners:
            return self.async_update_reload_and_abort(
                entry, data=data, title=title or entry.title, reason=reason
            )
        self.hass.config_entries.async_update_entry(
            entry, data=data, title=title or entry.title
        )
        return self.async_abort(reason=reason)

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new Plex token."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                info = await self._async_probe_server(
                    entry.data[CONF_URL],
                    user_input[CONF_TOKEN],
                    entry.data[CONF_VERIFY_SSL],
                )
            except FormError as err:
                errors["base"] = err.key
            else:
                await self.async_set_unique_id(info.unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_server")
                return self._async_update_and_reload(
                    entry, {**entry.data, CONF_TOKEN: user_input[CONF_TOKEN]}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=STEP_REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={
                "server": entry.title,
                CONF_URL: entry.data[CONF_URL],
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the server connection, then the libraries and Last.fm account."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_SERVER_TYPE) == SERVER_JELLYFIN:
            self._data = dict(entry.data)
            return await self.async_step_jellyfin()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                info, server = await self._async_probe_form(user_input)
            except FormError as err:
                errors[err.field] = err.key
            else:
                await self.async_set_unique_id(info.unique_id)
                self._abort_if_unique_id_mismatch(reason="wrong_server")
                self._data = {**entry.data, **server}
                return await self.async_step_libraries()
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                STEP_SERVER_SCHEMA, user_input or entry.data
            ),
            errors=errors,
        )

    @property
    def _server_name(self) -> str:
        return self._server_info.name if self._server_info else ""


def starter_playlists(entry_data: Mapping[str, Any]) -> list[ConfigSubentryData]:
    """Return the playlists a new entry starts with.

    A Daily Flow always; with Last.fm, Last.fm Top Tracks, and with a username
    Last.fm Discovery too.
    """
    libraries: list[str] = entry_data[CONF_LIBRARIES]
    playlists = [(DEFAULT_DAILY_FLOW_NAME, default_daily_flow(libraries))]
    common = {
        CONF_SIZE: DEFAULT_SIZE,
        CONF_REFRESH_INTERVAL: DEFAULT_REFRESH_INTERVAL,
        CONF_LIBRARIES: list(libraries),
        CONF_NO_REPEATS: True,
        CONF_COVER_ART: True,
    }
    if CONF_API_KEY in entry_data:
        playlists.append(
            (
                KIND_LABELS[KIND_LASTFM_TOP_TRACKS],
                {CONF_KIND: KIND_LASTFM_TOP_TRACKS, CONF_COUNTRY: "", **common},
            )
        )
        if CONF_USERNAME in entry_data:
            playlists.append(
                (
                    KIND_LABELS[KIND_LASTFM_DISCOVERY],
                    {
                        CONF_KIND: KIND_LASTFM_DISCOVERY,
                        CONF_PERIOD: DEFAULT_PERIOD,
                        CONF_SEED_ARTISTS: DEFAULT_SEED_ARTISTS,
                        CONF_SIMILAR_ARTISTS: DEFAULT_SIMILAR_ARTISTS,
                        CONF_TRACKS_PER_ARTIST: DEFAULT_TRACKS_PER_ARTIST,
                        CONF_INCLUDE_KNOWN_ARTISTS: False,
                        **common,
                    },
                )
            )
    return [
        ConfigSubentryData(
            subentry_type=SUBENTRY_TYPE_PLAYLIST, title=title, data=data, unique_id=None
        )
        for title, data in playlists
    ]


def default_daily_flow(library_keys: list[str]) -> dict[str, Any]:
    """Return the settings of the Daily Flow a new entry starts with."""
    return {
        CONF_KIND: KIND_DAILY_FLOW,
        CONF_SIZE: DEFAULT_SIZE,
        CONF_REFRESH_INTERVAL: DEFAULT_REFRESH_INTERVAL,
        CONF_LIBRARIES: list(library_keys),
        CONF_TIME_WINDOWS: format_time_windows(DEFAULT_TIME_WINDOWS),
        CONF_ORDER: "spread",
        CONF_MIN_STARS: 0,
        CONF_EXCLUDE_PLAYED_DAYS: 0,
        CONF_NO_REPEATS: True,
        CONF_COVER_ART: True,
    }


# What a server that is not loaded is assumed to offer (its forms abort anyway).
ALL_CAPABILITIES = ServerCapabilities(
    moods=True,
    styles=True,
    star_ratings=True,
    skip_counts=True,
    sonic_analysis=True,
    bulk_playlist_replace=True,
    tags=True,
)
# Names shown per tag kind under the Daily Flow's time windows (the exclusion
# lists offer them all).
MAX_CHOICES_SHOWN = 15
# The collapsed form section of what a playlist leaves out; stored flat.
SECTION_EXCLUSIONS = "exclusions"
EXCLUSION_KEYS = (
    CONF_EXCLUDE_ARTISTS,
    CONF_EXCLUDE_GENRES,
    CONF_EXCLUDE_MOODS,
    CONF_EXCLUDE_STYLES,
    CONF_EXCLUDE_TAGS,
)
# Placeholders of the time-window errors, empty until an error fills them.
WINDOW_ERROR_PLACEHOLDERS = ("index", "window", "key", "other_index", "tag", "kind")


class PlaylistSubentryFlow(ConfigSubentryFlow):
    """Add or change a playlist: pick its kind, then tune it."""

    def __init__(self) -> None:
        """Start without the server's libraries and tags."""
        self._libraries: list[MusicLibrary] = []
        self._choices = TagChoices()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the kinds of playlist the server and the Last.fm account allow."""
        entry_data = self._get_entry().data
        kinds = [KIND_DAILY_FLOW]
        if self._capabilities.sonic_analysis:
            kinds.append(KIND_SONIC_FLOW)
        if CONF_API_KEY in entry_data:
            kinds.append(KIND_LASTFM_TOP_TRACKS)
            if CONF_USERNAME in entry_data:
                kinds.append(KIND_LASTFM_DISCOVERY)
        return self.async_show_menu(step_id="user", menu_options=kinds)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a playlist's settings, with the form of its kind."""
        step = {
            KIND_SONIC_FLOW: self.async_step_sonic_flow,
            KIND_LASTFM_TOP_TRACKS: self.async_step_lastfm_top_tracks,
            KIND_LASTFM_DISCOVERY: self.async_step_lastfm_recommendations,
        }.get(
            self._get_reconfigure_subentry().data[CONF_KIND], self.async_step_daily_flow
        )
        return await step(user_input)

    async def async_step_lastfm_top_tracks(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the chart: global, or a country's."""
        return await self._async_step_without_checks(
            KIND_LASTFM_TOP_TRACKS,
            user_input,
            {vol.Optional(CONF_COUNTRY): TextSelector()},
            lambda data: {CONF_COUNTRY: str(data.get(CONF_COUNTRY, "")).strip()},
        )

    async def async_step_lastfm_recommendations(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask how to discover: period, seed artists, similar artists, tracks each."""
        return await self._async_step_without_checks(
            KIND_LASTFM_DISCOVERY,
            user_input,
            {
                vol.Required(CONF_PERIOD, default=DEFAULT_PERIOD): SelectSelector(
                    SelectSelectorConfig(
                        options=list(PERIODS), translation_key=CONF_PERIOD
                    )
                ),
                vol.Required(CONF_SEED_ARTISTS, default=DEFAULT_SEED_ARTISTS): _count(
                    1, 20
                ),
                vol.Required(
                    CONF_SIMILAR_ARTISTS, default=DEFAULT_SIMILAR_ARTISTS
                ): _count(1, 50),
                vol.Required(
                    CONF_TRACKS_PER_ARTIST, default=DEFAULT_TRACKS_PER_ARTIST
                ): _count(1, 10),
                vol.Required(CONF_INCLUDE_KNOWN_ARTISTS, default=False): bool,
            },
            lambda data: {
                CONF_PERIOD: data[CONF_PERIOD],
                CONF_SEED_ARTISTS: int(data[CONF_SEED_ARTISTS]),
                CONF_SIMILAR_ARTISTS: int(data[CONF_SIMILAR_ARTISTS]),
                CONF_TRACKS_PER_ARTIST: int(data[CONF_TRACKS_PER_ARTIST]),
                CONF_INCLUDE_KNOWN_ARTISTS: data[CONF_INCLUDE_KNOWN_ARTISTS],
            },
        )

    async def _async_step_without_checks(
        self,
        kind: str,
        user_input: dict[str, Any] | None,
        fields: dict[vol.Marker, Any],
        kind_data: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> SubentryFlowResult:
        """Show and save a kind whose own fields need no checks beyond the common ones."""
        if (aborted := await self._async_read_server()) is not None:
            return aborted
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._common_errors(user_input)
            if not errors:
                return self._async_finish(
                    user_input, {CONF_KIND: kind, **kind_data(user_input)}
                )
        schema = {
            **self._common_fields(KIND_LABELS[kind]),
            **fields,
            **self._shape_fields(),
        }
        return self._async_show(kind, schema, user_input, errors, {})

    async def async_step_daily_flow(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the time windows, their moods, genres and styles, and refinements."""
        if (aborted := await self._async_read_server()) is not None:
            return aborted
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            errors = self._common_errors(user_input)
            try:
                windows = _with_library_spelling(
                    parse_time_windows(user_input[CONF_TIME_WINDOWS]), self._choices
                )
            except TimeWindowError as err:
                errors[CONF_TIME_WINDOWS] = f"window_{err.reason}"
                placeholders |= {
                    "index": str(err.index or ""),
                    "window": err.window,
                    "key": err.key or "",
                    "other_index": str(err.other_index or ""),
                }
            except UnknownTagError as err:
                errors[CONF_TIME_WINDOWS] = "unknown_tag"
                placeholders |= {
                    "index": str(err.index),
                    "window": err.window,
                    "tag": err.tag,
                    "kind": err.kind,
                }
            else:
                if (bad := self._bad_template(windows)) is not None:
                    errors[CONF_TIME_WINDOWS] = "bad_template"
                    placeholders |= {"tag": bad}
            if not errors:
                return self._async_finish(
                    user_input,
                    {
                        CONF_KIND: KIND_DAILY_FLOW,
                        CONF_TIME_WINDOWS: format_time_windows(windows),
                        CONF_ORDER: user_input[CONF_ORDER],
                        CONF_FAVOUR: user_input[CONF_FAVOUR],
                    },
                )
        schema = {
            **self._common_fields(DEFAULT_DAILY_FLOW_NAME),
            vol.Required(
                CONF_TIME_WINDOWS, default=_windows_lines(DEFAULT_TIME_WINDOWS)
            ): TextSelector(TextSelectorConfig(multiline=True)),
            vol.Required(CONF_ORDER, default="spread"): SelectSelector(
                SelectSelectorConfig(
                    options=["spread", "flow"]
                    if self._capabilities.sonic_analysis
                    else ["spread"],
                    translation_key=CONF_ORDER,
                )
            ),
            **self._refinement_fields(),
            vol.Required(CONF_FAVOUR, default="none"): SelectSelector(
                SelectSelectorConfig(
                    options=["none", "rating", "less_played"],
                    translation_key=CONF_FAVOUR,
                )
            ),
            **self._shape_fields(),
        }
        return self._async_show(
            KIND_DAILY_FLOW, schema, user_input, errors, placeholders
        )

    def _bad_template(self, windows: tuple[TimeWindow, ...]) -> str | None:
        """Return the first criteria template with a syntax error, if any."""
        for window in windows:
            criteria = window.criteria
            for item in (*criteria.moods, *criteria.genres, *criteria.styles):
                if is_template(item):
                    try:
                        Template(item, self.hass).ensure_valid()
                    except TemplateError:
                        return item
        return None

    async def async_step_sonic_flow(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the seed the flow starts from, and the refinements."""
        if (aborted := await self._async_read_server()) is not None:
            return aborted
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._common_errors(user_input)
            seed_mode = user_input[CONF_SEED_MODE]
            seed = str(user_input.get(CONF_SEED, "")).strip()
            if seed_mode != "recent" and not seed:
                errors[CONF_SEED] = "seed_required"
            elif seed_mode != "recent" and not errors:
                errors |= await self._async_check_seed(
                    seed_mode, seed, user_input[CONF_LIBRARIES]
                )
            if not errors:
                return self._async_finish(
                    user_input,
                    {
                        CONF_KIND: KIND_SONIC_FLOW,
                        CONF_SEED_MODE: seed_mode,
                        CONF_SEED: seed,
                    },
                )
        schema = {
            **self._common_fields(KIND_LABELS[KIND_SONIC_FLOW]),
            vol.Required(CONF_SEED_MODE, default="recent"): SelectSelector(
                SelectSelectorConfig(
                    options=["recent", "track", "artist"],
                    translation_key=CONF_SEED_MODE,
                )
            ),
            vol.Optional(CONF_SEED): TextSelector(),
            **self._refinement_fields(),
            **self._shape_fields(),
        }
        return self._async_show(KIND_SONIC_FLOW, schema, user_input, errors, {})

    async def _async_check_seed(
        self, seed_mode: str, seed: str, libraries: list[str]
    ) -> dict[str, str]:
        """Check that the seed track or artist exists."""
        server = self._get_entry().runtime_data.server
        try:
            if seed_mode == "track":
                found = await server.async_get_tracks([seed])
            else:
                found = await server.async_artist_tracks(libraries, seed, 1)
        except MusicServerError as err:
            LOGGER.warning("Cannot check the seed with Plex: %s", err)
            return {"base": "cannot_connect"}
        return {} if found else {CONF_SEED: f"unknown_{seed_mode}"}

    async def _async_read_server(self) -> SubentryFlowResult | None:
        """Read the libraries and their tags once; abort if Harmoniq is not running."""
        entry: HarmoniqConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        if not self._libraries:
            try:
                server = entry.runtime_data.server
                self._libraries = [
                    library
                    for library in await server.async_get_music_libraries()
                    if library.key in entry.data[CONF_LIBRARIES]
                ]
                self._choices = await server.async_get_tag_choices(
                    [library.key for library in self._libraries]
                )
            except MusicServerError as err:
                LOGGER.warning("Cannot read the libraries from Plex: %s", err)
                return self.async_abort(reason="cannot_connect")
        return None

    @property
    def _capabilities(self) -> ServerCapabilities:
        """Return what the entry's server can do (all of it while not loaded)."""
        entry: HarmoniqConfigEntry = self._get_entry()
        if entry.state is ConfigEntryState.LOADED:
            return entry.runtime_data.server.capabilities
        return ALL_CAPABILITIES

    def _refinement_fields(self) -> dict[vol.Marker, Any]:
        """Return the refinements the server can apply (no skips without counts)."""
        if self._capabilities.skip_counts:
            return REFINEMENT_FIELDS
        return {
            key: value
            for key, value in REFINEMENT_FIELDS.items()
            if str(key) != CONF_MAX_SKIPS
        }

    @property
    def _current(self) -> ConfigSubentry | None:
        """Return the playlist being reconfigured, None when adding one."""
        if self.source == SOURCE_RECONFIGURE:
            return self._get_reconfigure_subentry()
        return None

    def _common_errors(self, user_input: dict[str, Any]) -> dict[str, str]:
        """Check the name (given, not taken) and the libraries (at least one)."""
        current = self._current
        name = user_input[CONF_NAME].strip()
        taken = {
            subentry.title.casefold()
            for subentry in self._get_entry().subentries.values()
            if current is None or subentry.subentry_id != current.subentry_id
        }
        errors: dict[str, str] = {}
        if not name:
            errors[CONF_NAME] = "name_required"
        elif name.casefold() in taken:
            errors[CONF_NAME] = "name_in_use"
        if not user_input.get(CONF_LIBRARIES):
            errors[CONF_LIBRARIES] = "no_library_selected"
        return errors

    def _async_finish(
        self, user_input: dict[str, Any], kind_data: dict[str, Any]
    ) -> SubentryFlowResult:
        """Create the playlist, or update the one being reconfigured."""
        data = {
            **kind_data,
            CONF_SIZE: int(user_input[CONF_SIZE]),
            CONF_REFRESH_INTERVAL: int(user_input[CONF_REFRESH_INTERVAL]),
            CONF_LIBRARIES: user_input[CONF_LIBRARIES],
        }
        if CONF_MIN_STARS in user_input:  # kinds with refinements
            data[CONF_MIN_STARS] = user_input[CONF_MIN_STARS]
            data[CONF_EXCLUDE_PLAYED_DAYS] = int(user_input[CONF_EXCLUDE_PLAYED_DAYS])
        if user_input.get(CONF_MAX_SKIPS) is not None:
            data[CONF_MAX_SKIPS] = int(user_input[CONF_MAX_SKIPS])
        if condition := str(user_input.get(CONF_ACTIVE_WHEN) or "").strip():
            data[CONF_ACTIVE_WHEN] = condition
        data |= {
            CONF_LENGTH_MINUTES: int(user_input[CONF_LENGTH_MINUTES]),
            CONF_NO_REPEATS: user_input[CONF_NO_REPEATS],
            CONF_COVER_ART: user_input[CONF_COVER_ART],
            **self._exclusions(user_input.get(SECTION_EXCLUSIONS, {})),
        }
        name = user_input[CONF_NAME].strip()
        if (current := self._current) is not None:
            # Not async_update_and_abort: its reason parameter (without which
            # 2025.11+ shows Home Assistant's generic message) is not in 2025.4.
            self.hass.config_entries.async_update_subentry(
                self._get_entry(), current, title=name, data=data
            )
            return self.async_abort(reason="reconfigure_successful")
        return self.async_create_entry(title=name, data=data)

    def _exclusions(self, section_input: Mapping[str, Any]) -> dict[str, list[str]]:
        """Return the exclusion lists, flat, spelled as the library spells them.

        Each name once, blanks dropped; a list the form did not show is empty.
        """
        known = {
            CONF_EXCLUDE_GENRES: self._choices.genres,
            CONF_EXCLUDE_MOODS: self._choices.moods,
            CONF_EXCLUDE_STYLES: self._choices.styles,
        }
        lists: dict[str, list[str]] = {}
        for key in EXCLUSION_KEYS:
            spelling = {name.casefold(): name for name in known.get(key, ())}
            names: dict[str, str] = {}
            for raw in section_input.get(key, []):
                if name := str(raw).strip():
                    names.setdefault(
                        name.casefold(), spelling.get(name.casefold(), name)
                    )
            lists[key] = list(names.values())
        return lists

    def _shape_fields(self) -> dict[vol.Marker, Any]:
        """Return the fields after a kind's own: repeats, cover, condition, exclusions."""
        capabilities = self._capabilities

        def names(options: tuple[str, ...] = ()) -> SelectSelector:
            return SelectSelector(
                SelectSelectorConfig(
                    options=list(options), multiple=True, custom_value=True
                )
            )

        exclusions: dict[vol.Marker, Any] = {
            vol.Optional(CONF_EXCLUDE_ARTISTS): names(),
            vol.Optional(CONF_EXCLUDE_GENRES): names(self._choices.genres),
        }
        if capabilities.moods:
            exclusions[vol.Optional(CONF_EXCLUDE_MOODS)] = names(self._choices.moods)
        if capabilities.styles:
            exclusions[vol.Optional(CONF_EXCLUDE_STYLES)] = names(self._choices.styles)
        if capabilities.tags:
            exclusions[vol.Optional(CONF_EXCLUDE_TAGS)] = names()
        return {
            vol.Required(CONF_NO_REPEATS, default=True): bool,
            vol.Required(CONF_COVER_ART, default=True): bool,
            # The selector refuses a template that cannot be read.
            vol.Optional(CONF_ACTIVE_WHEN): TemplateSelector(),
            vol.Optional(SECTION_EXCLUSIONS): section(
                vol.Schema(exclusions), {"collapsed": True}
            ),
        }

    def _common_fields(self, kind_name: str) -> dict[vol.Marker, Any]:
        """Return the fields every playlist has: name, size, interval, libraries.

        The name defaults to the kind's, numbered when a playlist has it already.
        """
        entry: HarmoniqConfigEntry = self._get_entry()
        current = self._current
        taken = {
            subentry.title.casefold()
            for subentry in entry.subentries.values()
            if current is None or subentry.subentry_id != current.subentry_id
        }
        default_name = next(
            name
            for number in itertools.count(1)
            if (
                name := kind_name if number == 1 else f"{kind_name} {number}"
            ).casefold()
            not in taken
        )
        return {
            vol.Required(CONF_NAME, default=default_name): TextSelector(),
            vol.Required(CONF_SIZE, default=DEFAULT_SIZE): NumberSelector(
                NumberSelectorConfig(min=1, max=500, mode=NumberSelectorMode.BOX)
            ),
            vol.Required(CONF_LENGTH_MINUTES, default=0): NumberSelector(
                NumberSelectorConfig(
                    min=0,
                    max=1440,
                    unit_of_measurement="min",
                    mode=NumberSelectorMode.BOX,
                )
            ),
            vol.Required(
                CONF_REFRESH_INTERVAL, default=DEFAULT_REFRESH_INTERVAL
            ): NumberSelector(
                NumberSelectorConfig(
                    min=15,
                    max=10080,
                    unit_of_measurement="min",
                    mode=NumberSelectorMode.BOX,
                )
            ),
            vol.Required(
                CONF_LIBRARIES, default=list(entry.data[CONF_LIBRARIES])
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(value=library.key, label=library.title)
                        for library in self._libraries
                    ],
                    multiple=True,
                )
            ),
        }

    def _async_show(
        self,
        kind: str,
        schema: dict[vol.Marker, Any],
        user_input: dict[str, Any] | None,
        errors: dict[str, str],
        placeholders: dict[str, str],
    ) -> SubentryFlowResult:
        """Show a kind's form, filled with what the user typed or the current settings."""
        current = self._current
        suggested = user_input or (_current_values(current) if current else {})
        return self.async_show_form(
            step_id="reconfigure" if current else kind,
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(schema), suggested
            ),
            errors=errors,
            description_placeholders=dict.fromkeys(WINDOW_ERROR_PLACEHOLDERS, "")
            | _choice_lists(self._choices)
            | {"templates": self._rendered_templates(suggested)}
            | placeholders,
        )

    def _rendered_templates(self, suggested: Mapping[str, Any]) -> str:
        """Return what the windows' templates render to now ("-" without any)."""
        try:
            windows = parse_time_windows(str(suggested.get(CONF_TIME_WINDOWS, "")))
        except TimeWindowError:
            return "-"
        shown: list[str] = []
        for window in windows:
            criteria = window.criteria
            for item in (*criteria.moods, *criteria.genres, *criteria.styles):
                if is_template(item):
                    try:
                        value = Template(item, self.hass).async_render(
                            parse_result=False
                        )
                    except TemplateError as err:
                        value = f"error: {err}"
                    shown.append(f"{window.name}: {item} → {value}")
        return "; ".join(shown) or "-"


def _count(low: int, high: int) -> NumberSelector:
    """Return a number box for a small whole count."""
    return NumberSelector(
        NumberSelectorConfig(min=low, max=high, mode=NumberSelectorMode.BOX)
    )


REFINEMENT_FIELDS: dict[vol.Marker, Any] = {
    vol.Required(CONF_MIN_STARS, default=0): NumberSelector(
        NumberSelectorConfig(min=0, max=5, step=0.5, mode=NumberSelectorMode.SLIDER)
    ),
    vol.Required(CONF_EXCLUDE_PLAYED_DAYS, default=0): NumberSelector(
        NumberSelectorConfig(
            min=0, max=365, unit_of_measurement="d", mode=NumberSelectorMode.BOX
        )
    ),
    vol.Optional(CONF_MAX_SKIPS): NumberSelector(
        NumberSelectorConfig(min=0, max=100, mode=NumberSelectorMode.BOX)
    ),
}


class UnknownTagError(ValueError):
    """A time window names a mood, genre or style the libraries do not have."""

    def __init__(self, index: int, window: TimeWindow, kind: str, tag: str) -> None:
        """Say which window and which tag."""
        super().__init__(f"Window {index}: unknown {kind} {tag!r}")
        self.index = index
        self.window = format_time_windows([window])
        self.kind = kind
        self.tag = tag


def _with_library_spelling(
    windows: tuple[TimeWindow, ...], choices: TagChoices
) -> tuple[TimeWindow, ...]:
    """Return the windows with tags spelled as in the library; raise on unknown tags."""
    spelled: list[TimeWindow] = []
    for index, window in enumerate(windows, start=1):
        criteria: dict[str, tuple[str, ...]] = {}
        for kind, names, known in (
            ("mood", window.criteria.moods, choices.moods),
            ("genre", window.criteria.genres, choices.genres),
            ("style", window.criteria.styles, choices.styles),
        ):
            library_names = {name.casefold(): name for name in known}
            for name in names:
                if not is_template(name) and name.casefold() not in library_names:
                    raise UnknownTagError(index, window, kind, name)
            criteria[f"{kind}s"] = tuple(
                name if is_template(name) else library_names[name.casefold()]
                for name in names
            )
        spelled.append(
            TimeWindow(window.name, window.start, window.end, Criteria(**criteria))
        )
    return tuple(spelled)


def _windows_lines(windows: tuple[TimeWindow, ...]) -> str:
    """Return windows as the form shows them: one per line."""
    return "\n".join(format_time_windows([window]) for window in windows)


def _current_values(subentry: ConfigSubentry) -> dict[str, Any]:
    """Return a playlist's settings as its form takes them.

    Windows one per line, the exclusions nested in their section, and no repeats
    off for a playlist saved before the setting existed.
    """
    values: dict[str, Any] = {
        CONF_NAME: subentry.title,
        **subentry.data,
        CONF_NO_REPEATS: subentry.data.get(CONF_NO_REPEATS, False),
        SECTION_EXCLUSIONS: {
            key: subentry.data[key] for key in EXCLUSION_KEYS if key in subentry.data
        },
    }
    if CONF_TIME_WINDOWS in subentry.data:
        with suppress(TimeWindowError):  # else shown as saved, for the form to check
            values[CONF_TIME_WINDOWS] = _windows_lines(
                parse_time_windows(subentry.data[CONF_TIME_WINDOWS])
            )
    return values


def _choice_lists(choices: TagChoices) -> dict[str, str]:
    """Return the library's tags as short comma lists for the form's description."""

    def shown(names: tuple[str, ...]) -> str:
        if not names:
            return "-"
        more = len(names) - MAX_CHOICES_SHOWN
        text = ", ".join(names[:MAX_CHOICES_SHOWN])
        return f"{text} (+{more} more)" if more > 0 else text

    return {
        "moods": shown(choices.moods),
        "genres": shown(choices.genres),
        "styles": shown(choices.styles),
    }


class HarmoniqOptionsFlow(OptionsFlow):
    """Change the entry's seasons: tags that only play at their time of year."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the seasons, one per line; save them in their normal form."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                seasons = parse_seasons(str(user_input.get(CONF_SEASONS, "")))
            except SeasonError as err:
                errors[CONF_SEASONS] = f"season_{err.reason}"
                placeholders = {"line": str(err.line), "text": err.text}
            else:
                return self.async_create_entry(
                    data={
                        **self.config_entry.options,
                        CONF_SEASONS: format_seasons(seasons),
                    }
                )
        suggested = user_input or {
            CONF_SEASONS: self.config_entry.options.get(CONF_SEASONS, DEFAULT_SEASONS)
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                STEP_OPTIONS_SCHEMA, suggested
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
