from io import StringIO

import pytest
from django_tenants.utils import schema_context, tenant_context

from crm import demo, documents_demo
from crm.models import DocumentSettings, Product, SalesDocument
from tenants.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_people(acme, make_member):
    return {key: make_member(acme, role, email=f"{key}@acme.test") for key, role in
            (("owner", Role.OWNER), ("seller1", Role.SELLER), ("seller2", Role.SELLER))}  # fmt: skip


def test_demo_documents_cover_every_state_of_every_kind_and_seed_once(acme, demo_people, media_root):
    with schema_context(acme.schema_name):
        demo.seed(tenant=acme, stdout=StringIO())

    made = documents_demo.seed(tenant=acme, stdout=StringIO())
    again = documents_demo.seed(tenant=acme, stdout=StringIO())

    assert made > 20
    assert again == 0
    with tenant_context(acme):
        assert SalesDocument.objects.count() == made
        present = set(SalesDocument.objects.values_list("kind", "state"))
        for kind, states in SalesDocument.STATES.items():
            for state in states:
                assert (kind, state) in present, (kind, state)
        assert Product.objects.filter(active=True).count() == 8
        assert Product.objects.filter(active=False).count() == 1
        assert DocumentSettings.objects.get().tax_id
        for kind in SalesDocument.PREFIXES:
            numbers = sorted(
                SalesDocument.objects.filter(kind=kind).exclude(number="").values_list("number", flat=True)
            )
            assert [int(number.rsplit("-", 1)[1]) for number in numbers] == list(range(1, len(numbers) + 1))
        by_number = list(SalesDocument.objects.exclude(number="").filter(kind="invoice").order_by("number"))
        assert [doc.issue_date for doc in by_number] == sorted(doc.issue_date for doc in by_number)
