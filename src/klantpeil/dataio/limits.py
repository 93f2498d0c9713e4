"""The limits every upload is held to, checked while a file is read. Plain module.

One set for every upload (results import, mapping, social-media export,
calibration), so a file that passes one page passes the others; the README
documents them. They are checked as the file streams in, before any expensive
work (validating answers, annotating text, bootstrapping an agreement), so a
small file that unpacks or expands into something huge is refused quickly:

- ``max_bytes``: the file as uploaded;
- ``max_unpacked_bytes``: what an XLSX unpacks to (the sum of its parts as its
  zip directory declares them; Python's zip reader never returns more than that);
- ``max_rows``: data rows (the header not counted), also for social posts;
- ``max_columns``: columns of a table;
- ``max_cell_chars``: characters in one cell or text field, Excel's own limit;
- ``max_mapping_chars``: a column mapping's JSON text.

Files the operator reads on their own machine (``klantpeil import``, ``analyse``)
use ``LOCAL_FILE_LIMITS``: no size or row limit, the same cell and column limits.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_bytes: int | None = 50 * MB
    max_unpacked_bytes: int | None = 100 * MB
    max_rows: int | None = 50_000
    max_columns: int = 1_000
    max_cell_chars: int = 32_767  # the most characters Excel keeps in one cell
    max_mapping_chars: int = 1_000_000  # a column mapping (JSON)


UPLOAD_LIMITS = Limits()
LOCAL_FILE_LIMITS = Limits(max_bytes=None, max_unpacked_bytes=None, max_rows=None)


def megabytes(size: int) -> str:
    """A size as people read it in a message: "50 MB", "0.1 MB"."""
    value = size / MB
    return f"{value:,.0f} MB" if value >= 10 else f"{value:,.1f} MB"
