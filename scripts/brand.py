"""Draw Solar Cloud's brand images: a sun rising behind a cloud, and the name.

    python scripts/brand.py [--check]

Home Assistant (2026.3 and newer) serves a custom integration's icon and logo
from ``custom_components/<domain>/brand/``. The images follow the brands
repository's specification: PNG with transparency, trimmed; the icon square,
256 px (``@2x`` 512 px); the logo landscape, its shortest side 256 px (``@2x``
512 px). The icon reads on light and dark backgrounds alike; the logo's name
needs a light variant for dark themes (``dark_logo``).

Everything is drawn here with Pillow (Home Assistant's own dependency) and
the font Pillow ships: no third-party artwork. ``--check`` draws the images
again and fails if the files in the repository differ from the drawing.
"""

from __future__ import annotations

import argparse
import io
import math
from pathlib import Path
import sys

from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat

ROOT = Path(__file__).resolve().parent.parent
BRAND = ROOT / "custom_components" / "solar_cloud" / "brand"

# Drawn four times larger than the largest image, then scaled down: Pillow's
# shapes have no anti-aliasing of their own.
CANVAS = 2048
SUN = (255, 183, 3)
SUN_RAY = (251, 133, 0)
CLOUD_TOP = (99, 179, 237)
CLOUD_BOTTOM = (33, 102, 172)
NAME = {"light": (38, 50, 56), "dark": (236, 239, 241)}
NAME_TEXT = "Solar Cloud"
ICON_SIZE = 256
LOGO_HEIGHT = 256
# The mean difference per channel that --check accepts: another Pillow or
# FreeType build rounds some edge pixels differently.
TOLERANCE = 1.0


def _cloud_mask(grow: float) -> Image.Image:
    """Return the cloud's shape, ``grow`` pixels wider all round."""
    mask = Image.new("L", (CANVAS, CANVAS), 0)
    draw = ImageDraw.Draw(mask)
    # Puffs as (centre x, centre y, radius) in fractions of the canvas.
    for x, y, r in ((0.30, 0.66, 0.17), (0.52, 0.56, 0.23), (0.74, 0.68, 0.15)):
        radius = r * CANVAS + grow
        cx, cy = x * CANVAS, y * CANVAS
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
    # A flat base between the outer puffs' centres, level with their bottoms.
    draw.rectangle(
        (0.30 * CANVAS, 0.60 * CANVAS, 0.74 * CANVAS, 0.83 * CANVAS + grow), fill=255
    )
    return mask


def _sun() -> Image.Image:
    """Return the sun: a disc and twelve rays, up and to the right."""
    layer = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    cx, cy, r = 0.63 * CANVAS, 0.37 * CANVAS, 0.17 * CANVAS
    for ray in range(12):
        angle = math.tau * ray / 12
        inner, outer, half = r * 1.28, r * 1.72, math.tau / 70
        draw.polygon(
            [
                (
                    cx + inner * math.cos(angle - half),
                    cy + inner * math.sin(angle - half),
                ),
                (cx + outer * math.cos(angle), cy + outer * math.sin(angle)),
                (
                    cx + inner * math.cos(angle + half),
                    cy + inner * math.sin(angle + half),
                ),
            ],
            fill=SUN_RAY,
        )
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=SUN)
    return layer


def _gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    """Return a vertical gradient from ``top`` to ``bottom`` over the canvas."""
    column = Image.new("RGB", (1, CANVAS))
    for y in range(CANVAS):
        share = y / (CANVAS - 1)
        column.putpixel(
            (0, y),
            tuple(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True)),
        )
    return column.resize((CANVAS, CANVAS))


def artwork() -> Image.Image:
    """Return the sun behind the cloud, trimmed to what is drawn."""
    image = _sun()
    # A transparent gap between sun and cloud keeps the two apart at 16 px.
    gap = ImageChops.invert(_cloud_mask(0.035 * CANVAS))
    image.putalpha(ImageChops.multiply(image.getchannel("A"), gap))
    cloud = _gradient(CLOUD_TOP, CLOUD_BOTTOM).convert("RGBA")
    cloud.putalpha(_cloud_mask(0))
    image.alpha_composite(cloud)
    return image.crop(image.getbbox(alpha_only=True))


def icon(size: int) -> Image.Image:
    """Return the square icon, ``size`` pixels wide."""
    art = artwork()
    side = max(art.size)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.alpha_composite(art, ((side - art.width) // 2, (side - art.height) // 2))
    return square.resize((size, size), Image.Resampling.LANCZOS)


def logo(height: int, theme: str) -> Image.Image:
    """Return the logo (artwork and name) ``height`` pixels high for ``theme``."""
    art = artwork()
    font = ImageFont.load_default(size=round(art.height * 0.5))
    left, top, right, bottom = font.getbbox(NAME_TEXT, stroke_width=6)
    spacing = round(art.height * 0.12)
    image = Image.new(
        "RGBA", (art.width + spacing + right - left, art.height), (0, 0, 0, 0)
    )
    image.alpha_composite(art)
    ImageDraw.Draw(image).text(
        (art.width + spacing - left, (art.height - (bottom - top)) // 2 - top),
        NAME_TEXT,
        font=font,
        fill=NAME[theme],
        # A stroke of the same colour makes the regular face a bold wordmark.
        stroke_width=6,
        stroke_fill=NAME[theme],
    )
    image = image.crop(image.getbbox(alpha_only=True))
    width = round(image.width * height / image.height)
    return image.resize((width, height), Image.Resampling.LANCZOS)


def images() -> dict[str, Image.Image]:
    """Return every brand image by file name."""
    return {
        "icon.png": icon(ICON_SIZE),
        "icon@2x.png": icon(2 * ICON_SIZE),
        "logo.png": logo(LOGO_HEIGHT, "light"),
        "logo@2x.png": logo(2 * LOGO_HEIGHT, "light"),
        "dark_logo.png": logo(LOGO_HEIGHT, "dark"),
        "dark_logo@2x.png": logo(2 * LOGO_HEIGHT, "dark"),
    }


def png(image: Image.Image) -> bytes:
    """Return ``image`` as an optimised PNG."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def differences(directory: Path) -> list[str]:
    """Return how the images in ``directory`` differ from a fresh drawing."""
    problems = []
    for name, drawn in images().items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        with Image.open(path) as shipped:
            if shipped.size != drawn.size or shipped.mode != drawn.mode:
                problems.append(
                    f"{name}: {shipped.mode} {shipped.size}, drawn {drawn.mode} {drawn.size}"
                )
                continue
            mean = ImageStat.Stat(ImageChops.difference(shipped, drawn)).mean
            if max(mean) > TOLERANCE:
                problems.append(f"{name}: differs from the drawing ({max(mean):.1f})")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Write the brand images, or with ``--check`` compare them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="compare instead of writing"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = differences(BRAND)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    BRAND.mkdir(exist_ok=True)
    for name, image in images().items():
        (BRAND / name).write_bytes(png(image))
        print(f"{BRAND.relative_to(ROOT) / name}: {image.width}x{image.height}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
