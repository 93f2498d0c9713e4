"""Social-media figures per organisation and period. Plain module.

Definitions (the monitor's, written down):

- volume: posts by customers that start a thread (a reply by a customer in a
  thread is part of that conversation, not a new post);
- mood: the mean of those posts' sentiment on the 1–3 scale (negative 1,
  neutral 2, positive 3), with its 95% t-interval (cut off at 1 and 3);
- answered: the share of those posts with at least one reply from the
  organisation's own account (Wilson 95% interval);
- response time: the median, over answered posts, of the business hours between
  the post and the organisation's first reply (``metrics.business_hours``, Dutch
  public holidays closed).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from klantpeil.metrics.business_hours import Calendar, business_seconds_between
from klantpeil.metrics.stats import Estimate, mean_ci_from_values, proportion

MOOD = {"negative": 1, "neutral": 2, "positive": 3}
MOOD_SCALE = (1.0, 3.0)


@dataclass(frozen=True)
class Post:
    id: int
    parent_id: int | None
    from_organisation: bool
    posted_at: datetime
    label: str


@dataclass(frozen=True)
class SocialFigures:
    volume: int
    mood: Estimate
    answered: Estimate
    median_response_hours: float | None
    answered_count: int


def social_figures(posts: Sequence[Post], calendar: Calendar | None = None) -> SocialFigures:
    """Volume, mood (1–3), share answered and median business hours to the first answer.

    ``posts`` holds the threads' starting posts and every reply to them (replies
    outside the list are not seen, so pass the replies of the period's posts too).
    """
    if calendar is None:
        years = {p.posted_at.year for p in posts} or {2000}
        calendar = Calendar.dutch(range(min(years), max(years) + 2))
    first_answer: dict[int, datetime] = {}
    for post in posts:
        if post.from_organisation and post.parent_id is not None:
            known = first_answer.get(post.parent_id)
            if known is None or post.posted_at < known:
                first_answer[post.parent_id] = post.posted_at
    started = [p for p in posts if p.parent_id is None and not p.from_organisation]
    answered = [p for p in started if p.id in first_answer]
    hours = [
        business_seconds_between(p.posted_at, first_answer[p.id], calendar) / 3600 for p in answered
    ]
    # The t-interval of a small month would reach past the 1–3 scale's ends.
    mood = mean_ci_from_values([MOOD[p.label] for p in started], scale=MOOD_SCALE)
    return SocialFigures(
        volume=len(started),
        mood=mood,
        answered=proportion(len(answered), len(started)),
        median_response_hours=round(statistics.median(hours), 2) if hours else None,
        answered_count=len(answered),
    )
