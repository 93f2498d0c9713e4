"""The dashboards' shared fixture: a manager signed in on generated demo data."""

import pytest
from django.utils import timezone

from klantpeil.demo.generate import generate
from klantpeil.organisations.models import Organisation


@pytest.fixture(scope="module")
def _demo_data(module_transaction, django_db_blocker):
    """Generated once per module (root conftest.py: module_transaction), not per test."""
    with django_db_blocker.unblock():
        generate(seed=2, today=timezone.localdate(), scale=0.12)


@pytest.fixture
def manager_on_demo(_demo_data, make_member, client):
    org = Organisation.objects.get(slug="gemeente-wadderveen")
    client.force_login(make_member("m@wadderveen.example", org, "manager"))
    return client, org
