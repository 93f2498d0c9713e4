"""The study infographic: what it says, in both languages, and that it is a real picture."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from matplotlib.image import imread

from klantpeil.analytics.infographic import as_kpis, headline, render
from klantpeil.cli import main
from klantpeil.cli.analysis import mail_kpis_from_file
from klantpeil.metrics.reachability import (
    Norms,
    ReachabilityCounts,
    proportion_kpi,
    reachability_kpis,
)

DATA = Path(__file__).parent / "data"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# 40 calls, hand-counted. Against the NEN 8878 defaults three norms are missed:
# connected 38/40 = 95% (norm 99%: 4 points short), within 15 s 30/38 = 78.9% (norm 85%:
# 6.1 short, the largest), helped 34/40 = 85% (norm 90%: 5 short). Without a norm:
# 12 transferred, 2 back at the operator (16.7%) and 3 in voicemail (25%); 3 of 4
# callbacks in time (75%); 21 of 30 answers correct (70%); empathy in 19 of 38 (50%).
COUNTS = ReachabilityCounts(
    calls=40,
    connected=38,
    within_norm=30,
    transferred=12,
    transferred_to_operator=2,
    transferred_to_voicemail=3,
    callbacks_promised=4,
    callbacks_in_time=3,
    helped=34,
    answers_given=30,
    answers_correct=21,
    empathy_shown=19,
)
KPIS = reachability_kpis(COUNTS, Norms())
PERCENTAGES = ["95%", "79%", "17%", "25%", "75%", "85%", "70%", "50%"]
COUNTS_SHOWN = ["n = 40", "n = 38", "n = 4", "n = 30"]


def svg_of(kpis=KPIS, **options) -> str:
    options.setdefault("title", "Gemeente Test")
    return render(kpis, **options).decode("utf-8")


def test_the_headline_names_the_largest_shortfall():
    assert headline(KPIS, "nl") == "Grootste tekort: Snel opgenomen (binnen norm) 79%, norm 85%"
    assert headline(KPIS, "en") == "Largest shortfall: Answered within the norm 79%, norm 85%"


def test_the_headline_without_a_shortfall():
    good = reachability_kpis(ReachabilityCounts(calls=10, connected=10, within_norm=10, helped=10))
    assert headline(good, "en") == "All norms met"
    assert headline(reachability_kpis(ReachabilityCounts()), "nl") == "Nog geen gegevens"
    # E-mail has no norms: the lowest share is named instead, never "all norms met".
    emails, _ = mail_kpis_from_file(str(DATA / "mystery_emails.csv"), 16)
    expected = "No norms set; lowest score: Complete answer 33%"
    assert headline(emails, "en", "mystery-email") == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "nl",
            [
                "Grootste tekort: Snel opgenomen (binnen norm) 79%, norm 85%",
                "3 van de 3 normen niet gehaald",
                "Technisch bereikbaar",
                "Snel opgenomen (binnen norm)",
                "Na doorverbinden terug bij telefonist",
                "Na doorverbinden in voicemail",
                "Binnen 24 uur teruggebeld",
                "Beller geholpen",
                "Juist antwoord",
                "Empathie getoond",
                "n = 12 · lager is beter",
                "geen norm",
                "40 gesprekken",
                "95%-betrouwbaarheidsinterval (Wilson)",
            ],
        ),
        (
            "en",
            [
                "Largest shortfall: Answered within the norm 79%, norm 85%",
                "3 of the 3 norms not met",
                "Technically reachable",
                "Answered within the norm",
                "Back at operator after transfer",
                "In voicemail after transfer",
                "Called back within 24 hours",
                "Caller helped",
                "Correct answer",
                "Empathy shown",
                "n = 12 · lower is better",
                "no norm",
                "40 calls",
                "95% confidence interval (Wilson)",
            ],
        ),
    ],
)
def test_the_svg_carries_the_figures_as_text(lang, expected):
    svg = svg_of(subtitle="september 2026", lang=lang)
    assert svg.startswith("<?xml")
    assert "Gemeente Test" in svg and "september 2026" in svg
    for text in [*expected, *PERCENTAGES, *COUNTS_SHOWN, "norm 99%", "norm 85%", "norm 90%"]:
        assert f">{text}<" in svg, text  # each a text element of its own: searchable
    missed = {"nl": "✗ onder norm", "en": "✗ below norm"}[lang]
    assert svg.count(f">{missed}<") == 3  # the verdict in words, not only in colour
    assert "#d55e00" in svg.lower()  # and the shortfalls' marks in Okabe–Ito vermillion


def test_rounding_never_hides_a_verdict_and_dutch_uses_a_decimal_comma():
    # 139 of 141 is 98.58%: as a whole percentage "99%", which would seem to meet 99%.
    kpis = {"technically_reachable_rate": proportion_kpi(139, 141, 0.99)}
    assert ">98,6%<" in svg_of(kpis, lang="nl") and ">98.6%<" in svg_of(kpis, lang="en")
    assert headline(kpis, "nl") == "Grootste tekort: Technisch bereikbaar 98,6%, norm 99%"
    assert ">1.234 gesprekken<" in svg_of(kpis, calls=1234)


def test_a_measurement_point_without_data_shows_a_dash_and_says_so():
    empty = reachability_kpis(ReachabilityCounts(calls=5, connected=5, within_norm=5, helped=5))
    svg = svg_of(empty, lang="en")
    assert ">–<" in svg and ">no data<" in svg and ">n = 0<" in svg
    assert ">geen gegevens<" in svg_of(empty, lang="nl")


def test_the_email_kpis_in_their_json_shape_give_the_same_picture():
    kpis, emails = mail_kpis_from_file(str(DATA / "mystery_emails.csv"), 16)
    as_json = {name: k.as_dict() if hasattr(k, "as_dict") else k for name, k in kpis.items()}
    assert as_kpis(as_json)["answered_rate"] == kpis["answered_rate"]
    options = {"protocol": "mystery-email", "calls": emails, "lang": "nl"}
    assert svg_of(as_json, **options) == svg_of(kpis, **options)
    svg = svg_of(kpis, **options)
    # 2 of 4 answered within 16 business hours, 3 of 4 answered at all, the median of
    # 2, 11 and 16 business hours, a mean tone of (4 + 3 + 5) / 3.
    for text in ["Binnen twee werkdagen beantwoord", "50%", "75%", "11,0 uur", "4,0", "4 e-mails"]:
        assert f">{text}<" in svg, text


def test_the_svg_is_the_same_every_time():
    assert render(KPIS, title="x") == render(KPIS, title="x")
    assert render(KPIS, title="x", fmt="png") == render(KPIS, title="x", fmt="png")


def test_the_png_is_an_a4_landscape_picture_at_150_dpi():
    png = render(KPIS, title="x", fmt="png", lang="en")
    assert png[:8] == PNG_SIGNATURE
    assert imread(io.BytesIO(png)).shape[:2] == (1240, 1753)  # 8.27 × 11.69 in


def test_many_measurement_points_make_the_page_taller_not_the_text_smaller():
    kpis = {f"point {i}": proportion_kpi(i, 20) for i in range(1, 21)}
    png = render(kpis, title="x", fmt="png", protocol="mystery-counter")
    height, width = imread(io.BytesIO(png)).shape[:2]
    assert width == 1753 and height > 1240


def test_unknown_language_format_or_protocol_is_refused():
    with pytest.raises(ValueError, match="language"):
        render(KPIS, title="x", lang="de")
    with pytest.raises(ValueError, match="format"):
        render(KPIS, title="x", fmt="pdf")
    with pytest.raises(ValueError, match="protocol"):
        render(KPIS, title="x", protocol="mystery-fax")


# 5 calls: connected 4 of 5 (80%, norm 99%: 19 points short); within 15 s 3 of the 4
# answered (75%, norm 85%: 10 short); helped 3 of 5 (60%, norm 90%: 30 short, the largest:
# call 3 ended at the operator and its callback came after 30 h, past the 24 h term).
CALLS_CSV = """\
connected;seconds_to_answer;ivr_options;transferred;ended_at;callback_promised;callback_hours;answer_correct;empathy
ja;8;2;nee;right_person;nee;;ja;ja
ja;12;2;nee;right_person;nee;;ja;ja
ja;30;2;ja;operator;ja;30;nee;nee
nee;;;;disconnected;;;;
ja;10;0;ja;colleague;nee;;ja;ja
"""


def test_the_command_writes_svg_and_png(tmp_path, capsys):
    calls = tmp_path / "calls.csv"
    calls.write_text(CALLS_CSV, encoding="utf-8")
    svg, png = tmp_path / "calls.svg", tmp_path / "calls.png"

    argv = ["analyse", "infographic", str(calls), "-o", str(svg), "--title", "Gemeente X"]
    assert main([*argv, "--lang", "en"]) == 0
    assert capsys.readouterr().out == f"{svg}: Largest shortfall: Caller helped 60%, norm 90%\n"
    text = svg.read_text(encoding="utf-8")
    for expected in ["Gemeente X", "Caller helped", "60%", "80%", "n = 5", "norm 90%", "5 calls"]:
        assert f">{expected}<" in text, expected

    assert main(["analyse", "infographic", str(calls), "-o", str(png)]) == 0
    assert capsys.readouterr().out == f"{png}: Grootste tekort: Beller geholpen 60%, norm 90%\n"
    assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_the_command_draws_mystery_emails(tmp_path, capsys):
    out = tmp_path / "emails.svg"
    emails = str(DATA / "mystery_emails.csv")
    argv = ["analyse", "infographic", emails, "--protocol", "mystery-email", "-o", str(out)]
    assert main([*argv, "--lang", "en"]) == 0
    assert capsys.readouterr().out.endswith("No norms set; lowest score: Complete answer 33%\n")
    assert ">Answered within two working days<" in out.read_text(encoding="utf-8")


def test_the_command_refuses_other_extensions_and_bad_files(tmp_path, capsys):
    calls = tmp_path / "calls.csv"
    calls.write_text(CALLS_CSV, encoding="utf-8")
    assert main(["analyse", "infographic", str(calls), "-o", str(tmp_path / "x.pdf")]) == 2
    assert "must end in .svg or .png" in capsys.readouterr().err
    broken = tmp_path / "broken.csv"
    broken.write_text("connected;ended_at\nja;right_person\n", encoding="utf-8")
    assert main(["analyse", "infographic", str(broken), "-o", str(tmp_path / "x.svg")]) == 2
    assert "missing column(s)" in capsys.readouterr().err
    assert not (tmp_path / "x.svg").exists()
