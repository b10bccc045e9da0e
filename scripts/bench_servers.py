"""Benchmark: Harmoniq on Jellyfin, and the `write_playlist` action on Plex.

Like scripts/bench.py, each fake server (tests/fakes) runs in its own process with a
generated library (fixed seed, fixed clock) and a few milliseconds of latency per
request; it is warmed first (every kind of request below is sent once, so its lazy
indexes are built before anything is timed); then every measurement runs in a fresh
process, the kinds alternating (A, B, then B, A, ...), and the figures are medians
with min-max over the runs:

* Jellyfin: one Daily Flow selection through the real adapter (`select_daily_flow`,
  logged in as alice), next to a naive script paging through every audio item of the
  library (`/Items`, 100 a page, through the adapter's own request path) and filtering
  in Python; then, in Harmoniq's process, the requests of writing an owned playlist
  (`OwnedPlaylistWriter.async_write`): created, 40 tracks replaced by 40 others,
  unchanged.
* Plex: the `write_playlist` action with 40 `{artist, title}` items: the requests of
  matching (`_async_resolve_items`: a `LibraryMatcher` per call) and of writing, for a
  new playlist and for the same playlist written again with 40 other tracks; the same
  with the items given as ids.

Wall time, requests and bytes cover only the measured call (logging in and connecting
are left out). Targets are printed next to the figures; nothing is asserted.

Run with .venv/bin/python scripts/bench_servers.py [--quick] [--runs 5] [--latency-ms 3].
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import random
import statistics
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace
from typing import Any

import aiohttp

from homeassistant.core import HomeAssistant

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from custom_components.harmoniq.const import CONF_LIBRARIES, DEFAULT_MOOD_PREFIX
from custom_components.harmoniq.engine.daily_flow import (
    CANDIDATES_PER_TRACK,
    MAX_TRACKS_PER_ARTIST,
    DailyFlowSettings,
    active_window,
    select_daily_flow,
)
from custom_components.harmoniq.engine.eligibility import is_eligible
from custom_components.harmoniq.engine.models import Refinements, Track
from custom_components.harmoniq.engine.selection import spread_artists
from custom_components.harmoniq.engine.windows import DEFAULT_TIME_WINDOWS
from custom_components.harmoniq.jellyfin import (
    JellyfinMusicServer,
    _track,
    async_login_password,
)
from custom_components.harmoniq.music_server import MusicServer
from custom_components.harmoniq.playlists import OwnedPlaylistWriter
from custom_components.harmoniq.plex import PlexMusicServer
from custom_components.harmoniq.services import _async_resolve_items, one_off_owner
from tests.fakes.jellyfin_server import ALICE_PASSWORD, seeded_server
from tests.fakes.plex_library import generate_library
from tests.fakes.plex_server import FakePlexServer

TOKEN = "bench-token"
SECTION = "3"
DEVICE_ID = "harmoniq-bench-servers"
LIBRARY_SEED = 1
ITEMS_SEED = 7
SIZE = 40
PAGE = 100
# Tracks the naive script draws from its filtered list (as many as Harmoniq asks for).
CANDIDATES = SIZE * CANDIDATES_PER_TRACK
FIXED_NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
FIXED_TS = FIXED_NOW.timestamp()
REFINEMENTS = Refinements(min_stars=3, exclude_played_days=14)
WINDOW = active_window(DEFAULT_TIME_WINDOWS, FIXED_NOW)
assert WINDOW is not None
JELLYFIN_SIZES = (10_000, 100_000)
PLEX_SIZE = 100_000
QUICK_SIZE, QUICK_RUNS = 10_000, 2
# A Jellyfin library that takes longer than this to generate is replaced by a smaller.
GENERATION_LIMIT_S, FALLBACK_SIZE = 60.0, 50_000

# Targets (printed, never asserted).
TARGET_REPLACE, TARGET_UNCHANGED = 3, 2


# ---------------------------------------------------------------------------------------
# Measuring, in the measuring process.
# ---------------------------------------------------------------------------------------
@contextmanager
def measure(count: Callable[[], tuple[int, int]]) -> Iterator[dict[str, Any]]:
    """Measure the block's wall time, requests and bytes (from `count`)."""
    figures: dict[str, Any] = {}
    requests_before, bytes_before = count()
    started = time.perf_counter()
    yield figures
    figures["seconds"] = time.perf_counter() - started
    requests_after, bytes_after = count()
    figures["requests"] = requests_after - requests_before
    figures["bytes"] = bytes_after - bytes_before


def stats_of(server: Any) -> Callable[[], tuple[int, int]]:
    """Return the (requests, bytes) reader of an adapter."""
    return lambda: (server.stats.requests, server.stats.bytes_received)


def record_methods(server: JellyfinMusicServer) -> list[str]:
    """Record the method of every request the Jellyfin adapter sends from now on."""
    sent: list[str] = []
    api = server._api
    request = api.request

    async def recorded(method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(method)
        return await request(method, path, *args, **kwargs)

    api.request = recorded  # type: ignore[method-assign]
    return sent


def settings_for(server: MusicServer, library: str) -> DailyFlowSettings:
    """Return the Daily Flow every selection here makes, as Harmoniq sets it up."""
    return DailyFlowSettings(
        mood_levels=server.capabilities.mood_levels,
        windows=DEFAULT_TIME_WINDOWS,
        refinements=REFINEMENTS,
        size=SIZE,
        library_keys=(library,),
    )


async def jellyfin_connect(
    session: aiohttp.ClientSession, url: str
) -> JellyfinMusicServer:
    """Log alice in and connect the adapter (not measured)."""
    login = await async_login_password(session, url, "alice", ALICE_PASSWORD, DEVICE_ID)
    return await JellyfinMusicServer.async_connect(
        session, url, login.token, login.user_id, DEVICE_ID, verify_ssl=True
    )


async def jellyfin_page(
    server: JellyfinMusicServer, library: str, start: int
) -> dict[str, Any]:
    """Return one page of a library's audio items, through the adapter's requests."""
    reply: dict[str, Any] = await server._api.request(
        "GET",
        "/Items",
        [
            ("parentId", library),
            ("includeItemTypes", "Audio"),
            ("recursive", "true"),
            ("startIndex", str(start)),
            ("limit", str(PAGE)),
            ("userId", server._user_id),
            ("fields", "Tags"),
        ],
    )
    return reply


async def jellyfin_listing(
    server: JellyfinMusicServer, library: str
) -> tuple[list[Track], int]:
    """Select like a naive script: page through every audio item, filter in Python.

    Return the playlist and the eligible tracks' count. The pages go through the
    adapter's own request path (same `MediaBrowser` header, counted in its stats).
    """
    moods = {
        f"{DEFAULT_MOOD_PREFIX}{mood}".casefold() for mood in WINDOW.criteria.moods
    }
    eligible: list[Track] = []
    start = 0
    while True:
        reply = await jellyfin_page(server, library, start)
        items = reply["Items"]
        for item in items:
            if moods & {tag.casefold() for tag in item.get("Tags") or ()}:
                track = _track(item, library)
                if is_eligible(track, REFINEMENTS, FIXED_NOW):
                    eligible.append(track)
        start += len(items)
        if not items or start >= reply["TotalRecordCount"]:
            break
    sample = random.sample(eligible, min(len(eligible), CANDIDATES))
    return spread_artists(sample, SIZE, MAX_TRACKS_PER_ARTIST), len(eligible)


async def jellyfin_writes(server: JellyfinMusicServer, library: str) -> dict[str, Any]:
    """Count the requests of writing 40 tracks: created, all replaced, unchanged."""
    settings = settings_for(server, library)
    old = [t.id for t in (await select_daily_flow(server, settings, FIXED_NOW)).tracks]
    fresh = await select_daily_flow(server, settings, FIXED_NOW, frozenset(old))
    new = [track.id for track in fresh.tracks if track.id not in old][: len(old)]
    writer = OwnedPlaylistWriter(server, "bench-servers")
    owner, title = f"bench-{os.getpid()}", f"Bench Servers {os.getpid()}"
    sent = record_methods(server)
    figures: dict[str, Any] = {"old": len(old), "new": len(new)}
    owned_id: str | None = None
    for name, track_ids in (("create", old), ("replace", new), ("unchanged", new)):
        before = len(sent)
        info = await writer.async_write(owner, owned_id, title, track_ids, "bench")
        owned_id = info.id
        figures[name] = sent[before:]
    return figures


async def child_jellyfin(kind: str, url: str, library: str) -> dict[str, Any]:
    """Measure one Jellyfin kind in this (fresh) process; "warm" sends everything."""
    async with aiohttp.ClientSession() as session:
        server = await jellyfin_connect(session, url)
        settings = settings_for(server, library)
        if kind == "warm":
            for hour in range(0, 24, 3):  # every window, with its relaxations
                moment = FIXED_NOW.replace(hour=hour)
                picked = await select_daily_flow(server, settings, moment)
                await select_daily_flow(
                    server, settings, moment, frozenset(t.id for t in picked.tracks)
                )
            with measure(stats_of(server)) as first_page:
                await jellyfin_page(server, library, 0)
            await jellyfin_listing(server, library)
            await jellyfin_writes(server, library)
            return {"first_page": first_page}
        if kind == "listing":
            with measure(stats_of(server)) as listing:
                chosen, eligible = await jellyfin_listing(server, library)
            return {"listing": listing, "tracks": len(chosen), "eligible": eligible}
        with measure(stats_of(server)) as cold:
            first = await select_daily_flow(server, settings, FIXED_NOW)
        with measure(stats_of(server)) as warm:
            await select_daily_flow(server, settings, FIXED_NOW)
        return {
            "cold": cold,
            "warm": warm,
            "tracks": len(first.tracks),
            "status": str(first.status),
            "relaxed": list(first.relaxed),
            "writes": await jellyfin_writes(server, library),
        }


async def write_playlist(
    server: PlexMusicServer,
    writer: OwnedPlaylistWriter,
    title: str,
    owned_id: str | None,
    items: list[str | dict[str, str]],
) -> dict[str, Any]:
    """Do what the `write_playlist` action does (mode replace): match, then write."""
    entry = SimpleNamespace(
        data={CONF_LIBRARIES: [SECTION]},
        runtime_data=SimpleNamespace(server=server, store=SimpleNamespace(matches={})),
    )
    with measure(stats_of(server)) as matching:
        found, not_found = await _async_resolve_items(entry, items)  # type: ignore[arg-type]
    sent: list[str] = []
    server._session.hooks["response"].append(
        lambda response, *_args, **_kwargs: sent.append(response.request.method)
    )
    with measure(stats_of(server)) as writing:
        info = await writer.async_write(
            one_off_owner(title),
            owned_id,
            title,
            [track.id for track in found],
            f"Written by Harmoniq on {FIXED_NOW:%Y-%m-%d %H:%M}.",
        )
    server._session.hooks["response"].pop()
    writing["methods"] = sent
    return {
        "matching": matching,
        "writing": writing,
        "found": len(found),
        "not_found": len(not_found),
        "id": info.id,
    }


async def child_plex(url: str, tracks: int) -> dict[str, Any]:
    """Run the `write_playlist` action on Plex: by artist and title, then by ids."""
    library = generate_library(tracks, seed=LIBRARY_SEED, now=FIXED_TS)
    rng = random.Random(ITEMS_SEED)  # noqa: S311 (a seeded choice, no secret)
    picked = rng.sample(library.tracks, 2 * SIZE)
    calls = {"new": picked[:SIZE], "again": picked[SIZE:]}
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as config_dir:
        hass = HomeAssistant(config_dir)
        try:
            server = await PlexMusicServer.async_connect(hass, url, TOKEN, True)
            writer = OwnedPlaylistWriter(server, "bench-servers")
            for mode in ("names", "ids"):
                title = f"Bench Servers {mode} {os.getpid()}"
                owned_id: str | None = None
                for call, chosen in calls.items():
                    items: list[str | dict[str, str]] = [
                        {"artist": t.track_artist, "title": t.title}
                        if mode == "names"
                        else str(t.rating_key)
                        for t in chosen
                    ]
                    result = await write_playlist(
                        server, writer, title, owned_id, items
                    )
                    owned_id = result.pop("id")
                    figures[f"{mode}_{call}"] = result
            await server.async_close()
        finally:
            await hass.async_stop(force=True)
    return figures


async def run_child(kind: str, url: str, library: str, tracks: int) -> dict[str, Any]:
    """Measure one kind in this (fresh) process."""
    if kind.startswith("plex"):
        return await child_plex(url, tracks)
    return await child_jellyfin(kind, url, library)


# ---------------------------------------------------------------------------------------
# The fake servers' processes.
# ---------------------------------------------------------------------------------------
# The query keys of a plain listing page (no filter, sort or search).
LISTING_KEYS = frozenset(
    ("parentid", "includeitemtypes", "recursive", "userid", "fields")
)
PAGING_KEYS = frozenset(("startindex", "limit"))


def cache_full_listings(server: Any) -> None:
    """Make the fake Jellyfin answer a plain listing's pages from one sorted list.

    The fake filters and sorts every item of the library on every request (0.5 s at
    100,000 tracks: the naive script's 1,000 pages would take 9 minutes a run). A
    real server pages from an index; here the first page of a listing (the warm-up's)
    builds the sorted list and the next pages slice it. Only `/Items` requests with
    nothing but LISTING_KEYS and PAGING_KEYS are cached: Harmoniq's are not.
    """
    query = server._query
    cache: dict[Any, Any] = {}

    def cached(ctx: Any, user: Any) -> Any:
        keys = {key.lower() for key, _value in ctx.params}
        if ctx.path.lower() != "/items" or not keys <= LISTING_KEYS | PAGING_KEYS:
            return query(ctx, user)
        key = (
            tuple(
                sorted(
                    (k.lower(), v) for k, v in ctx.params if k.lower() in LISTING_KEYS
                )
            ),
            getattr(user, "name", None),
        )
        if key not in cache:
            cache[key] = query(ctx, user)
        return cache[key]

    server._query = cached


async def serve(backend: str, tracks: int, latency_ms: float) -> None:
    """Serve a generated library on a free port until terminated; print its details."""
    started = time.perf_counter()
    server: Any
    if backend == "jellyfin":
        server = seeded_server(
            tracks, seed=LIBRARY_SEED, now=FIXED_TS, clock=lambda: FIXED_TS
        )
        _ = server.index  # built here, not on the first request
        cache_full_listings(server)
        library = server.libraries[0].id
    else:
        plex_library = generate_library(tracks, seed=LIBRARY_SEED, now=FIXED_TS)
        server = FakePlexServer(
            token=TOKEN, music_sections=[(int(SECTION), "Music", plex_library)]
        )
        library = SECTION
    generated = time.perf_counter() - started
    server.latency = latency_ms / 1000
    await server.start()
    ready = {"url": server.url, "library": library, "generated": generated}
    print(f"ready: {json.dumps(ready)}", flush=True)
    await asyncio.Event().wait()


def start_fake_server(
    backend: str, tracks: int, latency_ms: float, log: Any
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start a fake server's process; return it and its details."""
    process = subprocess.Popen(
        [
            sys.executable, __file__, "--serve", backend, "--tracks", str(tracks),
            "--latency-ms", str(latency_ms),
        ],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("ready: "):
            return process, json.loads(line.removeprefix("ready: "))
    raise RuntimeError(f"the fake {backend} server did not start")


def measure_in_child(kind: str, ready: dict[str, Any], tracks: int) -> dict[str, Any]:
    """Run one measurement in a fresh process; return its figures."""
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable, __file__, "--child", kind, "--url", ready["url"],
            "--library", ready["library"], "--tracks", str(tracks),
        ],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"measuring {kind} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    progress(f"{kind}: {time.monotonic() - started:.1f} s")
    return result


def progress(text: str) -> None:
    """Tell what runs now, on stderr (the figures go to stdout)."""
    print(f"  ... {text}", file=sys.stderr, flush=True)


@contextmanager
def fake_server(
    backend: str, tracks: int, latency_ms: float
) -> Iterator[tuple[dict[str, Any], Any]]:
    """Run a fake server for the block; show its log if the block fails."""
    with tempfile.TemporaryFile("w+") as server_log:
        process, ready = start_fake_server(backend, tracks, latency_ms, server_log)
        try:
            yield ready, server_log
        except Exception:
            server_log.seek(0)
            print(server_log.read()[-4000:], file=sys.stderr)
            raise
        finally:
            process.terminate()
            process.wait()


def bench_jellyfin(tracks: int, latency_ms: float, runs: int) -> dict[str, Any]:
    """Warm a fake Jellyfin of this size, then measure both kinds `runs` times."""
    progress(f"Jellyfin, {tracks:,} tracks: generating the library")
    with fake_server("jellyfin", tracks, latency_ms) as (ready, _log):
        generated = ready["generated"]
        progress(f"Jellyfin, {tracks:,} tracks: generated in {generated:.1f} s")
        if tracks > FALLBACK_SIZE and generated > GENERATION_LIMIT_S:
            return {"too_slow": generated}
        results: dict[str, Any] = {
            "generated": generated,
            "harmoniq": [],
            "listing": [],
        }
        progress(f"Jellyfin, {tracks:,} tracks: warming the fake server")
        results["first_page"] = measure_in_child("warm", ready, tracks)["first_page"]
        kinds = ("harmoniq", "listing")
        for run in range(runs):
            progress(f"Jellyfin, {tracks:,} tracks: run {run + 1} of {runs}")
            for kind in kinds if run % 2 == 0 else kinds[::-1]:
                results[kind].append(measure_in_child(kind, ready, tracks))
    return results


def bench_plex(tracks: int, latency_ms: float, runs: int) -> dict[str, Any]:
    """Warm a fake Plex of this size, then measure the action `runs` times."""
    progress(f"Plex, {tracks:,} tracks: generating the library")
    with fake_server("plex", tracks, latency_ms) as (ready, _log):
        progress(f"Plex, {tracks:,} tracks: warming the fake server")
        measure_in_child("plex-warm", ready, tracks)
        results: dict[str, Any] = {"generated": ready["generated"], "runs": []}
        for run in range(runs):
            progress(f"Plex, {tracks:,} tracks: run {run + 1} of {runs}")
            results["runs"].append(measure_in_child("plex", ready, tracks))
    return results


# ---------------------------------------------------------------------------------------
# Report.
# ---------------------------------------------------------------------------------------
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


def verdict(value: float, target: float) -> str:
    """Return whether a figure meets its (upper) target."""
    return "met" if value <= target else "MISSED"


def methods(sent: Sequence[str]) -> str:
    """Return '2 GET + 1 POST'."""
    return " + ".join(f"{n} {m}" for m, n in Counter(sent).items()) or "none"


def report_jellyfin(tracks: int, latency_ms: float, results: dict[str, Any]) -> None:
    """Print one Jellyfin library size's figures."""
    ours, listing = results["harmoniq"], results["listing"]
    first = ours[0]
    print(
        f"\nJellyfin, {tracks:,} tracks (fake generated and indexed in "
        f"{results['generated']:.1f} s), {latency_ms:g} ms latency per request; "
        f"{len(ours)} runs, each measurement in a fresh process, kinds alternating; "
        "median [min-max]"
    )
    print(
        f"Clock fixed at {FIXED_NOW:%a %Y-%m-%d %H:%M} UTC: window “{WINDOW.name}” "
        f"(moods {', '.join(WINDOW.criteria.moods)}); {SIZE} tracks, >= "
        f"{REFINEMENTS.min_stars:g} stars (liked/favourite count as 5), not played in "
        f"{REFINEMENTS.exclude_played_days} days; Harmoniq's status: {first['status']}"
        + (f", relaxed: {', '.join(first['relaxed'])}" if first["relaxed"] else "")
        + f"; {spread([r['tracks'] for r in ours], '{:.0f}')} tracks vs "
        f"{spread([r['tracks'] for r in listing], '{:.0f}')} for the listing "
        f"(eligible: {spread([r['eligible'] for r in listing], '{:,.0f}')})"
    )
    rows = [
        ("Harmoniq, first in the process", [r["cold"] for r in ours]),
        ("Harmoniq, second", [r["warm"] for r in ours]),
        ("full listing (1)", [r["listing"] for r in listing]),
    ]
    print(f"  {'Daily Flow selection':<32} {'wall time':<24} {'requests':<10} received")
    for label, runs in rows:
        print(
            f"  {label:<32} "
            f"{spread([r['seconds'] for r in runs], '{:.3f}', ' s'):<24} "
            f"{count([r['requests'] for r in runs]):<10} "
            f"{spread([r['bytes'] / 1e6 for r in runs], '{:.2f}', ' MB')}"
        )
    print(
        f"  (1) GET /Items?parentId=<library>&includeItemTypes=Audio&recursive=true&"
        f"startIndex=<n>&limit={PAGE}&userId=<alice>&fields=Tags (Tags: for the moods),"
        "\n      every track checked in Python, then a random sample spread by artist."
        "\n      The fake filters and sorts the whole library on every request: here "
        "a listing's pages are sliced\n      from one sorted list built at warm-up "
        "(one uncached page: "
        f"{results['first_page']['seconds']:.3f} s, "
        f"{results['first_page']['bytes'] / 1e3:.0f} kB), as a real server pages "
        "from an index."
    )
    for key in ("cold", "warm"):
        pairs = list(zip(ours, listing, strict=True))
        times = [
            theirs["listing"]["seconds"] / mine[key]["seconds"]
            for mine, theirs in pairs
        ]
        sizes = [
            theirs["listing"]["bytes"] / mine[key]["bytes"] for mine, theirs in pairs
        ]
        print(
            f"  Paired runs, listing / Harmoniq ({'first' if key == 'cold' else 'second'}"
            f" selection): {spread(times, '{:.0f}', 'x')} the time, "
            f"{count([r['listing']['requests'] for r in listing])} vs "
            f"{count([r[key]['requests'] for r in ours])} requests, "
            f"{spread(sizes, '{:.0f}', 'x')} the bytes"
        )
    writes = [r["writes"] for r in ours]
    print(
        f"  Writing an owned playlist (OwnedPlaylistWriter.async_write, "
        f"{spread([w['old'] for w in writes], '{:.0f}')} tracks):"
    )
    for key, label, target in (
        ("create", "created", None),
        (
            "replace",
            f"all replaced by {spread([w['new'] for w in writes], '{:.0f}')} others",
            TARGET_REPLACE,
        ),
        ("unchanged", "unchanged", TARGET_UNCHANGED),
    ):
        totals = [len(w[key]) for w in writes]
        note = (
            f" (target <= {target}: {verdict(statistics.median(totals), target)})"
            if target is not None
            else ""
        )
        print(
            f"    {label:<28} {count(totals):>3} requests ({methods(writes[0][key])})"
            f"{note}"
        )


def report_plex(tracks: int, latency_ms: float, results: dict[str, Any]) -> None:
    """Print the `write_playlist` figures on Plex."""
    runs = results["runs"]
    print(
        f"\nPlex, {tracks:,} tracks (fake generated in {results['generated']:.1f} s), "
        f"{latency_ms:g} ms latency per request; the write_playlist action with "
        f"{SIZE} items (random library tracks, seed {ITEMS_SEED}); {len(runs)} runs, "
        "each in a fresh process; median [min-max]"
    )
    print(f"  {'items':<44} {'found':<7} {'matching':<30} {'writing':<10} total")
    for mode, label in (("names", "{artist, title}"), ("ids", "ids")):
        for call, text in (
            ("new", "a new playlist"),
            ("again", f"again, {SIZE} others"),
        ):
            figures = [r[f"{mode}_{call}"] for r in runs]
            matching = [f["matching"]["requests"] for f in figures]
            writing = [f["writing"]["requests"] for f in figures]
            write_methods = methods(figures[0]["writing"]["methods"])
            print(
                f"  {label + ', ' + text:<44} "
                f"{spread([f['found'] for f in figures], '{:.0f}'):<7} "
                f"{count(matching) + ' req, ' + spread([f['matching']['seconds'] for f in figures], '{:.2f}', ' s'):<30} "
                f"{count(writing) + ' req':<10} "
                f"{count([m + w for m, w in zip(matching, writing, strict=True)])} req"
                f"   (writing: {write_methods})"
            )
    print(
        "  Matching: `_async_resolve_items` (a LibraryMatcher per call, no manual "
        "matches); writing: OwnedPlaylistWriter.async_write (new: a title search and "
        "a create; again: the stored id)."
    )


def main() -> None:
    """Parse the arguments and run (or be one measuring process, or a fake)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=3.0)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: {QUICK_SIZE:,} tracks only, {QUICK_RUNS} runs",
    )
    parser.add_argument("--serve", choices=("jellyfin", "plex"), help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--library", help=argparse.SUPPRESS)
    parser.add_argument("--tracks", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.serve:
        asyncio.run(serve(args.serve, args.tracks, args.latency_ms))
        return
    if args.child:
        figures = asyncio.run(
            run_child(args.child, args.url, args.library, args.tracks)
        )
        print(json.dumps(figures))
        return
    if args.quick:
        jellyfin_sizes, plex_size, runs = (QUICK_SIZE,), QUICK_SIZE, QUICK_RUNS
    else:
        jellyfin_sizes, plex_size, runs = JELLYFIN_SIZES, PLEX_SIZE, args.runs
    started = time.monotonic()
    for tracks in jellyfin_sizes:
        results = bench_jellyfin(tracks, args.latency_ms, runs)
        if "too_slow" in results:
            print(
                f"\nJellyfin, {tracks:,} tracks: generating the fake library took "
                f"{results['too_slow']:.0f} s (> {GENERATION_LIMIT_S:.0f} s): "
                f"measuring {FALLBACK_SIZE:,} tracks instead"
            )
            tracks = FALLBACK_SIZE  # noqa: PLW2901
            results = bench_jellyfin(tracks, args.latency_ms, runs)
        report_jellyfin(tracks, args.latency_ms, results)
    report_plex(
        plex_size, args.latency_ms, bench_plex(plex_size, args.latency_ms, runs)
    )
    print(f"\n(benchmark took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
