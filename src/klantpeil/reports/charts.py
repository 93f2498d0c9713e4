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


def _one_legend_per_field(vega: dict) -> dict:
    """Merge legends that name the same field under the same title (colour and shape of
    one series) into one legend with both cues, as the browser's Vega-Lite does; the
    Vega-Lite inside vl-convert draws them apart."""
    merged: list[dict] = []
    for legend in vega.get("legends", []):
        twin = next((m for m in merged if m.get("title") == legend.get("title")), None)
        if twin is None:
            merged.append(legend)
            continue
        for channel in ("fill", "stroke", "shape", "size", "opacity"):
            if channel in legend and channel not in twin:
                twin[channel] = legend[channel]
    vega["legends"] = merged
    for mark in vega.get("marks", []):  # layered and concatenated charts nest their legends
        if isinstance(mark, dict) and "legends" in mark:
            _one_legend_per_field(mark)
    return vega


def _vega(spec: dict, width: int) -> dict:
    import vl_convert

    return _one_legend_per_field(vl_convert.vegalite_to_vega(_fixed(spec, width)))


def svg(spec: dict, *, lang: str, width: int = 620) -> str:
    import vl_convert

    return vl_convert.vega_to_svg(_vega(spec, width), **_options(lang))


def png(spec: dict, *, lang: str, width: int = 620, scale: float = 2) -> bytes:
    import vl_convert

    return vl_convert.vega_to_png(_vega(spec, width), scale=scale, **_options(lang))
