"""Draw Harmoniq's brand images into custom_components/harmoniq/brand/.

The committed PNGs are the source of truth; this script documents how they were
made, and remakes them after a change to the design:

    .venv/bin/python scripts/make_brand.py [--out DIR]

Home Assistant (2026.3 and later) serves a custom integration's `brand/` folder
through its brands API (`/api/brands/integration/harmoniq/icon.png`), ahead of the
brands CDN. The files follow the rules of the home-assistant/brands repository:
PNG, transparent background, trimmed; icons square, 256x256 and 512x512 (@2x);
logos landscape with the shortest side 256 (at most 256, at least 128) and 512
for @2x; `dark_` variants for dark themes.

The mark: a rounded tile with a vertical gradient, holding a symmetric waveform of
rounded bars. The logo is the mark next to the "Harmoniq" wordmark, drawn with
Pillow's bundled font (`ImageFont.load_default(size=...)`, Aileron; needs FreeType).
Everything is drawn at 4x and scaled down, for smooth edges.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND_DIR = Path(__file__).resolve().parents[1] / "custom_components/harmoniq/brand"
SUPERSAMPLE = 4
ICON_SIZES = {"": 256, "@2x": 512}
# Bar heights of the waveform, as fractions of the tallest.
BARS = (0.34, 0.62, 0.9, 0.56, 1.0, 0.56, 0.9, 0.62, 0.34)

# Light variants are for light backgrounds, dark ones for dark backgrounds.
THEMES: dict[str, dict[str, tuple[int, int, int]]] = {
    "": {
        "top": (99, 102, 241),  # indigo
        "bottom": (13, 148, 136),  # teal
        "bars": (255, 255, 255),
        "text": (31, 41, 55),  # charcoal
    },
    "dark_": {
        "top": (129, 140, 248),  # lighter indigo
        "bottom": (45, 212, 191),  # lighter teal
        "bars": (17, 24, 39),  # near black, on the light tile
        "text": (243, 244, 246),  # near white
    },
}


def _gradient(
    size: int, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    """Return a square RGBA image shading from `top` to `bottom`."""
    column = Image.new("RGBA", (1, size))
    for y in range(size):
        t = y / max(size - 1, 1)
        column.putpixel(
            (0, y),
            (*(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)), 255),
        )
    return column.resize((size, size))


def _draw_mark_large(big: int, theme: dict[str, tuple[int, int, int]]) -> Image.Image:
    """Return the square mark, `big` pixels wide, before scaling down."""
    tile = _gradient(big, theme["top"], theme["bottom"])
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, big - 1, big - 1), radius=round(big * 0.225), fill=255
    )
    mark = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    mark.paste(tile, (0, 0), mask)

    draw = ImageDraw.Draw(mark)
    count = len(BARS)
    area = big * 0.62  # width the bars span, centred
    pitch = area / count
    bar_width = pitch * 0.58
    tallest = big * 0.56
    left = (big - area) / 2 + (pitch - bar_width) / 2
    middle = big / 2
    for index, height in enumerate(BARS):
        x0 = left + index * pitch
        half = max(tallest * height / 2, bar_width / 2)
        draw.rounded_rectangle(
            (x0, middle - half, x0 + bar_width, middle + half),
            radius=bar_width / 2,
            fill=(*theme["bars"], 255),
        )
    return mark


def draw_mark(size: int, theme: dict[str, tuple[int, int, int]]) -> Image.Image:
    """Return the square mark, `size` pixels wide, edge to edge (trimmed)."""
    large = _draw_mark_large(size * SUPERSAMPLE, theme)
    return large.resize((size, size), Image.Resampling.LANCZOS)


def draw_logo(height: int, theme: dict[str, tuple[int, int, int]]) -> Image.Image:
    """Return the mark and the wordmark side by side, `height` pixels high, trimmed."""
    big = height * SUPERSAMPLE
    mark = _draw_mark_large(big, theme)
    font = ImageFont.load_default(size=round(big * 0.56))
    gap = round(big * 0.22)
    text = "Harmoniq"
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font, stroke_width=0)
    width = big + gap + (right - left)
    canvas = Image.new("RGBA", (width, big), (0, 0, 0, 0))
    canvas.paste(mark, (0, 0), mark)
    draw = ImageDraw.Draw(canvas)
    # Centre the letters' ink (cap height and descender of the q) on the mark.
    y = (big - (bottom - top)) / 2 - top
    stroke = max(1, round(big * 0.008))  # a touch of weight over Aileron Regular
    draw.text(
        (big + gap - left, y),
        text,
        font=font,
        fill=(*theme["text"], 255),
        stroke_width=stroke,
        stroke_fill=(*theme["text"], 255),
    )
    canvas = canvas.crop(canvas.getbbox())
    scale = height / canvas.height
    return canvas.resize(
        (round(canvas.width * scale), height), Image.Resampling.LANCZOS
    )


def _save(image: Image.Image, path: Path) -> None:
    image.save(path, format="PNG", optimize=True)


def build(out: Path) -> list[Path]:
    """Write the eight brand images into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for prefix, theme in THEMES.items():
        for suffix, size in ICON_SIZES.items():
            icon = out / f"{prefix}icon{suffix}.png"
            _save(draw_mark(size, theme), icon)
            logo = out / f"{prefix}logo{suffix}.png"
            _save(draw_logo(size, theme), logo)
            written += [icon, logo]
    return written


def main() -> None:
    """Write the brand images, to the integration's brand folder by default."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BRAND_DIR)
    args = parser.parse_args()
    for path in build(args.out):
        with Image.open(path) as image:
            print(
                f"{path.name}: {image.width}x{image.height}, {path.stat().st_size} bytes"
            )


if __name__ == "__main__":
    main()
