"""Numbering under real concurrency: invoices posted at the same instant on separate connections get
consecutive numbers, none twice and none skipped. The documents are committed (the posting connections
must see them) and deleted again afterwards."""

from decimal import Decimal

import pytest
from django.db import connection

from core.models import AuditEntry
from core.testing import in_own_connection, race
from crm.models import DocumentSequence, LeadDocument, SalesDocument, SalesDocumentLine, TimelineEntry
from crm.services.sales_documents import document_create, tenant_today
from crm.services.sales_documents_flow import document_post, quote_accept
from crm.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db(transaction=False)

PARALLEL = 8


@pytest.fixture
def committed(acme):
    """A lead with PARALLEL draft invoices and PARALLEL draft quotes, committed; all removed afterwards
    (and the numbering counters put back as they were)."""

    def create():
        before = {(row.kind, row.year): row.last_number for row in DocumentSequence.objects.all()}
        lead = LeadFactory(phone="+34600999111")
        lines = [{"description": "Race", "quantity": Decimal(1), "unit_price": Decimal(10), "tax_rate": Decimal(21)}]
        invoices = [document_create(lead=lead, kind="invoice", actor=None, lines=lines).pk for _ in range(PARALLEL)]
        quotes = [document_create(lead=lead, kind="quote", actor=None, lines=lines).pk for _ in range(PARALLEL)]
        return lead.pk, invoices, quotes, before

    lead_id, invoices, quotes, before = in_own_connection(create, tenant=acme)

    yield invoices, quotes

    def delete():
        ids = list(SalesDocument.objects.filter(lead_id=lead_id).values_list("pk", flat=True))
        AuditEntry.objects.filter(object_type="crm.salesdocument", object_id__in=[str(pk) for pk in ids]).delete()
        TimelineEntry.objects.filter(lead_id=lead_id).delete()
        LeadDocument.objects.filter(lead_id=lead_id).delete()
        SalesDocumentLine.objects.filter(document_id__in=ids).delete()
        SalesDocument.objects.filter(pk__in=ids).update(parent=None, root=None)
        SalesDocument.objects.filter(pk__in=ids).delete()
        AuditEntry.objects.filter(object_type="crm.lead", object_id=str(lead_id)).delete()
        from crm.models import Lead

        Lead.objects.filter(pk=lead_id).delete()
        for row in DocumentSequence.objects.all():
            if (row.kind, row.year) in before:
                row.last_number = before[(row.kind, row.year)]
                row.save()
            else:
                row.delete()

    in_own_connection(delete, tenant=acme)


def test_parallel_posts_get_consecutive_numbers_without_gaps_or_duplicates(acme, committed):
    invoices, quotes = committed

    def post(i: int):
        return document_post(document=SalesDocument.objects.get(pk=invoices[i]), actor=None).number

    def accept(i: int):
        return quote_accept(document=SalesDocument.objects.get(pk=quotes[i]), actor=None).number

    invoice_numbers = race(post, times=PARALLEL, tenant=acme)
    quote_numbers = race(accept, times=PARALLEL, tenant=acme)

    year = in_own_connection(lambda: tenant_today().year, tenant=acme)
    for numbers, prefix in ((invoice_numbers, "INV"), (quote_numbers, "Q")):
        assert all(isinstance(number, str) for number in numbers), numbers
        assert sorted(numbers) == [f"{prefix}-{year}-{n:04d}" for n in range(1, PARALLEL + 1)]
    connection.set_tenant(acme)
    stored = set(SalesDocument.objects.filter(pk__in=invoices).values_list("number", flat=True))
    assert stored == set(invoice_numbers)
