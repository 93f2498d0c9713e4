import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.models import Instrument
from klantpeil.instruments.selectors import latest_version
from klantpeil.instruments.services import publish_version
from klantpeil.organisations.models import Channel, Organisation

GRADE_ONLY = {
    "key": "g",
    "method": "customer_survey",
    "questions": [{"key": "g", "type": "grade", "label": {"nl": "Cijfer", "en": "Grade"}}],
}


def _measure(org, kind, when, n=1):
    with tenant(org):
        instrument, _ = Instrument.objects.get_or_create(
            key="g",
            organisation=org,
            defaults={"method": "customer_survey", "name_nl": "G", "name_en": "G"},
        )
        version = publish_version(instrument=instrument, definition=GRADE_ONLY)
        for _ in range(n):
            record_measurement(
                version=version,
                answers={"g": 8},
                occurred_at=when,
                source="api",
                channel=Channel.objects.get(kind=kind),
            )


@pytest.fixture
def member(make_org, make_member, client):
    org = make_org("wadderveen")
    user = make_member("manager@wadderveen.example", org)
    client.force_login(user)
    return client, org


def test_healthz_answers_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_login_with_email_and_password_lands_in_the_organisation(make_org, make_member, client):
    org = make_org("wadderveen")
    make_member("manager@wadderveen.example", org)
    response = client.post(
        reverse("account_login"),
        {"login": "manager@wadderveen.example", "password": "pw-for-tests-only"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/app/{org.slug}/"
    assert response.status_code == 200


def test_wrong_password_is_refused_with_a_message(make_org, make_member, client):
    make_member("manager@wadderveen.example", make_org("wadderveen"))
    response = client.post(
        reverse("account_login"),
        {"login": "manager@wadderveen.example", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_overview_counts_measurements_per_channel_and_month(member):
    client, org = member
    now = datetime.now(UTC)
    _measure(org, "phone", now, n=3)
    _measure(org, "email", now, n=2)
    response = client.get(reverse("app:overview", kwargs={"org": org.slug}))
    rows = {row["kind"]: row for row in response.context["rows"]}
    assert rows["phone"]["total"] == 3
    assert rows["email"]["total"] == 2
    assert response.context["total"] == 5
    assert len(response.context["months"]) == 1


def test_measurements_older_than_a_year_are_not_counted(member):
    client, org = member
    _measure(org, "phone", datetime(2001, 1, 1, tzinfo=UTC))
    response = client.get(reverse("app:overview", kwargs={"org": org.slug}))
    assert response.context["total"] == 0


def test_pages_speak_dutch_and_english(member):
    client, org = member
    url = reverse("app:overview", kwargs={"org": org.slug})
    assert "Overzicht" in client.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": url})
    assert "Overview" in client.get(url).content.decode()


def test_several_memberships_get_a_choice_and_a_switcher(make_org, make_member, client):
    alpha, beta = make_org("alpha"), make_org("beta")
    make_member("analist@example.org", alpha, "analyst")
    user = make_member("analist@example.org", beta, "analyst")
    client.force_login(user)
    home = client.get(reverse("app:home"))
    assert [m.organisation for m in home.context["choices"]] == [alpha, beta]
    page = client.get(reverse("app:overview", kwargs={"org": "beta"})).content.decode()
    assert 'href="/app/alpha/"' in page and 'href="/app/beta/" aria-current="page"' in page


def test_a_single_membership_goes_straight_to_its_organisation(member):
    client, org = member
    response = client.get(reverse("app:home"))
    assert response.status_code == 302
    assert response["Location"] == f"/app/{org.slug}/"


def test_measurement_detail_shows_the_answers(member):
    client, org = member
    _measure(org, "phone", datetime(2026, 1, 5, 10, tzinfo=UTC))
    listing = client.get(reverse("app:measurements", kwargs={"org": org.slug}))
    measurement = listing.context["page"].object_list[0]
    detail = client.get(reverse("app:measurement", kwargs={"org": org.slug, "pk": measurement.pk}))
    assert detail.status_code == 200
    assert "Cijfer" in detail.content.decode()


def test_the_operator_lands_on_a_page_about_running_the_service(make_org, make_member, client):
    make_org("alpha")
    make_org("beta")
    client.force_login(make_member("op@example.test", None, "operator"))
    page = client.get("/app/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Klantpeil beheren" in page
    assert "niet aan een organisatie gekoppeld" not in page
    assert 'href="/admin/"' in page and "klantpeil backup" in page
    assert "<dt>Organisaties</dt><dd>2 in 1 sector</dd>" in page


def test_the_back_office_names_each_section_once_and_in_dutch(make_member, client):
    client.force_login(make_member("op@example.test", None, "operator"))
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    sections = re.findall(r'class="section" title="[^"]*">([^<]+)</a>', page)
    assert len(sections) == len(set(sections)), sections
    assert "Tweestapsverificatie" in sections and "Achtergrondtaken" in sections
    assert not {"MFA", "Tasks Database Backend", "Accounts"} & set(sections)


def test_the_switcher_keeps_the_page_and_the_portable_filters(make_org, make_member, client):
    alpha, beta, gamma = make_org("alpha"), make_org("beta"), make_org("gamma")
    make_member("a@example.test", alpha, "analyst")
    make_member("a@example.test", beta, "viewer")
    client.force_login(make_member("a@example.test", gamma, "shopper"))

    def links(path: str) -> dict[str, str]:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, path
        return {m.organisation.slug: url for m, url in response.context["switch_links"]()}

    drivers = links("/app/alpha/drivers/?period=2026-Q3&unit=front&channel=phone")
    assert drivers["beta"] == "/app/beta/drivers/?period=2026-Q3&channel=phone"
    assert drivers["gamma"] == "/app/gamma/fieldwork/today/"  # a shopper sees no results
    # A page the viewer may not open (import) leads to that organisation's overview.
    assert links("/app/alpha/import/")["beta"] == "/app/beta/"
    page = client.get("/app/alpha/import/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="org-search"' in page and 'href="/app/beta/"' in page


def test_the_analysts_organisations_sort_filter_by_sector_and_download(
    make_org, make_member, client
):
    make_org("alpha", "municipalities")
    make_org("beta", "housing")
    make_org("gamma", "housing")
    for slug in ("alpha", "beta", "gamma"):
        user = make_member("a@example.test", Organisation.objects.get(slug=slug), "analyst")
    client.force_login(user)
    for slug, grades in (("alpha", 3), ("beta", 1), ("gamma", 2)):
        org = Organisation.objects.get(slug=slug)
        with tenant(org):
            for _ in range(grades):
                record_measurement(
                    version=latest_version(key="customer-survey"),
                    answers=CUSTOMER_SURVEY_ANSWERS,
                    occurred_at=datetime.now(UTC),
                    source="api",
                    channel=Channel.objects.get(kind="email"),  # no phone menu to answer
                )

    def names(query: str) -> list[str]:
        response = client.get(f"/app/?{query}", HTTP_ACCEPT_LANGUAGE="en")
        return [row.organisation.slug for row in response.context["rows"]]

    assert names("") == ["alpha", "beta", "gamma"]
    assert names("sort=-n") == ["alpha", "gamma", "beta"]
    assert names("sort=n") == ["beta", "gamma", "alpha"]
    assert names("sector=housing&sort=-n") == ["gamma", "beta"]
    page = client.get("/app/?sort=-n", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'aria-sort="descending"><a href="?sort=n">n</a>' in page
    bad = client.get("/app/?sort=shoe&sector=nowhere", HTTP_ACCEPT_LANGUAGE="en")
    assert "there is no column shoe" in bad.content.decode()
    assert "no organisation in sector nowhere" in bad.content.decode()
    sheet = client.get("/app/?sector=housing&sort=-n&format=csv")
    assert sheet["Content-Type"] == "text/csv"
    lines = sheet.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("organisation;sector;grade;")
    assert [line.split(";")[0] for line in lines[1:]] == ["Gamma", "Beta"]


def test_dates_on_the_page_are_written_the_dutch_way(member):
    from django.utils import timezone

    from klantpeil.metrics.periods import last_twelve_months

    client, org = member
    window = last_twelve_months(timezone.localdate())
    months = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
    start = window.start
    page = client.get(f"/app/{org.slug}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert f"{start.day} {months[start.month - 1]} {start.year}" in page  # "1 dec 2025"
    english = client.get(f"/app/{org.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"{start.day} {start:%b} {start.year}" in english  # "1 Dec 2025"
