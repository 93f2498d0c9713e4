"""A comment cut into pieces for display, the words that drove its score marked. Plain module."""

from __future__ import annotations

from collections.abc import Sequence


def segments(text: str, spans: Sequence[Sequence[float]]) -> list[tuple[str, str]]:
    """``[(piece, "" | "positive" | "negative"), ...]`` covering ``text`` in order.

    ``spans`` are ``[start, end, weight]``; overlapping or out-of-range spans are
    skipped, so the pieces always join back to the text.
    """
    pieces: list[tuple[str, str]] = []
    position = 0
    for start, end, weight in sorted((int(s), int(e), w) for s, e, w in spans):
        if start < position or end > len(text) or start >= end:
            continue
        if start > position:
            pieces.append((text[position:start], ""))
        pieces.append((text[start:end], "positive" if weight > 0 else "negative"))
        position = end
    if position < len(text):
        pieces.append((text[position:], ""))
    return pieces
