import pytest

from klantpeil.core.tenancy import TenantScopeError, current_organisation, tenant
from klantpeil.organisations.models import Channel, Unit


def test_scoped_manager_refuses_without_current_organisation(make_org):
    make_org("alpha")
    with pytest.raises(TenantScopeError):
        list(Unit.objects.all())


def test_scoped_manager_sees_only_the_current_organisation(make_org):
    alpha, beta = make_org("alpha"), make_org("beta")
    beta_unit = Unit.unscoped_all_tenants.get(organisation=beta)
    with tenant(alpha):
        assert {u.organisation_id for u in Unit.objects.all()} == {alpha.pk}
        assert not Unit.objects.filter(pk=beta_unit.pk).exists()
        assert Channel.objects.count() == 3
    with tenant(beta):
        assert Unit.objects.get(pk=beta_unit.pk) == beta_unit


def test_tenant_block_restores_the_previous_organisation(make_org):
    alpha, beta = make_org("alpha"), make_org("beta")
    with tenant(alpha):
        with tenant(beta):
            assert current_organisation() == beta
        assert current_organisation() == alpha
    assert current_organisation() is None


def test_new_rows_belong_to_the_current_organisation(make_org):
    alpha = make_org("alpha")
    with tenant(alpha):
        unit = Unit.objects.create(code="back", name="Back office")
    assert unit.organisation_id == alpha.pk


def test_saving_another_organisations_row_inside_a_tenant_is_refused(make_org):
    alpha, beta = make_org("alpha"), make_org("beta")
    with tenant(alpha), pytest.raises(TenantScopeError):
        Unit(organisation=beta, code="sneaky", name="Sneaky").save()
    assert not Unit.unscoped_all_tenants.filter(code="sneaky").exists()
