"""Lexicon sentiment with negation, intensifiers and contrast rules, word by word.

The fast path and the explanation layer: every comment gets a polarity in
[−1, 1] and the words that drove it (character spans with their signed
contribution), so the app can highlight them. Plain module, no Django.

Lexicons (vendored in ``data/``, see ``data/README.md``):

- Dutch: the CLiPS Pattern subjectivity lexicon ``nl-sentiment.xml`` 1.2 (De Smedt
  & Daelemans, PDDL), 3,304 word forms, polarity averaged over senses;
- English: the VADER lexicon 3.3.2 (Hutto & Gilbert 2014, MIT), valence −4…4
  scaled to −1…1;
- both extended with the customer-contact words and phrases below (waiting,
  calling back, being passed on), which the general lexicons do not carry.

Rules, in the spirit of VADER (Hutto & Gilbert 2014, §3.3):

- negation: a negator (niet, geen, nooit, not, no, never, …) up to three words
  before a sentiment word in the same clause multiplies it by −0.74;
- intensifiers (heel, erg, zeer, very, really, …) multiply the next word by 1.3;
  "te"/"too" before a sentiment word makes it a complaint ("te lang", "too slow");
- contrast: words before "maar"/"but"/"however" count half, words after it 1.5×;
- sarcasm markers ("hoor" after praise, "thanks for nothing", 🙄) turn praise in
  a text that also complains into a complaint;
- the sum s of contributions is normalised as s / √(s² + 1) and labelled
  positive at ≥ 0.1, negative at ≤ −0.1, neutral between (Pattern's 0.1).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

THRESHOLD = 0.1
NEGATION_SCALAR = -0.74
INTENSIFIER = 1.3
NEGATION_WINDOW = 3

NEGATORS = {
    "niet",
    "geen",
    "nooit",
    "niemand",
    "niets",
    "niks",
    "nergens",
    "zonder",
    "not",
    "no",
    "never",
    "nobody",
    "nothing",
    "without",
    "hardly",
    "isn't",
    "wasn't",
    "don't",
    "didn't",
    "doesn't",
    "won't",
    "can't",
    "couldn't",
    "wouldn't",
    "haven't",
    "hasn't",
    "aren't",
    "weren't",
    "cannot",
    "nor",
}
INTENSIFIERS = {
    "heel",
    "erg",
    "zeer",
    "echt",
    "super",
    "ontzettend",
    "enorm",
    "uiterst",
    "bijzonder",
    "hartstikke",
    "zo",
    "very",
    "really",
    "extremely",
    "so",
    "incredibly",
    "absolutely",
    "totally",
    "truly",
}
TOO = {"te", "too", "veel", "much", "way"}  # "(veel) te lang", "(way/much) too long"
CONTRAST = {"maar", "echter", "alleen", "but", "however", "though", "although", "hoewel"}
# Words that end a clause for negation scope (as well as punctuation).
PUNCTUATION = {".", ",", ";", ":", "!", "?"}
CLAUSE = CONTRAST | {"en", "and", "want", "omdat", "because", "dus", "toen", "then"}

# Customer-contact words and phrases the general lexicons lack (project-owned).
# Single words are matched on the lower-cased token; phrases on the joined tokens.
DOMAIN_WORDS = {
    "nl": {
        "bedankt": 0.5,
        "dank": 0.4,
        "dankjewel": 0.5,
        "dankuwel": 0.5,
        "top": 0.7,
        "toppie": 0.7,
        "aanrader": 0.7,
        "opgelost": 0.5,
        "geholpen": 0.4,
        "teruggebeld": 0.3,
        "terugbelde": 0.3,
        "meedacht": 0.5,
        "meegedacht": 0.5,
        "meedenken": 0.4,
        "bereikbaar": 0.3,
        "onbereikbaar": -0.6,
        "kortaf": -0.6,
        "wachten": -0.3,
        "gewacht": -0.3,
        "wachttijd": -0.2,
        "wachtrij": -0.3,
        "bandje": -0.2,
        "kwijt": -0.4,
        "kwijtgeraakt": -0.5,
        "klacht": -0.3,
        "klachten": -0.3,
        "fout": -0.5,
        "fouten": -0.5,
        "foutje": -0.3,
        "excuses": -0.1,
        "ellende": -0.7,
        "drama": -0.7,
        "schandalig": -0.9,
        "belachelijk": -0.8,
        "waardeloos": -0.9,
        "frustrerend": -0.7,
        "irritant": -0.6,
        "teleurgesteld": -0.7,
        "teleurstellend": -0.7,
        "ontevreden": -0.6,
        "tevreden": 0.6,
        "blij": 0.6,
        "chagrijnig": -0.6,
        "onbeleefd": -0.7,
        "opnieuw": -0.2,
        "alweer": -0.4,
        "zoek": -0.3,
        "vergeten": -0.4,
        "genegeerd": -0.7,
        "afgewimpeld": -0.7,
        "afgescheept": -0.7,
        "opgehangen": -0.5,
        "verbroken": -0.4,
        "doorverbonden": -0.1,
        "duidelijkheid": 0.3,
        "oplossing": 0.3,
        "compliment": 0.7,
        "complimenten": 0.7,
        "held": 0.6,
        "pluim": 0.7,
        "service": 0.1,
        "probleem": -0.4,
        "problemen": -0.4,
        "vlot": 0.5,
        "netjes": 0.5,
    },
    "en": {
        "thanks": 0.4,
        "solved": 0.5,
        "resolved": 0.5,
        "sorted": 0.4,
        "helped": 0.4,
        "unreachable": -0.6,
        "curt": -0.6,
        "waiting": -0.3,
        "waited": -0.3,
        "queue": -0.2,
        "hold": -0.2,
        "lost": -0.4,
        "wrong": -0.5,
        "again": -0.2,
        "ignored": -0.7,
        "transferred": -0.1,
        "disconnected": -0.5,
        "hung": -0.4,
        "useless": -0.8,
        "ridiculous": -0.8,
        "rude": -0.7,
        "slow": -0.4,
        "quick": 0.4,
        "quickly": 0.4,
        "prompt": 0.4,
        "promptly": 0.4,
        "sorted out": 0.5,
        "complaint": -0.3,
        "nobody": -0.2,
    },
}
DOMAIN_PHRASES = {
    "nl": {
        "in de wacht": -0.5,
        "van het kastje naar de muur": -0.9,
        "kastje naar de muur": -0.9,
        "nog steeds": -0.4,
        "nog altijd": -0.4,
        "pas na": -0.3,
        "half uur": -0.3,
        "een uur": -0.3,
        "drie keer": -0.3,
        "twee keer": -0.2,
        "zoveelste keer": -0.6,
        "niet serieus genomen": -0.7,
        "serieus genomen": 0.4,
        "nam de tijd": 0.5,
        "met een kluitje in het riet": -0.8,
        "in gesprek": -0.3,
        "geen reactie": -0.4,
        "geen antwoord": -0.4,
        "niet teruggebeld": -0.5,
        "dezelfde dag": 0.3,
        "binnen een dag": 0.3,
        "voor elkaar": 0.5,
        "in één keer": 0.4,
        "in een keer": 0.4,
        "klopte niet": -0.6,
        "klopt niet": -0.6,
        "niet nagekomen": -0.6,
        "niet opdagen": -0.6,
        "lukt niet": -0.5,
        "lukt nooit": -0.6,
        "niets gebeurd": -0.5,
        "niks gebeurd": -0.5,
        "nooit gekomen": -0.6,
        "niet gekomen": -0.5,
        "geen moeite": -0.6,
        "geen begrip": -0.6,
        "geen idee": -0.4,
    },
    "en": {
        "on hold": -0.5,
        "call back": 0.1,
        "called back": 0.3,
        "still no": -0.5,
        "still waiting": -0.6,
        "passed around": -0.7,
        "from one department to the next": -0.7,
        "three times": -0.3,
        "twice": -0.2,
        "took ages": -0.7,
        "took forever": -0.7,
        "half an hour": -0.3,
        "an hour": -0.3,
        "same day": 0.3,
        "took the time": 0.5,
        "went the extra mile": 0.8,
        "no answer": -0.4,
        "no reply": -0.4,
        "no response": -0.4,
        "first time": 0.3,
        "never showed up": -0.6,
        "never arrived": -0.6,
        "nothing happened": -0.5,
        "no effort": -0.6,
        "no idea": -0.4,
    },
}
# Lexicon entries that are mostly another word in customer comments
# ("naar" is "to", "erg" and "echt" intensify, "vrij" is "free/off").
HOMOGRAPHS = {
    "nl": {"naar", "erg", "echt", "vrij", "gemaakt", "zo", "even", "wel", "laat", "heel"},
    "en": {"engaged", "number", "agreed", "like", "pretty", "well"},
}
COMPLAINT_HINTS = {"weer", "alweer", "opnieuw", "again", "still"}
SARCASM_MARKERS = (
    re.compile(r"\b(geweldig|fantastisch|top|super|prachtig|lekker|fijn|goed) (hoor|zeg)\b"),
    re.compile(r"\bbedankt voor (niets|niks)\b|\bthanks for nothing\b|\bnice one\b"),
    re.compile(r"\b(oh|just) (great|wonderful|perfect|brilliant|lovely)\b|\byeah right\b"),
    re.compile(r"\bwat een (service|klantvriendelijkheid)\b|\bwhat (a|great) service\b"),
    re.compile("🙄|😒|🤡"),
)
EMOJI = {
    "🙂": 0.5,
    "😀": 0.6,
    "😃": 0.6,
    "😊": 0.6,
    "😍": 0.8,
    "👍": 0.5,
    "👏": 0.6,
    "❤️": 0.7,
    "❤": 0.7,
    "💪": 0.4,
    "🙏": 0.4,
    "😡": -0.8,
    "😠": -0.7,
    "🤬": -0.9,
    "👎": -0.6,
    "🙁": -0.5,
    "☹️": -0.5,
    "😞": -0.6,
    "😢": -0.5,
    "😤": -0.6,
    "🙄": -0.4,
    ":)": 0.5,
    ":-)": 0.5,
    ":(": -0.5,
    ":-(": -0.5,
    ":D": 0.6,
}
_TOKEN = re.compile(
    r":-?[()D]|[^\W_]+(?:['’][^\W_]+)?|[\U0001F300-\U0001FAFF\u2600-\u27BF]\uFE0F?|[.,;:!?]",
    re.UNICODE,
)


@dataclass(frozen=True)
class Span:
    """A word (or phrase) in the text and what it added to the polarity."""

    start: int
    end: int
    weight: float


@dataclass(frozen=True)
class LexiconResult:
    polarity: float  # −1 … 1
    label: str  # "negative" | "neutral" | "positive"
    spans: tuple[Span, ...]


def label_for(polarity: float, threshold: float = THRESHOLD) -> str:
    if polarity >= threshold:
        return "positive"
    if polarity <= -threshold:
        return "negative"
    return "neutral"


def _read(name: str, scale: float) -> dict[str, float]:
    text = resources.files("klantpeil.textanalysis").joinpath("data", name).read_text("utf-8")
    words: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        words[parts[0]] = float(parts[1]) / scale
    return words


@cache
def lexicon(language: str) -> dict[str, float]:
    """Word → polarity (−1 … 1) for ``nl`` or ``en``: the general lexicon plus domain words."""
    if language == "nl":
        words = _read("nl-sentiment.tsv", 1.0)
    else:
        words = {w: v for w, v in _read("en-sentiment.tsv", 4.0).items() if w.isalpha()}
    for word in HOMOGRAPHS[language]:
        words.pop(word, None)
    words.update(DOMAIN_WORDS[language])
    return words


def _dutch_base_forms(word: str) -> list[str]:
    """Inflected Dutch adjectives back to the lexicon's base form.

    duidelijke → duidelijk, slechtste → slecht, lieve → lief, boze → boos,
    grote → groot, dikke → dik; the first form found in the lexicon wins.
    """
    forms = []
    for suffix in ("ste", "st", "e", "er", "en"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            forms.append(stem)
            if stem[-1] == "v":
                forms.append(stem[:-1] + "f")
            if stem[-1] == "z":
                forms.append(stem[:-1] + "s")
            if len(stem) >= 2 and stem[-1] == stem[-2]:
                forms.append(stem[:-1])
            if len(stem) >= 3 and stem[-2] in "aeou" and stem[-3] not in "aeiou":
                forms.append(stem[:-1] + stem[-2] + stem[-1])  # grot → groot
    return forms


def _lookup(word: str, words: dict[str, float], dutch: bool) -> float | None:
    value = words.get(word)
    if value is None and dutch:
        for form in _dutch_base_forms(word):
            if form in words:
                return words[form]
    return value


def _phrases(language: str) -> list[tuple[list[str], float]]:
    return sorted(
        ((phrase.split(), weight) for phrase, weight in DOMAIN_PHRASES[language].items()),
        key=lambda item: -len(item[0]),
    )


def score(text: str, language: str = "nl") -> LexiconResult:
    """Polarity, label and the words that drove them; ``language`` picks the lexicon.

    Texts in other languages are scored with both lexicons together (a best effort
    that mostly finds emoji and loan words).
    """
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    lowered = [t.lower().replace("’", "'") for t, _, _ in tokens]
    languages = [language] if language in ("nl", "en") else ["nl", "en"]
    words: dict[str, float] = {}
    phrases: list[tuple[list[str], float]] = []
    for lang in languages:
        words.update(lexicon(lang))
        phrases += _phrases(lang)

    # Phrases first: their tokens are taken and not scored again as words.
    values: list[float | None] = [None] * len(tokens)
    spans_of: list[tuple[int, int]] = [(s, e) for _, s, e in tokens]
    taken = [False] * len(tokens)
    for words_, weight in phrases:
        n = len(words_)
        for i in range(len(tokens) - n + 1):
            if lowered[i : i + n] == words_ and not any(taken[i : i + n]):
                values[i] = weight
                spans_of[i] = (tokens[i][1], tokens[i + n - 1][2])
                for j in range(i + 1, i + n):
                    taken[j] = True
                taken[i] = True
    for i, word in enumerate(lowered):
        if values[i] is None and not taken[i]:
            value = EMOJI.get(tokens[i][0].rstrip("\ufe0f")) or EMOJI.get(tokens[i][0])
            if value is None:
                value = _lookup(word, words, "nl" in languages)
            # An intensifier before another sentiment word only strengthens it.
            if word in INTENSIFIERS and i + 1 < len(lowered):
                nxt = lowered[i + 1]
                if _lookup(nxt, words, "nl" in languages) or nxt in ("te", "too"):
                    value = None
            if value:
                values[i] = value

    # Contrast: the clause after "maar"/"but" weighs more, the one before less.
    contrast = [i for i, w in enumerate(lowered) if w in CONTRAST and i > 0]
    sentence_ends = [i for i, w in enumerate(lowered) if w in {".", "!", "?"}]

    contributions: list[tuple[int, float]] = []
    for i, value in enumerate(values):
        if not value:
            continue
        weight = value
        # Look back within the clause for negators, intensifiers and "too".
        negated = False
        for back in range(1, NEGATION_WINDOW + 1):
            j = i - back
            if j < 0 or lowered[j] in CLAUSE or lowered[j] in PUNCTUATION:
                break
            if taken[j] and values[j] is None:
                continue
            if lowered[j] in NEGATORS:
                negated = True
            elif back == 1 and lowered[j] in INTENSIFIERS:
                weight *= INTENSIFIER
            elif back <= 2 and lowered[j] in ("te", "too") and abs(weight) < 0.9:
                weight = -max(0.4, abs(weight))
        # Dutch also puts "niet" after the word at the end of a clause:
        # "tevreden ben ik niet", "goed was het niet."
        for after in range(i + 1, min(i + 4, len(lowered))):
            if lowered[after] in CLAUSE or lowered[after] in PUNCTUATION:
                break
            if lowered[after] == "niet" and (
                after + 1 == len(lowered) or lowered[after + 1] in PUNCTUATION
            ):
                negated = not negated
                break
        if negated:
            weight *= NEGATION_SCALAR
        # Contrast weighting within the sentence.
        end = next((e for e in sentence_ends if e > i), len(lowered))
        start = max((e for e in sentence_ends if e < i), default=-1)
        pivots = [c for c in contrast if start < c < end]
        if pivots:
            weight *= 1.5 if i > pivots[0] else 0.5
        contributions.append((i, weight))

    # "X, maar Y" with nothing scored in Y: Y is still said against X.
    for pivot in contrast:
        end = next((e for e in sentence_ends if e > pivot), len(lowered))
        start = max((e for e in sentence_ends if e < pivot), default=-1)
        before = sum(w for i, w in contributions if start < i < pivot)
        after = [w for i, w in contributions if pivot < i < end]
        if before and not after:
            contributions.append((pivot, -1.5 * before))
            spans_of[pivot] = (tokens[pivot][1], tokens[pivot][2])
            break

    # Sarcasm: praise with a marker in a text that also complains (or a phrase that
    # is sarcastic on its own) counts as a complaint.
    lowered_text = " ".join(lowered)
    marked = [bool(marker.search(lowered_text)) for marker in SARCASM_MARKERS]
    complains = any(w < 0 for _, w in contributions) or any(
        w in NEGATORS or w in COMPLAINT_HINTS for w in lowered
    )
    if (marked[0] and complains) or any(marked[1:]):
        contributions = [(i, -abs(w)) for i, w in contributions] or [(0, -0.5)]

    total = sum(w for _, w in contributions)
    # Exclamation marks amplify whatever was said (VADER adds 0.292 each, at most 3).
    bangs = min(lowered.count("!"), 3)
    if total and bangs:
        total += math.copysign(0.07 * bangs, total)
    polarity = total / math.sqrt(total * total + 1.0)
    spans = tuple(
        Span(spans_of[i][0], spans_of[i][1], round(w, 3))
        for i, w in contributions
        if abs(w) >= 0.05 and i < len(tokens)
    )
    return LexiconResult(round(polarity, 4), label_for(polarity), spans)
