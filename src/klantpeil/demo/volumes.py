"""Monthly contact volumes per channel for the demo organisations.

Respondents do not come in the mix of contacts: the demo's survey responses lean to
the counter and e-mail, while most contacts are phone calls, so the weighted overall
figures on the demo's overview differ visibly from the unweighted ones.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from klantpeil.metrics.periods import months_between
from klantpeil.organisations.models import Channel, ChannelVolume, Organisation

# Share of an organisation's contacts per channel (normalised over the channels it has):
# the phone carries most of the work in the Dutch contact centres the demo describes.
CONTACT_MIX = {
    "phone": 0.64,
    "counter": 0.1,
    "email": 0.1,
    "chat": 0.05,
    "social": 0.02,
    "letter": 0.02,
    "messaging": 0.04,
    "web": 0.03,
}
# Contacts per month relative to the year's average: busy after the tax letters of
# January–March, quiet in the summer holidays and around Christmas.
SEASON = (1.2, 1.1, 1.15, 1.0, 0.95, 0.95, 0.8, 0.8, 1.0, 1.05, 1.0, 0.9)


def channel_volumes(
    rng: np.random.Generator, organisation: Organisation, channels: dict[str, Channel], today: date
) -> list[ChannelVolume]:
    """Unsaved volumes for every channel and every month of the demo's year (the months
    the measurements fall in, up to and including the running one)."""
    size = float(rng.uniform(8_000, 40_000))  # contacts per month over all channels
    mix = {kind: CONTACT_MIX.get(kind, 0.02) for kind in channels}
    total = sum(mix.values())
    volumes = []
    for month in months_between(today - timedelta(days=366), today + timedelta(days=1)):
        for kind, channel in channels.items():
            expected = size * mix[kind] / total * SEASON[month.month - 1]
            volumes.append(
                ChannelVolume(
                    organisation=organisation,
                    channel=channel,
                    month=month,
                    contacts=max(0, round(expected * rng.normal(1.0, 0.06))),
                )
            )
    return volumes
