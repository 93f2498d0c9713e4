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


# --- One pass for tests the database cannot change -------------------------------------
# scripts/test.sh runs the suite twice, on SQLite and on PostgreSQL. pytest-django refuses
# database access to a test that asks for none (no django_db mark, no db fixture), so
# such a test — pure metrics, parsers on files, the CLI on CSV, the browser tests on
# `served_demo` (whose server keeps its own SQLite file in both passes) — proves the same
# thing in both passes: the PostgreSQL pass leaves it to the SQLite pass. A test module
# that hands the pass's database to a child process (it reads DATABASE_URL from
# os.environ or branches on connection.vendor) keeps running in both, as does a test
# marked `every_database`. KLANTPEIL_TEST_ALL_ON_PG=1 runs everything in both passes.
DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "django_db_setup",  # module-scoped data (django_db_blocker is in every test's closure)
    "live_server",
}
PASSES_THE_DATABASE_ON = (
    'os.environ["DATABASE_URL"]',
    'os.environ.get("DATABASE_URL")',
    "connection.vendor",
)


def _uses_the_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db") or item.get_closest_marker("every_database"):
        return True
    if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    source = _module_source(str(item.path))
    return any(needle in source for needle in PASSES_THE_DATABASE_ON)


_SOURCES: dict[str, str] = {}


def _module_source(path: str) -> str:
    if path not in _SOURCES:
        try:
            with open(path, encoding="utf-8") as f:
                _SOURCES[path] = f.read()
        except OSError:
            _SOURCES[path] = ""
    return _SOURCES[path]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _last_in_module_if_sharing_data(items)
    if not os.environ.get("DATABASE_URL") or os.environ.get("KLANTPEIL_TEST_ALL_ON_PG"):
        return
    keep, leave = [], []
    for item in items:
        (keep if _uses_the_database(item) else leave).append(item)
    if leave:
        config.hook.pytest_deselected(items=leave)
        items[:] = keep
        config.stash[_LEFT_TO_SQLITE] = len(leave)


_LEFT_TO_SQLITE = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    left = config.stash.get(_LEFT_TO_SQLITE, 0)
    if left:
        terminalreporter.write_line(
            f"{left} tests without database access deselected: they run in the SQLite pass "
            "(conftest.py; KLANTPEIL_TEST_ALL_ON_PG=1 runs them here too)"
        )


# --- Data made once per module --------------------------------------------------------
@pytest.fixture(scope="module")
def module_transaction(django_db_setup, django_db_blocker):
    """A transaction around a whole module, rolled back after its last test: module-scoped
    fixtures that depend on this one make read-mostly data (demo data: seconds each time)
    once, and each test's own ``db`` atomic block nests in it as a savepoint, so what a
    test writes is gone for the next, as with Django's ``TestCase.setUpTestData``. The
    tests that use it run after the module's other tests (see below), so a test that did
    not ask for the data never sees it; it cannot serve ``transactional_db`` tests."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def _last_in_module_if_sharing_data(items: list[pytest.Item]) -> None:
    places: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        places.setdefault(str(item.path), []).append(i)
    for indices in places.values():
        module = [items[i] for i in indices]
        if not any("module_transaction" in getattr(item, "fixturenames", ()) for item in module):
            continue
        module.sort(key=lambda item: "module_transaction" in getattr(item, "fixturenames", ()))
        for i, item in zip(indices, module, strict=True):
            items[i] = item
