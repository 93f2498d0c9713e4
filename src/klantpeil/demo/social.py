"""Social-media posts and the organisations' replies for the demo (synthetic).

Per organisation a year of public posts (questions, complaints, praise) on X,
Facebook and Instagram; the organisation answers about half of them (the field
leaves more than half unanswered), mostly within office hours, sometimes days
later. Customers sometimes reply in the thread.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from klantpeil.core.tenancy import tenant
from klantpeil.organisations.models import Organisation
from klantpeil.textanalysis.services import store_posts
from klantpeil.textanalysis.social_import import PostRecord

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
POSTS_PER_YEAR = 420
PLATFORMS = ("x", "facebook", "instagram")

CUSTOMER_POSTS = {
    "negative": [
        "Al drie dagen geen reactie op mijn mail, wat is er aan de hand?",
        "Veertig minuten in de wacht en toen werd de verbinding verbroken 😡",
        "Geweldig hoor, weer een week wachten op een monteur.",
        "Niemand kan me vertellen waar mijn aanvraag blijft.",
        "Ik word van het kastje naar de muur gestuurd, dit is echt belachelijk.",
        "Het keuzemenu stuurt me steeds naar de verkeerde afdeling.",
        "Waarom is de website alweer niet bereikbaar?? 👎",
        "Er zou worden teruggebeld, maar ik hoor niets.",
        "Two weeks and still no answer to my email.",
        "Your phone line is always engaged, really frustrating.",
    ],
    "neutral": [
        "Hoe laat zijn jullie morgen open?",
        "Waar kan ik een nieuwe afvalpas aanvragen?",
        "Kan ik mijn afspraak ook online verzetten?",
        "Is er een storing in de regio?",
        "Ik heb jullie een DM gestuurd.",
        "Wat zijn de openingstijden rond de feestdagen?",
        "Does anyone know if the desk is open on Saturday?",
    ],
    "positive": [
        "Top geholpen vandaag, dank jullie wel! 👍",
        "Binnen een uur opgelost, chapeau 👏",
        "Wat een vriendelijke medewerker aan de balie, echt fijn.",
        "Snel antwoord via de chat, netjes geregeld.",
        "Great help from your team this morning, thanks!",
    ],
}
REPLIES = [
    "Vervelend om te horen! Stuur je ons een DM met je klantnummer? Dan zoeken we het uit.",
    "Dank je voor je bericht. We zijn op werkdagen van 8.30 tot 17.00 uur bereikbaar.",
    "Bedankt voor je compliment, we geven het door aan het team! 😊",
    "Sorry voor het wachten. Een collega belt je vandaag nog terug.",
    "Goed dat je het meldt, we kijken er direct naar.",
]
FOLLOW_UPS = [
    "Dank voor de snelle reactie!",
    "Nog steeds niets gehoord...",
    "DM gestuurd.",
]


def _moment(rng: np.random.Generator, day: date) -> datetime:
    hour = float(rng.choice([8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 21, 23]))
    minute = int(rng.integers(0, 60))
    return datetime.combine(day, time(int(hour), minute), AMSTERDAM).astimezone(UTC)


def generate_social_posts(*, rng: np.random.Generator, today: date, scale: float = 1.0) -> int:
    """Posts and replies for every demo organisation; returns how many were stored."""
    created = 0
    tones = list(CUSTOMER_POSTS)
    for org in Organisation.objects.order_by("pk"):
        handle = org.slug.replace("-", "")
        answer_rate = float(rng.uniform(0.3, 0.65))
        tone_weights = rng.dirichlet([5, 3, 2])
        records: list[PostRecord] = []
        n = max(8, int(POSTS_PER_YEAR * scale * rng.uniform(0.6, 1.4)))
        for i in range(n):
            day = today - timedelta(days=int(rng.integers(0, 365)))
            posted = _moment(rng, day)
            tone = tones[int(rng.choice(3, p=tone_weights))]
            bank = CUSTOMER_POSTS[tone]
            post_id = f"{handle}-{i}"
            records.append(
                PostRecord(
                    post_id,
                    None,
                    f"klant{int(rng.integers(1000, 99999))}",
                    False,
                    posted,
                    bank[int(rng.integers(0, len(bank)))],
                    PLATFORMS[int(rng.integers(0, 3))],
                )
            )
            platform = records[-1].platform
            # Praise is answered less often than a complaint or a question.
            if rng.random() < answer_rate * (0.6 if tone == "positive" else 1.0):
                delay = timedelta(hours=float(rng.lognormal(1.2, 1.1)))
                replied = posted + delay
                if replied.date() <= today:
                    records.append(
                        PostRecord(
                            f"{post_id}-r",
                            post_id,
                            handle,
                            True,
                            replied,
                            REPLIES[int(rng.integers(0, len(REPLIES)))],
                            platform,
                        )
                    )
                    if rng.random() < 0.25:
                        records.append(
                            PostRecord(
                                f"{post_id}-f",
                                post_id,
                                records[-2].author,
                                False,
                                replied + timedelta(minutes=int(rng.integers(5, 600))),
                                FOLLOW_UPS[int(rng.integers(0, len(FOLLOW_UPS)))],
                                platform,
                            )
                        )
        with tenant(org):
            created += store_posts(records=records, method=None, organisation=org).created
    return created
