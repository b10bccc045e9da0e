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


def main(argv: list[str]) -> int:
    """Run the step the command line names."""
    if len(argv) >= 2 and argv[0] == "prepare":
        prepare(Path(argv[1]))
        return 0
    if len(argv) >= 3 and argv[0] == "user":
        asyncio.run(onboard_user(Path(argv[1]), argv[2].rstrip("/")))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
