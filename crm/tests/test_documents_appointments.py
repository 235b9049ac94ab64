""" "Invoice this visit": a draft invoice made from an agenda appointment, once."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone

from agenda.models import Appointment
from agenda.tests.factories import make_service
from core.errors import ApplicationError
from crm.models import SalesDocument
from crm.services.sales_documents import invoice_for_appointment
from crm.services.sales_documents_flow import document_cancel
from crm.tests.factories import LeadFactory
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _visit(seller, *, status="completed", price="80.00") -> Appointment:
    service = make_service(sellers=[seller], name="Fitting", price=price)
    start = timezone.now() - timedelta(days=1)
    end = start + timedelta(minutes=30)
    return Appointment.objects.create(
        lead=LeadFactory(seller=seller.user), service=service, seller=seller.user, start=start, end=end,
        busy_until=end, status=status,
    )  # fmt: skip


def test_a_visit_becomes_a_draft_invoice_once(tenant, owner, seller):
    visit = _visit(seller)

    invoice = invoice_for_appointment(appointment=visit, actor=owner.user)

    invoice.refresh_from_db()
    line = invoice.lines.get()
    assert (invoice.kind, invoice.state, invoice.lead_id, invoice.seller_id) == (
        "invoice",
        "draft",
        visit.lead_id,
        seller.user_id,
    )
    assert (invoice.origin_type, invoice.origin_id) == ("agenda.appointment", str(visit.pk))
    assert line.description.startswith("Fitting · ")
    assert (line.quantity, line.unit_price, invoice.total_amount) == (D(1), D("80.00"), D("80.00"))
    with pytest.raises(ApplicationError, match="already on invoice") as error:
        invoice_for_appointment(appointment=visit, actor=owner.user)
    assert error.value.extra["document"].pk == invoice.pk

    document_cancel(document=invoice, actor=owner.user)
    again = invoice_for_appointment(appointment=visit, actor=owner.user)
    assert again.pk != invoice.pk


@pytest.mark.parametrize("status", ["cancelled", "no_show"])
def test_a_cancelled_or_missed_visit_is_not_invoiced(tenant, owner, seller, status):
    visit = _visit(seller, status=status)

    with pytest.raises(ApplicationError, match="not invoiced"):
        invoice_for_appointment(appointment=visit, actor=owner.user)
    assert not SalesDocument.objects.exists()


def test_owners_invoice_the_visit_from_its_popover(tenant, owner, seller, acme, make_member, client_for):
    visit = _visit(seller)
    accountant = make_member(acme, Role.ACCOUNTANT)
    connection.set_schema_to_public()
    client = client_for(owner)

    before = client.get(f"/agenda/appointments/{visit.pk}/").content.decode()
    response = client.post(f"/documents/from-appointment/{visit.pk}/")
    after = client.get(f"/agenda/appointments/{visit.pk}/").content.decode()
    again = client.post(f"/documents/from-appointment/{visit.pk}/")

    assert 'data-testid="invoice-visit"' in before
    connection.set_tenant(acme)
    invoice = SalesDocument.objects.get()
    assert response["Location"] == f"/documents/{invoice.pk}/"
    assert 'data-testid="visit-invoice"' in after
    assert again["Location"] == f"/documents/{invoice.pk}/"
    connection.set_schema_to_public()
    assert (
        'data-testid="invoice-visit"'
        not in client_for(seller).get(f"/agenda/appointments/{visit.pk}/").content.decode()
    )
    assert client_for(seller).post(f"/documents/from-appointment/{visit.pk}/").status_code == 403
    assert client_for(accountant).post(f"/documents/from-appointment/{visit.pk}/").status_code == 403
    assert client.post("/documents/from-appointment/999999999/").status_code == 404
    connection.set_tenant(acme)
    assert SalesDocument.objects.count() == 1
