"""The demo's sign-ins: one per kind of user, all with the same printed password."""

from __future__ import annotations

from dataclasses import dataclass

from klantpeil.accounts.models import Role
from klantpeil.accounts.services import add_member
from klantpeil.demo.universe import SECTORS
from klantpeil.organisations.models import Organisation

DEMO_PASSWORD = "klantpeil-demo"


@dataclass(frozen=True)
class Login:
    email: str
    role: str
    where: str


def create_logins() -> list[Login]:
    organisations = list(
        Organisation.objects.select_related("sector").order_by("sector__key", "name")
    )
    by_sector: dict[str, list[Organisation]] = {}
    for org in organisations:
        by_sector.setdefault(org.sector.key, []).append(org)
    named = {org.name: org for org in organisations}
    first_municipality = named[SECTORS[0].organisations[0]]
    first_housing = named[SECTORS[1].organisations[0]]
    logins = []

    def add(email: str, role: str, orgs: list[Organisation], where: str) -> None:
        for i, org in enumerate(orgs or [None]):
            add_member(
                email=email,
                organisation=org,
                role=role,
                # Hashing is slow by design (Argon2): once per login, not once per membership.
                password=DEMO_PASSWORD if i == 0 else None,
                check_password=False,
            )
        logins.append(Login(email, role, where))

    add("operator@klantpeil.example", Role.OPERATOR, [], "back office /admin/")
    add(
        "analist@klantpeil.example",
        Role.ANALYST,
        organisations,
        f"all {len(organisations)} organisations",
    )
    add("manager@wadderveen.example", Role.MANAGER, [first_municipality], first_municipality.name)
    add("manager@delinde.example", Role.MANAGER, [first_housing], first_housing.name)
    add("kijker@wadderveen.example", Role.VIEWER, [first_municipality], first_municipality.name)
    add(
        "shopper@klantpeil.example",
        Role.SHOPPER,
        by_sector["municipalities"],
        "mystery shopper, municipalities",
    )
    return logins


def ensure_demo_survey_link() -> str:
    """An open survey link at the first municipality's counter, so the form can be tried."""
    from klantpeil.collection.models import OpenLink
    from klantpeil.core.tenancy import tenant
    from klantpeil.instruments.selectors import latest_version
    from klantpeil.organisations.models import Channel, Unit

    org = Organisation.objects.get(name=SECTORS[0].organisations[0])
    with tenant(org):
        # The town hall's counter is Burgerzaken's: its answers count for that unit.
        link, _ = OpenLink.objects.update_or_create(
            slug="wadderveen-balie",
            defaults={
                "name": "Balie stadhuis",
                "channel": Channel.objects.get(kind="counter"),
                "unit": Unit.objects.get(code=SECTORS[0].units[0][0]),
                "instrument_version": latest_version(key="customer-survey"),
            },
        )
    return f"/o/{link.slug}"
