#!/usr/bin/env python3
"""Optional: click through Harmoniq's forms in headless Chromium, check them, take screenshots.

Needs a running `scripts/develop` (Home Assistant on 127.0.0.1:8123 with user dev/dev, the
fake Plex server on 127.0.0.1:32400) and Debian's chromium (`apt-get install chromium`).
On first use it creates .venv-browser and installs Playwright's Python package there
(never `playwright install`: it drives /usr/bin/chromium). Talks to 127.0.0.1 only.

    python3 scripts/browser_check.py [--reset] [--out DIR]

As a new user would, at 1280x800, it:
- adds Harmoniq > Plex, first with a URL typed without http:// (the form must say so at
  the URL field; the example URL in the help is code, not a link);
- checks the brand icon on the Integrations page loads;
- opens Add playlist > Daily Flow: windows one per line, name, size and interval on
  screen without scrolling, the Exclusions section collapsed and offering the library's
  genres, moods and styles, the labels of the shape settings;
- opens the entry's Configure (seasons): prefilled, and a bad line gets a translated
  error that names the line;
- reconfigures the playlist and the entry: Harmoniq's own success message shows;
- opens the Daily Flow device and checks the fake Plex server got the playlist.

--reset removes existing Harmoniq entries first, and the fake server's "Daily Flow"
playlists with them. Screenshots go to DIR (default config/screenshots/). Each failed
check is listed at the end (exit status 1).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import json
import os
from pathlib import Path
import re
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any
import urllib.request
from xml.etree import ElementTree

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

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
# Names the demo library has (tests/fakes/plex_library.py): one of each kind.
LIBRARY_NAMES = {"Genres": "Jazz", "Moods": "Chill", "Styles": "Shoegaze"}
# Labels of the playlist form that should read as written here.
PLAYLIST_LABELS = {
    "exclude_played_days": "Skip tracks played in the last … days",
    "min_stars": "Minimum rating (stars)",
    "length_minutes": "Length in minutes",
    "no_repeats": "No repeats across playlists",
    "cover_art": "Cover art",
}
# The elements Home Assistant's ha-form renders a field (or a section) as.
FORM_ITEMS = "ha-selector, ha-form-boolean, ha-form-expandable"
DEFAULT_SEASONS = "Christmas: 1 Dec - 26 Dec"
BAD_SEASON = "Easter 1 Apr"  # no colon


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


class Session:
    """The browser page, the screenshots taken and the checks that failed."""

    def __init__(self, page: Page, out: Path) -> None:
        """Start with no screenshots and no failures."""
        self.page = page
        self.out = out
        self.shots: list[Path] = []
        self.problems: list[str] = []

    @property
    def dialog(self) -> Locator:
        """Return the open config flow dialog."""
        return self.page.locator("dialog-data-entry-flow")

    def shot(self, name: str) -> Path:
        """Save a screenshot numbered in order, once animations have settled."""
        self.page.wait_for_timeout(800)
        path = self.out / f"{len(self.shots) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        self.shots.append(path)
        print(f"    screenshot {_shown(path)}")
        return path

    def check(self, ok: bool, what: str, shot: Path | None = None) -> bool:
        """Print and remember a check's outcome."""
        if ok:
            print(f"    ok: {what}")
        else:
            where = f" (see {_shown(shot)})" if shot else ""
            print(f"!!  {what}{where}", file=sys.stderr)
            self.problems.append(what + where)
        return ok

    def part(self, name: str, steps: Callable[[Session], None]) -> None:
        """Run one part of the check; a part that breaks leaves the others running."""
        print(f"==> {name}")
        try:
            steps(self)
        except Exception as err:  # noqa: BLE001 - Playwright timeouts and assertions
            shot = self.shot(f"failed-{re.sub(r'[^a-z]+', '-', name.lower())}")
            first_line = str(err).strip().splitlines()[0]
            self.check(False, f"{name}: {type(err).__name__}: {first_line}", shot)
        self.page.keyboard.press("Escape")  # close a dialog left open

    def submit(self) -> None:
        """Press the open dialog's Submit button."""
        self.dialog.get_by_role("button", name="Submit").click()

    def field(self, name: str) -> Locator:
        """Return the input or textarea of the text field with this key."""
        return self.dialog.locator(f"input[name={name}], textarea[name={name}]")

    def item(self, key: str) -> Locator:
        """Return the form's element for the field (or section) with this key."""
        items = self.dialog.locator(FORM_ITEMS)
        index = items.evaluate_all(
            "(items, key) => items.findIndex((item) => item.schema?.name === key)", key
        )
        if index < 0:
            raise LookupError(f"the form has no field {key}")
        return items.nth(index)

    def labels(self) -> dict[str, str]:
        """Return the open form's labels by field key (sections' fields included)."""
        pairs = self.dialog.locator(FORM_ITEMS).evaluate_all(
            "(items) => items.map((item) => [item.schema?.name, item.label])"
        )
        return {key: label for key, label in pairs if key}

    def entry_page(self) -> None:
        """Open Harmoniq's page with its entries and playlists."""
        self.page.goto(f"{HA}/config/integrations/integration/harmoniq")
        self.page.get_by_role("button", name="Add playlist").wait_for()


def login(session: Session) -> None:
    """Log in as dev on the login page."""
    page = session.page
    page.goto(f"{HA}/", wait_until="networkidle")
    page.locator("input[name=username]").fill("dev")
    page.locator("input[name=password]").fill("dev")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "auth" not in url and url.rstrip("/") != HA)


def add_entry(session: Session) -> None:
    """Add Harmoniq > Plex; a URL without http:// first."""
    from playwright.sync_api import expect  # noqa: PLC0415

    page, dialog = session.page, session.dialog
    page.goto(f"{HA}/config/integrations/dashboard/add?domain=harmoniq")
    # The add?domain= link first asks "Do you want to set up Harmoniq?"
    page.get_by_role("button", name="OK").click()
    expect(dialog.get_by_text("Choose your music server").first).to_be_visible()
    session.shot("choose-server")
    dialog.get_by_text("Plex Media Server", exact=True).click()
    expect(dialog.get_by_text("Connect to Plex").first).to_be_visible()

    url_field = session.item("url")
    help_text = url_field.locator("ha-markdown")
    help_text.locator("code, a").first.wait_for()  # rendered
    session.check(
        help_text.locator("code").count() == 1 and help_text.locator("a").count() == 0,
        "the example URL in the Server URL help is code, not a link",
    )
    session.field("url").fill(PLEX.removeprefix("http://"))
    session.field("token").fill(PLEX_TOKEN)
    session.submit()
    # Home Assistant shows a field's error right at the field (an alert above it).
    error = dialog.locator("ha-alert", has_text="Add http:// or https://")
    error.wait_for()
    shot = session.shot("plex-url-without-scheme")
    error_box, field_box = error.bounding_box(), url_field.bounding_box()
    session.check(
        error_box is not None
        and field_box is not None
        and 0 <= field_box["y"] - (error_box["y"] + error_box["height"]) < 40
        and dialog.locator("ha-alert").count() == 1,
        'a URL without http:// gets "Add http:// or https://" at the URL field',
        shot,
    )

    session.field("url").fill(PLEX)
    session.submit()
    expect(dialog.get_by_text("Music libraries").first).to_be_visible()
    session.shot("music-libraries")
    session.submit()
    expect(dialog.get_by_text("Last.fm (optional)").first).to_be_visible()
    session.shot("lastfm-optional")
    session.submit()
    # Home Assistant then offers to name the new playlist's device.
    expect(dialog.get_by_text("Daily Flow").first).to_be_visible()
    session.shot("created")
    dialog.get_by_role("button", name="finish").click()


def brand_icon(session: Session) -> None:
    """Check that the Integrations page shows the icon from Harmoniq's brand folder."""
    page = session.page
    page.goto(f"{HA}/config/integrations/dashboard")
    card = page.locator("ha-integration-card", has_text="Harmoniq")
    icon = card.locator("img").first
    icon.wait_for()
    page.wait_for_load_state("networkidle")
    shot = session.shot("integrations-page")
    src = icon.get_attribute("src") or ""
    loaded = icon.evaluate("img => img.complete && img.naturalWidth > 0")
    session.check(
        loaded and "/api/brands/integration/harmoniq/" in src,
        f"the Harmoniq card shows its brand icon ({src.removeprefix(HA)})",
        shot,
    )


def playlist_form(session: Session) -> None:
    """Add playlist > Daily Flow: layout, windows, exclusions, labels (then cancel)."""
    page, dialog = session.page, session.dialog
    session.entry_page()
    page.get_by_role("button", name="Add playlist").click()
    dialog.get_by_text("Daily Flow: follows the time of day").click()
    windows = session.field("time_windows")
    windows.wait_for(state="attached")
    shot = session.shot("daily-flow-form")

    on_screen = [
        key
        for key in ("name", "size", "refresh_interval")
        if _visible_share(session.item(key)) > 0.99
    ]
    session.check(
        len(on_screen) == 3,
        f"name, size and refresh interval on screen without scrolling (on: {on_screen})",
        shot,
    )

    lines = windows.input_value().splitlines()
    session.check(
        len(lines) > 1
        and all(re.match(r"\d\d:\d\d-\d\d:\d\d", line) for line in lines),
        f"the time windows are one per line ({len(lines)} lines)",
    )
    windows.scroll_into_view_if_needed()
    shot = session.shot("daily-flow-windows")
    help_height = (
        session.item("time_windows")
        .locator("ha-markdown")
        .evaluate("element => element.getBoundingClientRect().height")
    )
    session.check(
        help_height < 200,
        f"the time windows help (with the library's tags) is short ({help_height:.0f} px)",
        shot,
    )

    labels = session.labels()
    for key, label in PLAYLIST_LABELS.items():
        session.check(
            labels.get(key) == label,
            f'the label of {key} is "{label}" (shows "{labels.get(key)}")',
        )

    panel = session.item("exclusions").locator("ha-expansion-panel")
    panel.scroll_into_view_if_needed()
    session.check(
        panel.get_attribute("expanded") is None,
        "the Exclusions section starts collapsed",
        session.shot("daily-flow-exclusions-collapsed"),
    )
    panel.get_by_text("Exclusions", exact=True).click()
    panel.locator("ha-selector").first.wait_for()
    session.shot("daily-flow-exclusions")
    for kind, name in LIBRARY_NAMES.items():
        picker = session.item(f"exclude_{kind.lower()}")
        picker.scroll_into_view_if_needed()
        picker.get_by_role("button", name=kind).click()
        options = picker.locator("ha-combo-box-item")
        options.first.wait_for()
        # The list only renders what it shows: search, with a prefix that is not
        # itself offered as a custom name.
        picker.get_by_placeholder("Add custom item").fill(name[:-1])
        session.check(
            options.get_by_text(name, exact=True).first.is_visible(),
            f'Exclusions > {kind} offers the library\'s "{name}"',
            session.shot(f"exclusions-{kind.lower()}"),
        )
        for _ in range(3):  # the first Escape may only clear the search
            if not options.first.is_visible():
                break
            page.keyboard.press("Escape")


def seasons_form(session: Session) -> None:
    """Open Configure: seasons prefilled; a bad line gets a translated error naming it."""
    page, dialog = session.page, session.dialog
    session.entry_page()
    page.locator("ha-config-entry-row").first.get_by_role(
        "button", name="Configure"
    ).first.click()
    seasons = session.field("seasons")
    seasons.wait_for(state="attached")
    shot = session.shot("seasons")
    session.check(
        seasons.input_value().strip() == DEFAULT_SEASONS,
        f'the seasons are prefilled with "{DEFAULT_SEASONS}"',
        shot,
    )
    seasons.fill(f"{DEFAULT_SEASONS}\n{BAD_SEASON}")
    session.submit()
    error = dialog.locator("ha-alert")
    error.first.wait_for()
    message = error.first.inner_text()
    session.check(
        "Line 2" in message
        and BAD_SEASON in message
        and "season_" not in message  # a key without its text
        and "`" not in message,  # errors are plain text: no Markdown
        f"a bad season line gets a translated error naming it: {message!r}",
        session.shot("seasons-bad-line"),
    )


def reconfigure_playlist(session: Session) -> None:
    """Reconfigure the Daily Flow unchanged: Harmoniq's own success message."""
    page, dialog = session.page, session.dialog
    session.entry_page()
    page.get_by_role("button", name="Reconfigure playlist").first.click()
    session.field("time_windows").wait_for(state="attached")
    session.shot("reconfigure-playlist")
    session.submit()
    message = "The playlist was reconfigured."
    dialog.get_by_text(message).or_(dialog.locator("ha-alert")).first.wait_for()
    session.check(
        dialog.get_by_text(message).first.is_visible(),
        f'reconfiguring a playlist ends with "{message}"',
        session.shot("reconfigure-playlist-done"),
    )


def reconfigure_entry(session: Session) -> None:
    """Reconfigure the entry unchanged: Harmoniq's own success message."""
    from playwright.sync_api import expect  # noqa: PLC0415

    page, dialog = session.page, session.dialog
    session.entry_page()
    row = page.locator("ha-config-entry-row").first
    row.get_by_role("button", name="Menu").first.click()
    page.get_by_role("menuitem", name="Reconfigure").click()
    expect(dialog.get_by_text("Reconfigure Harmoniq").first).to_be_visible()
    session.shot("reconfigure-entry")
    session.submit()
    expect(dialog.get_by_text("Music libraries").first).to_be_visible()
    session.submit()
    expect(dialog.get_by_text("Last.fm (optional)").first).to_be_visible()
    session.submit()
    message = "Harmoniq was reconfigured."
    dialog.get_by_text(message).or_(dialog.locator("ha-alert")).first.wait_for()
    session.check(
        dialog.get_by_text(message).first.is_visible(),
        f'reconfiguring the entry ends with "{message}"',
        session.shot("reconfigure-entry-done"),
    )


def _shown(path: Path) -> Path:
    """Return a path as printed: relative to the repository when inside it."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _visible_share(element: Locator) -> float:
    """Return how much of the element shows, clipped by the window and the dialog."""
    return float(
        element.evaluate(
            """(element) => new Promise((resolve) => {
                const observer = new IntersectionObserver(([entry]) => {
                    observer.disconnect();
                    resolve(entry.intersectionRatio);
                });
                observer.observe(element);
            })"""
        )
    )


def run(out: Path, token: str) -> int:
    """Log in, add Harmoniq and check its forms; return the exit status."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("[0-9][0-9]-*.png"):  # an earlier run's
        old.unlink()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})  # a laptop
        page.set_default_timeout(30_000)
        session = Session(page, out)
        print("==> Logging in as dev")
        login(session)
        session.part("Adding Harmoniq > Plex", add_entry)
        if not harmoniq_entries(token):
            browser.close()
            print("!! Harmoniq was not added; nothing more to check", file=sys.stderr)
            return 1
        session.part("Brand icon", brand_icon)
        print("==> Waiting for the first Daily Flow run")
        device_id = wait_for_daily_flow(token)
        session.part("Add playlist > Daily Flow", playlist_form)
        session.part("Configure (seasons)", seasons_form)
        session.part("Reconfigure playlist", reconfigure_playlist)
        session.part("Reconfigure entry", reconfigure_entry)
        if session.check(bool(device_id), "the Daily Flow device exists"):
            page.goto(f"{HA}/config/devices/device/{device_id}")
            page.get_by_text("Time window").first.wait_for()
            session.shot("daily-flow-device")
        browser.close()
    return report(session, token)


def report(session: Session, token: str) -> int:
    """Print the Daily Flow sensors, the fake server's playlist and the failures."""
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
    session.check(bool(playlists), "the fake Plex server has a 'Daily Flow' playlist")
    if session.problems:
        print(f"\n!! {len(session.problems)} failed:", file=sys.stderr)
        for problem in session.problems:
            print(f"   - {problem}", file=sys.stderr)
        return 1
    print(f"\n==> All checks passed; {len(session.shots)} screenshots")
    return 0


def main() -> int:
    """Run the checks; exit status 0 when all passed."""
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
