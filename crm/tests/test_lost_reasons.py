"""Lost reasons are a list the owners manage, with "Other" and a note; free text from older clients or
other apps is kept as "Other" with it as the note."""

from __future__ import annotations

import pytest

from core.errors import ApplicationError
from core.models import AuditEntry
from crm.models import LostReason
from crm.services.leads import lead_move
from crm.services.lost_reasons import (
    lost_reason_create,
    lost_reason_delete,
    lost_reason_move,
    lost_reason_resolve,
    lost_reason_update,
    offered_reasons,
)
from crm.tests.factories import LeadFactory, stage
from tenants.models import Role

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_new_company_has_the_default_reasons_with_other_last(english, tenant):
    assert [reason.display_name for reason in offered_reasons()] == [
        "Too expensive", "Went with a competitor", "Stopped answering", "Not interested any more",
        "Not the right time", "Other",
    ]  # fmt: skip


@pytest.mark.parametrize("given", ["price", "Too expensive", "Demasiado caro", "TROP CHER"])
def test_a_reason_is_found_by_id_key_or_name_in_any_language(english, tenant, given):
    from django.utils import translation

    # The Spanish and French names come from the catalogs.
    with translation.override("es"):
        spanish = str(LostReason.DEFAULT_NAMES["price"])
    with translation.override("fr"):
        french = str(LostReason.DEFAULT_NAMES["price"])
    text = {"Demasiado caro": spanish, "TROP CHER": french.upper()}.get(given, given)

    assert lost_reason_resolve(reason=text) == ("Too expensive", "")
    assert lost_reason_resolve(reason=str(LostReason.objects.get(key="price").pk)) == ("Too expensive", "")


def test_free_text_is_other_with_it_as_the_note(english, tenant):
    assert lost_reason_resolve(reason="Moved to Mars") == ("Other", "Moved to Mars")
    assert lost_reason_resolve(reason="Moved to Mars", note="for good") == ("Other", "Moved to Mars — for good")


def test_no_reason_or_other_without_a_note_is_refused(english, tenant):
    with pytest.raises(ApplicationError):
        lost_reason_resolve(reason="")
    with pytest.raises(ApplicationError):
        lost_reason_resolve(reason="other")


def test_owners_add_rename_reorder_retire_and_delete_reasons(english, tenant, owner):
    added = lost_reason_create(name="Bad timing for the harvest", actor=owner.user)
    lost_reason_update(reason=added, name="Harvest", actor=owner.user)
    lost_reason_move(reason=added, direction="up", actor=owner.user)
    price = LostReason.objects.get(key="price")
    lost_reason_update(reason=price, active=False, actor=owner.user)

    names = [reason.display_name for reason in offered_reasons()]
    assert names == [
        "Went with a competitor", "Stopped answering", "Not interested any more", "Not the right time",
        "Harvest", "Other",
    ]  # fmt: skip
    lost_reason_delete(reason=added, actor=owner.user)
    assert not LostReason.objects.filter(pk=added.pk).exists()
    assert list(AuditEntry.objects.filter(action__startswith="lost_reason.").values_list("action", flat=True)) == [
        "lost_reason.delete", "lost_reason.update", "lost_reason.reorder", "lost_reason.update",
        "lost_reason.create",
    ]  # fmt: skip


def test_other_cannot_be_retired_or_deleted_and_names_stay_unique(english, tenant, owner):
    other = LostReason.objects.get(key="other")

    for attempt in (
        lambda: lost_reason_update(reason=other, active=False, actor=owner.user),
        lambda: lost_reason_delete(reason=other, actor=owner.user),
        lambda: lost_reason_create(name="too EXPENSIVE", actor=owner.user),
        lambda: lost_reason_create(name="  ", actor=owner.user),
    ):
        with pytest.raises(ApplicationError):
            attempt()

    assert LostReason.objects.count() == 6


def test_a_retired_reason_given_by_name_still_resolves(english, tenant, owner):
    price = LostReason.objects.get(key="price")
    lost_reason_update(reason=price, active=False, actor=owner.user)
    lead = LeadFactory(phone="+34612000001")

    lead_move(lead=lead, stage=stage("lost"), actor=owner.user, lost_reason="Too expensive")

    lead.refresh_from_db()
    assert lead.lost_reason == "Too expensive"


def test_the_owners_page_manages_the_list(english, tenant, owner, client_for):
    client = client_for(owner)

    page = client.get("/pipeline/lost-reasons/")
    added = client.post("/pipeline/lost-reasons/add/", {"name": "No stock"}, **HTMX)

    assert page.status_code == 200
    assert "Went with a competitor" in page.content.decode()
    assert added.status_code == 200
    assert "No stock" in added.content.decode()
    assert LostReason.objects.filter(name="No stock").exists()


@pytest.mark.parametrize("role", [Role.SELLER, Role.ACCOUNTANT, Role.MARKETING])
def test_only_owners_manage_the_list(tenant, make_member, client_for, role):
    client = client_for(make_member(tenant, role))

    assert client.get("/pipeline/lost-reasons/").status_code == 403
    assert client.post("/pipeline/lost-reasons/add/", {"name": "x"}).status_code == 403
    assert not LostReason.objects.filter(name="x").exists()
