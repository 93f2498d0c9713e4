"""The fictional field the demo describes: sectors, organisations, units, channels.

Names are invented (no real organisation gets a made-up score). Figures follow
the field's published numbers: counter 8.2, phone 7.5, e-mail 5.8 on the Dutch
1–10 scale; municipalities lag (e-mail 5.1), housing corporations lead.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SectorSpec:
    key: str
    name_nl: str
    name_en: str
    organisations: tuple[str, ...]
    units: tuple[tuple[str, str], ...]
    # Mean overall grade per channel for a typical organisation of the sector.
    channel_grades: dict[str, float] = field(default_factory=dict)
    # Share of customer-survey responses per channel.
    channel_mix: dict[str, float] = field(default_factory=dict)
    employee_grade: float = 7.4


SECTORS: tuple[SectorSpec, ...] = (
    SectorSpec(
        key="municipalities",
        name_nl="Gemeenten",
        name_en="Municipalities",
        organisations=(
            "Gemeente Wadderveen",
            "Gemeente Oosterbroek",
            "Gemeente Lindehaven",
            "Gemeente Veldhuizen aan de Maas",
            "Gemeente Schoorlanden",
        ),
        units=(
            ("burgerzaken", "Burgerzaken"),
            ("belastingen", "Belastingen"),
            ("vergunningen", "Vergunningen"),
            ("sociaal-domein", "Sociaal domein"),
            ("buitenruimte", "Afval en buitenruimte"),
        ),
        channel_grades={
            "counter": 8.1,
            "phone": 7.3,
            "email": 5.1,
            "chat": 6.9,
            "social": 6.2,
            "letter": 5.9,
            "messaging": 7.0,
            "web": 6.5,
        },
        channel_mix={
            "counter": 0.22,
            "phone": 0.32,
            "email": 0.18,
            "chat": 0.08,
            "social": 0.04,
            "letter": 0.04,
            "messaging": 0.05,
            "web": 0.07,
        },
        employee_grade=7.2,
    ),
    SectorSpec(
        key="housing",
        name_nl="Woningcorporaties",
        name_en="Housing corporations",
        organisations=(
            "Woonstichting De Linde",
            "Thuisbaak Wonen",
            "Woongoed Rivierenland",
            "Stichting Huisvast",
            "Woonpoort Noord",
        ),
        units=(
            ("verhuur", "Verhuur"),
            ("reparaties", "Reparatieverzoeken"),
            ("huurincasso", "Huurincasso"),
            ("wijkbeheer", "Wijkbeheer"),
        ),
        channel_grades={
            "counter": 8.4,
            "phone": 7.8,
            "email": 6.4,
            "chat": 7.4,
            "social": 6.8,
            "letter": 6.5,
            "messaging": 7.6,
            "web": 7.1,
        },
        channel_mix={
            "counter": 0.12,
            "phone": 0.40,
            "email": 0.18,
            "chat": 0.08,
            "social": 0.04,
            "letter": 0.03,
            "messaging": 0.08,
            "web": 0.07,
        },
        employee_grade=8.7,
    ),
    SectorSpec(
        key="utilities",
        name_nl="Energie en water",
        name_en="Energy and water",
        organisations=(
            "Polderstroom Energie",
            "Waterbedrijf Hoogland",
            "Zonnedelta Energie",
            "NetWater Zuid",
            "Groenvolt",
        ),
        units=(
            ("klantenservice", "Klantenservice"),
            ("facturatie", "Facturatie"),
            ("storingen", "Storingen"),
            ("verhuizingen", "Verhuizingen"),
        ),
        channel_grades={
            "phone": 7.4,
            "email": 6.0,
            "chat": 7.2,
            "social": 6.5,
            "letter": 5.9,
            "messaging": 7.3,
            "web": 7.0,
        },
        channel_mix={
            "phone": 0.42,
            "email": 0.20,
            "chat": 0.14,
            "social": 0.05,
            "letter": 0.03,
            "messaging": 0.08,
            "web": 0.08,
        },
        employee_grade=7.4,
    ),
    SectorSpec(
        key="insurers",
        name_nl="Verzekeraars",
        name_en="Insurers",
        organisations=(
            "Zekerheid Verzekeringen",
            "Dijkgraaf Assuradeuren",
            "Onderling Hulpfonds Brabant",
            "VitaalZorg Verzekeraar",
            "Havenstad Schadeverzekeringen",
        ),
        units=(
            ("schade", "Schademeldingen"),
            ("polisbeheer", "Polisbeheer"),
            ("zorgdeclaraties", "Declaraties"),
            ("acceptatie", "Acceptatie"),
        ),
        channel_grades={
            "phone": 7.6,
            "email": 6.1,
            "chat": 7.3,
            "social": 6.6,
            "letter": 6.2,
            "messaging": 7.4,
            "web": 7.2,
        },
        channel_mix={
            "phone": 0.45,
            "email": 0.20,
            "chat": 0.12,
            "social": 0.04,
            "letter": 0.04,
            "messaging": 0.07,
            "web": 0.08,
        },
        employee_grade=7.6,
    ),
)


def slugify_name(name: str) -> str:
    from django.utils.text import slugify

    return (
        slugify(name.removeprefix("Gemeente ").strip())
        if name.startswith("Gemeente ")
        else slugify(name)
    )
