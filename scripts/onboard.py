"""Prepare and onboard the development Home Assistant started by scripts/develop.

Run with the Python of the venv that runs Home Assistant (it imports Home Assistant
and aiohttp from there). Talks to 127.0.0.1 only.

    python scripts/onboard.py prepare CONFIG_DIR
        Before Home Assistant starts: write .storage/http so that Home Assistant 2026.x
        binds 127.0.0.1 only (2025.x reads http: from YAML instead), and, on a fresh
        config dir, mark the onboarding steps after "create user" as done. The skipped
        core_config step would set up met, radio_browser, google_translate and
        shopping_list, which call out to the internet.

    python scripts/onboard.py user CONFIG_DIR URL
        After Home Assistant answers: if no user exists yet, create the owner
        dev / dev through the onboarding API, then write a long-lived access token to
        CONFIG_DIR/.harmoniq-dev-token (for REST checks such as scripts/browser_check.py).

    python scripts/onboard.py jellyfin CONFIG_DIR URL JELLYFIN_URL USERNAME PASSWORD
        After `user` (it needs the token file): make sure a working Harmoniq entry signs
        in to the (fake) Jellyfin server as USERNAME. A reauth flow the entry started
        (the fake server forgets its tokens when it stops) is completed with the
        password; without an entry for that user, one is created through the config
        flow (Jellyfin, sign in with a password, all music libraries, no Last.fm).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import sys
from typing import Any

USERNAME = "dev"
PASSWORD = "dev"  # a local development instance on 127.0.0.1
PORT = 8123
TOKEN_FILE = ".harmoniq-dev-token"
DOMAIN = "harmoniq"
# Entry states while Home Assistant is still setting an entry up.
SETTING_UP = ("not_loaded", "setup_in_progress")
SETUP_WAIT = 120  # seconds to wait for Harmoniq entries to be set up


def _write_store(
    config_dir: Path, key: str, version: int, minor: int, data: Any
) -> None:
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    document = {"version": version, "minor_version": minor, "key": key, "data": data}
    (storage / key).write_text(json.dumps(document, indent=2) + "\n")


def _http_stable_config() -> dict[str, Any]:
    """Home Assistant's default HTTP config, bound to 127.0.0.1."""
    wanted: dict[str, Any] = {"server_host": ["127.0.0.1"], "server_port": PORT}
    try:
        from homeassistant.components.http import config as http_config  # noqa: PLC0415
    except ImportError:  # 2025.x has no HTTP store: http: in YAML applies
        return {}
    if (schema := getattr(http_config, "HTTP_STORAGE_SCHEMA", None)) is None:
        return {}
    conf = dict(schema(wanted))
    conf.update(
        created_at=datetime.now(UTC).isoformat(), error=None, error_message=None
    )
    return conf


def _local_time_zone() -> str | None:
    """Return this machine's IANA time zone name, if it can be told."""
    if (name := os.environ.get("TZ", "").lstrip(":")) and "/" in name:
        return name
    with contextlib.suppress(OSError):
        return Path("/etc/timezone").read_text().strip() or None
    with contextlib.suppress(OSError):
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    return None


def prepare(config_dir: Path) -> None:
    """Write the .storage files Home Assistant must find on its first start."""
    stable = _http_stable_config()
    if stable:
        from homeassistant.components.http import config as http_config  # noqa: PLC0415

        _write_store(
            config_dir,
            "http",
            http_config.STORAGE_VERSION,
            http_config.STORAGE_MINOR_VERSION,
            {"stable": stable, "pending": None, "yaml_migration_done": True},
        )
        print(f"    .storage/http: Home Assistant binds 127.0.0.1:{PORT} only")
    onboarding = config_dir / ".storage" / "onboarding"
    if not onboarding.exists():
        from homeassistant.components import onboarding as ob  # noqa: PLC0415
        from homeassistant.components.onboarding import const  # noqa: PLC0415

        done = [step for step in const.STEPS if step != const.STEP_USER]
        _write_store(config_dir, "onboarding", ob.STORAGE_VERSION, 1, {"done": done})
        print(f"    .storage/onboarding: steps {', '.join(done)} marked done")


async def onboard_user(config_dir: Path, base_url: str) -> None:
    """Create the owner dev/dev and a long-lived token, unless a user exists."""
    import aiohttp  # noqa: PLC0415

    client_id = f"{base_url}/"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base_url}/api/onboarding") as resp:
            if resp.status == 404:  # onboarding is done: its views are gone
                steps = {}
            else:
                resp.raise_for_status()
                steps = {s["step"]: s["done"] for s in await resp.json()}
        token_file = config_dir / TOKEN_FILE
        if steps.get("user", True):
            if token_file.exists():
                print(f"    already onboarded; token in {token_file}")
            else:
                print(
                    "    already onboarded (no token file: create one in your profile)"
                )
            return
        async with session.post(
            f"{base_url}/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Dev",
                "username": USERNAME,
                "password": PASSWORD,
                "language": "en",
            },
        ) as resp:
            resp.raise_for_status()
            auth_code = (await resp.json())["auth_code"]
        async with session.post(
            f"{base_url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": auth_code,
                "client_id": client_id,
            },
        ) as resp:
            resp.raise_for_status()
            access_token = (await resp.json())["access_token"]
        # A long-lived token needs the websocket API.
        async with session.ws_connect(f"{base_url}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": access_token})
            if (await ws.receive_json())["type"] != "auth_ok":
                raise RuntimeError("websocket authentication failed")
            await ws.send_json(
                {
                    "id": 1,
                    "type": "auth/long_lived_access_token",
                    "client_name": "scripts/develop",
                    "lifespan": 3650,
                }
            )
            reply = await ws.receive_json()
            if not reply.get("success"):
                raise RuntimeError(f"no long-lived token: {reply}")
            # The skipped core_config step would have asked for the time zone, which
            # decides when Daily Flow time windows start: use this machine's.
            if time_zone := _local_time_zone():
                await ws.send_json(
                    {"id": 2, "type": "config/core/update", "time_zone": time_zone}
                )
                if (await ws.receive_json()).get("success"):
                    print(f"    time zone set to {time_zone}")
        token_file.write_text(reply["result"] + "\n")
        token_file.chmod(0o600)
        print(f"    created user {USERNAME} / password {PASSWORD}")
        print(f"    long-lived access token in {token_file}")


class _Api:
    """Home Assistant's REST and websocket APIs, with the dev user's long-lived token."""

    def __init__(self, session: Any, base_url: str, token: str) -> None:
        self.session = session
        self.base_url = base_url
        self.token = token

    async def get(self, path: str) -> Any:
        async with self.session.get(f"{self.base_url}{path}") as resp:
            resp.raise_for_status()
            return await resp.json()

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.session.post(f"{self.base_url}{path}", json=body) as resp:
            if resp.status >= 400:
                raise RuntimeError(f"{path}: {resp.status} {await resp.text()}")
            result: dict[str, Any] = await resp.json()
            return result

    async def ws_command(self, command: dict[str, Any]) -> Any:
        """Send one websocket command and return its result."""
        async with self.session.ws_connect(f"{self.base_url}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            if (await ws.receive_json())["type"] != "auth_ok":
                raise RuntimeError("websocket authentication failed")
            await ws.send_json({"id": 1, **command})
            reply = await ws.receive_json()
            if not reply.get("success"):
                raise RuntimeError(f"{command['type']}: {reply}")
            return reply["result"]

    async def entries(self) -> list[dict[str, Any]]:
        """Return Harmoniq's config entries (entry_id, title, state...)."""
        found: list[dict[str, Any]] = await self.get(
            f"/api/config/config_entries/entry?domain={DOMAIN}"
        )
        return found

    async def settled_entries(self) -> list[dict[str, Any]]:
        """Return Harmoniq's entries once none is still being set up."""
        for _ in range(SETUP_WAIT):
            entries = await self.entries()
            if not any(
                entry["state"] in SETTING_UP and not entry.get("disabled_by")
                for entry in entries
            ):
                return entries
            await asyncio.sleep(1)
        return await self.entries()

    async def flow_step(self, flow_id: str, user_input: dict[str, Any]) -> Any:
        return await self.post(f"/api/config/config_entries/flow/{flow_id}", user_input)


async def _jellyfin_sign_in(
    api: _Api, flow_id: str, server_url: str, username: str, password: str
) -> dict[str, Any]:
    """Answer a flow's "jellyfin" step and its password step; return the result."""
    result = await api.flow_step(
        flow_id, {"url": server_url, "verify_ssl": True, "sign_in": "password"}
    )
    if result.get("step_id") != "jellyfin_password":
        return dict(result)
    result = await api.flow_step(flow_id, {"username": username, "password": password})
    if result.get("errors"):
        raise RuntimeError(f"Jellyfin sign-in as {username} failed: {result['errors']}")
    return dict(result)


async def jellyfin_entry(
    config_dir: Path, base_url: str, server_url: str, username: str, password: str
) -> None:
    """Make sure a loaded Harmoniq entry signs in to Jellyfin as `username`."""
    import aiohttp  # noqa: PLC0415

    token_file = config_dir / TOKEN_FILE
    if not token_file.exists():
        print(f"    no {token_file}: add the Jellyfin entry in the UI")
        return
    token = token_file.read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        api = _Api(session, base_url, token)
        await api.settled_entries()
        # An entry whose token the restarted fake server no longer knows asked to
        # sign in again: do that with the password.
        for flow in await api.ws_command({"type": "config_entries/flow/progress"}):
            if (
                flow["handler"] != DOMAIN
                or flow["context"].get("source") != "reauth"
                or flow.get("step_id") != "jellyfin"
            ):
                continue
            result = await _jellyfin_sign_in(
                api, flow["flow_id"], server_url, username, password
            )
            print(f"    signed in again as {username}: {result.get('reason')}")
        # A new entry for the user, unless there is one (the flow aborts then).
        result = await api.post(
            "/api/config/config_entries/flow",
            {"handler": DOMAIN, "show_advanced_options": False},
        )
        flow_id = result["flow_id"]
        await api.flow_step(flow_id, {"next_step_id": "jellyfin"})
        result = await _jellyfin_sign_in(api, flow_id, server_url, username, password)
        if result["type"] == "abort":
            if result["reason"] != "already_configured":
                raise RuntimeError(f"the config flow stopped: {result['reason']}")
            print(f"    a Harmoniq entry for Jellyfin user {username} exists")
        else:
            if result.get("step_id") != "libraries":
                raise RuntimeError(f"unexpected config flow step: {result}")
            [field] = [f for f in result["data_schema"] if f["name"] == "libraries"]
            result = await api.flow_step(flow_id, {"libraries": field["default"]})
            result = await api.flow_step(flow_id, {})  # Last.fm: none
            if result["type"] != "create_entry":
                raise RuntimeError(f"no entry created: {result}")
            print(
                f"    created the Harmoniq entry {result['title']!r} "
                f"(Jellyfin user {username})"
            )
        for entry in await api.settled_entries():
            print(f"    Harmoniq entry {entry['title']!r}: {entry['state']}")


def main(argv: list[str]) -> int:
    """Run the step the command line names."""
    if len(argv) >= 2 and argv[0] == "prepare":
        prepare(Path(argv[1]))
        return 0
    if len(argv) >= 3 and argv[0] == "user":
        asyncio.run(onboard_user(Path(argv[1]), argv[2].rstrip("/")))
        return 0
    if len(argv) >= 6 and argv[0] == "jellyfin":
        config_dir, url, server_url, username, password = argv[1:6]
        asyncio.run(
            jellyfin_entry(
                Path(config_dir), url.rstrip("/"), server_url, username, password
            )
        )
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
