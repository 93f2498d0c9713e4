"""The dashboards' Vega-Lite charts drawn offline for reports (vl-convert: Vega in an
embedded JavaScript engine, no browser, no network), with the report's number and
month formats."""

from __future__ import annotations

import copy

LOCALES = {"nl": "nl-NL", "en": "en-GB"}
FONT = "DejaVu Sans"  # ships with Debian's fonts-dejavu; WeasyPrint finds the same


def _fixed(spec: dict, width: int) -> dict:
    """A page chart sized to its container, given a fixed width on paper."""
    fixed = copy.deepcopy(spec)
    if fixed.get("width") == "container":
        fixed["width"] = width
    fixed.setdefault("config", {})["font"] = FONT
    fixed["background"] = "white"
    return fixed


def _options(lang: str) -> dict:
    locale = LOCALES.get(lang, "en-GB")
    # No base URL is allowed: a chart's data is inline, so nothing is ever fetched.
    return {"format_locale": locale, "time_format_locale": locale, "allowed_base_urls": []}


def svg(spec: dict, *, lang: str, width: int = 620) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(_fixed(spec, width), **_options(lang))


def png(spec: dict, *, lang: str, width: int = 620, scale: float = 2) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(_fixed(spec, width), scale=scale, **_options(lang))
