"""Benchmark: what a playlist's shape costs on Plex and Jellyfin (exclusions, seasons).

Each fake server (tests/fakes) runs in this process with a generated library (fixed
seed, fixed clock); the adapters talk to it over real HTTP. Every figure is measured
`--runs` times after one warm-up selection (tag lists and artist ids cached, as in a
running Home Assistant) and printed as median [min-max]:

* A Daily Flow selection (40 tracks, the window of the fixed clock) without
  exclusions; with a season out of its dates whose tag the library does not have
  (the default "Christmas"), which must cost nothing; and with two genres, a mood
  and two artists excluded.
* The alternative a careful script would write without server-side exclusions:
  select as usual, then check the chosen tracks' tags and drop the excluded ones
  (what `async_drop_excluded` does with the fewest requests): the requests, and
  how many of the 40 tracks are left.

Nothing is asserted. Run with .venv/bin/python scripts/bench_shape.py [--quick] [--runs 5].
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
import statistics
import sys
import tempfile
import time
from typing import Any

import aiohttp

from homeassistant.core import HomeAssistant

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.harmoniq.engine.daily_flow import (
    DailyFlowSettings,
    select_daily_flow,
)
from custom_components.harmoniq.engine.models import Exclusions, Refinements
from custom_components.harmoniq.engine.seasons import (
    DEFAULT_SEASONS,
    parse_seasons,
)
from custom_components.harmoniq.engine.shape import with_seasons
from custom_components.harmoniq.engine.windows import DEFAULT_TIME_WINDOWS
from custom_components.harmoniq.jellyfin import (
    JellyfinMusicServer,
    async_login_password,
)
from custom_components.harmoniq.music_server import MusicServer
from custom_components.harmoniq.plex import PlexMusicServer
from tests.fakes.jellyfin_server import ALICE_PASSWORD, seeded_server
from tests.fakes.plex_library import generate_library
from tests.fakes.plex_server import FakePlexServer

TOKEN = "bench-token"
SECTION = 3
SIZE = 40
FIXED_NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
REFINEMENTS = Refinements(min_stars=3, exclude_played_days=14)
SIZES, QUICK_SIZES = (10_000, 50_000), (10_000,)


def settings_for(server: MusicServer, library: str) -> DailyFlowSettings:
    """Return the Daily Flow every selection here makes, as Harmoniq sets it up."""
    return DailyFlowSettings(
        mood_levels=server.capabilities.mood_levels,
        windows=DEFAULT_TIME_WINDOWS,
        refinements=REFINEMENTS,
        size=SIZE,
        library_keys=(library,),
    )


def exclusions_for(artists: list[str]) -> Exclusions:
    """Two genres, a mood and two artists (the library's most frequent)."""
    return Exclusions(
        artists=tuple(artists[:2]),
        genres=("Rock", "Metal"),
        moods=("Aggressive",),
    )


async def measure(
    server: MusicServer, runs: int, call: Callable[[], Awaitable[int]]
) -> dict[str, list[float]]:
    """Run `call` (returning the tracks it kept) `runs` times: time, requests, tracks."""
    figures: dict[str, list[float]] = {"seconds": [], "requests": [], "tracks": []}
    for _ in range(runs):
        before = server.stats.requests
        started = time.perf_counter()
        kept = await call()
        figures["seconds"].append(time.perf_counter() - started)
        figures["requests"].append(server.stats.requests - before)
        figures["tracks"].append(kept)
    return figures


async def bench(server: MusicServer, library: str, runs: int) -> dict[str, Any]:
    """Measure the selections on one connected adapter."""
    settings = settings_for(server, library)
    plain = await select_daily_flow(server, settings, FIXED_NOW)
    busiest = Counter(track.artist for track in plain.tracks).most_common(2)
    excluded = exclusions_for([artist for artist, _count in busiest])
    season = with_seasons(
        Exclusions(), parse_seasons(DEFAULT_SEASONS), FIXED_NOW.date()
    )
    cases = {
        "none": settings,
        "season": replace(settings, exclusions=season),
        "excluded": replace(settings, exclusions=excluded),
    }
    for case in cases.values():  # warm: tag lists, artist ids
        await select_daily_flow(server, case, FIXED_NOW)
    results: dict[str, Any] = {}
    for name, case in cases.items():

        async def select(case: DailyFlowSettings = case) -> int:
            return len((await select_daily_flow(server, case, FIXED_NOW)).tracks)

        results[name] = await measure(server, runs, select)

    async def filter_after() -> int:
        chosen = (await select_daily_flow(server, settings, FIXED_NOW)).tracks
        return len(await server.async_drop_excluded(chosen, excluded))

    results["after"] = await measure(server, runs, filter_after)
    return results


async def bench_plex(tracks: int, runs: int) -> dict[str, Any]:
    """Measure on a fake Plex of `tracks` tracks, through plexapi."""
    library = generate_library(tracks, seed=1, now=FIXED_NOW.timestamp())
    fake = FakePlexServer(
        token=TOKEN,
        machine_identifier="b" * 40,
        friendly_name="Bench",
        music_sections=[(SECTION, "Music", library)],
    )
    await fake.start()
    with tempfile.TemporaryDirectory() as config_dir:
        hass = HomeAssistant(config_dir)
        try:
            server = await PlexMusicServer.async_connect(hass, fake.url, TOKEN, True)
            try:
                return await bench(server, str(SECTION), runs)
            finally:
                await server.async_close()
        finally:
            await hass.async_stop(force=True)
            await fake.stop()


async def bench_jellyfin(tracks: int, runs: int) -> dict[str, Any]:
    """Measure on a fake Jellyfin of `tracks` tracks, signed in as alice."""
    fake = seeded_server(tracks, seed=1, now=FIXED_NOW.timestamp())
    await fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            login = await async_login_password(
                session, fake.url, "alice", ALICE_PASSWORD, "bench-shape"
            )
            server = await JellyfinMusicServer.async_connect(
                session,
                fake.url,
                login.token,
                login.user_id,
                "bench-shape",
                verify_ssl=True,
            )
            [library] = fake.libraries
            return await bench(server, library.id, runs)
    finally:
        await fake.stop()


def spread(values: list[float], form: str = "{:.0f}", unit: str = "") -> str:
    """Return 'median [min-max]' (one value when they are all the same)."""
    low, high = min(values), max(values)
    middle = form.format(statistics.median(values)) + unit
    if form.format(low) == form.format(high):
        return middle
    return f"{middle} [{form.format(low)}-{form.format(high)}]"


def report(name: str, tracks: int, runs: int, results: dict[str, Any]) -> None:
    """Print one server's figures."""
    print(
        f"\n{name}, {tracks:,} tracks, {runs} runs after a warm-up, median [min-max]; "
        f"Daily Flow of {SIZE} tracks at {FIXED_NOW:%Y-%m-%d %H:%M} UTC"
    )
    print(f"  {'':<58} {'wall time':<22} {'requests':<9} tracks")
    for key, label in (
        ("none", "no exclusions"),
        ("season", "default season out of its dates (tag not in library)"),
        ("excluded", "2 genres, 1 mood, 2 artists excluded in the search"),
        ("after", "same, checked after choosing (async_drop_excluded)"),
    ):
        figures = results[key]
        print(
            f"  {label:<58} {spread(figures['seconds'], '{:.3f}', ' s'):<22} "
            f"{spread(figures['requests']):<9} {spread(figures['tracks'])}"
        )


async def main_async(sizes: tuple[int, ...], runs: int) -> None:
    """Run every size on both servers."""
    for tracks in sizes:
        report("Plex", tracks, runs, await bench_plex(tracks, runs))
        report("Jellyfin", tracks, runs, await bench_jellyfin(tracks, runs))


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="10,000 tracks, 2 runs")
    args = parser.parse_args()
    sizes, runs = (QUICK_SIZES, 2) if args.quick else (SIZES, args.runs)
    started = time.monotonic()
    asyncio.run(main_async(sizes, runs))
    print(f"\n(benchmark took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
