"""The invitation funnel's arithmetic: shares and step conversions. Plain module (no Django).

The main path is made → sent → opened → started → completed; every other count
(delivered, failed, bounced, skipped, opted out, still waiting) is a side outcome whose
share is taken of the invitations made. A share over zero is ``None`` (shown as "–"),
never 0 %, so an empty period does not read as a failing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MAIN_PATH = ("made", "sent", "opened", "started", "completed")
SIDE_OUTCOMES = (
    "delivered",
    "failed",
    "bounced",
    "skipped_fatigue",
    "skipped_opted_out",
    "opted_out",
    "scheduled",
    "not_sent_by_us",
)
STEPS = MAIN_PATH + SIDE_OUTCOMES


@dataclass(frozen=True)
class FunnelRow:
    key: str
    count: int
    of_made: float | None  # share of the invitations made, 0..1
    of_previous: float | None  # main path only: share of the step before, 0..1
    main: bool


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def funnel_rows(counts: Mapping[str, int]) -> list[FunnelRow]:
    """The funnel's rows in display order: the main path, then the side outcomes.

    ``opened`` follows ``sent`` on the main path, but invitations handed out by the
    organisation itself (deliver "none") can be opened without a send of ours, so a
    step may exceed the one before; the share is shown as it is, not capped."""
    made = counts.get("made", 0)
    rows: list[FunnelRow] = []
    previous: int | None = None
    for key in MAIN_PATH:
        n = counts.get(key, 0)
        rows.append(
            FunnelRow(
                key, n, share(n, made), None if previous is None else share(n, previous), True
            )
        )
        previous = n
    for key in SIDE_OUTCOMES:
        n = counts.get(key, 0)
        rows.append(FunnelRow(key, n, share(n, made), None, False))
    return rows
