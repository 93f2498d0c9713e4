"""The overview's "all channels" block: unweighted and weighted side by side, or why not."""

from __future__ import annotations

from django.utils import timezone

from klantpeil.core.numbers import decimal
from klantpeil.core.tenancy import tenant
from klantpeil.organisations.models import ChannelVolume


def test_the_overview_shows_the_figures_the_selector_gives(manager_on_demo):
    client, org = manager_on_demo
    page = client.get(f"/app/{org.slug}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    weighting = page.context["weighting"]
    assert weighting.weighted
    grade = weighting.figures["grade"]
    assert 'id="weighted-row"' in html and 'id="unweighted-row"' in html
    # Shown with one decimal, as the channel rows above.
    assert f">{decimal(grade.weighted.estimate.value)}" in html
    assert f">{decimal(grade.unweighted.value)}" in html
    assert f"effective {round(grade.weighted.effective_n):,}" in html
    assert grade.weighted.effective_n < grade.unweighted.n


def test_a_missing_month_shows_unweighted_only_and_says_which(manager_on_demo):
    client, org = manager_on_demo
    month = timezone.localdate().replace(day=1)
    with tenant(org):
        ChannelVolume.objects.filter(channel__kind="email", month=month).delete()
    html = client.get(f"/app/{org.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="unweighted-row"' in html and 'id="weighted-row"' not in html
    assert f"contact volumes are missing for E-mail ({month:%Y-%m})" in html
    assert f'href="/app/{org.slug}/volumes/"' in html
    dutch = client.get(f"/app/{org.slug}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert f"contactvolumes ontbreken voor E-mail ({month:%Y-%m})" in dutch
