"""The brand images: Home Assistant's brand rules, and served by its brands API."""

from __future__ import annotations

from http import HTTPStatus
import importlib.util
from pathlib import Path

from PIL import Image, ImageChops, ImageStat
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.harmoniq.const import DOMAIN

BRAND_DIR = Path(__file__).parents[1] / "custom_components" / DOMAIN / "brand"
ICONS = ("icon.png", "icon@2x.png", "dark_icon.png", "dark_icon@2x.png")
LOGOS = ("logo.png", "logo@2x.png", "dark_logo.png", "dark_logo@2x.png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The brands API of Home Assistant 2026.3 and later serves a custom integration's
# brand/ folder; older versions take brand images from the brands CDN only.
HAS_BRANDS_API = importlib.util.find_spec("homeassistant.components.brands") is not None


def _open(name: str) -> Image.Image:
    image = Image.open(BRAND_DIR / name)
    image.load()
    return image


def test_every_image_is_there() -> None:
    """The folder holds the eight images Home Assistant asks for, nothing else."""
    assert sorted(path.name for path in BRAND_DIR.iterdir()) == sorted(ICONS + LOGOS)


@pytest.mark.parametrize("name", ICONS + LOGOS)
def test_png_with_transparency(name: str) -> None:
    """Each image is a PNG with an alpha channel and a transparent margin."""
    path = BRAND_DIR / name
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = _open(name)
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    alpha = image.getchannel("A")
    low, high = alpha.getextrema()
    assert (low, high) == (0, 255)  # see-through corners, an opaque mark
    # Trimmed: the mark reaches every edge, no empty border.
    assert alpha.getbbox() == (0, 0, image.width, image.height)


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("icon.png", 256),
        ("dark_icon.png", 256),
        ("icon@2x.png", 512),
        ("dark_icon@2x.png", 512),
    ],
)
def test_icon_size(name: str, size: int) -> None:
    """Icons are square: 256x256, 512x512 for the hDPI ones."""
    assert _open(name).size == (size, size)


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("logo.png", 128, 256),
        ("dark_logo.png", 128, 256),
        ("logo@2x.png", 256, 512),
        ("dark_logo@2x.png", 256, 512),
    ],
)
def test_logo_size(name: str, low: int, high: int) -> None:
    """Logos are landscape, their shortest side within the brand rules' range."""
    image = _open(name)
    assert image.width > image.height
    assert low <= image.height <= high
    assert image.height == high  # the largest allowed is preferred


@pytest.mark.parametrize("name", ["icon", "logo"])
def test_hdpi_is_the_same_image(name: str) -> None:
    """An @2x image is its 1x image at twice the size."""
    for prefix in ("", "dark_"):
        small = _open(f"{prefix}{name}.png")
        large = _open(f"{prefix}{name}@2x.png")
        assert abs(large.width - 2 * small.width) <= 2
        assert large.height == 2 * small.height


@pytest.mark.parametrize("name", ["icon.png", "icon@2x.png", "logo.png", "logo@2x.png"])
def test_dark_variant_differs(name: str) -> None:
    """The dark variant is drawn for dark backgrounds, not a copy."""
    light = _open(name)
    dark = _open(f"dark_{name}")
    assert light.size == dark.size
    assert light.tobytes() != dark.tobytes()


def test_logo_text_contrasts_with_its_background() -> None:
    """The wordmark is dark on the light logo and light on the dark one."""

    def text_luminance(name: str) -> float:
        image = _open(name)
        # The wordmark is the right part, past the square mark.
        words = image.crop((image.height + image.height // 4, 0, *image.size))
        opaque = words.getchannel("A").point(lambda a: 255 if a == 255 else 0)
        return float(ImageStat.Stat(words.convert("L"), mask=opaque).mean[0])

    assert text_luminance("logo.png") < 80
    assert text_luminance("dark_logo.png") > 200


@pytest.mark.parametrize("name", ICONS + LOGOS)
def test_reasonably_small(name: str) -> None:
    """The images are compressed: small enough for the web."""
    limit = 64 * 1024 if "icon" in name else 128 * 1024
    assert (BRAND_DIR / name).stat().st_size < limit


@pytest.mark.skipif(not HAS_BRANDS_API, reason="Home Assistant before 2026.3")
@pytest.mark.parametrize("name", ICONS + LOGOS)
async def test_served_by_the_brands_api(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, name: str
) -> None:
    """Home Assistant's brands API serves each image from the brand folder."""
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    response = await client.get(f"/api/brands/integration/{DOMAIN}/{name}")
    assert response.status == HTTPStatus.OK
    assert response.content_type == "image/png"
    expected = await hass.async_add_executor_job((BRAND_DIR / name).read_bytes)
    assert await response.read() == expected


def test_script_draws_the_same_images(tmp_path: Path) -> None:
    """scripts/make_brand.py, which documents the images, still draws them alike."""
    spec = importlib.util.spec_from_file_location(
        "make_brand", BRAND_DIR.parents[2] / "scripts" / "make_brand.py"
    )
    assert spec is not None
    assert spec.loader is not None
    make_brand = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_brand)
    written = make_brand.build(tmp_path)
    assert sorted(path.name for path in written) == sorted(ICONS + LOGOS)
    for path in written:
        with Image.open(path) as drawn:
            committed = _open(path.name)
            assert drawn.size == committed.size, path.name
            # The same drawing (identical here; a font renderer may round apart).
            difference = ImageChops.difference(drawn.convert("RGBA"), committed)
            assert sum(ImageStat.Stat(difference).mean) < 1, path.name
