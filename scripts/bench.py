"""Benchmark: Harmoniq's Plex requests and times, next to two plexapi baselines.

For each library size, the fake Plex server (tests/fakes) runs in its own process
with a generated library (fixed seed, fixed clock) and a few milliseconds of latency
per request. It is warmed first: every kind of request below is sent once, so that
its lazy indexes are built before anything is timed. Then every measurement runs in
a fresh process, the kinds alternating (A, B, C, then C, B, A, ...), and the figures
are medians with min-max over the runs:

* Harmoniq: one Daily Flow selection through the real Plex adapter (plexapi in Home
  Assistant's executor) with cold tag lists (the first in the process) and warm ones;
  a run passing the first's tracks as `recent`; a run with Flow order.
* plexapi's filtered search, what a careful script does: `section.searchTracks(
  sort="random", maxresults=120, filters={mood, userRating>>, lastViewedAt<<})`, skips
  checked in Python. Plex compares only tracks that have a value, so this leaves out
  the unrated and the never-played tracks, which Harmoniq's pool keeps.
* plexapi's full listing, what a naive script does: `section.searchTracks()`, every
  track checked in Python (moods are not in a listing, so not checked: optimistic).
* Then, in Harmoniq's process: Sonic Flow, Last.fm Discovery (cold and warm cache,
  against a fake Last.fm), playlist writes through `OwnedPlaylistWriter.async_write`,
  and a day of ten Daily Flow runs writing one playlist: requests, by method.
* Once: the Plex requests an entry makes before Home Assistant has started.

Wall time, requests and bytes cover only the measured call (connecting is left out on
both sides); memory is the growth of the measuring process's peak RSS during it.
Targets are printed next to the figures; nothing is asserted.

Run with scripts/bench [--sizes 10000,100000] [--runs 5] [--latency-ms 3] [--quick].
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
import gc
import inspect
from itertools import chain
import json
import math
import os
from pathlib import Path
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any
from unittest.mock import patch

import aiohttp
from plexapi.server import PlexServer
import requests

from homeassistant import loader
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import (
    CONF_TOKEN,
    CONF_URL,
    CONF_VERIFY_SSL,
    EVENT_HOMEASSISTANT_START,
    EVENT_HOMEASSISTANT_STARTED,
)
from homeassistant.core import CoreState, HomeAssistant

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.harmoniq import lastfm
from custom_components.harmoniq.const import (
    CONF_EXCLUDE_PLAYED_DAYS,
    CONF_KIND,
    CONF_LIBRARIES,
    CONF_MAX_SKIPS,
    CONF_MIN_STARS,
    CONF_ORDER,
    CONF_REFRESH_INTERVAL,
    CONF_SEED_MODE,
    CONF_SIZE,
    CONF_TIME_WINDOWS,
    DOMAIN,
    KIND_DAILY_FLOW,
    KIND_SONIC_FLOW,
    SUBENTRY_TYPE_PLAYLIST,
)
from custom_components.harmoniq.engine.daily_flow import (
    CANDIDATES_PER_TRACK,
    MAX_TRACKS_PER_ARTIST,
    DailyFlowSettings,
    active_window,
    select_daily_flow,
)
from custom_components.harmoniq.engine.eligibility import is_eligible
from custom_components.harmoniq.engine.generation import Generation
from custom_components.harmoniq.engine.models import Refinements, Track
from custom_components.harmoniq.engine.selection import spread_artists
from custom_components.harmoniq.engine.windows import (
    DEFAULT_TIME_WINDOWS,
    format_time_windows,
)
from custom_components.harmoniq.generators import (
    DailyFlowGenerator,
    LastFmDiscoveryGenerator,
    SonicFlowGenerator,
)
from custom_components.harmoniq.lastfm import LastFmCache, LastFmClient
from custom_components.harmoniq.playlists import OwnedPlaylistWriter
from custom_components.harmoniq.plex import PlexMusicServer, _track_from_element
from custom_components.harmoniq.storage import RECENT_RUNS
from tests.fakes.lastfm_server import FakeLastFmServer
from tests.fakes.plex_library import FakeLibrary, FakeTrack, generate_library
from tests.fakes.plex_server import FakePlexServer

TOKEN = "bench-token"
LASTFM_KEY = "b" * 32
SECTION = "3"
LIBRARY_SEED = 1
SIZE = 40
# Tracks Harmoniq asks per query, and the filtered search's maxresults.
CANDIDATES = SIZE * CANDIDATES_PER_TRACK
# One fixed clock: every run selects the same window, against the same library.
FIXED_NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
REFINEMENTS = Refinements(min_stars=3, exclude_played_days=14, max_skips=2)
WINDOW = active_window(DEFAULT_TIME_WINDOWS, FIXED_NOW)
assert WINDOW is not None
# A day of ten Daily Flow runs on one playlist, from midnight.
DAY_RUNS = 10
DAY_STEP = timedelta(hours=24) / DAY_RUNS
BASELINES = ("harmoniq", "filtered", "listing")
QUICK_SIZES, QUICK_RUNS = "10000", 2

# Targets (printed, never asserted): at 100,000 tracks.
TARGET_SELECTION_WARM, TARGET_SELECTION_COLD = 2, 5
TARGET_SPEEDUP = 1.5
TARGET_FLOW_ORDER, TARGET_SONIC_FLOW = 10, 12
TARGET_UNCHANGED_WRITE, TARGET_ALL_CHANGED_EXTRA = 2, 3


# ---------------------------------------------------------------------------------------
# Measuring, in the measuring process.
# ---------------------------------------------------------------------------------------
class RequestLog:
    """Counts what a requests session sends (a response hook), by method."""

    def __init__(self, *, read_bytes: bool) -> None:
        """Count bytes too when `read_bytes` (not for streamed replies)."""
        self.methods: Counter[str] = Counter()
        self.bytes = 0
        self._read_bytes = read_bytes

    def hook(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        """Record one reply."""
        self.methods[str(response.request.method)] += 1
        if self._read_bytes:
            self.bytes += len(response.content)

    @property
    def total(self) -> int:
        """Return the requests sent so far."""
        return sum(self.methods.values())


def _status_kb(field: str) -> int | None:
    """Return a `/proc/self/status` figure in kB (Linux), else None."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset the process's peak RSS to its current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


class Measure:
    """Wall time, requests, bytes and peak RSS growth of one measured call."""

    def __init__(self, count: Callable[[], tuple[int, int]]) -> None:
        """`count` returns (requests, bytes received) so far."""
        self._count = count

    @contextmanager
    def __call__(self) -> Iterator[dict[str, Any]]:
        """Measure the block; the figures land in the yielded dict."""
        figures: dict[str, Any] = {}
        gc.collect()
        exact = _reset_peak_rss()
        rss = _status_kb("VmRSS")
        before_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        requests_before, bytes_before = self._count()
        started = time.perf_counter()
        yield figures
        figures["seconds"] = time.perf_counter() - started
        requests_after, bytes_after = self._count()
        figures["requests"] = requests_after - requests_before
        figures["bytes"] = bytes_after - bytes_before
        peak = _status_kb("VmHWM") if exact else None
        if peak is not None and rss is not None:
            figures["rss_mb"] = (peak - rss) / 1024
        else:  # only growth beyond the earlier peak shows
            after_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            figures["rss_mb"] = (after_peak - before_peak) / 1024


def playlist_shares(tracks: Sequence[Track]) -> list[int]:
    """Return [tracks, unrated, never played]."""
    return [
        len(tracks),
        sum(track.user_rating is None for track in tracks),
        sum(track.last_viewed_at is None for track in tracks),
    ]


def overlap(first: Sequence[Track], second: Sequence[Track]) -> float:
    """Return the share of the second run's tracks that the first run had."""
    ids = {track.id for track in first}
    return sum(track.id in ids for track in second) / max(len(second), 1)


def daily_flow_data(**changes: Any) -> dict[str, Any]:
    """Return a Daily Flow subentry's settings: the default windows, the refinements."""
    return {
        CONF_KIND: KIND_DAILY_FLOW,
        CONF_SIZE: SIZE,
        CONF_REFRESH_INTERVAL: 1440,
        CONF_LIBRARIES: [SECTION],
        CONF_TIME_WINDOWS: format_time_windows(DEFAULT_TIME_WINDOWS),
        CONF_ORDER: "spread",
        CONF_MIN_STARS: REFINEMENTS.min_stars,
        CONF_EXCLUDE_PLAYED_DAYS: REFINEMENTS.exclude_played_days,
        CONF_MAX_SKIPS: REFINEMENTS.max_skips,
    } | changes


def daily_flow_generator(
    server: PlexMusicServer, data: dict[str, Any]
) -> DailyFlowGenerator:
    """Return the Daily Flow generator (criteria are plain text: render is identity)."""
    if "render" in inspect.signature(DailyFlowGenerator).parameters:
        return DailyFlowGenerator(server, data, [SECTION], render=str)
    return DailyFlowGenerator(server, data, [SECTION])  # type: ignore[call-arg]


def daily_flow_settings() -> DailyFlowSettings:
    """Return the Daily Flow every selection here makes."""
    return DailyFlowSettings(
        windows=DEFAULT_TIME_WINDOWS,
        refinements=REFINEMENTS,
        size=SIZE,
        library_keys=(SECTION,),
    )


async def connect(hass: HomeAssistant, url: str) -> tuple[PlexMusicServer, RequestLog]:
    """Connect the adapter (not measured) and count its requests from now on."""
    server = await PlexMusicServer.async_connect(hass, url, TOKEN, True)
    log = RequestLog(read_bytes=False)  # replies are streamed: the adapter counts bytes
    server._session.hooks["response"].append(log.hook)
    return server, log


def counter(server: PlexMusicServer, log: RequestLog) -> Callable[[], tuple[int, int]]:
    """Return the (requests, bytes) reader of an adapter."""
    return lambda: (log.total, server.stats.bytes_received)


async def child_harmoniq(hass: HomeAssistant, url: str) -> dict[str, Any]:
    """Daily Flow selections: cold and warm tag lists, with `recent`, with Flow order."""
    server, log = await connect(hass, url)
    measure = Measure(counter(server, log))
    settings = daily_flow_settings()
    with measure() as cold:
        first = await select_daily_flow(server, settings, FIXED_NOW)
    with measure() as warm:
        second = await select_daily_flow(server, settings, FIXED_NOW)
    recent = frozenset(track.id for track in second.tracks)
    with measure() as fresh:
        third = await select_daily_flow(server, settings, FIXED_NOW, recent)
    generator = daily_flow_generator(server, daily_flow_data(**{CONF_ORDER: "flow"}))
    with measure() as flow:
        ordered = await generator.async_generate(FIXED_NOW)
    await server.async_close()
    return {
        "cold": cold,
        "warm": warm,
        "recent": fresh,
        "flow": flow | {"tracks": len(ordered.tracks)},
        "tracks": len(first.tracks),
        "status": str(first.status),
        "relaxed": list(first.relaxed),
        "overlap_recent": overlap(second.tracks, third.tracks),
        "overlap_independent": overlap(first.tracks, second.tracks),
        "shares": playlist_shares([*first.tracks, *second.tracks]),
    }


def plexapi_section(url: str) -> tuple[Any, RequestLog]:
    """Connect plexapi and find the section (not measured); count from now on."""
    log = RequestLog(read_bytes=True)
    session = requests.Session()
    session.hooks["response"].append(log.hook)
    plex = PlexServer(url, TOKEN, session=session)
    return plex.library.sectionByID(int(SECTION)), log


def filtered_search(section: Any) -> list[Track]:
    """Select like a careful script: plexapi's filtered search, random, limited."""
    cutoff = FIXED_NOW - timedelta(days=REFINEMENTS.exclude_played_days)
    items = section.searchTracks(
        sort="random",
        maxresults=CANDIDATES,
        filters={
            "mood": list(WINDOW.criteria.moods),
            "userRating>>": math.ceil(REFINEMENTS.min_stars * 2) - 1,
            "lastViewedAt<<": cutoff,
        },
    )
    tracks = [_track_from_element(item._data) for item in items]
    eligible = [track for track in tracks if is_eligible(track, REFINEMENTS, FIXED_NOW)]
    return spread_artists(eligible, SIZE, MAX_TRACKS_PER_ARTIST)


def child_filtered(url: str) -> dict[str, Any]:
    """Select like a careful script: the first call in the process, then a second."""
    section, log = plexapi_section(url)
    measure = Measure(lambda: (log.total, log.bytes))
    with measure() as cold:
        first = filtered_search(section)
    with measure() as warm:
        second = filtered_search(section)
    return {
        "cold": cold,
        "warm": warm,
        "tracks": len(first),
        "overlap_independent": overlap(first, second),
        "shares": playlist_shares([*first, *second]),
    }


def child_listing(url: str, *, first_page_only: bool = False) -> dict[str, Any]:
    """Select like a naive script: list every track, check each in Python."""
    section, log = plexapi_section(url)
    measure = Measure(lambda: (log.total, log.bytes))
    with measure() as listing:
        items = section.searchTracks(maxresults=100 if first_page_only else None)
        tracks = [_track_from_element(item._data) for item in items]
        eligible = [t for t in tracks if is_eligible(t, REFINEMENTS, FIXED_NOW)]
        sample = random.sample(eligible, min(len(eligible), CANDIDATES))
        chosen = spread_artists(sample, SIZE, MAX_TRACKS_PER_ARTIST)
    return {"listing": listing, "tracks": len(chosen), "eligible": len(eligible)}


async def sonic_flow(
    server: PlexMusicServer, log: RequestLog
) -> tuple[dict[str, Any], Generation]:
    """Chain a 40-track Sonic Flow from the last played track."""
    generator = SonicFlowGenerator(
        server,
        daily_flow_data(**{CONF_KIND: KIND_SONIC_FLOW, CONF_SEED_MODE: "recent"}),
        [SECTION],
    )
    with Measure(counter(server, log))() as figures:
        generation = await generator.async_generate(FIXED_NOW)
    return figures, generation


async def discovery(
    server: PlexMusicServer,
    log: RequestLog,
    library: FakeLibrary,
    max_calls_per_second: int | None = None,
) -> dict[str, Any]:
    """Make a 40-track Last.fm Discovery, with a cold then a warm Last.fm cache."""
    lastfm_server = FakeLastFmServer(api_keys={LASTFM_KEY})
    lastfm_server.populate_from_library(library, seed=3)
    await lastfm_server.start()
    lastfm.API_URL = lastfm_server.url
    figures: dict[str, Any] = {}
    async with aiohttp.ClientSession() as session:
        client = LastFmClient(
            session,
            LASTFM_KEY,
            cache=LastFmCache(),
            max_calls_per_second=max_calls_per_second,
        )
        generator = LastFmDiscoveryGenerator(
            server,
            client,
            username="rj",
            overrides={},
            data={CONF_SIZE: SIZE, CONF_LIBRARIES: [SECTION]},
            entry_libraries=[SECTION],
        )
        for run in ("cold", "warm"):
            calls = client.calls_made
            with Measure(counter(server, log))() as run_figures:
                generation = await generator.async_generate(FIXED_NOW)
            figures[run] = run_figures | {
                "lastfm_calls": client.calls_made - calls,
                "tracks": len(generation.tracks),
            }
    await lastfm_server.stop()
    return figures


async def writes(server: PlexMusicServer, log: RequestLog) -> dict[str, Any]:
    """Count the requests of writing 40 tracks: new, unchanged, half or all changed."""
    settings = daily_flow_settings()
    old = [t.id for t in (await select_daily_flow(server, settings, FIXED_NOW)).tracks]
    fresh = await select_daily_flow(server, settings, FIXED_NOW, frozenset(old))
    new = [track.id for track in fresh.tracks if track.id not in old]
    half = len(old) // 2
    wanted = {
        "unchanged": old,
        "half_appended": old[:half] + new[:half],
        "half_interleaved": list(chain(*zip(old[::2], new, strict=False))),
        "all": new[: len(old)],
    }
    writer = OwnedPlaylistWriter(server, "bench-writes")
    figures: dict[str, Any] = {"tracks": len(old), "new": len(new)}
    for name, track_ids in wanted.items():
        owner, title = f"{name}-{os.getpid()}", f"Bench {name} {os.getpid()}"
        before = log.methods.copy()
        info = await writer.async_write(owner, None, title, old, "bench")
        figures["create"] = dict(log.methods - before)
        before = log.methods.copy()
        await writer.async_write(owner, info.id, title, track_ids, "bench")
        figures[name] = dict(log.methods - before)
    return figures


async def simulate_day(server: PlexMusicServer, log: RequestLog) -> dict[str, Any]:
    """Ten Daily Flow runs across the day's windows, writing one playlist."""
    generator = daily_flow_generator(server, daily_flow_data())
    writer = OwnedPlaylistWriter(server, "bench-day")
    title = f"Bench Day {os.getpid()}"
    midnight = FIXED_NOW.replace(hour=0, minute=0)
    runs: list[list[str]] = []
    playlist_id: str | None = None
    before = log.methods.copy()
    windows = []
    for number in range(DAY_RUNS):
        now = midnight + DAY_STEP * number
        recent = frozenset(chain.from_iterable(runs[:RECENT_RUNS]))
        generation = await generator.async_generate(now, recent)
        track_ids = [track.id for track in generation.tracks]
        summary = f"Generated by Harmoniq on {now:%Y-%m-%d %H:%M}."
        info = await writer.async_write("day", playlist_id, title, track_ids, summary)
        playlist_id = info.id
        runs.insert(0, track_ids)
        windows.append(generation.window)
    return {"methods": dict(log.methods - before), "windows": windows}


async def child_extras(hass: HomeAssistant, url: str, tracks: int) -> dict[str, Any]:
    """Sonic Flow, Discovery, writes and a day of runs: requests (and times)."""
    server, log = await connect(hass, url)
    sonic, generation = await sonic_flow(server, log)
    library = generate_library(tracks, seed=LIBRARY_SEED, now=FIXED_NOW.timestamp())
    figures = {
        "sonic": sonic | {"tracks": len(generation.tracks)},
        "discovery": await discovery(server, log, library),
        "writes": await writes(server, log),
        "day": await simulate_day(server, log),
    }
    await server.async_close()
    return figures


async def child_warm(hass: HomeAssistant, url: str, tracks: int) -> dict[str, Any]:
    """Send every kind of request once, so the fake builds its indexes untimed."""
    server, _log = await connect(hass, url)
    settings = daily_flow_settings()
    for hour in range(0, 24, 3):  # every window, with its relaxations
        moment = FIXED_NOW.replace(hour=hour)
        picked = await select_daily_flow(server, settings, moment)
        await select_daily_flow(
            server, settings, moment, frozenset(t.id for t in picked.tracks)
        )
    await server.async_close()
    await child_harmoniq(hass, url)
    await hass.async_add_executor_job(child_filtered, url)
    await hass.async_add_executor_job(lambda: child_listing(url, first_page_only=True))
    server, log = await connect(hass, url)
    await sonic_flow(server, log)
    library = generate_library(tracks, seed=LIBRARY_SEED, now=FIXED_NOW.timestamp())
    await discovery(server, log, library, max_calls_per_second=1000)
    await server.async_close()
    return {}


async def child_startup(url: str) -> dict[str, Any]:
    """Set an entry up before Home Assistant has started: which requests go out."""
    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        MockConfigEntry,
        async_test_home_assistant,
    )

    sent: list[str] = []
    send = requests.Session.send

    def counted(session: requests.Session, request: Any, **kwargs: Any) -> Any:
        sent.append(f"{request.method} {request.path_url.split('?')[0]}")
        return send(session, request, **kwargs)

    with (
        tempfile.TemporaryDirectory() as config_dir,
        patch.object(requests.Session, "send", counted),
    ):
        async with async_test_home_assistant(
            config_dir=config_dir, initial_state=CoreState.not_running
        ) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            entry = MockConfigEntry(
                domain=DOMAIN,
                title="Bench Plex",
                data={
                    CONF_URL: url,
                    CONF_TOKEN: TOKEN,
                    CONF_VERIFY_SSL: True,
                    CONF_LIBRARIES: [SECTION],
                },
                subentries_data=[
                    ConfigSubentryData(
                        subentry_type=SUBENTRY_TYPE_PLAYLIST,
                        title=f"Bench Startup {os.getpid()}",
                        data=daily_flow_data(),
                        unique_id=None,
                    )
                ],
            )
            entry.add_to_hass(hass)
            await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done(wait_background_tasks=True)
            hass.bus.async_fire(EVENT_HOMEASSISTANT_START)
            await hass.async_block_till_done(wait_background_tasks=True)
            before_started = list(sent)
            hass.set_state(CoreState.running)
            hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
            await hass.async_block_till_done(wait_background_tasks=True)
            first_run = sent[len(before_started) :]
            await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
    return {"before_started": before_started, "first_run": first_run}


async def run_child(kind: str, url: str, tracks: int) -> dict[str, Any]:
    """Measure one kind in this (fresh) process."""
    if kind == "startup":
        return await child_startup(url)
    with tempfile.TemporaryDirectory() as config_dir:
        hass = HomeAssistant(config_dir)
        try:
            if kind == "harmoniq":  # then the rest, in the same process
                figures = await child_harmoniq(hass, url)
                return figures | {"extras": await child_extras(hass, url, tracks)}
            if kind == "filtered":
                return await hass.async_add_executor_job(child_filtered, url)
            if kind == "listing":
                return await hass.async_add_executor_job(child_listing, url)
            return await child_warm(hass, url, tracks)
        finally:
            await hass.async_stop(force=True)


# ---------------------------------------------------------------------------------------
# The fake server's process.
# ---------------------------------------------------------------------------------------
async def serve(tracks: int, latency_ms: float) -> None:
    """Serve a generated library on a free port until terminated; print the URL."""
    library = generate_library(tracks, seed=LIBRARY_SEED, now=FIXED_NOW.timestamp())
    server = FakePlexServer(
        token=TOKEN, music_sections=[(int(SECTION), "Music", library)]
    )
    server.latency = latency_ms / 1000
    for section in server.sections.values():
        section.index.sonic()
    await server.start()
    print(f"url: {server.url}", flush=True)
    await asyncio.Event().wait()


def start_fake_server(
    tracks: int, latency_ms: float, log: Any
) -> tuple[subprocess.Popen[str], str]:
    """Start the fake Plex server's process; return it and its URL."""
    process = subprocess.Popen(
        [
            sys.executable, __file__, "--serve", "--tracks", str(tracks),
            "--latency-ms", str(latency_ms),
        ],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("url: "):
            return process, line.removeprefix("url: ").strip()
    raise RuntimeError("the fake Plex server did not start")


def measure_in_child(kind: str, url: str, tracks: int) -> dict[str, Any]:
    """Run one measurement in a fresh process; return its figures."""
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            kind,
            "--url",
            url,
            "--tracks",
            str(tracks),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"measuring {kind} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    progress(f"{kind}: {time.monotonic() - started:.1f} s")
    return result


def progress(text: str) -> None:
    """Tell what runs now, on stderr (the figures go to stdout)."""
    print(f"  ... {text}", file=sys.stderr, flush=True)


def bench_size(
    tracks: int, latency_ms: float, runs: int, startup: bool
) -> dict[str, Any]:
    """Warm a fake server of this size, then measure every kind `runs` times."""
    results: dict[str, Any] = {kind: [] for kind in (*BASELINES, "extras")}
    with tempfile.TemporaryFile("w+") as server_log:
        process, url = start_fake_server(tracks, latency_ms, server_log)
        try:
            progress(f"{tracks:,} tracks: warming the fake server")
            measure_in_child("warm", url, tracks)
            for run in range(runs):
                progress(f"{tracks:,} tracks: run {run + 1} of {runs}")
                for kind in BASELINES if run % 2 == 0 else BASELINES[::-1]:
                    figures = measure_in_child(kind, url, tracks)
                    if "extras" in figures:
                        results["extras"].append(figures.pop("extras"))
                    results[kind].append(figures)
            if startup:
                progress("an entry set up before Home Assistant has started")
                results["startup"] = measure_in_child("startup", url, tracks)
        except Exception:
            server_log.seek(0)
            print(server_log.read()[-4000:], file=sys.stderr)
            raise
        finally:
            process.terminate()
            process.wait()
    return results


# ---------------------------------------------------------------------------------------
# Report.
# ---------------------------------------------------------------------------------------
def fake_to_track(track: FakeTrack) -> Track:
    """Return the engine's view of a generated track (as the fake serves it)."""
    played = track.view_count > 0 and track.last_viewed_at is not None
    return Track(
        id=str(track.rating_key),
        title=track.title,
        artist=track.track_artist,
        album=track.album.title,
        album_artist=track.artist.title,
        user_rating=track.user_rating,
        view_count=track.view_count,
        skip_count=track.skip_count,
        last_viewed_at=(
            datetime.fromtimestamp(track.last_viewed_at, UTC)
            if played and track.last_viewed_at is not None
            else None
        ),
    )


def pools(tracks: int) -> dict[str, list[int]]:
    """Return the eligible pools' [size, unrated, never played], from the library."""
    library = generate_library(tracks, seed=LIBRARY_SEED, now=FIXED_NOW.timestamp())
    moods = {mood.casefold() for mood in WINDOW.criteria.moods}
    cutoff = FIXED_NOW - timedelta(days=REFINEMENTS.exclude_played_days)
    lowest = REFINEMENTS.min_stars * 2
    harmoniq: list[Track] = []
    filtered: list[Track] = []
    for fake in library.tracks:
        if not moods & {mood.casefold() for mood in fake.moods}:
            continue
        track = fake_to_track(fake)
        if is_eligible(track, REFINEMENTS, FIXED_NOW):
            harmoniq.append(track)
            if (
                track.user_rating is not None
                and track.user_rating >= lowest
                and track.last_viewed_at is not None
                and track.last_viewed_at < cutoff
            ):
                filtered.append(track)
    return {
        "harmoniq": playlist_shares(harmoniq),
        "filtered": playlist_shares(filtered),
    }


def spread(values: Sequence[float], form: str = "{:.2f}", unit: str = "") -> str:
    """Return 'median [min-max]' (or one value when they are all the same)."""
    low, high = min(values), max(values)
    middle = form.format(statistics.median(values)) + unit
    if form.format(low) == form.format(high):
        return middle
    return f"{middle} [{form.format(low)}-{form.format(high)}]"


def count(values: Sequence[float]) -> str:
    """Return request counts as 'median [min-max]'."""
    return spread(values, "{:,.0f}")


def verdict(value: float, target: float, *, at_least: bool = False) -> str:
    """Return whether a figure meets its target."""
    met = value >= target if at_least else value <= target
    return "met" if met else "MISSED"


def share(part: int, whole: int) -> str:
    """Return a percentage."""
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def method_counts(runs: Sequence[dict[str, int]]) -> list[int]:
    """Return the total requests of each run."""
    return [sum(run.values()) for run in runs]


def report_selection(tracks: int, results: dict[str, Any]) -> None:
    """Print the Daily Flow selection table and its ratios."""
    ours, filtered, listing = (results[kind] for kind in BASELINES)
    rows = [
        ("Harmoniq, cold tag lists", [run["cold"] for run in ours]),
        ("Harmoniq, warm tag lists", [run["warm"] for run in ours]),
        ("plexapi filtered search, cold (1)", [run["cold"] for run in filtered]),
        ("plexapi filtered search, warm (1)", [run["warm"] for run in filtered]),
        ("plexapi full listing (2)", [run["listing"] for run in listing]),
    ]
    print(
        f"  {'Daily Flow selection':<34} {'wall time':<22} {'requests':<10} "
        f"{'received':<11} peak RSS growth"
    )
    for label, runs in rows:
        print(
            f"  {label:<34} "
            f"{spread([r['seconds'] for r in runs], '{:.3f}', ' s'):<22} "
            f"{count([r['requests'] for r in runs]):<10} "
            f"{spread([r['bytes'] / 1e6 for r in runs], '{:.2f}', ' MB'):<11} "
            f"{spread([r['rss_mb'] for r in runs], '{:.1f}', ' MB')}"
        )
    print(
        f"  (1) searchTracks(sort='random', maxresults={CANDIDATES}, filters={{'mood': "
        f"{list(WINDOW.criteria.moods)}, 'userRating>>': "
        f"{math.ceil(REFINEMENTS.min_stars * 2) - 1}, 'lastViewedAt<<': "
        f"<{REFINEMENTS.exclude_played_days} days ago>}}), skips checked in Python;\n"
        "      Plex compares only tracks that have a value: no unrated or never-played "
        "track can come.\n"
        "  (2) searchTracks(), every track checked in Python (moods are not in a "
        "listing: not checked)."
    )
    print("  Paired runs (same run number), median [min-max]:")
    for label, key in (("cold", "cold"), ("warm", "warm")):
        ratios = [
            theirs[key]["seconds"] / mine[key]["seconds"]
            for mine, theirs in zip(ours, filtered, strict=True)
        ]
        print(
            f"    vs filtered search, {label}: {spread(ratios, '{:.2f}', 'x')} faster, "
            f"{count([r[key]['requests'] for r in filtered])} -> "
            f"{count([r[key]['requests'] for r in ours])} requests"
            + (
                f"   (target at 100,000 tracks: >= {TARGET_SPEEDUP}x: "
                f"{verdict(statistics.median(ratios), TARGET_SPEEDUP, at_least=True)})"
                if tracks >= 100_000
                else ""
            )
        )
    ratios = [
        theirs["listing"]["seconds"] / mine["cold"]["seconds"]
        for mine, theirs in zip(ours, listing, strict=True)
    ]
    print(
        f"    vs full listing (cold tag lists): {spread(ratios, '{:.0f}', 'x')} faster, "
        f"{count([r['listing']['requests'] for r in listing])} -> "
        f"{count([r['cold']['requests'] for r in ours])} requests"
    )


def report_pool(results: dict[str, Any], pool: dict[str, list[int]]) -> None:
    """Print who gets into the playlists, and how runs differ."""
    ours, filtered = results["harmoniq"], results["filtered"]
    print(
        "  Eligible pool (window moods on the track, refinements) and playlists: "
        "unrated / never played"
    )
    for label, (size, unrated, unplayed) in (
        ("Harmoniq's pool", pool["harmoniq"]),
        (
            "Harmoniq's playlists",
            [sum(c) for c in zip(*(r["shares"] for r in ours), strict=True)],
        ),
        ("filtered search's pool", pool["filtered"]),
        (
            "filtered search's playlists",
            [sum(c) for c in zip(*(r["shares"] for r in filtered), strict=True)],
        ),
    ):
        print(
            f"    {label:<28} {size:>7,} tracks  {share(unrated, size):>4} / "
            f"{share(unplayed, size):>4}"
        )
    print(
        "    overlap of two consecutive runs: "
        f"{spread([100 * r['overlap_recent'] for r in ours], '{:.0f}', '%')} "
        "(the second passed the first's tracks as `recent`); "
        f"{spread([100 * r['overlap_independent'] for r in ours], '{:.0f}', '%')} "
        "without; filtered search: "
        f"{spread([100 * r['overlap_independent'] for r in filtered], '{:.0f}', '%')}"
    )
    print(
        "    requests per selection: "
        f"{count([r['cold']['requests'] for r in ours])} cold, "
        f"{count([r['warm']['requests'] for r in ours])} warm, "
        f"{count([r['recent']['requests'] for r in ours])} with `recent`"
    )


def report_requests(tracks: int, results: dict[str, Any]) -> None:
    """Print the requests per run of every kind, with the targets."""
    ours, extras = results["harmoniq"], results["extras"]
    big = tracks >= 100_000

    def target(value: float, limit: float) -> str:
        if not big:
            return f"(target at 100,000: <= {limit:g})"
        return f"(target <= {limit:g}: {verdict(value, limit)})"

    cold = [r["cold"]["requests"] for r in ours]
    warm = [r["warm"]["requests"] for r in ours]
    flow = [r["flow"]["requests"] for r in ours]
    print("  Requests per run (median [min-max])")
    print(
        f"    Daily Flow: {count(cold)} cold tag lists "
        f"{target(statistics.median(cold), TARGET_SELECTION_COLD)}, {count(warm)} warm "
        f"{target(statistics.median(warm), TARGET_SELECTION_WARM)}"
    )
    print(
        f"    Daily Flow with Flow order (warm tag lists): {count(flow)}, of which "
        f"{count([f - w for f, w in zip(flow, warm, strict=True)])} order the tracks "
        f"{target(statistics.median(flow), TARGET_FLOW_ORDER)}; "
        f"{spread([r['flow']['seconds'] for r in ours], '{:.2f}', ' s')}, "
        f"{spread([r['flow']['bytes'] / 1e6 for r in ours], '{:.2f}', ' MB')} received"
    )
    sonic = [e["sonic"] for e in extras]
    print(
        f"    Sonic Flow, {spread([s['tracks'] for s in sonic], '{:.0f}')} tracks: "
        f"{count([s['requests'] for s in sonic])} "
        f"{target(statistics.median(s['requests'] for s in sonic), TARGET_SONIC_FLOW)}; "
        f"{spread([s['seconds'] for s in sonic], '{:.2f}', ' s')}, "
        f"{spread([s['bytes'] / 1e6 for s in sonic], '{:.2f}', ' MB')} received"
    )
    for run in ("cold", "warm"):
        figures = [e["discovery"][run] for e in extras]
        print(
            f"    Last.fm Discovery, {run} cache: "
            f"{count([f['requests'] for f in figures])} Plex requests, "
            f"{count([f['lastfm_calls'] for f in figures])} Last.fm calls, "
            f"{spread([f['seconds'] for f in figures], '{:.2f}', ' s')} "
            f"({spread([f['tracks'] for f in figures], '{:.0f}')} tracks)"
        )
    size = extras[0]["writes"]["tracks"]
    labels = (
        ("create", "created"),
        ("unchanged", "unchanged"),
        ("half_appended", "half changed (new half at the end)"),
        ("half_interleaved", "half changed (new tracks interleaved)"),
        ("all", "all changed"),
    )
    print(f"    Writing {size} tracks (OwnedPlaylistWriter.async_write):")
    for key, label in labels:
        runs = [e["writes"][key] for e in extras]
        totals = method_counts(runs)
        deletes = [run.get("DELETE", 0) for run in runs]
        note = ""
        if key == "unchanged":
            note = " " + target(statistics.median(totals), TARGET_UNCHANGED_WRITE)
        elif key == "all":
            limit = size + TARGET_ALL_CHANGED_EXTRA
            note = " " + target(statistics.median(totals), limit).replace(
                "<= ", f"<= N + {TARGET_ALL_CHANGED_EXTRA} = "
            )
        print(
            f"      {label:<40} {count(totals):>5} requests, {count(deletes)} DELETE{note}"
        )
    days = [e["day"]["methods"] for e in extras]
    totals = method_counts(days)
    deletes = [day.get("DELETE", 0) for day in days]
    windows = Counter(extras[0]["day"]["windows"])
    print(
        f"    A day of {DAY_RUNS} Daily Flow runs on one playlist (from 00:00, every "
        f"{DAY_STEP.seconds // 3600} h {DAY_STEP.seconds % 3600 // 60:02d}; "
        + ", ".join(f"{n} in “{w}”" for w, n in windows.items())
        + f"): {count(totals)} requests, {count(deletes)} DELETE = "
        f"{spread([100 * d / t for d, t in zip(deletes, totals, strict=True)], '{:.0f}', '%')}"
        " of them"
    )


def report_startup(startup: dict[str, Any]) -> None:
    """Print the requests before Home Assistant has started."""
    before = Counter(startup["before_started"])
    listed = ", ".join(f"{n} x {request}" for request, n in before.items()) or "none"
    print(
        "Setting an entry up before Home Assistant has started: "
        f"{sum(before.values())} Plex request(s) ({listed}) (target: none: "
        f"{'met' if not before else 'MISSED'}); its first run after the start: "
        f"{len(startup['first_run'])} requests"
    )


def report(tracks: int, latency_ms: float, results: dict[str, Any]) -> None:
    """Print one library size's figures."""
    runs = len(results["harmoniq"])
    first = results["harmoniq"][0]
    print(
        f"\n{tracks:,} tracks, {latency_ms:g} ms latency per request; {runs} runs, each "
        "measurement in a fresh process, kinds alternating; median [min-max]"
    )
    print(
        f"Clock fixed at {FIXED_NOW:%a %Y-%m-%d %H:%M} UTC: window “{WINDOW.name}” "
        f"(moods {', '.join(WINDOW.criteria.moods)} on the track); {SIZE} tracks, >= "
        f"{REFINEMENTS.min_stars:g} stars, not played in "
        f"{REFINEMENTS.exclude_played_days} days, <= {REFINEMENTS.max_skips} skips; "
        f"Harmoniq's status: {first['status']}"
        + (f", relaxed: {', '.join(first['relaxed'])}" if first["relaxed"] else "")
    )
    report_selection(tracks, results)
    report_pool(results, pools(tracks))
    report_requests(tracks, results)
    if "startup" in results:
        report_startup(results["startup"])


def main() -> None:
    """Parse the arguments and run (or be one measuring process, or the fake)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=3.0)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: --sizes {QUICK_SIZES} --runs {QUICK_RUNS}",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tracks", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.serve:
        asyncio.run(serve(args.tracks, args.latency_ms))
        return
    if args.child:
        figures = asyncio.run(run_child(args.child, args.url, args.tracks))
        print(json.dumps(figures))
        return
    sizes, runs = (QUICK_SIZES, QUICK_RUNS) if args.quick else (args.sizes, args.runs)
    started = time.monotonic()
    for index, tracks in enumerate(int(size) for size in sizes.split(",")):
        results = bench_size(tracks, args.latency_ms, runs, startup=index == 0)
        report(tracks, args.latency_ms, results)
    print(f"\n(benchmark took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
