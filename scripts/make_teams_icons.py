"""Draw the Teams app icons with the standard library only (zlib + struct PNG writer).

color.png: 192x192, the accent colour with a white speech bubble holding a check mark.
outline.png: 32x32, the same bubble in white on a transparent background (Teams requires exactly this).
Run from the repository root: ``python scripts/make_teams_icons.py``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

ACCENT = (0x1F, 0x6F, 0x5C, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
Pixel = tuple[int, int, int, int]


def png(width: int, height: int, pixel: Callable[[float, float], Pixel]) -> bytes:
    """An RGBA PNG; ``pixel(x, y)`` gets coordinates scaled to 0..1 (pixel centres)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel((x + 0.5) / width, (y + 0.5) / height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    data = zlib.compress(bytes(rows), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _in_bubble(x: float, y: float) -> bool:
    """A rounded speech bubble with a tail at the lower left."""
    left, right, top, bottom, r = 0.16, 0.84, 0.18, 0.70, 0.12
    cx = min(max(x, left + r), right - r)
    cy = min(max(y, top + r), bottom - r)
    inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r and left <= x <= right and top <= y <= bottom
    tail = 0.26 <= x <= 0.42 and bottom <= y <= 0.84 and (x - 0.26) >= (y - bottom) * 1.1
    return inside or tail


def _on_check(x: float, y: float, width: float) -> bool:
    """A check mark inside the bubble: two strokes (0.32,0.44)-(0.45,0.57) and (0.45,0.57)-(0.68,0.32)."""

    def near(ax: float, ay: float, bx: float, by: float) -> bool:
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        return (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 <= width * width

    return near(0.32, 0.44, 0.45, 0.57) or near(0.45, 0.57, 0.68, 0.32)


def color(x: float, y: float) -> Pixel:
    if _in_bubble(x, y):
        return ACCENT if _on_check(x, y, 0.045) else WHITE
    return ACCENT


def outline(x: float, y: float) -> Pixel:
    if _in_bubble(x, y) and not _on_check(x, y, 0.06):
        return WHITE
    return CLEAR


def main() -> None:
    out = Path(__file__).resolve().parents[1] / "bot" / "teams" / "manifest"
    (out / "color.png").write_bytes(png(192, 192, color))
    (out / "outline.png").write_bytes(png(32, 32, outline))


if __name__ == "__main__":
    main()
