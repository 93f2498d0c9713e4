"""Which language a comment is in: Dutch, English, German, French, or marked undetermined.

A function-word count: each language's most frequent short words (articles,
pronouns, auxiliaries, negations) are counted in the text and the language
with clearly the most hits wins. Customer comments are short but almost
always hold a few of these words; texts without any (a lone emoji, a number,
a name) are ``und`` (undetermined, ISO 639-2). Plain module, no Django, no
model file: it costs microseconds per comment. ``bench/sentiment.py`` checks
it against the labelled set's languages.
"""

from __future__ import annotations

import re

LANGUAGES = ("nl", "en", "de", "fr")
UNDETERMINED = "und"

_WORDS = {
    "nl": """de het een en van ik je jij u uw mijn niet geen wel is was zijn ben met
        op voor dat die dit er maar ook nog al naar bij heb heeft had hebben werd wordt
        worden om te zo zeer erg heel echt kon kan kunnen moet moest wat hoe waarom
        wanneer nooit niemand niets niks mij me we wij ze zij hun hij zij dan toen
        omdat want weer even goed prima fijn bedankt dank keer dag week lang""",
    "en": """the a an and of i you your my not no is was are were be been with on for
        that this there but also still to at have has had would will can could
        should what how why when never nobody nothing me we they their he she it
        because again just very really thanks thank good great bad time they've
        didn't don't wasn't isn't can't couldn't won't i'm it's""",
    "de": """der die das ein eine und ich du sie nicht kein keine ist war sind mit auf
        für dass aber auch noch zu bei habe hat hatte wurde werden sehr wie warum
        wann nie niemand nichts mir mich wir ihr ihre sein weil wieder gut danke""",
    "fr": """le la les un une et de du des je tu vous votre mon ma mes ne pas est était
        sont avec sur pour que qui mais aussi encore au aux avoir ai avait très comment
        pourquoi quand jamais personne rien moi nous ils elles parce bien merci""",
}
_LEXICON = {lang: frozenset(words.split()) for lang, words in _WORDS.items()}
_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def language_scores(text: str) -> dict[str, int]:
    """Function-word hits per language (lower-cased words, apostrophes kept)."""
    words = _TOKEN.findall(text.lower().replace("’", "'"))
    return {lang: sum(word in _LEXICON[lang] for word in words) for lang in LANGUAGES}


# Letter groups typical of each language, to break a tie of function words
# ("Veertig minuten in de wacht." holds no function word only Dutch uses).
_SPELLING = {
    "nl": re.compile(r"ij|aa|oe|uu|ee|sch|cht"),
    "en": re.compile(r"th|wh|ing\b|ould|ea"),
    "de": re.compile(r"[äöüß]|ei|tz|ch\b"),
    "fr": re.compile(r"[éèêàçù]|eau|oux|qu"),
}


def detect_language(text: str) -> str:
    """``nl``, ``en``, ``de``, ``fr``, or ``und`` when no language clearly leads.

    A language leads when it has the most function-word hits and at least one
    more than the runner-up; a tie between languages that have hits is broken by
    their typical letter groups (still a tie: undetermined, not a guess). A text
    without any function word is undetermined.
    """
    counts = language_scores(text)
    scores = sorted(counts.items(), key=lambda item: -item[1])
    (best, hits), (_, runner_up) = scores[0], scores[1]
    if hits == 0:
        return UNDETERMINED
    if hits > runner_up:
        return best
    lowered = text.lower()
    tied = {lang: len(_SPELLING[lang].findall(lowered)) for lang, n in scores if n == hits}
    ranked = sorted(tied.items(), key=lambda item: -item[1])
    if ranked[0][1] > ranked[1][1]:
        return ranked[0][0]
    return UNDETERMINED
