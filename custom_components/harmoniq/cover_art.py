"""Playlist covers drawn by Harmoniq: the playlist's name over a colour scheme.

Pure Pillow, no Home Assistant: `render_cover` is CPU work for the executor. A Daily
Flow's cover also names its time window, whose words pick the scheme (a morning
window gets dawn colours, a night window deep blues; other names a scheme by hash),
so the cover changes with the window. Text is white on dark colours (WCAG contrast
at least 7:1) and large enough to read when a client shows the cover at 200 px.
`cover_key` tells whether a cover would look different from the one uploaded last.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256
from io import BytesIO
import math
import re
from typing import Final

from PIL import Image, ImageDraw, ImageFont

DESIGN_VERSION: Final = 1
"""Raise when the drawing changes, so that every cover is drawn anew."""
SIZE: Final = 600
MARGIN: Final = 48
TITLE_SIZES: Final = (84, 76, 68, 60, 54)
"""Title font sizes (px at 600 px) tried in turn until the title fits."""
TITLE_LINES: Final = 3
SUBTITLE_SIZE: Final = 46
JPEG_QUALITY: Final = 88

type RGB = tuple[int, int, int]
type Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True, slots=True)
class ColourScheme:
    """A cover's colours: a vertical gradient, an accent, and the text colour."""

    name: str
    top: RGB
    bottom: RGB
    accent: RGB
    """The window's name and the decoration; light enough to read on the gradient."""
    text: RGB = (255, 255, 255)


SCHEMES: Final = (
    ColourScheme("dawn", (52, 24, 86), (140, 36, 70), (255, 214, 165)),
    ColourScheme("day", (8, 62, 96), (10, 86, 78), (190, 242, 100)),
    ColourScheme("dusk", (92, 28, 60), (40, 24, 84), (253, 186, 116)),
    ColourScheme("night", (10, 16, 48), (30, 41, 99), (165, 180, 252)),
    ColourScheme("forest", (20, 62, 40), (36, 48, 28), (217, 249, 157)),
    ColourScheme("ember", (110, 30, 20), (64, 16, 28), (254, 215, 170)),
    ColourScheme("ocean", (8, 60, 90), (12, 30, 60), (153, 246, 228)),
    ColourScheme("plum", (74, 20, 90), (30, 10, 52), (245, 208, 254)),
    ColourScheme("slate", (40, 48, 64), (18, 22, 32), (186, 230, 253)),
    ColourScheme("rose", (128, 24, 72), (60, 12, 44), (254, 205, 211)),
    ColourScheme("teal", (14, 84, 84), (10, 40, 52), (253, 230, 138)),
    ColourScheme("indigo", (49, 46, 129), (24, 20, 70), (253, 224, 71)),
)
"""Every scheme; the first four are the times of day."""

# Words of a window's name that choose a time-of-day scheme, earliest match first.
_TIME_WORDS: Final = (
    ("dawn", ("morning", "dawn", "sunrise", "wake", "breakfast", "early")),
    ("dusk", ("evening", "dusk", "sunset", "dinner", "twilight")),
    ("night", ("night", "late", "midnight", "sleep", "bed")),
    ("day", ("day", "daytime", "noon", "afternoon", "lunch", "work", "focus")),
)
_WORD: Final = re.compile(r"\w+")


def cover_key(title: str, subtitle: str | None) -> str:
    """Return a short key that changes whenever the cover would look different."""
    text = f"{DESIGN_VERSION}\n{title}\n{subtitle or ''}"
    return sha256(text.encode()).hexdigest()[:16]


def colour_scheme(title: str, subtitle: str | None) -> ColourScheme:
    """Return the scheme of a cover: by the window's words, else by hash.

    The times of day (morning, daytime, evening, night) each have their own
    scheme; other windows, and playlists without windows, get one of the others
    by a hash of the window's name (or the title).
    """
    by_name = {scheme.name: scheme for scheme in SCHEMES}
    if subtitle:
        words = {word.casefold() for word in _WORD.findall(subtitle)}
        for name, time_words in _TIME_WORDS:
            if words.intersection(time_words):
                return by_name[name]
    others = SCHEMES[len(_TIME_WORDS) :]
    text = (subtitle or title).casefold().strip()
    digest = int.from_bytes(sha256(text.encode()).digest()[:4], "big")
    return others[digest % len(others)]


def render_cover(title: str, subtitle: str | None) -> bytes:
    """Draw the cover of a playlist (and its window) as a 600 x 600 JPEG."""
    scheme = colour_scheme(title, subtitle)
    image = _gradient(scheme)
    _decorate(image, scheme, cover_key(title, subtitle))
    draw = ImageDraw.Draw(image)
    width = SIZE - 2 * MARGIN
    y = SIZE - MARGIN
    title_font, lines = _fit(title, width)
    line_height = _line_height(title_font)
    y -= line_height * len(lines)
    text_top = y
    for number, line in enumerate(lines):
        draw.text(
            (MARGIN, y + number * line_height),
            line,
            font=title_font,
            fill=scheme.text,
            stroke_width=1,
            stroke_fill=scheme.text,
        )
    if subtitle:
        font = _font(SUBTITLE_SIZE)
        [line] = _wrap(subtitle, font, width, 1)
        height = _line_height(font)
        text_top -= height + 12
        draw.text((MARGIN, text_top), line, font=font, fill=scheme.accent)
    draw.rectangle(
        (MARGIN, text_top - 26, MARGIN + 72, text_top - 18), fill=scheme.accent
    )
    out = BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def contrast_ratio(first: RGB, second: RGB) -> float:
    """Return the WCAG 2 contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _luminance(colour: RGB) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(value) for value in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _gradient(scheme: ColourScheme) -> Image.Image:
    """Return the background: `top` at the top to `bottom` at the bottom."""
    column = Image.new("RGB", (1, SIZE))
    for y in range(SIZE):
        t = y / (SIZE - 1)
        column.putpixel(
            (0, y),
            tuple(
                round(a + (b - a) * t)
                for a, b in zip(scheme.top, scheme.bottom, strict=True)
            ),
        )
    return column.resize((SIZE, SIZE))


def _decorate(image: Image.Image, scheme: ColourScheme, key: str) -> None:
    """Draw soft rings in the accent colour in the top right, away from the text."""
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    seed = int(key[:8], 16)
    cx = SIZE - 90 - seed % 60
    cy = 110 + (seed >> 8) % 50
    for ring in range(6):
        radius = 40 + ring * 34
        alpha = 90 - ring * 12
        draw.ellipse(
            (cx - radius, cy - radius, cx + radius, cy + radius),
            outline=(*scheme.accent, alpha),
            width=5,
        )
    angle = (seed >> 16) % 360
    for dot in range(3):
        theta = math.radians(angle + dot * 120)
        x, y = cx + 152 * math.cos(theta), cy + 152 * math.sin(theta)
        draw.ellipse((x - 9, y - 9, x + 9, y + 9), fill=(*scheme.accent, 150))
    image.paste(layer, (0, 0), layer)


def _font(size: int) -> Font:
    """Return Pillow's built-in font at `size` px (FreeType, Pillow 10.1 or later)."""
    return ImageFont.load_default(size=size)


def _line_height(font: Font) -> int:
    size = getattr(font, "size", 10)
    return round(size * 1.18)


def _text_width(text: str, font: Font) -> float:
    return ImageDraw.Draw(Image.new("L", (1, 1))).textlength(text, font=font)


def _fit(title: str, width: int) -> tuple[Font, list[str]]:
    """Return the largest title font whose lines fit, and those lines."""
    for size in TITLE_SIZES:
        font = _font(size)
        lines = _wrap(title, font, width, TITLE_LINES)
        if _fits(title, lines):
            return font, lines
    return font, lines


def _fits(title: str, lines: list[str]) -> bool:
    """Return whether the lines hold the whole title without breaking a word."""
    return " ".join(lines).split() == title.split()


def _wrap(text: str, font: Font, width: int, max_lines: int) -> list[str]:
    """Break text into at most `max_lines` lines of `width` px.

    Words too long for a line are cut; a text too long for the lines ends with
    an ellipsis.
    """
    lines: list[str] = []
    current = ""
    words = text.split() or [""]
    for word in words:
        candidate = f"{current} {word}".strip()
        if _text_width(candidate, font) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while _text_width(current, font) > width and len(current) > 1:
            cut = len(current)
            while cut > 1 and _text_width(current[:cut], font) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    lines.append(current)
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and _text_width(f"{last}…", font) > width:
        last = last[:-1].rstrip()
    kept[-1] = f"{last}…"
    return kept
