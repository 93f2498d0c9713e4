"""The one-page infographic of a mystery study: in one look, what is wrong.

One row per measurement point: the figure, a bar with its 95% interval and the
norm as a tick, and the verdict in words and symbol, so colour is never the
only cue (Okabe–Ito colours, safe for colour-blind readers). The headline
names the largest shortfall against a norm. Rows keep the protocol's fixed
order (the path of a call, from reaching the organisation to being helped), so
two studies can be compared at a glance; shortfalls stand out by colour, mark
and weight. Rendered with matplotlib's object API (no pyplot, no global
backend), DejaVu Sans from matplotlib itself, deterministic SVG. Plain module:
shared by the CLI, the web app and reports, so labels live here, not in gettext.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from klantpeil.analytics.reachability import Kpi

MET, MISSED, NO_NORM, INTERVAL, INK, MUTED = (
    "#009E73",
    "#D55E00",
    "#0072B2",
    "#555555",
    "#1a1a1a",
    "#5f6b76",
)
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
}
# The same measurement point means something else for an e-mail.
EMAIL_LABELS = {
    "answered_within_norm_rate": (
        "Binnen twee werkdagen beantwoord",
        "Answered within two working days",
    ),
}
# Lower is better for these: a "norm" would be a ceiling, and none is set by default.
LOWER_IS_BETTER = {"back_to_operator_rate", "voicemail_rate"}
WORDS = {
    "nl": {
        "met": "✓ gehaald",
        "missed": "✗ niet gehaald",
        "none": "geen norm",
        "nodata": "geen gegevens",
        "norm": "norm",
        "worst": "Grootste tekort: {label} {value}, norm {norm}",
        "fine": "Alle normen gehaald",
        "footer": "{calls} contacten · balk: 95%-betrouwbaarheidsinterval (Wilson) · streep: norm",
        "lower": "lager is beter",
    },
    "en": {
        "met": "✓ met",
        "missed": "✗ not met",
        "none": "no norm",
        "nodata": "no data",
        "norm": "norm",
        "worst": "Largest shortfall: {label} {value}, norm {norm}",
        "fine": "All norms met",
        "footer": "{calls} contacts · bar: 95% confidence interval (Wilson) · tick: norm",
        "lower": "lower is better",
    },
}
FORMATS = ("svg", "png")
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def _percent(value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    return f"{round(100 * value)}%"


def _count(n: int, lang: str) -> str:
    text = f"{n:,}"
    return text.replace(",", ".") if lang == "nl" else text


def _label(name: str, lang: str, protocol: str = "mystery-phone") -> str:
    labels = {**LABELS, **EMAIL_LABELS} if protocol == "mystery-email" else LABELS
    pair = labels.get(name, (name, name))
    return pair[0] if lang == "nl" else pair[1]


def headline(kpis: Mapping[str, Kpi], lang: str = "nl", protocol: str = "mystery-phone") -> str:
    """The sentence at the top: the measurement point furthest below its norm."""
    words = WORDS[lang]
    short = [
        (kpi.norm - kpi.value, name, kpi)
        for name, kpi in kpis.items()
        if isinstance(kpi, Kpi) and kpi.meets_norm is False and kpi.value is not None
    ]
    if not short:
        return words["fine"]
    _gap, name, kpi = max(short, key=lambda s: s[0])
    return words["worst"].format(
        label=_label(name, lang, protocol),
        value=_percent(kpi.value, lang),
        norm=_percent(kpi.norm, lang),
    )


def render(
    kpis: Mapping[str, Kpi],
    *,
    title: str,
    subtitle: str = "",
    lang: str = "nl",
    fmt: str = "svg",
    calls: int | None = None,
    protocol: str = "mystery-phone",
) -> bytes:
    """The infographic as SVG (text kept as text) or PNG (150 dpi)."""
    if lang not in WORDS:
        raise ValueError(f"unknown language {lang!r}; use nl or en")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use svg or png")
    words = WORDS[lang]
    rows = [(name, kpi) for name, kpi in kpis.items() if isinstance(kpi, Kpi)]
    height = 2.2 + 0.62 * len(rows)
    settings = {
        "font.family": "DejaVu Sans",
        "svg.fonttype": "none",
        "svg.hashsalt": "klantpeil",
    }
    with rc_context(settings):
        figure = Figure(figsize=(11.69, height), dpi=150)
        FigureCanvasAgg(figure)
        figure.text(0.03, 1 - 0.45 / height, title, fontsize=18, weight="bold", color=INK)
        if subtitle:
            figure.text(0.03, 1 - 0.75 / height, subtitle, fontsize=11, color=MUTED)
        worst = headline(kpis, lang, protocol)
        colour = MET if worst == words["fine"] else MISSED
        figure.text(0.03, 1 - 1.25 / height, worst, fontsize=15, weight="bold", color=colour)
        top = 1 - 1.75 / height
        step = 0.62 / height
        for i, (name, kpi) in enumerate(rows):
            _row(figure, top - i * step, step, name, kpi, lang, protocol)
        total = calls if calls is not None else max((k.n for _, k in rows), default=0)
        figure.text(
            0.03,
            0.25 / height,
            words["footer"].format(calls=_count(total, lang)),
            fontsize=9,
            color=MUTED,
        )
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        figure.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def _row(
    figure: Figure, y: float, step: float, name: str, kpi: Kpi, lang: str, protocol: str
) -> None:
    words = WORDS[lang]
    if kpi.n == 0 or kpi.value is None:
        status, colour = words["nodata"], MUTED
    elif kpi.meets_norm is None:
        status, colour = words["none"], NO_NORM
    else:
        status, colour = (words["met"], MET) if kpi.meets_norm else (words["missed"], MISSED)
    weight = "bold" if kpi.meets_norm is False else "normal"
    note = f"n = {_count(kpi.n, lang)}"
    if name in LOWER_IS_BETTER:
        note += f" · {words['lower']}"
    figure.text(
        0.03, y - step * 0.35, _label(name, lang, protocol), fontsize=11.5, color=INK, weight=weight
    )
    figure.text(0.03, y - step * 0.75, note, fontsize=9, color=MUTED)
    value = _percent(kpi.value, lang)
    figure.text(0.47, y - step * 0.62, value, fontsize=20, weight="bold", color=colour, ha="right")
    axes = figure.add_axes((0.49, y - step * 0.8, 0.27, step * 0.6))
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.axis("off")
    axes.barh(0.5, 1, height=0.5, color="#e6e9ed")
    if kpi.value is not None:
        axes.barh(0.5, kpi.value, height=0.5, color=colour)
        if kpi.ci_low is not None and kpi.ci_high is not None:
            axes.plot([kpi.ci_low, kpi.ci_high], [0.5, 0.5], color=INTERVAL, linewidth=1.5)
            for end in (kpi.ci_low, kpi.ci_high):
                axes.plot([end, end], [0.35, 0.65], color=INTERVAL, linewidth=1.5)
    if kpi.norm is not None:
        axes.plot([kpi.norm, kpi.norm], [0.1, 0.9], color=INK, linewidth=2.5)
    text = status
    if kpi.norm is not None and kpi.n:
        text = f"{words['norm']} {_percent(kpi.norm, lang)}: {status}"
    figure.text(0.78, y - step * 0.62, text, fontsize=10.5, color=colour, weight=weight)
