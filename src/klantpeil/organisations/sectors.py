"""The sector taxonomy that ships with the product.

Benchmarks compare an organisation with its sector, so the keys are stable
surfaces: scripts, the API and saved benchmark grids name them. A key is never
renamed or reused; a name may be improved. ``klantpeil migrate`` loads the list
(migration ``0005_shipped_sectors``); when the list changes, add a data
migration that calls :func:`load_sectors` again. Loading is idempotent and
never deletes a sector (an organisation may still belong to it).

Energy and water utilities share one key, ``utilities``: their customer contact
is alike (meter readings, bills, outages, moves), each Dutch market has few
organisations (10 drinking-water companies, a handful of large energy suppliers
and network operators), and a benchmark cell needs at least five organisations
(reference/disclosure-control.md), so two keys would leave both cells mostly
empty. The demo uses the same keys (``municipalities``, ``housing``,
``utilities``, ``insurers``).
"""

from __future__ import annotations

from typing import Any

# (key, Dutch name, English name)
SHIPPED_SECTORS: tuple[tuple[str, str, str], ...] = (
    ("municipalities", "Gemeenten", "Municipalities"),
    ("provinces", "Provincies", "Provinces"),
    ("water-boards", "Waterschappen", "Water boards"),
    ("central-government", "Rijksoverheid", "Central government"),
    ("housing", "Woningcorporaties", "Housing corporations"),
    ("utilities", "Energie en water", "Energy and water"),
    ("insurers", "Verzekeraars", "Insurers"),
    ("banks", "Banken", "Banks"),
    ("telecom", "Telecom", "Telecom"),
    ("retail", "Detailhandel", "Retail"),
    ("healthcare", "Zorg", "Healthcare"),
    ("education", "Onderwijs", "Education"),
    ("transport", "Vervoer", "Transport"),
)


def load_sectors(sector_model: Any) -> int:
    """Create or update the shipped sectors by key (the historical model in a
    migration, the real one elsewhere); returns how many were created."""
    created = 0
    for key, name_nl, name_en in SHIPPED_SECTORS:
        _, made = sector_model.objects.update_or_create(
            key=key, defaults={"name_nl": name_nl, "name_en": name_en}
        )
        created += made
    return created
