"""From a figure to the measurements behind it: the count at the link is the figure's n."""

import re

import pytest

from klantpeil.metrics.reachability import KPI_BASE


def _listed(client, url: str) -> int:
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    found = re.search(r'id="measurement-count"[^>]*>([\d,]+) measurement', page)
    assert found, url
    return int(found[1].replace(",", ""))


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["", "2026-Q3"])
def test_every_reachability_figure_links_to_exactly_the_calls_behind_it(manager_on_demo, period):
    client, org = manager_on_demo
    query = f"?period={period}" if period else ""
    response = client.get(f"/app/{org.slug}/reachability/{query}", HTTP_ACCEPT_LANGUAGE="en")
    kpis, links = response.context["kpis"], response.context["drilldowns"]
    assert set(links) == set(kpis) == set(KPI_BASE)
    page = response.content.decode()
    for key, kpi in kpis.items():
        assert kpi.n > 0, key
        assert f'href="{links[key].replace("&", "&amp;")}"' in page, key
        assert _listed(client, links[key]) == kpi.n, key
        if period:
            assert f"period={period}" in links[key]


@pytest.mark.django_db
def test_the_list_keeps_its_filters_when_paging_and_names_what_it_cannot_honour(
    manager_on_demo,
):
    client, org = manager_on_demo
    url = f"/app/{org.slug}/measurements/?channel=phone&instrument=mystery-phone&period=2026"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "instrument: " in page and "all measurements with these filters" in page
    older = re.search(r'href="\?([^"]+)">Older', page)
    assert older and "channel=phone" in older[1] and "instrument=mystery-phone" in older[1]
    bad = client.get(
        f"/app/{org.slug}/measurements/?instrument=nope&yes=no-such-point",
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "there is no instrument nope" in bad
    assert "there is no question no-such-point" in bad
    assert 'id="measurement-count"' not in bad  # no unfiltered list instead


@pytest.mark.django_db
def test_the_drivers_page_links_to_the_responses_it_rests_on(manager_on_demo):
    client, org = manager_on_demo
    response = client.get(f"/app/{org.slug}/drivers/?channel=phone", HTTP_ACCEPT_LANGUAGE="en")
    report, link = response.context["report"], response.context["drilldown"]
    assert "channel=phone" in link and "instrument=customer-survey" in link
    assert _listed(client, link) == report.responses


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?period=2026-Q3&unit=burgerzaken"])
def test_each_overview_row_links_to_the_responses_behind_its_grade(manager_on_demo, query):
    client, org = manager_on_demo
    response = client.get(f"/app/{org.slug}/{query}", HTTP_ACCEPT_LANGUAGE="en")
    kpis, links = response.context["kpis"], response.context["kpi_links"]
    assert kpis
    for row in kpis:
        if query:
            assert "period=2026-Q3" in links[row.kind] and "unit=burgerzaken" in links[row.kind]
        assert _listed(client, links[row.kind]) == row.grade.n, row.kind
