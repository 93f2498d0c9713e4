"""Annotating stored comments, importing social posts, the comments and social pages, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from klantpeil.cli import main
from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import TenantScopeError, tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel
from klantpeil.textanalysis import services
from klantpeil.textanalysis.models import CommentAnnotation, SocialPost

METHOD = "lexicon"  # the pages' tests do not depend on the embedding wheel


def _comment(text: str, *, grade: int = 7, kind: str = "email", when: datetime | None = None):
    return record_measurement(
        version=latest_version(key="customer-survey"),
        answers={
            **CUSTOMER_SURVEY_ANSWERS,
            "overall_grade": grade,
            "comment": text,
            **({"ivr_menu": 6} if kind == "phone" else {}),
        },
        source="api",
        channel=Channel.objects.get(kind=kind),
        occurred_at=when or timezone.now() - timedelta(days=3),
    )


@pytest.fixture
def member(make_org, make_member, client):
    org = make_org("wadderveen")
    client.force_login(make_member("manager@wadderveen.example", org))
    return client, org


def test_comments_are_annotated_once_however_often_it_runs(make_org):
    org = make_org("alpha")
    with tenant(org):
        _comment("Veel te lang in de wacht gestaan, bijna een half uur.", grade=4)
        _comment("Vriendelijk geholpen, dank je wel!", grade=9)
        record_measurement(  # no comment: nothing to annotate
            version=latest_version(key="customer-survey"),
            answers=CUSTOMER_SURVEY_ANSWERS,
            source="api",
            channel=Channel.objects.get(kind="counter"),
            occurred_at=timezone.now(),
        )
        assert services.annotate_comments(method=METHOD) == 2
        assert services.annotate_comments(method=METHOD) == 0
        found = {a.answer.text: a for a in CommentAnnotation.objects.select_related("answer")}
    slow = found["Veel te lang in de wacht gestaan, bijna een half uur."]
    assert (slow.label, slow.language, slow.driver_list) == ("negative", "nl", ["waiting_time"])
    assert slow.score < 0
    kind = found["Vriendelijk geholpen, dank je wel!"]
    assert (kind.label, kind.driver_list) == ("positive", ["empathy"])


def test_annotations_are_tenant_scoped(make_org):
    alpha, beta = make_org("alpha"), make_org("beta")
    with tenant(alpha):
        _comment("Slechte service.")
    services.annotate_comments_of_all_organisations(method=METHOD)
    with tenant(beta):
        assert CommentAnnotation.objects.count() == 0
    with tenant(alpha):
        assert CommentAnnotation.objects.count() == 1
    with pytest.raises(TenantScopeError):
        CommentAnnotation.objects.count()


@pytest.mark.django_db(transaction=True)
def test_a_stored_comment_queues_the_annotation_task_that_the_worker_runs(make_org):
    from django_tasks_db.models import DBTaskResult

    from klantpeil.textanalysis.tasks import annotate_new_comments

    org = make_org("alpha")
    with tenant(org):
        _comment("Ik ben nooit teruggebeld.")
        _comment("Snel geholpen.")
    waiting = DBTaskResult.objects.ready().filter(task_path=annotate_new_comments.module_path)
    assert waiting.count() == 1
    assert main(["worker", "--once"]) == 0
    with tenant(org):
        labels = sorted(CommentAnnotation.objects.values_list("label", flat=True))
    assert len(labels) == 2
    assert not waiting.exists()


def _csv(rows: list[str]) -> bytes:
    return ("id,in reply to,author,created at,text,platform\n" + "\n".join(rows)).encode()


def test_social_import_links_replies_and_skips_what_it_has(make_org):
    org = make_org("alpha")
    data = _csv(
        [
            "1,,klant,2026-03-02T09:00:00+01:00,Waar blijft mijn vergunning?,x",
            "2,1,alpha_nl,2026-03-02T11:00:00+01:00,We kijken het na!,x",
            "3,2,klant,2026-03-02T11:30:00+01:00,Dank voor de snelle reactie!,x",
            "4,,klant2,2026-03-03T09:00:00+01:00,Geweldig hoor weer geen reactie,x",
        ]
    )
    with tenant(org):
        first = services.import_social_posts(
            data=data, filename="export.csv", own_handles=["alpha_nl"], method=METHOD
        )
        again = services.import_social_posts(
            data=data, filename="export.csv", own_handles=["alpha_nl"], method=METHOD
        )
        posts = {p.external_id: p for p in SocialPost.objects.all()}
    assert (first.created, first.already_there, first.replies_linked) == (4, 0, 2)
    assert (again.created, again.already_there) == (0, 4)
    assert posts["2"].in_reply_to_id == posts["1"].pk and posts["2"].from_organisation
    assert posts["3"].in_reply_to_id == posts["2"].pk
    assert posts["4"].label == "negative"


def test_comments_page_filters_marks_words_and_shows_scores(member):
    client, org = member
    with tenant(org):
        _comment("Veel te lang in de wacht gestaan.", grade=4, kind="phone")
        _comment("Vriendelijk geholpen, dank je wel!", grade=9, kind="counter")
        _comment("The agent was rude.", grade=3, kind="email")
        services.annotate_comments(method=METHOD)
    url = reverse("app:text:comments", kwargs={"org": org.slug})

    everything = client.get(url)
    assert everything.status_code == 200
    assert everything.context["total"] == 3
    assert everything.context["counts"] == {"negative": 2, "neutral": 0, "positive": 1}
    html = everything.content.decode()
    assert '<mark class="negative">in de wacht</mark>' in html
    assert '<mark class="positive">Vriendelijk</mark>' in html
    grades = {r.annotation.answer.text: (r.grade, r.nps) for r in everything.context["rows"]}
    assert grades["The agent was rude."] == (3.0, 9.0)

    def texts(**params):
        response = client.get(url, params)
        return sorted(r.annotation.answer.text for r in response.context["rows"])

    assert texts(sentiment="positive") == ["Vriendelijk geholpen, dank je wel!"]
    assert texts(driver="waiting_time") == ["Veel te lang in de wacht gestaan."]
    assert texts(language="en") == ["The agent was rude."]
    assert texts(channel="phone") == ["Veel te lang in de wacht gestaan."]
    assert texts(q="WACHT") == ["Veel te lang in de wacht gestaan."]
    assert texts(sentiment="negative", channel="email") == ["The agent was rude."]
    assert texts(period="2001-Q1") == []
    bad = client.get(url, {"period": "soon"})
    # Issue 20: an error beside the field and no comments, never all comments instead.
    assert "‘soon’ is geen periode" in bad.content.decode()
    assert bad.context["total"] == 0


def test_comments_page_paginates_and_keeps_the_filters_in_its_links(member):
    client, org = member
    with tenant(org):
        for i in range(27):
            _comment(f"Slechte service nummer {i}.", when=timezone.now() - timedelta(hours=i))
        services.annotate_comments(method=METHOD)
    url = reverse("app:text:comments", kwargs={"org": org.slug})
    first = client.get(url, {"sentiment": "negative"})
    assert len(first.context["rows"]) == 25
    assert "?sentiment=negative&amp;page=2" in first.content.decode()
    second = client.get(url, {"sentiment": "negative", "page": 2})
    assert [r.annotation.answer.text for r in second.context["rows"]] == [
        "Slechte service nummer 25.",
        "Slechte service nummer 26.",
    ]


def test_comments_trend_gives_the_mood_per_channel_and_month(member):
    client, org = member
    when = timezone.now() - timedelta(days=2)
    with tenant(org):
        _comment("Slechte service.", kind="phone", when=when)
        _comment("Prima geholpen, top!", kind="phone", when=when)
        _comment("Geweldig, dank je wel!", kind="email", when=when)
        services.annotate_comments(method=METHOD)
    response = client.get(reverse("app:text:comments", kwargs={"org": org.slug}))
    trend = {p.channel: p for p in response.context["trend"]}
    assert (trend["phone"].n, trend["phone"].mood) == (2, 2.0)
    assert trend["email"].mood == 3.0
    # The trend shows the mix, so the sentiment filter does not narrow it.
    positive_only = client.get(
        reverse("app:text:comments", kwargs={"org": org.slug}), {"sentiment": "positive"}
    )
    assert {p.channel: p.n for p in positive_only.context["trend"]} == {"phone": 2, "email": 1}
    spec = response.context["trend_spec"]
    assert {v["channel"] for v in spec["data"]["values"]} == {"Telefoon", "E-mail"}  # Dutch page


def test_another_organisations_member_cannot_read_the_comments(member, make_org, make_member):
    client, org = member
    other = make_org("elders")
    client.force_login(make_member("someone@elders.example", other))
    response = client.get(reverse("app:text:comments", kwargs={"org": org.slug}))
    assert response.status_code == 404


def test_social_page_shows_volume_mood_answered_and_response_time(member):
    client, org = member
    base = timezone.localtime(timezone.now() - timedelta(days=30)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    while base.weekday() != 1:  # a Tuesday, office hours all day
        base -= timedelta(days=1)
    stamp = lambda d: d.isoformat()  # noqa: E731
    data = _csv(
        [
            f"1,,klant,{stamp(base)},Slechte service!,x",
            f"2,1,gemeente,{stamp(base + timedelta(hours=3))},Sorry!,x",
            f"3,,klant2,{stamp(base)},Hoe laat zijn jullie open?,x",
            f"4,3,gemeente,{stamp(base + timedelta(hours=1))},Tot 17 uur.,x",
            f"5,,klant3,{stamp(base)},Top geholpen!,x",
        ]
    )
    url = reverse("app:text:social", kwargs={"org": org.slug})
    upload = client.post(url, {"handles": "gemeente", "file": _file("posts.csv", data)})
    assert upload.status_code == 302
    response = client.get(url)
    total = response.context["total"]
    assert total.volume == 3
    assert total.answered_count == 2
    assert total.median_response_hours == pytest.approx(2.0)
    assert total.mood.value == pytest.approx(2.0)
    html = response.content.decode()
    assert 'id="social-volume">3<' in html


def test_a_viewer_reads_the_social_page_but_cannot_import(make_org, make_member, client):
    org = make_org("wadderveen")
    client.force_login(make_member("viewer@wadderveen.example", org, role="viewer"))
    url = reverse("app:text:social", kwargs={"org": org.slug})
    assert client.get(url).status_code == 200
    refused = client.post(url, {"file": _file("p.csv", _csv(["1,,a,2026-03-02T09:00:00Z,hoi,x"]))})
    assert refused.status_code == 403


def test_a_broken_export_is_refused_with_the_reason(member):
    client, org = member
    url = reverse("app:text:social", kwargs={"org": org.slug})
    response = client.post(url, {"file": _file("p.csv", b"id,text\n1,hoi\n")})
    assert response.status_code == 200
    assert "missing columns: posted_at" in response.content.decode()
    with tenant(org):
        assert SocialPost.objects.count() == 0


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_analyse_sentiment_reads_a_csv_without_a_database(tmp_path, capsys):
    path = tmp_path / "comments.csv"
    path.write_text(
        "id;opmerking\n1;Vriendelijk geholpen, dank je wel!\n2;\n3;The agent was rude.\n",
        encoding="utf-8",
    )
    code = main(
        ["analyse", "sentiment", str(path), "--text-column", "opmerking", "--method", "lexicon"]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert [i["label"] for i in result["items"]] == ["positive", "neutral", "negative"]
    assert [i["language"] for i in result["items"]] == ["nl", "und", "en"]
    assert result["items"][0]["drivers"] == ["empathy"]
    assert result["items"][1]["drivers"] == []
    assert result["summary"]["labels"] == {"negative": 1, "neutral": 1, "positive": 1}
    assert result["summary"]["mood"] == 2.0
    assert main(["analyse", "sentiment", str(path), "--text-column", "nope"]) == 2
    assert "no column 'nope'" in capsys.readouterr().err


def test_demo_comments_and_social_posts_are_annotated(db):
    from klantpeil.demo.generate import generate

    generate(seed=5, scale=0.01, today=datetime(2026, 6, 30, tzinfo=UTC).date())
    from klantpeil.collection.models import Answer

    comments = Answer.unscoped_all_tenants.filter(question__indicator="comment").exclude(text="")
    annotated = CommentAnnotation.unscoped_all_tenants.count()
    assert annotated == comments.count() > 0
    posts = SocialPost.unscoped_all_tenants
    assert posts.filter(from_organisation=True, in_reply_to__isnull=False).exists()
    assert posts.filter(in_reply_to__isnull=True, from_organisation=False).count() > 50


def test_the_comments_page_costs_the_same_queries_for_few_or_many_comments(member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, org = member
    url = reverse("app:text:comments", kwargs={"org": org.slug})

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    with tenant(org):
        for i in range(2):
            _comment(f"Slechte service {i}.", kind=("phone", "email")[i % 2])
        services.annotate_comments(method=METHOD)
    queries()  # the first visit also sets up the session and its audit trail
    few = queries()
    with tenant(org):
        for i in range(20):
            _comment(f"Prima geholpen {i}.", kind=("phone", "email", "counter")[i % 3])
        services.annotate_comments(method=METHOD)
    assert queries() == few


def test_the_social_page_names_a_bad_period_and_shows_an_empty_one(member):
    client, org = member
    url = reverse("app:text:social", kwargs={"org": org.slug})
    bad = client.get(url, {"period": "soon"})
    # Issue 20: the error stands beside the field, and no figures are shown.
    assert bad.status_code == 200
    assert "‘soon’ is geen periode" in bad.content.decode()
    assert bad.context["total"] is None and bad.context["months"] == []
    empty = client.get(url, {"period": "2001-Q1"})
    assert empty.context["total"].volume == 0
    assert empty.context["months"] == []


def test_the_report_sample_and_the_comments_page_show_the_same_comments(member):
    """One definition of "a comment": the report's sample and the comments page agree.

    Grades 1–5 and 8–10 only, and fewer than the sample's six low and three high, so the
    report shows every comment; an empty comment and a survey without one are in neither."""
    from klantpeil.collection.selectors import MeasurementFilter
    from klantpeil.reports.content import _comment_sample

    client, org = member
    written = {
        "Veel te lang in de wacht gestaan.": 4,
        "The agent was rude.": 3,
        "Niemand belde terug.": 5,
        "Vriendelijk geholpen, dank je wel!": 9,
        "Snel en goed.": 8,
    }
    with tenant(org):
        for text, grade in written.items():
            _comment(text, grade=grade, kind="counter")
        _comment("", grade=2)
        record_measurement(
            version=latest_version(key="customer-survey"),
            answers=CUSTOMER_SURVEY_ANSWERS,
            source="api",
            channel=Channel.objects.get(kind="counter"),
            occurred_at=timezone.now() - timedelta(days=2),
        )
        assert services.annotate_comments(method=METHOD) == 5
        in_report = sorted(c.text for c in _comment_sample(MeasurementFilter(), seed="s"))
    page = client.get(reverse("app:text:comments", kwargs={"org": org.slug}))
    on_page = sorted(r.annotation.answer.text for r in page.context["rows"])
    assert in_report == on_page == sorted(written)
