"""The translations Home Assistant loads match strings.json and cover the actions."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

PACKAGE = Path(__file__).parent.parent / "custom_components" / "harmoniq"


def _json(name: str) -> dict[str, object]:
    return json.loads((PACKAGE / name).read_text(encoding="utf-8"))


def test_english_translation_is_strings_json() -> None:
    """translations/en.json (what Home Assistant reads) is strings.json."""
    assert _json("translations/en.json") == _json("strings.json")


def test_every_action_field_is_translated() -> None:
    """Each action in services.yaml, and each of its fields, has a name."""
    services = yaml.safe_load((PACKAGE / "services.yaml").read_text(encoding="utf-8"))
    strings = _json("strings.json")["services"]
    assert isinstance(strings, dict)
    for service, spec in services.items():
        assert strings[service]["name"]
        for field in (spec or {}).get("fields", {}):
            assert strings[service]["fields"][field]["name"], (service, field)
