"""The dashboards' shared fixture: a manager signed in on generated demo data."""

import pytest
from django.utils import timezone

from klantpeil.demo.generate import generate
from klantpeil.organisations.models import Organisation


@pytest.fixture
def manager_on_demo(make_member, client):
    generate(seed=2, today=timezone.localdate(), scale=0.12)
    org = Organisation.objects.get(slug="gemeente-wadderveen")
    client.force_login(make_member("m@wadderveen.example", org, "manager"))
    return client, org
