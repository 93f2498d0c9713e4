"""Which of the seven service-quality drivers a comment is about (multi-label).

The drivers are those of the CCC Quality model the customer survey measures
(see ``instruments.models.Driver``): reliability, empathy, customer focus,
customer knowledge, waiting time, accessibility and the IVR menu. A comment
that matches none is tagged ``other``. Rules are word-stem patterns in Dutch
and English, matched on the lower-cased text; every tag can be traced to the
words that triggered it (:func:`tag_spans`). Plain module, no Django.

Evaluated against the drivers of the labelled set in ``bench/sentiment.py``
(precision, recall and F1 per driver).
"""

from __future__ import annotations

import re

DRIVERS = (
    "reliability",
    "empathy",
    "customer_focus",
    "customer_knowledge",
    "waiting_time",
    "accessibility",
    "ivr_menu",
)
OTHER = "other"

_PATTERNS = {
    "reliability": [
        r"terug ?(ge)?bel\w*|terugbelverzoek|belde\w* .{0,20}terug|call(ed|ing)? (me )?back",
        r"callback",
        r"afspra(a)?k\w*|beloofd\w*|belofte\w*|toegezegd|nagekomen|promis\w*",
        r"(verkeerd\w*|fout\w*|onjuist\w*|verschillend\w*|tegenstrijdig\w*) "
        r"(antwoord|informatie|info|advies)",
        r"\bklopte? (niet|niks|niets)\b|\bwrong (answer|information|info|advice)\b|\bincorrect\b",
        r"\bopgelost\b|\b(solved|resolved|fixed|sorted)\b|\bbetrouwba\w*|\breliab\w*",
        r"\bjuiste? (antwoord|informatie)\b|\bcorrect(e)? (antwoord|answer|information)\b",
        r"\b(kept|keep) (their|his|her|its) (word|promise)\b|\bgedaan wat\b|\bdid what\b",
    ],
    "empathy": [
        r"\b(on)?vriendelijk\w*|\b(un)?friendly\b|\bkortaf\b|\bcurt\b|\brude\w*|\bonbeleefd\w*",
        r"\bbegrip\w*|\bluister\w*|\blisten\w*|\bempath\w*|\bmeelev\w*|\bsympath\w*",
        r"serieus genomen|taken seriously|\brespect\w*|\bbeleefd\w*|\bpolite\w*|\barrogant\w*",
        r"\b(geïrriteerd|geirriteerd|chagrijnig|ongeduldig)\b|\b(irritated|impatient|patient)\b",
        r"\baardig\w*|\bkind(ly|ness)?\b|\bwarm\w*|\bcaring\b|\bnam de tijd\b|\btook the time\b",
        r"\bgeduld\w*|\bmenselijk\w*|\bhuman\b|\bprettig\w* (gesprek|contact|medewerker)\b",
        r"\b(medewerker|agent|staff|lady|man|mevrouw|meneer)\b.{0,30}\b(lief|nice|sweet)\b",
    ],
    "customer_focus": [
        r"kastje naar de muur|van het kastje|\bpassed (around|on|from)\b|\bfrom one department\b",
        r"\bmee ?(ge)?dacht\b|\bmeedenken\b|\bmeedacht\b|\boplossing\w*|\bsolution\w*",
        r"\bdoorverbonden\b|\bdoorverwezen\b|\btransferr\w*|\bredirected\b",
        r"\bmoeite\b|\bextra (stap|mijl)\b|\bextra mile\b|\bproactie\w*|\bproactive\w*",
        r"\bbehulpzaam\w*|\bhelpful\w*|\bflexib\w*|\bmaatwerk\b",
        r"\b(no one|nobody) (cared|bothered)\b",
        r"\bniemand (voelde|nam|wilde)\b|\bniet mijn afdeling\b|\bnot my department\b",
        r"\bafgewimpeld\b|\bafgescheept\b|\bfobbed off\b|\bbrushed off\b|\bmet een kluitje\b",
    ],
    "customer_knowledge": [
        r"\bgegevens\b|\bdossier\w*|\bklantnummer\w*|\bgeschiedenis\b|\bhistory\b",
        r"\bmy (file|account|details)\b",
        r"(opnieuw|weer|nogmaals|alles) (uit ?leggen|uitgelegd|vertellen|verteld)",
        r"explain\w* .{0,20}(again|from scratch)",
        r"\b(wisten|wist) (niet|niks|niets)\b.{0,40}\b(eerder|al)\b|\bdidn'?t know (that )?i\b",
        r"\beerder (gebeld|contact|gemaild)\b|\b(previous|earlier) (call|contact|email)\b",
        r"\b(kende|kenden|knew) (mijn|my)\b|\bdeskundig\w*|\bkundig\w*|\bknowledgeab\w*",
        r"\bexpert\w*",
        r"\bwist (niet )?waar (hij|ze|zij) het over had\b|\bno idea what\b|\bgeen idee\b",
        r"\b(drie|twee|3|2) keer (mijn|doorgeven|uitleggen)\b|\bthree times\b|\btwice\b",
    ],
    "waiting_time": [
        r"\bwacht\w*|\bgewacht\b|\bwait\w*|\bon hold\b|\bin de wacht\b|\bqueue\w*|\bwachtrij\w*",
        r"\b(snel|sneller|vlot|meteen|direct|gelijk|binnen) "
        r"(geholpen|antwoord|reactie|opgepakt|teruggebeld|contact)\b",
        r"\bsnel\w*\b|\bvlot\w*\b|\bquick\w*|\bfast\b|\bpromptly?\b|\bright away\b|\bimmediately\b",
        r"\b(lang|lange|langer|traag|trage|slow\w*)\b|\btook (ages|forever|long|a while)\b",
        r"\bduurde\b",
        r"\b(\d+|twee|drie|vier|vijf|tien|veertig|twintig|dertig|een|half) "
        r"(minuten|minuut|uur|dagen|weken|maanden|kwartier)\b",
        r"\b(\d+|two|three|four|five|ten|twenty|forty|an|half an) "
        r"(minutes|hours?|days|weeks|months)\b",
        r"\bnog steeds geen\b|\bnog altijd geen\b|\bstill no\b|\bpas na\b|\bdezelfde dag\b",
        r"\bsame day\b",
    ],
    "accessibility": [
        r"\b(on)?bereikba\w*|\breach\w*|\bget through\b|\bkwam (er )?niet door\b",
        r"\btelefoonnummer\w*|\bphone number\b|\bcontactgegevens\b|\bcontact details\b",
        r"\bopeningstijd\w*|\bkantoortijd\w*|\bkantooruren\b|\bopening hours\b|\boffice hours\b",
        r"\bwebsite\b|\bapp\b|\bchat\w*|\bcontactformulier\w*|\bcontact form\b|\bportal\w*",
        r"\bmijn omgeving\b",
        r"\bin gesprek\b|\bbezet\b|\bengaged\b|\bbusy (line|signal)\b|\blijn (was )?dood\b",
        r"\bmoeilijk te vinden\b|\blastig te vinden\b|\bhard to find\b|\btoegankelijk\w*",
        r"\baccessib\w*",
        r"\bloket\w*|\bbalie\b|\bafspraak maken\b|\bparkeren\b|\brolstoel\w*|\bwheelchair\b",
    ],
    "ivr_menu": [
        r"\bkeuzemenu\w*|\bmenu\w*|\bivr\b|\bspraakcomputer\w*|\bbandje\b|\bcomputerstem\b",
        r"\b(druk|toets|toetsen|druk) (op )?(\d|een|twee|drie)\b|\bpress(ed)? \d\b|\btoets\w*",
        r"\b(keuze|opties|optie|options|option)\b|\bautomated\b|\brobot\w*|\bvoice system\b",
    ],
}
_COMPILED = {
    driver: re.compile("|".join(f"(?:{p})" for p in patterns))
    for driver, patterns in _PATTERNS.items()
}


def tag_spans(text: str) -> dict[str, list[tuple[int, int]]]:
    """Each matched driver with the character spans that triggered it."""
    lowered = text.lower()
    found: dict[str, list[tuple[int, int]]] = {}
    for driver in DRIVERS:
        spans = [m.span() for m in _COMPILED[driver].finditer(lowered)]
        if spans:
            found[driver] = spans
    return found


def tag_drivers(text: str) -> list[str]:
    """The drivers the comment is about, in model order; ``["other"]`` when none."""
    return list(tag_spans(text)) or [OTHER]
