"""Open comments for the demo, by tone and by the driver they are about (Dutch and English)."""

NEGATIVE = {
    "nl": {
        "reliability": [
            "Er zou worden teruggebeld, maar niemand heeft contact opgenomen.",
            "Ik kreeg van twee medewerkers een verschillend antwoord.",
            "De afspraak werd niet nagekomen, ik moest alles opnieuw uitleggen.",
        ],
        "empathy": [
            "De medewerker was kortaf en luisterde niet echt naar mijn situatie.",
            "Ik voelde me niet serieus genomen.",
            "Weinig begrip voor mijn probleem, het leek alsof ik lastig was.",
        ],
        "customer_focus": [
            "Ik werd van het kastje naar de muur gestuurd.",
            "Niemand nam de moeite om echt met een oplossing te komen.",
        ],
        "customer_knowledge": [
            "Ze wisten niet dat ik al eerder had gebeld over hetzelfde probleem.",
            "Ik moest mijn gegevens drie keer doorgeven.",
        ],
        "waiting_time": [
            "Veel te lang in de wacht gestaan, bijna een half uur.",
            "Na twee weken nog steeds geen antwoord op mijn e-mail.",
            "Lang wachten voordat ik iemand aan de lijn had.",
        ],
        "accessibility": [
            "Het telefoonnummer is lastig te vinden op de website.",
            "Alleen bereikbaar tijdens kantooruren, dat is voor mij onhandig.",
        ],
        "ivr_menu": [
            "Het keuzemenu is veel te lang en geen enkele optie paste bij mijn vraag.",
            "Ik kwam na het keuzemenu steeds weer bij het begin uit.",
        ],
    },
    "en": {
        "reliability": ["They promised to call back but nobody did."],
        "empathy": ["The agent was curt and did not listen to my situation."],
        "customer_focus": ["I was passed from one department to the next."],
        "customer_knowledge": ["I had to explain my whole history again."],
        "waiting_time": ["I was on hold for far too long."],
        "accessibility": ["Hard to find how to contact them at all."],
        "ivr_menu": ["The phone menu has too many options and none fit my question."],
    },
}

POSITIVE = {
    "nl": [
        "Vriendelijk geholpen en mijn vraag was meteen opgelost.",
        "Duidelijke uitleg, ik weet nu precies wat ik moet doen.",
        "Snel contact en een medewerker die echt meedacht.",
        "Heel fijn dat ik dezelfde dag nog werd teruggebeld.",
        "Prettig gesprek, de medewerker nam de tijd voor mij.",
    ],
    "en": [
        "Friendly help and my question was solved right away.",
        "Clear explanation, I know exactly what to do now.",
    ],
}

NEUTRAL = {
    "nl": [
        "Het was prima, niets bijzonders.",
        "Redelijk geholpen, maar het duurde wel even.",
        "Mijn vraag is beantwoord, maar de uitleg kon duidelijker.",
    ],
    "en": ["It was fine, nothing special.", "Helped in the end, but it took a while."],
}
