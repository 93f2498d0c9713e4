"""Make a report in one of its formats: what the CLI and the background task call."""

from __future__ import annotations

from collections.abc import Callable

from klantpeil.metrics.periods import Period
from klantpeil.reports import content

FORMATS = {
    "pdf": "application/pdf",
    "png": "image/png",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def build(
    period: Period,
    *,
    fmt: str,
    lang: str = "nl",
    progress: Callable[[str], None] | None = None,
) -> bytes:
    """The report of the current organisation for ``period`` as ``fmt`` bytes.

    ``progress`` is called with each step's name from :data:`content.STEPS`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"{fmt!r} is not a report format; use one of {', '.join(FORMATS)}")
    if lang not in ("nl", "en"):
        raise ValueError(f"{lang!r} is not a report language; use nl or en")
    data = content.gather(period, lang=lang, progress=progress)
    if progress:
        progress("render")
    if fmt == "pdf":
        from klantpeil.reports import pdf as renderer
    elif fmt == "png":
        from klantpeil.reports import png as renderer
    else:
        from klantpeil.reports import xlsx as renderer
    return renderer.render(data)
