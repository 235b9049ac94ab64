"""The CRM models in the owners' admin on the tenant host. Users live in the public schema, shared by every
tenant: the lead's seller field must offer, accept and name only people of this tenant."""

import pytest
from django_tenants.utils import schema_context

from crm.models import Lead
from crm.tests.factories import LeadFactory
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _change_data(response, **overrides) -> dict:
    """What the change form would post back unchanged, plus `overrides`."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value in (None, ""):
            continue
        data[name] = [str(item) for item in value] if isinstance(value, list) else value
    data.update(overrides)
    return data


@pytest.fixture
def people(acme, globex, owner, make_member):
    acme_seller = make_member(acme, Role.SELLER, full_name="Acme Seller Person")
    outsider = make_member(globex, Role.SELLER, full_name="Globex Only Person", email="only@globex.example")
    with schema_context("acme"):
        lead = LeadFactory(seller=acme_seller.user)
    return {"lead": lead, "acme_seller": acme_seller, "outsider": outsider}


def test_the_seller_field_offers_only_this_tenants_members(owner, people, client_for):
    response = client_for(owner).get(f"/admin/crm/lead/{people['lead'].pk}/change/")

    assert response.status_code == 200
    choices = {str(value) for value, _label in response.context["adminform"].form.fields["seller"].choices}
    assert str(people["acme_seller"].user_id) in choices
    assert str(owner.user_id) in choices
    assert str(people["outsider"].user_id) not in choices
    assert "Globex Only Person" not in response.content.decode()


def test_a_user_of_another_tenant_cannot_be_made_seller_and_is_not_named(owner, people, client_for):
    client = client_for(owner)
    url = f"/admin/crm/lead/{people['lead'].pk}/change/"
    data = _change_data(client.get(url), seller=str(people["outsider"].user_id))

    response = client.post(url, data)

    assert response.status_code == 200
    assert "seller" in response.context["adminform"].form.errors
    assert "Globex Only Person" not in response.content.decode()
    with schema_context("acme"):
        assert Lead.objects.get(pk=people["lead"].pk).seller_id == people["acme_seller"].user_id


def test_the_seller_can_still_be_changed_to_another_member(owner, people, client_for):
    client = client_for(owner)
    url = f"/admin/crm/lead/{people['lead'].pk}/change/"
    data = _change_data(client.get(url), seller=str(owner.user_id))

    response = client.post(url, data)

    assert response.status_code == 302
    with schema_context("acme"):
        assert Lead.objects.get(pk=people["lead"].pk).seller_id == owner.user_id


def test_the_user_autocomplete_is_refused(owner, people, client_for):
    response = client_for(owner).get(
        "/admin/autocomplete/", {"app_label": "crm", "model_name": "lead", "field_name": "seller", "term": "Globex"}
    )

    assert response.status_code == 403
    assert "Globex Only Person" not in response.content.decode()


def test_user_fields_cannot_be_probed_through_changelist_filters(owner, people, client_for):
    response = client_for(owner).get("/admin/crm/lead/", {"seller__email__startswith": "only@"})

    assert response.status_code == 400
