"""Benchmark: Daily Flow selection against a baseline that lists the whole library.

Starts the fake Plex server (tests/fakes) in a subprocess with a generated library and a
few milliseconds of latency per request, then measures, for each library size:

* Harmoniq: one Daily Flow selection through the real Plex adapter (plexapi in Home
  Assistant's executor): wall time, Plex requests, bytes received, peak memory
  (tracemalloc, in a second pass); then the playlist writes, counted separately.
* Last.fm Discovery (40 tracks) against a fake Last.fm built from the same library:
  Last.fm calls with a cold and a warm cache, Plex requests, wall time.
* Sonic Flow: a 40-track flow from the last played track (one `/nearest` per step).
* Baseline: what a simple script does: list every track of the section with plexapi
  (`searchTracks()`, 100 per page) and filter in Python. It reads the listing's raw
  attributes, so it pays no per-track reloads; and it cannot filter moods, which are
  not in a listing (that would cost one more request per track). So it is optimistic.

Run with scripts/bench [--sizes 10000,100000] [--latency-ms 3].
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from typing import Any

import aiohttp
from plexapi.server import PlexServer
import requests

from homeassistant.core import HomeAssistant

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.harmoniq import lastfm
from custom_components.harmoniq.const import CONF_LIBRARIES, CONF_SIZE
from custom_components.harmoniq.engine.daily_flow import (
    DailyFlowSettings,
    select_daily_flow,
)
from custom_components.harmoniq.engine.eligibility import is_eligible
from custom_components.harmoniq.engine.models import Refinements, Track
from custom_components.harmoniq.engine.sonic import (
    SonicFlowSettings,
    async_select_sonic_flow,
)
from custom_components.harmoniq.engine.windows import DEFAULT_TIME_WINDOWS
from custom_components.harmoniq.generators import LastFmDiscoveryGenerator
from custom_components.harmoniq.lastfm import LastFmCache, LastFmClient
from custom_components.harmoniq.music_server import RequestStats
from custom_components.harmoniq.plex import (
    PlexMusicServer,
    _track_from_element,
)
from tests.fakes.lastfm_server import FakeLastFmServer
from tests.fakes.plex_library import generate_library

TOKEN = "bench-token"
LASTFM_KEY = "b" * 32
SECTION = "3"
SIZE = 40
REFINEMENTS = Refinements(min_stars=3, exclude_played_days=14, max_skips=2)


def start_fake_server(
    tracks: int, latency_ms: float, port: int
) -> subprocess.Popen[str]:
    """Start the fake Plex server and wait until it listens."""
    process = subprocess.Popen(
        [
            sys.executable, "-m", "tests.fakes.plex_server",
            "--tracks", str(tracks), "--port", str(port), "--token", TOKEN,
            "--latency-ms", str(latency_ms),
        ],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("url"):
            return process
    raise RuntimeError("the fake Plex server did not start")


def rss_mb() -> float:
    """Return this process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def delta(before: RequestStats, after: RequestStats) -> RequestStats:
    """Return what was spent between two readings."""
    return RequestStats(
        after.requests - before.requests, after.bytes_received - before.bytes_received
    )


async def measure_sonic_flow(hass: HomeAssistant, url: str) -> dict[str, Any]:
    """Chain a 40-track Sonic Flow from the last played track."""
    server = await PlexMusicServer.async_connect(hass, url, TOKEN, True)
    settings = SonicFlowSettings(
        seed_mode="recent",
        seed="",
        refinements=REFINEMENTS,
        size=SIZE,
        library_keys=(SECTION,),
    )
    before = server.stats
    started = time.perf_counter()
    generation = await async_select_sonic_flow(
        server, settings, datetime.now(UTC).astimezone()
    )
    seconds = time.perf_counter() - started
    stats = delta(before, server.stats)
    await server.async_close()
    return {
        "seconds": seconds,
        "requests": stats.requests,
        "bytes": stats.bytes_received,
        "tracks": len(generation.tracks),
    }


async def measure_discovery(
    hass: HomeAssistant, url: str, tracks: int
) -> dict[str, Any]:
    """Generate a 40-track Last.fm Discovery twice (cold, then warm cache)."""
    lastfm_server = FakeLastFmServer(api_keys={LASTFM_KEY})
    lastfm_server.populate_from_library(generate_library(tracks, seed=1), seed=3)
    await lastfm_server.start()
    lastfm.API_URL = lastfm_server.url
    server = await PlexMusicServer.async_connect(hass, url, TOKEN, True)
    figures: dict[str, Any] = {}
    async with aiohttp.ClientSession() as session:
        client = LastFmClient(session, LASTFM_KEY, cache=LastFmCache())
        generator = LastFmDiscoveryGenerator(
            server,
            client,
            username="rj",
            overrides={},
            data={CONF_SIZE: SIZE, CONF_LIBRARIES: [SECTION]},
            entry_libraries=[SECTION],
        )
        for run in ("cold", "warm"):
            calls, before = client.calls_made, server.stats
            started = time.perf_counter()
            generation = await generator.async_generate(datetime.now(UTC).astimezone())
            figures[run] = {
                "seconds": time.perf_counter() - started,
                "lastfm_calls": client.calls_made - calls,
                "plex_requests": delta(before, server.stats).requests,
                "tracks": len(generation.tracks),
            }
    await server.async_close()
    await lastfm_server.stop()
    return figures


async def measure_harmoniq(hass: HomeAssistant, url: str) -> dict[str, Any]:
    """Select a Daily Flow through the adapter, then write it twice."""
    server = await PlexMusicServer.async_connect(hass, url, TOKEN, True)
    settings = DailyFlowSettings(
        windows=DEFAULT_TIME_WINDOWS,
        refinements=REFINEMENTS,
        size=SIZE,
        library_keys=(SECTION,),
    )
    now = datetime.now(UTC).astimezone()
    before = server.stats
    started = time.perf_counter()
    selection = await select_daily_flow(server, settings, now)
    seconds = time.perf_counter() - started
    selection_stats = delta(before, server.stats)

    tracemalloc.start()
    await select_daily_flow(server, settings, now)
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()

    ids = [track.id for track in selection.tracks]
    before = server.stats
    playlist = await server.async_create_playlist("Bench Flow", ids, "bench")
    create_stats = delta(before, server.stats)
    second = await select_daily_flow(server, settings, now + timedelta(hours=9))
    before = server.stats
    await server.async_replace_playlist_tracks(
        playlist.id, "Bench Flow", [track.id for track in second.tracks], "bench"
    )
    replace_stats = delta(before, server.stats)
    await server.async_close()
    return {
        "seconds": seconds,
        "requests": selection_stats.requests,
        "bytes": selection_stats.bytes_received,
        "peak_mb": peak_mb,
        "tracks": len(selection.tracks),
        "status": selection.status,
        "create": create_stats,
        "replace": replace_stats,
    }


def measure_baseline(url: str) -> dict[str, Any]:
    """List every track with plexapi and filter in Python (blocking)."""
    counted = {"requests": 0, "bytes": 0}

    def count(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        counted["requests"] += 1
        counted["bytes"] += len(response.content)

    session = requests.Session()
    session.hooks["response"].append(count)
    rss_before = rss_mb()
    started = time.perf_counter()
    plex = PlexServer(url, TOKEN, session=session)
    section = plex.library.sectionByID(int(SECTION))
    now = datetime.now(UTC)
    eligible: list[Track] = [
        track
        for track in map(
            _track_from_element, (item._data for item in section.searchTracks())
        )
        if is_eligible(track, REFINEMENTS, now)
    ]
    seconds = time.perf_counter() - started
    session.close()
    return {
        "seconds": seconds,
        "requests": counted["requests"],
        "bytes": counted["bytes"],
        "peak_mb": rss_mb() - rss_before,
        "eligible": len(eligible),
    }


def row(label: str, figures: dict[str, Any]) -> str:
    """Format one line of figures."""
    return (
        f"  {label:<10} {figures['seconds']:>9.2f} s {figures['requests']:>8} req "
        f"{figures['bytes'] / 1e6:>9.2f} MB recv {figures['peak_mb']:>8.1f} MB peak"
    )


async def run(sizes: list[int], latency_ms: float) -> None:
    """Benchmark each library size against its own fake server."""
    with tempfile.TemporaryDirectory() as config_dir:
        hass = HomeAssistant(config_dir)
        for index, tracks in enumerate(sizes):
            port = 32500 + index
            process = start_fake_server(tracks, latency_ms, port)
            url = f"http://127.0.0.1:{port}"
            try:
                ours = await measure_harmoniq(hass, url)
                sonic = await measure_sonic_flow(hass, url)
                discovery = await measure_discovery(hass, url, tracks)
                baseline = await hass.async_add_executor_job(measure_baseline, url)
            finally:
                process.terminate()
                process.wait()
            print(f"{tracks:,} tracks, {latency_ms:g} ms latency per request")
            print(
                row("harmoniq", ours) + f"  ({ours['tracks']} tracks, {ours['status']})"
            )
            print(row("baseline", baseline) + f"  ({baseline['eligible']:,} eligible)")
            print(
                f"  ratio      {baseline['seconds'] / ours['seconds']:>9.1f}x faster, "
                f"{baseline['requests'] / max(ours['requests'], 1):.0f}x fewer requests, "
                f"{baseline['bytes'] / max(ours['bytes'], 1):.0f}x fewer bytes"
            )
            print(
                f"  sonic flow {sonic['seconds']:>9.2f} s {sonic['requests']:>8} req "
                f"{sonic['bytes'] / 1e6:>9.2f} MB recv  ({sonic['tracks']} tracks)"
            )
            for run in ("cold", "warm"):
                figures = discovery[run]
                print(
                    f"  discovery  {run:<5} {figures['seconds']:>6.2f} s "
                    f"{figures['lastfm_calls']:>4} Last.fm calls "
                    f"{figures['plex_requests']:>5} Plex req  ({figures['tracks']} tracks)"
                )
            for label in ("create", "replace"):
                stats: RequestStats = ours[label]
                print(
                    f"  write      {label:<8} {stats.requests:>4} requests "
                    f"{stats.bytes_received / 1e3:>8.1f} kB recv"
                )
        await hass.async_stop(force=True)


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--latency-ms", type=float, default=3.0)
    args = parser.parse_args()
    os.chdir(ROOT)
    asyncio.run(run([int(size) for size in args.sizes.split(",")], args.latency_ms))


if __name__ == "__main__":
    main()
