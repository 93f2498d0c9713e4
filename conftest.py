"""Shared fixtures: organisations, members and a database report line."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests and the API fuzzing are reproducible by default: the same examples
# on every run, nothing stored between runs. HYPOTHESIS_PROFILE=explore for fresh ones.
hypothesis_settings.register_profile("klantpeil", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", max_examples=1000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "klantpeil"))


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("DATABASE_URL")
    return f"klantpeil database: {'PostgreSQL ' + url if url else 'SQLite (in memory)'}"


@pytest.fixture
def make_org(db):
    from klantpeil.organisations.models import Channel, Organisation, Sector, Unit

    def make(slug: str, sector: str = "municipalities") -> Organisation:
        sector_obj, _ = Sector.objects.get_or_create(
            key=sector, defaults={"name_nl": sector, "name_en": sector}
        )
        org = Organisation.objects.create(slug=slug, name=slug.title(), sector=sector_obj)
        Unit.unscoped_all_tenants.create(organisation=org, code="front", name="Front office")
        for kind in ("phone", "email", "counter"):
            Channel.unscoped_all_tenants.create(organisation=org, kind=kind)
        return org

    return make


@pytest.fixture
def make_member(db):
    from klantpeil.accounts.services import add_member

    def make(email: str, org, role: str = "manager"):
        user, _ = add_member(
            email=email,
            organisation=org,
            role=role,
            password="pw-for-tests-only",
            check_password=False,
        )
        return user

    return make


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Service-level messages in tests are compared in English (requests pick their own)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-query-baselines",
        action="store_true",
        help="write the query counts of tests/test_query_counts.py as the new baselines",
    )
