#!/usr/bin/env python3
"""Optional: click through Harmoniq's config flow in headless Chromium, take screenshots.

Needs a running `scripts/develop` (Home Assistant on 127.0.0.1:8123 with user dev/dev, the
fake Plex server on 127.0.0.1:32400) and Debian's chromium (`apt-get install chromium`).
On first use it creates .venv-browser and installs Playwright's Python package there
(never `playwright install`: it drives /usr/bin/chromium). Talks to 127.0.0.1 only.

    python3 scripts/browser_check.py [--reset] [--out DIR]

--reset removes existing Harmoniq entries first, and the fake server's "Daily Flow"
playlists with them. Screenshots go to DIR (default config/screenshots/).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import subprocess
import sys
import time
from typing import Any
import urllib.request
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-browser"
HA = "http://127.0.0.1:8123"
PLEX = "http://127.0.0.1:32400"
PLEX_TOKEN = "harmoniq-demo-token"  # the fake server's demo token
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def ensure_venv() -> None:
    """Re-run this script in .venv-browser, creating it first if needed."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"==> Creating {VENV.name} with Playwright (Python package only)")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "playwright"], check=True
        )
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])  # noqa: S606


def api(method: str, url: str, token: str, body: Any = None) -> Any:
    """Call Home Assistant's REST API; return the decoded JSON (or text)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        text = response.read().decode()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def plex(method: str, path: str) -> str:
    """Call the fake Plex server with the demo token; return the body."""
    request = urllib.request.Request(f"{PLEX}{path}", method=method)  # noqa: S310
    request.add_header("X-Plex-Token", PLEX_TOKEN)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return str(response.read().decode())


def plex_playlists() -> list[dict[str, str]]:
    """Return the fake server's playlists (it answers XML, as Plex does)."""
    root = ElementTree.fromstring(plex("GET", "/playlists"))  # noqa: S314 - our fake
    return [dict(element.attrib) for element in root.iter("Playlist")]


def harmoniq_entries(token: str) -> list[dict[str, Any]]:
    """Return the Harmoniq config entries."""
    entries = api("GET", f"{HA}/api/config/config_entries/entry", token)
    return [entry for entry in entries if entry["domain"] == "harmoniq"]


def reset(token: str) -> None:
    """Remove Harmoniq entries and the fake server's Daily Flow playlists."""
    for entry in harmoniq_entries(token):
        print(f"    removing entry {entry['title']}")
        api(
            "DELETE", f"{HA}/api/config/config_entries/entry/{entry['entry_id']}", token
        )
    for playlist in plex_playlists():
        if playlist["title"] == "Daily Flow":
            print(f"    removing fake Plex playlist {playlist['ratingKey']}")
            plex("DELETE", f"/playlists/{playlist['ratingKey']}")


def template(token: str, text: str) -> str:
    """Render a template in Home Assistant."""
    return str(api("POST", f"{HA}/api/template", token, {"template": text})).strip()


def wait_for_daily_flow(token: str) -> str:
    """Wait for the Daily Flow's first run; return its device id ("" if none)."""
    device_id = ""
    for _ in range(60):
        device_id = template(token, "{{ device_id('sensor.daily_flow_status') or '' }}")
        status = template(token, "{{ states('sensor.daily_flow_status') }}")
        if device_id and status in ("ok", "partial", "failed"):
            break
        time.sleep(1)
    return device_id


def report(token: str) -> int:
    """Print the Daily Flow sensors and the fake server's playlist."""
    states = {
        entity: api("GET", f"{HA}/api/states/sensor.daily_flow_{entity}", token)[
            "state"
        ]
        for entity in ("status", "tracks", "time_window", "last_run")
    }
    print(f"==> Sensors: {states}")
    playlists = [p for p in plex_playlists() if p["title"] == "Daily Flow"]
    for playlist in playlists:
        print(f"==> Fake Plex playlist 'Daily Flow': {playlist['leafCount']} tracks")
    if not playlists:
        print("!! the fake Plex server has no 'Daily Flow' playlist", file=sys.stderr)
        return 1
    return 0


def run(out: Path, token: str) -> int:
    """Log in, add Harmoniq through its config flow, screenshot each step."""
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415

    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)

        def shot(name: str) -> None:
            page.wait_for_timeout(800)  # let animations settle
            path = out / f"{len(shots) + 1:02d}-{name}.png"
            page.screenshot(path=str(path))
            shots.append(path)
            print(f"    screenshot {path.relative_to(ROOT)}")

        print("==> Logging in as dev")
        page.goto(f"{HA}/", wait_until="networkidle")
        page.locator("input[name=username]").fill("dev")
        page.locator("input[name=password]").fill("dev")
        page.locator("input[name=password]").press("Enter")
        page.wait_for_url(lambda url: "auth" not in url and url.rstrip("/") != HA)

        shot("logged-in")

        print("==> Adding Harmoniq")
        page.goto(f"{HA}/config/integrations/dashboard/add?domain=harmoniq")
        # The add?domain= link first asks "Do you want to set up Harmoniq?"
        page.get_by_role("button", name="OK").click()
        dialog = page.locator("dialog-data-entry-flow")
        expect(dialog.get_by_text("Connect to Plex").first).to_be_visible()
        dialog.locator("input[name=url]").fill(PLEX)
        dialog.locator("input[name=token]").fill(PLEX_TOKEN)
        shot("connect-to-plex")
        dialog.get_by_role("button", name="Submit").click()

        expect(dialog.get_by_text("Music libraries").first).to_be_visible()
        shot("music-libraries")
        dialog.get_by_role("button", name="Submit").click()

        expect(dialog.get_by_text("Last.fm (optional)").first).to_be_visible()
        shot("lastfm-optional")
        dialog.get_by_role("button", name="Submit").click()

        expect(dialog.get_by_text("Daily Flow").first).to_be_visible()
        shot("created")
        dialog.get_by_role("button", name="Finish").click()

        print("==> Waiting for the first Daily Flow run")
        device_id = wait_for_daily_flow(token)
        if not device_id:
            print("!! no Daily Flow device", file=sys.stderr)
            return 1
        page.goto(f"{HA}/config/devices/device/{device_id}", wait_until="networkidle")
        expect(page.get_by_text("Time window").first).to_be_visible()
        shot("daily-flow-device")
        browser.close()
    return report(token)


def main() -> int:
    """Run the check; exit status 0 when the playlist arrived in Plex."""
    ensure_venv()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "config" / "screenshots")
    args = parser.parse_args()
    token_file = ROOT / "config" / ".harmoniq-dev-token"
    if not token_file.exists():
        print(
            f"!! {token_file} is missing: start scripts/develop first", file=sys.stderr
        )
        return 1
    token = token_file.read_text().strip()
    if args.reset:
        reset(token)
    elif harmoniq_entries(token):
        print(
            "!! Harmoniq is already set up; use --reset to start over", file=sys.stderr
        )
        return 1
    return run(args.out.resolve(), token)


if __name__ == "__main__":
    sys.exit(main())
