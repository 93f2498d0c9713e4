"""Colour contrast after WCAG 2.1 (success criterion 1.4.3): pure computation.

https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio and #dfn-relative-luminance.
"""

from __future__ import annotations

import re

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5  # normal-size text, level AA
WHITE = "#ffffff"


def parse_hex(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` as three 0–255 channels; ValueError for anything else."""
    if not HEX_COLOUR.match(colour or ""):
        raise ValueError(f"not a colour of the form #rrggbb: {colour!r}")
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    r, g, b = (_linear(c) for c in parse_hex(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter colour's luminance on top: 1 to 21."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)
