"""Constants for the Harmoniq integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "harmoniq"
LOGGER: Final = logging.getLogger(__package__)

CONF_LIBRARIES: Final = "libraries"
CONF_SERVER_TYPE: Final = "server_type"
SERVER_PLEX: Final = "plex"
SERVER_JELLYFIN: Final = "jellyfin"
CONF_USER_ID: Final = "user_id"
CONF_DEVICE_ID: Final = "device_id"  # Jellyfin: this entry's own device id
CONF_MOOD_PREFIX: Final = "mood_prefix"  # Jellyfin: tags that are moods
DEFAULT_MOOD_PREFIX: Final = "MOOD:"

DEFAULT_VERIFY_SSL: Final = True
# Seconds plexapi waits for one Plex reply.
PLEX_TIMEOUT: Final = 15

# Reauth flow data: Last.fm rejected the API key (not the music server its token).
REAUTH_LASTFM: Final = "lastfm"

SUBENTRY_TYPE_PLAYLIST: Final = "playlist"
CONF_KIND: Final = "kind"
KIND_DAILY_FLOW: Final = "daily_flow"
KIND_SONIC_FLOW: Final = "sonic_flow"
KIND_LASTFM_TOP_TRACKS: Final = "lastfm_top_tracks"
KIND_LASTFM_DISCOVERY: Final = "lastfm_recommendations"
LASTFM_KINDS: Final = frozenset({KIND_LASTFM_TOP_TRACKS, KIND_LASTFM_DISCOVERY})

CONF_SIZE: Final = "size"
CONF_ACTIVE_WHEN: Final = "active_when"  # a template: the playlist runs while true
CONF_REFRESH_INTERVAL: Final = "refresh_interval"
CONF_TIME_WINDOWS: Final = "time_windows"
CONF_MIN_STARS: Final = "min_stars"
CONF_EXCLUDE_PLAYED_DAYS: Final = "exclude_played_days"
CONF_MAX_SKIPS: Final = "max_skips"
CONF_ORDER: Final = "order"  # Daily Flow: "spread" or "flow"
CONF_FAVOUR: Final = "favour"  # Daily Flow: "none", "rating" or "less_played"
CONF_SEED_MODE: Final = "seed_mode"  # Sonic Flow: "recent", "track" or "artist"
CONF_SEED: Final = "seed"
CONF_COUNTRY: Final = "country"  # Last.fm Top Tracks: a country's chart, empty = global
CONF_PERIOD: Final = "period"  # Last.fm Discovery: the period of the user's top artists
CONF_SEED_ARTISTS: Final = "seed_artists"
CONF_SIMILAR_ARTISTS: Final = "similar_artists"
CONF_TRACKS_PER_ARTIST: Final = "tracks_per_artist"
CONF_INCLUDE_KNOWN_ARTISTS: Final = "include_known_artists"
# Playlist shape, every kind.
CONF_LENGTH_MINUTES: Final = "length_minutes"  # > 0: the length in minutes, not tracks
CONF_EXCLUDE_ARTISTS: Final = "exclude_artists"
CONF_EXCLUDE_GENRES: Final = "exclude_genres"
CONF_EXCLUDE_MOODS: Final = "exclude_moods"
CONF_EXCLUDE_STYLES: Final = "exclude_styles"
CONF_EXCLUDE_TAGS: Final = "exclude_tags"  # Jellyfin tags
CONF_NO_REPEATS: Final = "no_repeats"  # leave out tracks other playlists hold
CONF_COVER_ART: Final = "cover_art"  # upload a generated cover
# Entry options: seasonal tags, one per line ("Christmas: 1 Dec - 26 Dec").
CONF_SEASONS: Final = "seasons"

DEFAULT_SIZE: Final = 40
DEFAULT_REFRESH_INTERVAL: Final = 1440  # minutes
DEFAULT_DAILY_FLOW_NAME: Final = "Daily Flow"
KIND_LABELS: Final = {
    KIND_DAILY_FLOW: "Daily Flow",
    KIND_SONIC_FLOW: "Sonic Flow",
    KIND_LASTFM_TOP_TRACKS: "Last.fm Top Tracks",
    KIND_LASTFM_DISCOVERY: "Last.fm Discovery",
}

EVENT_PLAYLIST_UPDATED: Final = "harmoniq_playlist_updated"
SERVICE_REFRESH_PLAYLIST: Final = "refresh_playlist"
SERVICE_CREATE_SONIC_ADVENTURE: Final = "create_sonic_adventure"
SERVICE_SET_TRACK_MATCH: Final = "set_track_match"
SERVICE_WRITE_PLAYLIST: Final = "write_playlist"
SERVICE_SEARCH_TRACKS: Final = "search_tracks"
