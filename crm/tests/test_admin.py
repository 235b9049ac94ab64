"""The CRM models in the owners' admin on the tenant host. Leads and stages have rules their services
keep (history, audit, live events, normalised phones, search text, won and lost stages), so the admin
only shows them, and points to the pages where they are changed."""

import pytest
from django_tenants.utils import schema_context

from crm.models import Lead, Stage
from crm.tests.factories import LeadFactory, stage
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOTE = "Read only here: changes go through the company"


@pytest.fixture
def lead(acme, make_member):
    seller = make_member(acme, Role.SELLER, full_name="Acme Seller Person")
    with schema_context("acme"):
        return LeadFactory(seller=seller.user, first_name="Admira", phone="+34612000777")


def _state() -> list[tuple]:
    with schema_context("acme"):
        leads = list(Lead.objects.order_by("pk").values_list("pk", "phone", "first_name", "stage_id", "seller_id"))
        stages = list(Stage.objects.order_by("pk").values_list("pk", "name", "kind", "position"))
    return [leads, stages]


def test_owners_see_leads_and_stages_with_a_link_to_the_pages(owner, lead, client_for):
    client = client_for(owner)
    with schema_context("acme"):
        won = stage("won")

    pages = {
        "/admin/crm/lead/": 'href="/leads/"',
        f"/admin/crm/lead/{lead.pk}/change/": f'href="/leads/{lead.pk}/"',
        "/admin/crm/stage/": 'href="/pipeline/stages/"',
        f"/admin/crm/stage/{won.pk}/change/": 'href="/pipeline/stages/"',
    }
    for url, link in pages.items():
        body = client.get(url).content.decode()
        assert NOTE in body, url
        assert link in body, url
    assert "Admira" in client.get(f"/admin/crm/lead/{lead.pk}/change/").content.decode()


@pytest.mark.parametrize("model", ["lead", "stage"])
def test_adding_changing_and_deleting_are_refused_and_change_nothing(owner, lead, client_for, model):
    client = client_for(owner)
    with schema_context("acme"):
        pk = lead.pk if model == "lead" else stage("won").pk
    before = _state()
    posted = {"phone": "+34699000111", "first_name": "Changed", "name": "Changed", "kind": "open", "position": "0"}

    answers = [
        client.get(f"/admin/crm/{model}/add/"),
        client.post(f"/admin/crm/{model}/add/", posted),
        client.post(f"/admin/crm/{model}/{pk}/change/", posted),
        client.get(f"/admin/crm/{model}/{pk}/delete/"),
        client.post(f"/admin/crm/{model}/{pk}/delete/", {"post": "yes"}),
        client.post(f"/admin/crm/{model}/", {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}),
    ]

    assert [answer.status_code for answer in answers[:5]] == [403] * 5
    # The list offers no bulk delete: the action is unknown, the list is shown again.
    assert answers[5].status_code == 200
    assert "delete_selected" not in answers[5].content.decode()
    assert _state() == before


def test_the_change_page_offers_no_save_or_delete(owner, lead, client_for):
    body = client_for(owner).get(f"/admin/crm/lead/{lead.pk}/change/").content.decode()

    assert 'name="_save"' not in body
    assert f"/admin/crm/lead/{lead.pk}/delete/" not in body


def test_the_user_autocomplete_is_refused(owner, lead, client_for):
    response = client_for(owner).get(
        "/admin/autocomplete/", {"app_label": "crm", "model_name": "lead", "field_name": "seller", "term": "Acme"}
    )

    assert response.status_code == 403
    assert "Acme Seller Person" not in response.content.decode()


def test_user_fields_cannot_be_probed_through_changelist_filters(owner, lead, client_for):
    response = client_for(owner).get("/admin/crm/lead/", {"seller__email__startswith": "seller"})

    assert response.status_code == 400
