"""The one-page infographic of a mystery study: in one look, what is wrong.

An A4-landscape page. At the top the headline names the measurement point furthest
below its norm, with a tally of the norms missed. Below it one row per measurement
point: its label and n, the figure, a bar with the 95% Wilson interval as a whisker and
the norm as a tick, and the verdict in words and symbol (✓/✗), so colour is never the
only cue. Colours are Okabe–Ito (safe for colour-blind readers) on the marks; text uses
darker shades of the same hues so it stays readable (contrast ≥ 4.5:1 on white).

Rows keep the protocol's fixed order (for a call: from reaching the organisation to
being helped) rather than being sorted by shortfall: two studies, and the picture and
the table on the study page, can then be compared row by row. Shortfalls stand out
anyway: a tinted band with a vermillion edge, a bold label, ✗ and the colour.

Percentages are whole numbers, except where rounding would hide the verdict (98.6%
against a norm of 99% shows as "98,6%", not "99%"); Dutch output uses a decimal comma.

Rendered with matplotlib's object API (no pyplot, no global backend) in DejaVu Sans,
which ships with matplotlib, so the picture is the same on every machine. SVG keeps
text as text (searchable, small) and is byte-for-byte the same for the same input.
Plain module: shared by the CLI, the web app and reports, so labels live here, not in
gettext.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Rectangle

from klantpeil.metrics.stats import Estimate, from_dict

FORMATS = ("svg", "png")
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
LANGUAGES = ("nl", "en")
# The study protocols of the app; phone and e-mail have labels here, the others are
# summaries keyed by the protocol's own question labels, shown as they are.
PROTOCOLS = ("mystery-phone", "mystery-email", "mystery-chat", "mystery-social", "mystery-counter")

# Okabe–Ito for marks; darker shades of the same hues for text.
MET, MISSED, NO_NORM = "#009E73", "#D55E00", "#0072B2"
MET_TEXT, MISSED_TEXT, NO_NORM_TEXT = "#00704F", "#A94400", "#005A8C"
INK, MUTED, FAINT, TRACK, RULE = "#1A1A1A", "#5F6B76", "#8A949E", "#E6E9ED", "#DDE1E6"
WHISKER = "#333333"
MISSED_BAND, MET_BAND, NEUTRAL_BAND = "#FBEDE5", "#E8F5F0", "#EEF2F6"

WIDTH, HEIGHT = 11.69, 8.27  # A4 landscape, inches
DPI = 150
MAX_ROW = 0.68  # inches; more rows than fit on A4 make the page taller, not the text smaller
MIN_ROW = 0.5

LABELS = {
    "technically_reachable_rate": ("Technisch bereikbaar", "Technically reachable"),
    "answered_within_norm_rate": ("Snel opgenomen (binnen norm)", "Answered within the norm"),
    "back_to_operator_rate": (
        "Na doorverbinden terug bij telefonist",
        "Back at operator after transfer",
    ),
    "voicemail_rate": ("Na doorverbinden in voicemail", "In voicemail after transfer"),
    "callback_within_24h_rate": ("Binnen 24 uur teruggebeld", "Called back within 24 hours"),
    "helped_rate": ("Beller geholpen", "Caller helped"),
    "correct_answer_rate": ("Juist antwoord", "Correct answer"),
    "empathy_rate": ("Empathie getoond", "Empathy shown"),
    "correct_rate": ("Juist antwoord", "Correct answer"),
    "complete_rate": ("Volledig antwoord", "Complete answer"),
    "answered_rate": ("Beantwoord", "Answered"),
    "median_business_hours": ("Reactietijd", "Response time"),
    "mean_tone": ("Toon", "Tone"),
}
# The same measurement point means something else for an e-mail.
EMAIL_LABELS = {
    "answered_within_norm_rate": (
        "Binnen twee werkdagen beantwoord",
        "Answered within two working days",
    ),
}
# What a figure that is not a share is, shown where the bar would be.
STATISTIC_NOTES = {
    "median_business_hours": ("mediaan, in kantooruren", "median, in business hours"),
    "mean_tone": ("gemiddelde op een schaal van 1 tot 5", "mean on a scale of 1 to 5"),
}
STATISTIC_UNITS = {"median_business_hours": (" uur", " h")}
# Lower is better for these: a "norm" would be a ceiling, and none is set by default.
LOWER_IS_BETTER = {"back_to_operator_rate", "voicemail_rate"}
WORDS = {
    "nl": {
        "met": "✓ gehaald",
        "missed": "✗ onder norm",
        "none": "geen norm",
        "nodata": "geen gegevens",
        "norm": "norm",
        "worst": "Grootste tekort: {label} {value}, norm {norm}",
        "fine": "Alle normen gehaald",
        "no_norms": "Geen normen vastgesteld; laagste score: {label} {value}",
        "empty": "Nog geen gegevens",
        "tally_missed": "{missed} van de {total} normen niet gehaald",
        "tally_met": "{total} van de {total} normen gehaald",
        "lower": "lager is beter",
        "point": "Meetpunt",
        "score": "Score",
        "verdict": "Oordeel",
        "interval": "95%-betrouwbaarheidsinterval (Wilson)",
        "norm_legend": "norm",
        "contacts": {"mystery-phone": "gesprekken", "mystery-email": "e-mails"},
        "contacts_other": "contacten",
        "kind": {
            "mystery-phone": "Mystery calling · NEN 8878",
            "mystery-email": "Mystery e-mail",
            "mystery-chat": "Mystery chat",
            "mystery-social": "Mystery sociale media",
            "mystery-counter": "Mystery baliebezoek",
        },
    },
    "en": {
        "met": "✓ met",
        "missed": "✗ below norm",
        "none": "no norm",
        "nodata": "no data",
        "norm": "norm",
        "worst": "Largest shortfall: {label} {value}, norm {norm}",
        "fine": "All norms met",
        "no_norms": "No norms set; lowest score: {label} {value}",
        "empty": "No data yet",
        "tally_missed": "{missed} of the {total} norms not met",
        "tally_met": "{total} of the {total} norms met",
        "lower": "lower is better",
        "point": "Measurement point",
        "score": "Score",
        "verdict": "Verdict",
        "interval": "95% confidence interval (Wilson)",
        "norm_legend": "norm",
        "contacts": {"mystery-phone": "calls", "mystery-email": "e-mails"},
        "contacts_other": "contacts",
        "kind": {
            "mystery-phone": "Mystery calling · NEN 8878",
            "mystery-email": "Mystery e-mail",
            "mystery-chat": "Mystery chat",
            "mystery-social": "Mystery social media",
            "mystery-counter": "Mystery counter visit",
        },
    },
}
# rcParams are global and matplotlib is not thread-safe; the web server renders in threads.
_LOCK = threading.Lock()


def as_kpis(kpis: Mapping[str, object]) -> dict[str, Estimate]:
    """Estimates, or the dicts ``Estimate.as_dict()`` gives (as the CLI's ``--format
    json`` prints them), as estimates: shares with their interval, medians and means
    with their n."""
    result: dict[str, Estimate] = {}
    for name, kpi in kpis.items():
        if isinstance(kpi, Estimate):
            result[name] = kpi
        elif isinstance(kpi, Mapping) and "value" in kpi:
            result[name] = from_dict(kpi)
        else:
            raise ValueError(f"{name}: not a KPI: {kpi!r}")
    return result


def _decimal(text: str, lang: str) -> str:
    return text.replace(".", ",") if lang == "nl" else text


def _percent(value: float | None, lang: str, norm: float | None = None) -> str:
    """Whole percentages, one decimal where rounding would hide the verdict."""
    if value is None:
        return "–"
    whole = round(100 * value)
    hides = (
        (norm is not None and whole == round(100 * norm) and value < norm)
        or (whole == 100 and value < 1)
        or (whole == 0 and value > 0)
    )
    if hides:
        return _decimal(f"{100 * value:.1f}%", lang)
    return f"{whole}%"


def _count(n: int, lang: str) -> str:
    text = f"{n:,}"
    return text.replace(",", ".") if lang == "nl" else text


def _statistic(name: str, value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    units = STATISTIC_UNITS.get(name, ("", ""))
    return _decimal(f"{value:.1f}", lang) + units[LANGUAGES.index(lang)]


def _label(name: str, lang: str, protocol: str = "mystery-phone") -> str:
    labels = {**LABELS, **EMAIL_LABELS} if protocol == "mystery-email" else LABELS
    pair = labels.get(name, (name, name))
    return pair[LANGUAGES.index(lang)]


def _check(lang: str, protocol: str, fmt: str = "svg") -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use nl or en")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use svg or png")
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")


def headline(kpis: Mapping[str, object], lang: str = "nl", protocol: str = "mystery-phone") -> str:
    """The sentence at the top: the measurement point furthest below its norm."""
    _check(lang, protocol)
    words = WORDS[lang]
    rates = {name: k for name, k in as_kpis(kpis).items() if k.is_share}
    short = [
        (kpi.norm - kpi.value, name, kpi)
        for name, kpi in rates.items()
        if kpi.meets_norm is False and kpi.value is not None and kpi.norm is not None
    ]
    if short:
        _gap, name, kpi = max(short, key=lambda s: s[0])
        return words["worst"].format(
            label=_label(name, lang, protocol),
            value=_percent(kpi.value, lang, kpi.norm),
            norm=_percent(kpi.norm, lang),
        )
    if any(k.meets_norm for k in rates.values()):
        return words["fine"]
    scored = [
        (k.value, name)
        for name, k in rates.items()
        if k.value is not None and name not in LOWER_IS_BETTER
    ]
    if not scored:
        return words["empty"]
    value, name = min(scored)
    return words["no_norms"].format(label=_label(name, lang, protocol), value=_percent(value, lang))


def _tally(rates: list[Estimate], lang: str) -> str:
    judged = [k for k in rates if k.meets_norm is not None]
    if not judged:
        return ""
    missed = sum(1 for k in judged if k.meets_norm is False)
    key = "tally_missed" if missed else "tally_met"
    return WORDS[lang][key].format(missed=missed, total=len(judged))


def render(
    kpis: Mapping[str, object],
    *,
    protocol: str = "mystery-phone",
    title: str,
    subtitle: str = "",
    lang: str = "nl",
    fmt: str = "svg",
    calls: int | None = None,
) -> bytes:
    """The infographic as SVG (UTF-8, text kept as text) or PNG (150 dpi).

    ``kpis``: what ``reachability_kpis`` or ``email_kpis`` return (estimates: shares, and
    for e-mail a median and a mean without an interval), or their ``as_dict()`` form.
    ``calls``: the number of contacts in the study; default the largest n.
    """
    _check(lang, protocol, fmt)
    rows = list(as_kpis(kpis).items())
    settings = {
        "font.family": "DejaVu Sans",
        "svg.fonttype": "none",
        "svg.hashsalt": "klantpeil",
    }
    with _LOCK, rc_context(settings):
        page = _Page(rows, protocol, title, subtitle, lang, calls)
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        page.figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


class _Page:
    """Lays the page out; positions in inches from the top left."""

    LEFT, RIGHT = 0.5, 0.5
    SCORE_RIGHT = 5.35  # the figures are right-aligned here
    BAR_LEFT, BAR_WIDTH = 5.6, 3.3
    VERDICT_LEFT = 9.25
    TOP_OF_ROWS = 2.75
    FOOTER = 0.95

    def __init__(
        self,
        rows: list[tuple[str, Estimate]],
        protocol: str,
        title: str,
        subtitle: str,
        lang: str,
        calls: int | None,
    ) -> None:
        self.rows, self.protocol, self.lang = rows, protocol, lang
        self.words = WORDS[lang]
        room = HEIGHT - self.TOP_OF_ROWS - self.FOOTER
        self.row = min(MAX_ROW, room / max(len(rows), 1))
        self.height = HEIGHT
        if self.row < MIN_ROW:
            self.row = MIN_ROW
            self.height = self.TOP_OF_ROWS + self.FOOTER + MIN_ROW * len(rows)
        self.figure = Figure(figsize=(WIDTH, self.height), dpi=DPI, facecolor="white")
        FigureCanvasAgg(self.figure)
        self._heading(title, subtitle)
        self._headline()
        self._column_heads()
        for index, (name, kpi) in enumerate(rows):
            self._row(self.TOP_OF_ROWS + index * self.row, name, kpi)
        total = calls if calls is not None else max((k.n for _, k in rows), default=0)
        self._footer(total)

    def _x(self, inches: float) -> float:
        return inches / WIDTH

    def _y(self, inches: float) -> float:
        return 1 - inches / self.height

    def text(self, x: float, y: float, text: str, **style) -> None:
        style.setdefault("color", INK)
        style.setdefault("va", "baseline")
        self.figure.text(self._x(x), self._y(y), text, **style)

    def box(self, x: float, y: float, width: float, height: float, colour: str) -> None:
        self.figure.add_artist(
            Rectangle(
                (self._x(x), self._y(y + height)),
                width / WIDTH,
                height / self.height,
                transform=self.figure.transFigure,
                facecolor=colour,
                edgecolor="none",
                zorder=-1,  # behind the bars (axes are at 0)
            )
        )

    def rule(self, y: float, colour: str = RULE, width: float = 0.8) -> None:
        self.figure.add_artist(
            Line2D(
                [self._x(self.LEFT), self._x(WIDTH - self.RIGHT)],
                [self._y(y), self._y(y)],
                transform=self.figure.transFigure,
                color=colour,
                linewidth=width,
                zorder=-1,
            )
        )

    def small_axes(self, x: float, y: float, width: float, height: float):
        """Axes from (x, y) top left, in inches, for marks drawn on a 0–1 scale."""
        axes = self.figure.add_axes(
            (self._x(x), self._y(y + height), width / WIDTH, height / self.height)
        )
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
        axes.axis("off")
        return axes

    def _heading(self, title: str, subtitle: str) -> None:
        if len(title) > 70:
            title = title[:69] + "…"
        self.text(self.LEFT, 0.72, title, fontsize=22, weight="bold")
        kind = self.words["kind"][self.protocol]
        line = f"{subtitle} · {kind}" if subtitle else kind
        self.text(self.LEFT, 1.08, line, fontsize=11.5, color=MUTED)

    def _headline(self) -> None:
        rates = [k for _, k in self.rows if k.is_share]
        sentence = headline(dict(self.rows), self.lang, self.protocol)
        missed = any(k.meets_norm is False for k in rates)
        met = not missed and any(k.meets_norm for k in rates)
        if missed:
            band, mark, colour, symbol = MISSED_BAND, MISSED, MISSED_TEXT, "✗"
        elif met:
            band, mark, colour, symbol = MET_BAND, MET, MET_TEXT, "✓"
        else:
            band, mark, colour, symbol = NEUTRAL_BAND, NO_NORM, INK, "i"
        top, height = 1.35, 0.95
        self.box(self.LEFT, top, WIDTH - self.LEFT - self.RIGHT, height, band)
        self.box(self.LEFT, top, 0.07, height, mark)
        centre_x, centre_y = self.LEFT + 0.5, top + height / 2
        self.figure.add_artist(
            Circle(
                (centre_x, self.height - centre_y),
                0.24,
                transform=self.figure.dpi_scale_trans,  # inches, so the circle stays round
                facecolor=mark,
                edgecolor="none",
            )
        )
        self.text(
            centre_x,
            centre_y,
            symbol,
            fontsize=17,
            weight="bold",
            color="white",
            ha="center",
            va="center_baseline",
        )
        tally = _tally(rates, self.lang)
        text_x = self.LEFT + 0.95
        if tally:
            self.text(text_x, top + 0.45, sentence, fontsize=16.5, weight="bold", color=colour)
            self.text(text_x, top + 0.76, tally, fontsize=11, color=MUTED)
        else:
            self.text(text_x, top + 0.56, sentence, fontsize=16.5, weight="bold", color=colour)

    def _column_heads(self) -> None:
        y = self.TOP_OF_ROWS - 0.14
        style = {"fontsize": 9, "color": MUTED, "weight": "bold"}
        self.text(self.LEFT + 0.2, y, self.words["point"].upper(), **style)
        self.text(self.SCORE_RIGHT, y, self.words["score"].upper(), ha="right", **style)
        for share in (0, 0.25, 0.5, 0.75, 1):
            self.text(
                self.BAR_LEFT + share * self.BAR_WIDTH,
                y,
                f"{round(share * 100)}%",
                fontsize=8.5,
                color=FAINT,
                ha="center",
            )
        self.text(self.VERDICT_LEFT, y, self.words["verdict"].upper(), **style)
        self.rule(self.TOP_OF_ROWS, colour="#B8BFC7", width=1)

    def _status(self, kpi: Estimate) -> tuple[str, str, str]:
        """The verdict in words, the colour of the marks and of the text."""
        words = self.words
        if kpi.n == 0 or kpi.value is None:
            return words["nodata"], FAINT, MUTED
        if not kpi.is_share or kpi.meets_norm is None:
            return words["none"], NO_NORM, NO_NORM_TEXT
        if kpi.meets_norm:
            return words["met"], MET, MET_TEXT
        return words["missed"], MISSED, MISSED_TEXT

    def _row(self, top: float, name: str, kpi: Estimate) -> None:
        row, words, lang = self.row, self.words, self.lang
        missed = kpi.is_share and kpi.meets_norm is False and kpi.n > 0
        bold = "bold" if missed else "normal"
        if missed:
            self.box(self.LEFT, top, WIDTH - self.LEFT - self.RIGHT, row, MISSED_BAND)
            self.box(self.LEFT, top, 0.07, row, MISSED)
        self.rule(top + row)
        status, mark, ink = self._status(kpi)
        middle = top + row / 2
        label = _label(name, lang, self.protocol)
        if len(label) > 46:
            label = label[:45] + "…"
        self.text(self.LEFT + 0.2, middle - 0.02, label, fontsize=12.5, weight=bold)
        note = f"n = {_count(kpi.n, lang)}"
        if name in LOWER_IS_BETTER:
            note += f" · {words['lower']}"
        self.text(self.LEFT + 0.2, middle + 0.2, note, fontsize=9.5, color=MUTED)
        if not kpi.is_share:
            value = _statistic(name, kpi.value, lang)
        else:
            value = _percent(kpi.value, lang, kpi.norm)
        self.text(
            self.SCORE_RIGHT,
            middle + 0.12,
            value,
            fontsize=23,
            weight="bold",
            color=ink,
            ha="right",
        )
        if kpi.is_share:
            self._bar(middle, kpi, mark)
        elif name in STATISTIC_NOTES:
            note = STATISTIC_NOTES[name][LANGUAGES.index(lang)]
            self.text(self.BAR_LEFT, middle + 0.05, note, fontsize=10, color=MUTED, style="italic")
        if kpi.n and kpi.is_share and kpi.norm is not None:
            self.text(
                self.VERDICT_LEFT, middle - 0.02, status, fontsize=11.5, color=ink, weight=bold
            )
            norm = f"{words['norm']} {_percent(kpi.norm, lang)}"
            self.text(self.VERDICT_LEFT, middle + 0.2, norm, fontsize=9.5, color=MUTED)
        else:
            self.text(self.VERDICT_LEFT, middle + 0.05, status, fontsize=11, color=ink)

    def _bar(self, middle: float, kpi: Estimate, mark: str) -> None:
        height = min(0.34, self.row * 0.5)
        axes = self.small_axes(self.BAR_LEFT, middle - height / 2, self.BAR_WIDTH, height)
        axes.barh(0.5, 1, height=0.56, color=TRACK, linewidth=0)
        for share in (0.25, 0.5, 0.75):
            axes.plot([share, share], [0.22, 0.78], color="white", linewidth=1)
        if kpi.value is not None:
            axes.barh(0.5, kpi.value, height=0.56, color=mark, linewidth=0)
            if kpi.ci_low is not None and kpi.ci_high is not None:
                axes.plot([kpi.ci_low, kpi.ci_high], [0.5, 0.5], color=WHISKER, linewidth=1.4)
                for end in (kpi.ci_low, kpi.ci_high):
                    axes.plot([end, end], [0.32, 0.68], color=WHISKER, linewidth=1.4)
        if kpi.norm is not None:
            axes.plot([kpi.norm, kpi.norm], [0, 1], color=INK, linewidth=3, clip_on=False)

    def _footer(self, total: int) -> None:
        words, lang = self.words, self.lang
        y = self.height - 0.42
        self.rule(self.height - self.FOOTER + 0.2, colour="#B8BFC7", width=1)
        noun = words["contacts"].get(self.protocol, words["contacts_other"])
        self.text(self.LEFT, y, f"{_count(total, lang)} {noun}", fontsize=10, weight="bold")
        # The legend: a sample whisker and a sample norm tick, each with its meaning.
        x = self.LEFT + 1.55
        whisker = self.small_axes(x, y - 0.18, 0.42, 0.2)
        whisker.plot([0.1, 0.9], [0.5, 0.5], color=WHISKER, linewidth=1.4)
        for end in (0.1, 0.9):
            whisker.plot([end, end], [0.2, 0.8], color=WHISKER, linewidth=1.4)
        self.text(x + 0.5, y, words["interval"], fontsize=10, color=MUTED)
        x += 0.5 + 0.075 * len(words["interval"]) + 0.35
        tick = self.small_axes(x, y - 0.25, 0.1, 0.3)
        tick.plot([0.5, 0.5], [0, 1], color=INK, linewidth=3)
        self.text(x + 0.18, y, words["norm_legend"], fontsize=10, color=MUTED)
        self.text(WIDTH - self.RIGHT, y, "Klantpeil", fontsize=10, color=FAINT, ha="right")
